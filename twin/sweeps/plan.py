"""A sweep plan: the grid of what-ifs a sweep runs, each point replicated on independent seeds.

``--vary watchlist.size=7,100,1000 --vary matcher.threshold_cosine=0.24,0.3`` makes a grid of six
points; each point is the scenario with those overrides (and any fixed ``--set`` or ``--window``) and
runs ``R`` times. Everything is validated here, before any work is sent: every point's scenario goes
through the same loader as ``twin run``, so a bad key or value is refused with one line naming it.

Seeds: replication ``r`` of every point runs on the ``r``-th child of
``numpy.random.SeedSequence(base_seed).spawn``, so replications are independent streams and point A's
replication ``r`` sees the same crowd as point B's (common random numbers: differences between points
are the what-if's, not the dice's). A point's key is a hash of its resolved scenario (overrides
applied, site map content included) and the base seed, so the same command finds its finished runs
again, and a changed scenario file never reuses stale ones.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from pydantic import BaseModel

from twin.errors import ResultsError, TwinInputError
from twin.results.reader import read_results
from twin.results.schema import MANIFEST
from twin.scenario import Scenario, load_scenario, parse_override

POINTS_DIR: Final = "points"
REPLICATION_PREFIX: Final = "rep-"
#: A grid larger than this is almost surely a typo (and would take hours).
MAX_POINTS: Final = 10_000
#: Scenario keys a sweep sets itself and so may not vary.
RESERVED_KEYS: Final = {"seed": "the sweep sets each run's seed: use --seed and --replications"}
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_WINDOW = re.compile(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})")
_KEY_HEX_CHARS: Final = 16


@dataclass(frozen=True)
class Axis:
    """One varied scenario field and the values it takes, in the order given."""

    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class PointRun:
    """One replication of one grid point: the unit of work a Dask worker runs."""

    point: str  # the point's key (a hash): its folder under points/
    params: Mapping[str, Any]  # the varied fields' values at this point, by dotted key
    replication: int
    seed: int
    scenario: Scenario
    scenario_sha256: str
    out: Path  # the run's results directory (absolute)

    @property
    def label(self) -> str:
        """How messages name it: ``watchlist.size=7, rep 1``."""
        return f"{params_label(self.params)}, rep {self.replication}"


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: where it writes, its grid, and every run in grid order."""

    scenario_path: Path
    scenario_name: str
    out: Path
    axes: tuple[Axis, ...]
    fixed: tuple[str, ...]  # overrides every point shares (--set, --window), as KEY=TOML
    replications: int
    base_seed: int
    runs: tuple[PointRun, ...] = field(repr=False)

    @property
    def points(self) -> list[tuple[str, Mapping[str, Any]]]:
        """(key, params) of each grid point, in grid order."""
        return [(run.point, run.params) for run in self.runs if run.replication == 0]


def params_label(params: Mapping[str, Any]) -> str:
    """``watchlist.size=7, matcher.backend='flat'``; ``base scenario`` when nothing varies."""
    if not params:
        return "base scenario"
    return ", ".join(f"{key}={value!r}" for key, value in params.items())


def toml_literal(value: Any) -> str:
    """A value as a TOML literal, so it can travel as a ``--set``-style override."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # A TOML basic string: JSON's escapes, plus DEL, which TOML forbids raw.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{toml_literal(str(k))} = {toml_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TwinInputError(f"{value!r}: dates and times are not scenario values (write 'HH:MM')")


def _key_problem(key: str) -> str | None:
    """Why a dotted key names no scenario field (listing what is allowed there), or None if it does."""
    if not _KEY.fullmatch(key):
        return "expected a dotted key such as watchlist.size"
    model: type[BaseModel] | None = Scenario
    where = "the scenario"  # no square brackets: the CLI prints messages as rich markup
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if model is None:
            return (
                None  # inside a table or list field: the scenario's own validation checks the rest
            )
        fields = [name for name, info in model.model_fields.items() if not info.exclude]
        if part not in fields:
            return f"unknown key {part!r} in {where}; allowed: {', '.join(fields)}"
        annotation = model.model_fields[part].annotation
        is_section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation if is_section else None
        where = "section " + ".".join(parts[: depth + 1])
    if model is not None:
        return f"a section, not a field; its fields: {', '.join(model.model_fields)}"
    return None


def is_scenario_field(key: str) -> bool:
    """Whether a dotted key names a scenario field (``watchlist.size``)."""
    return _key_problem(key) is None


def check_scenario_key(key: str, *, flag: str) -> None:
    """Refuse a dotted key that names no scenario field, listing the fields allowed where it went wrong."""
    if key in RESERVED_KEYS:
        raise TwinInputError(f"{flag} {key}: {RESERVED_KEYS[key]}")
    problem = _key_problem(key)
    if problem is not None:
        raise TwinInputError(f"{flag} {key}: {problem}")


def parse_vary(text: str) -> Axis:
    """``KEY=V1,V2,...`` -> Axis. Values are read as TOML (numbers, booleans, quoted strings, lists);
    bare words such as ``flat`` or ``07:30`` are strings."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep:
        raise TwinInputError(f"--vary {text!r}: expected KEY=V1,V2,... e.g. watchlist.size=7,100")
    check_scenario_key(key, flag="--vary")
    raw = raw.strip()
    if not raw:
        raise TwinInputError(f"--vary {key}: no values given (expected {key}=V1,V2,...)")
    values: list[Any]
    try:
        values = list(tomllib.loads(f"v = [{raw}]")["v"])
    except tomllib.TOMLDecodeError:  # not a TOML array: split on commas, read each on its own
        values = []
        for part in raw.split(","):
            if not part.strip():
                raise TwinInputError(f"--vary {key}={raw}: an empty value between commas") from None
            values.append(parse_override(f"v={part}")[1])
    if not values:
        raise TwinInputError(f"--vary {key}: no values given (expected {key}=V1,V2,...)")
    seen: list[str] = []
    for value in values:
        try:
            literal = toml_literal(value)
        except TwinInputError as exc:
            raise TwinInputError(f"--vary {key}: {exc.message}") from exc
        if literal in seen:
            raise TwinInputError(f"--vary {key}: the value {value!r} is given twice")
        seen.append(literal)
    return Axis(key=key, values=tuple(values))


