"""``twin uncertainty``: how sure a run's headline figures are, and which assumptions move them most.

Every *assumption* of the scenario (its ``[assumptions]`` table, then the schema's own ranges for
keys it does not list: twin.scenario.assumptions.SCHEMA_ASSUMPTIONS) and of its algorithm profile
(``profile.<field>``) is sampled together: N Latin hypercube samples (scipy.stats.qmc), each a full
twin run on Dask through the sweeps engine (twin/sweeps/engine.py), so a killed run resumes where it
stopped. Every sample runs on the scenario's own seed (common random numbers), so the spread between
samples is the assumptions', not the dice's.

The report gives, for each headline output, the median and the 90% interval over samples, and a
sensitivity ranking: Spearman's rank correlation of each assumption with the output (scipy.stats),
and, for the tornado chart, the output's median over the samples in the lowest and highest third of
each assumption's range. False alerts per day scale the window's false alerts by the day's
pedestrians over the window's (faces scanned follow the footfall).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from scipy import stats

from twin.errors import TwinInputError
from twin.recognition.profiles import load_profile
from twin.results.writer import write_json_atomic
from twin.scenario import AssumptionRange, Scenario, load_scenario
from twin.scenario.assumptions import SCHEMA_ASSUMPTIONS
from twin.sweeps.plan import (
    Axis,
    PointRun,
    SweepPlan,
    check_scenario_key,
    point_key,
    run_dir,
    toml_literal,
    window_overrides,
)
from twin.sweeps.sampling import latin_hypercube

PROFILE_PREFIX: Final = "profile."
PROFILES_DIR: Final = "profiles"
REPORT: Final = "uncertainty.json"
TORNADO: Final = "tornado.html"
#: The 90% interval's quantiles, percent.
LOW_PCT: Final = 5.0
HIGH_PCT: Final = 95.0
#: Headline outputs: name, the manifest figure it comes from, what it means.
OUTPUTS: Final = (
    ("false_alerts_per_day", "counts.false_alerts", "false alerts per day"),
    ("innocent_people_flagged", None, "innocent people flagged (persons model)"),
    ("precision", "outcomes.precision", "share of alerts that are right"),
    ("fnir", "outcomes.fnir", "share of watchlisted passers missed"),
    ("peak_captures_per_s", "throughput.peak_captures_per_s", "peak load, captures per second"),
)
_INTEGER_FIELDS: Final = ("crowd.daily_pedestrians", "watchlist.size")


def assumption_ranges(scenario: Scenario) -> dict[str, AssumptionRange]:
    """Every assumption the run rests on and its range, by dotted key (``profile.`` for profile
    figures). Refuses a key that names no scenario field, naming the file."""
    for key in scenario.assumptions:
        try:
            check_scenario_key(key, flag="assumptions:")
        except TwinInputError as exc:
            raise TwinInputError(exc.message, source=scenario.source) from exc
    ranges = {**SCHEMA_ASSUMPTIONS, **scenario.assumptions}
    scenario_dir = scenario.source.parent if scenario.source is not None else None
    profile = load_profile(scenario.faces.algorithm, scenario_dir=scenario_dir)
    for key, spread in profile.assumptions.items():
        ranges[f"{PROFILE_PREFIX}{key}"] = spread
    return dict(sorted(ranges.items()))


def _profile_file(
    scenario: Scenario, values: Mapping[str, float], folder: Path, index: int
) -> Path:
    """The scenario's profile with the sampled figures, written (atomically) as TOML."""
    scenario_dir = scenario.source.parent if scenario.source is not None else None
    profile = load_profile(scenario.faces.algorithm, scenario_dir=scenario_dir)
    data = profile.model_dump(mode="json", exclude_none=True)
    for key, value in values.items():
        data[key.removeprefix(PROFILE_PREFIX)] = value
    data["name"] = f"{profile.name} (uncertainty sample {index})"
    text = "".join(f"{key} = {toml_literal(value)}\n" for key, value in data.items())
    tomllib.loads(text)  # a profile the twin can read back
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sample-{index:04d}.toml"
    temp = path.with_suffix(".tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)
    return path


def plan_uncertainty(
    scenario_path: Path,
    *,
    samples: int,
    out: Path,
    window: str | None = None,
    seed: int = 0,
) -> SweepPlan:
    """One run per Latin hypercube sample of every assumption, as a sweep plan (resumable)."""
    if samples < 1:
        raise TwinInputError(f"--samples: must be at least 1, got {samples}")
    fixed = list(window_overrides(window)) if window else []
    base = load_scenario(scenario_path, overrides=fixed)
    ranges = assumption_ranges(base)
    draws = latin_hypercube(ranges, samples, seed=seed)
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise TwinInputError("--out: exists and is not a directory", source=out)
    runs = []
    for index, draw in enumerate(draws):
        values = {k: round(v) if k in _INTEGER_FIELDS else v for k, v in draw.items()}
        overrides = [
            f"{key}={toml_literal(value)}"
            for key, value in values.items()
            if not key.startswith(PROFILE_PREFIX)
        ]
        profile_values = {k: v for k, v in values.items() if k.startswith(PROFILE_PREFIX)}
        if profile_values:
            path = _profile_file(base, profile_values, out / PROFILES_DIR, index)
            overrides.append(f"faces.algorithm={toml_literal(str(path))}")
        scenario = load_scenario(scenario_path, overrides=[*fixed, *overrides])
        sha = scenario.sha256()
        key = point_key(sha, base.seed)
        runs.append(
            PointRun(
                point=key,
                params=values,
                replication=0,
                seed=base.seed,
                scenario=scenario,
                scenario_sha256=sha,
                out=run_dir(out, key, 0),
            )
        )
    axes = tuple(Axis(key=key, values=tuple(run.params[key] for run in runs)) for key in ranges)
    return SweepPlan(
        scenario_path=scenario_path,
        scenario_name=base.name,
        out=out,
        axes=axes,
        fixed=tuple(fixed),
        replications=1,
        base_seed=base.seed,
        runs=tuple(runs),
    )


def _output(name: str, figure: str | None, figures: Mapping[str, float], daily: float) -> float:
    if name == "innocent_people_flagged":
        found = [v for k, v in figures.items() if "innocent" in k]
        return float(found[0]) if found else math.nan
    if figure is None or figure not in figures:
        return math.nan
    value = float(figures[figure])
    if name == "false_alerts_per_day":
        walkers = float(figures.get("counts.pedestrians", 0))
        return value * daily / walkers if walkers else math.nan
    return value


def _finite(
    values: Sequence[float] | np.ndarray[Any, np.dtype[Any]],
) -> np.ndarray[Any, np.dtype[np.float64]]:
    array = np.asarray(values, dtype=np.float64)
    return array[np.isfinite(array)]


def summarise_uncertainty(
    plan: SweepPlan, figures_by_run: Sequence[Mapping[str, float] | None]
) -> dict[str, Any]:
    """The report: per output its 90% interval over samples and each assumption's effect on it."""
    keys = [axis.key for axis in plan.axes]
    daily = [float(run.scenario.crowd.daily_pedestrians) for run in plan.runs]
    done = [i for i, figures in enumerate(figures_by_run) if figures is not None]
    outputs: dict[str, Any] = {}
    for name, figure, meaning in OUTPUTS:
        values = np.array(
            [_output(name, figure, figures_by_run[i] or {}, daily[i]) for i in done], dtype=float
        )
        finite = _finite(values)
        if finite.size == 0:
            why = (
                "the persons model is absent"
                if name == "innocent_people_flagged"
                else "no run gave it"
            )
            outputs[name] = {"meaning": meaning, "absent": why}
            continue
        low, median, high = np.percentile(finite, [LOW_PCT, 50.0, HIGH_PCT])
        sensitivity: list[dict[str, Any]] = []
        for key in keys:
            inputs = np.array([float(plan.runs[i].params[key]) for i in done])
            keep = np.isfinite(values)
            x, y = inputs[keep], values[keep]
            if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
                rho = 0.0
            else:
                rho = float(stats.spearmanr(x, y).statistic)
            lower, upper = np.quantile(x, [1 / 3, 2 / 3]) if x.size else (0.0, 0.0)
            at_low = y[x <= lower]
            at_high = y[x >= upper]
            sensitivity.append(
                {
                    "assumption": key,
                    "spearman": 0.0 if math.isnan(rho) else rho,
                    "median_low_third": float(np.median(at_low)) if at_low.size else None,
                    "median_high_third": float(np.median(at_high)) if at_high.size else None,
                }
            )
        sensitivity.sort(key=lambda entry: -abs(float(entry["spearman"] or 0.0)))
        outputs[name] = {
            "meaning": meaning,
            "median": float(median),
            "low_90": float(low),
            "high_90": float(high),
            "samples": int(finite.size),
            "sensitivity": sensitivity,
        }
    return {
        "scenario": str(plan.scenario_path),
        "scenario_name": plan.scenario_name,
        "samples": len(plan.runs),
        "samples_complete": len(done),
        "sampler": "Latin hypercube (scipy.stats.qmc), common random numbers (one seed)",
        "seed": plan.base_seed,
        "window": list(plan.fixed),
        "interval": "90% (5th to 95th percentile over samples)",
        "assumptions": {axis.key: list(axis.values) for axis in plan.axes},
        "outputs": outputs,
    }


def write_report(out: Path, report: Mapping[str, Any]) -> Path:
    """Write uncertainty.json atomically in ``out``."""
    path = out / REPORT
    write_json_atomic(path, dict(report))
    return path
