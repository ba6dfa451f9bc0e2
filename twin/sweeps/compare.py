"""Comparing two runs, or two sweeps, side by side: what differs in their set-up and in their figures.

Two runs: each figure of A and of B, the difference B − A and the relative change, and the scenario
fields that differ. Two sweeps over the same varied fields: for every point both hold and each metric,
the mean and 95% interval of A and of B and the interval of the difference B − A. When both sweeps ran
the same seeds (the same base seed), replication r of A and of B saw the same crowd, and the
difference is taken pair by pair (a paired t interval, much tighter); otherwise Welch's interval.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from twin.errors import ResultsError, TwinInputError
from twin.results.reader import read_results
from twin.results.schema import MANIFEST
from twin.sweeps.reader import SweepResults, is_sweep_dir, read_sweep
from twin.sweeps.stats import DifferenceMethod, Estimate, difference_ci, mean_ci
from twin.sweeps.tables import PATH, SEED, manifest_figures

#: Figures compared unless others are asked for.
DEFAULT_METRICS: Final = (
    "counts.searches",
    "counts.alerts",
    "counts.true_alerts",
    "counts.false_alerts",
    "outcomes.fpir",
    "outcomes.fnir",
    "outcomes.precision",
    "latency_ms.p99",
    "throughput.peak_captures_per_s",
)

Kind = Literal["runs", "sweeps"]


@dataclass(frozen=True)
class SettingDifference:
    """A scenario field (or sweep setting) that differs between A and B."""

    key: str
    a: Any
    b: Any


@dataclass(frozen=True)
class FigureDifference:
    """One figure of two runs: A, B, B − A and (B − A) / A."""

    metric: str
    a: float | None
    b: float | None
    difference: float | None
    relative: float | None


@dataclass(frozen=True)
class PointDifference:
    """One metric at one sweep point: A's and B's estimates and their difference B − A."""

    params: dict[str, Any]
    metric: str
    a: Estimate
    b: Estimate
    difference: Estimate
    method: DifferenceMethod

    @property
    def significant(self) -> bool:
        """Whether the difference's interval excludes zero."""
        low, high = self.difference.ci_low, self.difference.ci_high
        return low is not None and high is not None and (low > 0 or high < 0)