def window_overrides(text: str) -> tuple[str, str]:
    """``07:30-09:30`` -> the two overrides that simulate that window of the day."""
    match = _WINDOW.fullmatch(text.strip())
    if not match:
        raise TwinInputError(f"--window {text!r}: expected HH:MM-HH:MM, e.g. 07:30-09:30")
    return (
        f"crowd.window_start={json.dumps(match.group(1))}",
        f"crowd.window_end={json.dumps(match.group(2))}",
    )


def replication_seeds(base_seed: int, replications: int) -> tuple[int, ...]:
    """One independent seed per replication: the children of ``SeedSequence(base_seed).spawn``.

    Child ``r`` does not depend on how many were spawned, so adding replications keeps the first ones.
    """
    children = np.random.SeedSequence(base_seed).spawn(replications)
    # 63 bits: a seed fits a signed 64-bit column and the scenario's own seed range.
    return tuple(int(child.generate_state(1, dtype=np.uint64)[0] >> 1) for child in children)


def point_key(scenario_sha256: str, base_seed: int) -> str:
    """A point's stable key: its resolved scenario and the sweep's base seed."""
    text = json.dumps({"scenario": scenario_sha256, "base_seed": base_seed}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:_KEY_HEX_CHARS]


def run_dir(out: Path, point: str, replication: int) -> Path:
    """Where a point's replication writes its results directory."""
    return out / POINTS_DIR / point / f"{REPLICATION_PREFIX}{replication}"


def finished_manifest(run: PointRun) -> dict[str, Any] | None:
    """The run's manifest if it already finished: complete and on the schema (the strict reader),
    same scenario, same seed. Anything else is run again."""
    if not (run.out / MANIFEST).is_file():
        return None
    try:
        results = read_results(run.out)
    except ResultsError:
        return None
    typed = results.typed
    same = typed.scenario.sha256 == run.scenario_sha256 and typed.seed == run.seed
    return results.manifest if same else None


def plan_sweep(
    scenario_path: Path,
    *,
    vary: Sequence[str],
    replications: int,
    out: Path,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    window: str | None = None,
) -> SweepPlan:
    """Validate a sweep and list its runs. Raises TwinInputError with one line on any bad input."""
    if replications < 1:
        raise TwinInputError(f"--replications: must be at least 1, got {replications}")
    if seed is not None and seed < 0:
        raise TwinInputError(f"--seed: must be a non-negative integer, got {seed}")
    axes = tuple(parse_vary(text) for text in vary)
    keys = [axis.key for axis in axes]
    for key in keys:
        if keys.count(key) > 1:
            raise TwinInputError(f"--vary {key}: given more than once (list every value in one)")
    fixed = list(overrides)
    for text in fixed:
        check_scenario_key(text.partition("=")[0].strip(), flag="--set")
    if window is not None:
        clash = {"crowd.window_start", "crowd.window_end"} & set(keys)
        if clash:
            raise TwinInputError(f"--window and --vary {sorted(clash)[0]} both set the window")
        fixed.extend(window_overrides(window))
    try:
        base = load_scenario(scenario_path, overrides=fixed)
    except TwinInputError as exc:
        if not fixed:
            raise
        given = [f"--set {text}" for text in overrides] + ([f"--window {window}"] if window else [])
        raise TwinInputError(f"{' '.join(given)}: {exc.message}", source=exc.source) from exc
    base_seed = base.seed if seed is None else seed
    n_points = int(np.prod([len(axis.values) for axis in axes]))
    if n_points > MAX_POINTS:
        raise TwinInputError(f"--vary: the grid has {n_points:,} points; at most {MAX_POINTS:,}")
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise TwinInputError("--out: exists and is not a directory", source=out)

    seeds = replication_seeds(base_seed, replications)
    runs: list[PointRun] = []
    seen: dict[str, str] = {}
    for combination in itertools.product(*(axis.values for axis in axes)):
        params = dict(zip(keys, combination, strict=True))
        label = params_label(params)
        point_overrides = [f"{k}={toml_literal(v)}" for k, v in params.items()]
        try:
            scenario = load_scenario(scenario_path, overrides=[*fixed, *point_overrides])
        except TwinInputError as exc:
            raise TwinInputError(f"--vary {label}: {exc.message}", source=exc.source) from exc
        sha = scenario.sha256()
        key = point_key(sha, base_seed)
        if key in seen:
            raise TwinInputError(f"--vary: points {seen[key]} and {label} are the same scenario")
        seen[key] = label
        runs.extend(
            PointRun(
                point=key,
                params=params,
                replication=r,
                seed=seeds[r],
                scenario=scenario,
                scenario_sha256=sha,
                out=run_dir(out, key, r),
            )
            for r in range(replications)
        )
    return SweepPlan(
        scenario_path=scenario_path,
        scenario_name=base.name,
        out=out,
        axes=axes,
        fixed=tuple(fixed),
        replications=replications,
        base_seed=base_seed,
        runs=tuple(runs),
    )