@dataclass(frozen=True)
class Comparison:
    """A side-by-side comparison of two runs or two sweeps."""

    kind: Kind
    a: Path
    b: Path
    settings: tuple[SettingDifference, ...]
    figures: tuple[FigureDifference, ...] = ()
    points: tuple[PointDifference, ...] = ()
    parameters: tuple[str, ...] = ()
    only_in_a: tuple[dict[str, Any], ...] = field(default=())
    only_in_b: tuple[dict[str, Any], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with paths as text."""
        data = asdict(self)
        data["a"], data["b"] = str(self.a), str(self.b)
        for point, row in zip(self.points, data["points"], strict=True):
            row["significant"] = point.significant
        return data


def _kind(path: Path) -> Kind:
    if is_sweep_dir(path):
        return "sweeps"
    if (path / MANIFEST).is_file():
        return "runs"
    raise ResultsError("neither a run (manifest.json) nor a sweep (sweep.parquet)", source=path)


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, Mapping):
        flat: dict[str, Any] = {}
        for key, value in node.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): node}


def scenario_differences(
    a: Mapping[str, Any], b: Mapping[str, Any], *, ignore: Sequence[str] = ()
) -> tuple[SettingDifference, ...]:
    """Fields of two resolved scenarios that differ (dotted keys), leaving out ``ignore``."""
    flat_a, flat_b = _flatten(a), _flatten(b)
    keys = sorted((set(flat_a) | set(flat_b)) - set(ignore))
    return tuple(
        SettingDifference(key, flat_a.get(key), flat_b.get(key))
        for key in keys
        if flat_a.get(key) != flat_b.get(key)
    )


def _check_metrics(metrics: Sequence[str], available: set[str]) -> tuple[str, ...]:
    for metric in metrics:
        if metric not in available:
            shown = ", ".join(m for m in DEFAULT_METRICS if m in available)
            raise TwinInputError(f"--metric {metric}: not a figure of these results; e.g. {shown}")
    return tuple(metrics)


def compare_runs(a: Path, b: Path, *, metrics: Sequence[str] | None = None) -> Comparison:
    """Two results directories side by side."""
    run_a, run_b = read_results(a), read_results(b)
    figures_a, figures_b = manifest_figures(run_a.manifest), manifest_figures(run_b.manifest)
    chosen = _check_metrics(
        metrics or [m for m in DEFAULT_METRICS if m in figures_a or m in figures_b],
        set(figures_a) | set(figures_b),
    )
    rows = []
    for metric in chosen:
        value_a, value_b = figures_a.get(metric), figures_b.get(metric)
        difference = None if value_a is None or value_b is None else value_b - value_a
        relative = difference / value_a if difference is not None and value_a else None
        rows.append(FigureDifference(metric, value_a, value_b, difference, relative))
    settings = scenario_differences(
        run_a.manifest["scenario"].get("resolved", {}),
        run_b.manifest["scenario"].get("resolved", {}),
    )
    if run_a.manifest.get("seed") != run_b.manifest.get("seed"):
        seeds = SettingDifference(
            "seed (run)", run_a.manifest.get("seed"), run_b.manifest.get("seed")
        )
        settings = (*settings, seeds)
    return Comparison(kind="runs", a=a, b=b, settings=settings, figures=tuple(rows))


def _point_id(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _by_point(sweep: SweepResults) -> dict[str, tuple[dict[str, Any], pd.DataFrame]]:
    done = sweep.complete_runs()
    parameters = list(sweep.parameters)
    groups: dict[str, tuple[dict[str, Any], pd.DataFrame]] = {}
    if not parameters:
        return {_point_id({}): ({}, done)}
    for values, part in done.groupby(parameters, sort=False, dropna=False):
        params = dict(
            zip(parameters, values if isinstance(values, tuple) else (values,), strict=True)
        )
        params = {k: v.item() if hasattr(v, "item") else v for k, v in params.items()}
        groups[_point_id(params)] = (params, part)
    return groups


def _first_resolved(sweep: SweepResults) -> dict[str, Any]:
    done = sweep.complete_runs()
    if done.empty:
        return {}
    try:
        run = read_results(sweep.run_path(str(done[PATH].iloc[0])), root=sweep.path)
        return dict(run.typed.scenario.resolved)
    except (ResultsError, KeyError):
        return {}


def _point_difference(
    params: dict[str, Any], metric: str, part_a: pd.DataFrame, part_b: pd.DataFrame
) -> PointDifference:
    values_a = part_a[metric] if metric in part_a else pd.Series(dtype=float)
    values_b = part_b[metric] if metric in part_b else pd.Series(dtype=float)
    seeds_a, seeds_b = list(part_a[SEED]), list(part_b[SEED])
    paired = (
        len(seeds_a) > 1
        and sorted(seeds_a) == sorted(seeds_b)
        and len(set(seeds_a)) == len(seeds_a)
    )
    if paired:
        a_by_seed = dict(zip(seeds_a, values_a.astype(float), strict=True))
        b_by_seed = dict(zip(seeds_b, values_b.astype(float), strict=True))
        order = sorted(a_by_seed)
        difference, method = difference_ci(
            [a_by_seed[s] for s in order], [b_by_seed[s] for s in order], paired=True
        )
    else:
        difference, method = difference_ci(
            values_a.astype(float).to_numpy(), values_b.astype(float).to_numpy(), paired=False
        )
    return PointDifference(
        params=params,
        metric=metric,
        a=mean_ci(values_a.astype(float).to_numpy()),
        b=mean_ci(values_b.astype(float).to_numpy()),
        difference=difference,
        method=method,
    )


def compare_sweeps(a: Path, b: Path, *, metrics: Sequence[str] | None = None) -> Comparison:
    """Two sweep directories over the same varied fields, point by point."""
    sweep_a, sweep_b = read_sweep(a), read_sweep(b)
    if set(sweep_a.parameters) != set(sweep_b.parameters):
        raise TwinInputError(
            f"{a} varies {list(sweep_a.parameters)} and {b} varies {list(sweep_b.parameters)}: "
            "compare sweeps over the same fields"
        )
    available = set(sweep_a.table.columns) | set(sweep_b.table.columns)
    chosen = _check_metrics(metrics or [m for m in DEFAULT_METRICS if m in available], available)
    points_a, points_b = _by_point(sweep_a), _by_point(sweep_b)
    rows = [
        _point_difference(params, metric, part_a, points_b[key][1])
        for key, (params, part_a) in points_a.items()
        if key in points_b
        for metric in chosen
    ]
    settings = scenario_differences(
        _first_resolved(sweep_a), _first_resolved(sweep_b), ignore=sweep_a.parameters
    )
    for setting in ("base_seed", "replications"):
        if sweep_a.summary.get(setting) != sweep_b.summary.get(setting):
            setting_a, setting_b = sweep_a.summary.get(setting), sweep_b.summary.get(setting)
            settings = (*settings, SettingDifference(f"{setting} (sweep)", setting_a, setting_b))
    return Comparison(
        kind="sweeps",
        a=a,
        b=b,
        settings=settings,
        points=tuple(rows),
        parameters=sweep_a.parameters,
        only_in_a=tuple(params for key, (params, _) in points_a.items() if key not in points_b),
        only_in_b=tuple(params for key, (params, _) in points_b.items() if key not in points_a),
    )


def compare(a: Path, b: Path, *, metrics: Sequence[str] | None = None) -> Comparison:
    """Two runs or two sweeps side by side; a run and a sweep are refused."""
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a != kind_b:
        raise TwinInputError(
            f"{a} is a {kind_a[:-1]} and {b} is a {kind_b[:-1]}: compare two runs or two sweeps"
        )
    if kind_a == "runs":
        return compare_runs(a, b, metrics=metrics)
    return compare_sweeps(a, b, metrics=metrics)
