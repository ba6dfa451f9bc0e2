"""What-if: a scenario, a window and the knobs people ask about, turned into scenario overrides.

The knobs are the scenario's own fields (``crowd.daily_pedestrians``, ``watchlist.size``,
``matcher.threshold_cosine``, ``cameras.recognition_ids``, ``faces.algorithm``, ``faces.groups``); each
becomes a ``--set``-style override that `twin.scenario.load_scenario` validates like the file itself.
The baseline is the same scenario over the same window and seed, so the two runs see the same crowd
(the runner gives every stage its own random stream). Widget limits come from the scenario schema, so
a value out of range cannot be entered. Results go to ``whatif-*`` directories named by a hash of what
was asked, so asking again reuses them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import annotated_types
from pydantic import BaseModel

from twin.dashboard.catalogue import WHATIF_PREFIX
from twin.recognition.profiles import ALGORITHMS_DIR
from twin.scenario import PROJECT_ROOT, GroupConfig, Scenario

SCENARIOS_DIR: Final = PROJECT_ROOT / "scenarios"
#: Times a window may start or end at, every 15 minutes.
WINDOW_TIMES: Final = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60 + 1, 15))
#: The morning peak: the default what-if window.
MORNING_PEAK: Final = ("08:00", "09:00")
_GROUP_FIXED: Final = frozenset({"name", "share"})


@dataclass(frozen=True)
class Knobs:
    """What a reader changed. ``None`` leaves the scenario's own value."""

    window_start: str = MORNING_PEAK[0]
    window_end: str = MORNING_PEAK[1]
    daily_pedestrians: int | None = None
    watchlist_size: int | None = None
    threshold_cosine: float | None = None
    recognition_ids: tuple[str, ...] | None = None
    algorithm: str | None = None
    #: Per group name, the changed numeric fields of its GroupConfig (multipliers).
    group_changes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def _toml(value: Any) -> str:
    """A value as TOML, for an override's right-hand side."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def window_overrides(knobs: Knobs) -> list[str]:
    """The overrides that set the window (the baseline's only change)."""
    return [
        f"crowd.window_start={_toml(knobs.window_start)}",
        f"crowd.window_end={_toml(knobs.window_end)}",
    ]


def variant_overrides(scenario: Scenario, knobs: Knobs) -> list[str]:
    """The window, and every knob that differs from the scenario's own value."""
    overrides = window_overrides(knobs)
    if knobs.daily_pedestrians is not None and (
        knobs.daily_pedestrians != scenario.crowd.daily_pedestrians
    ):
        overrides.append(f"crowd.daily_pedestrians={knobs.daily_pedestrians}")
    if knobs.watchlist_size is not None and knobs.watchlist_size != scenario.watchlist.size:
        overrides.append(f"watchlist.size={knobs.watchlist_size}")
    if knobs.threshold_cosine is not None:
        overrides.append(f"matcher.threshold_cosine={knobs.threshold_cosine!r}")
    if knobs.algorithm is not None and knobs.algorithm != scenario.faces.algorithm:
        overrides.append(f"faces.algorithm={_toml(knobs.algorithm)}")
    if knobs.recognition_ids is not None:
        if knobs.recognition_ids:
            overrides.append('cameras.recognition="listed"')
            overrides.append(f"cameras.recognition_ids={_toml(list(knobs.recognition_ids))}")
        else:
            overrides.append('cameras.recognition="none"')
    if any(knobs.group_changes.values()):
        groups = []
        for group in scenario.faces.groups:
            data = group.model_dump(mode="json")
            data.update(knobs.group_changes.get(group.name, {}))
            groups.append(data)
        overrides.append(f"faces.groups={_toml(groups)}")
    return overrides


def results_dir(folder: Path, scenario_path: Path, overrides: Sequence[str], seed: int) -> Path:
    """Where a what-if (or its baseline) is written: named by a hash of what was asked."""
    asked = json.dumps(
        {"scenario": str(scenario_path.resolve()), "overrides": list(overrides), "seed": seed},
        sort_keys=True,
    )
    digest = hashlib.sha256(asked.encode()).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", scenario_path.stem).strip("-") or "scenario"
    return folder / f"{WHATIF_PREFIX}{stem}-{digest}"


def scenario_files(directory: Path = SCENARIOS_DIR) -> list[Path]:
    """The shipped scenarios a reader can pick."""
    return sorted(directory.glob("*.toml"))


def algorithm_names() -> list[str]:
    """The shipped algorithm profiles (scenarios/algorithms/*.toml)."""
    return sorted(p.stem for p in (PROJECT_ROOT / ALGORITHMS_DIR).glob("*.toml"))


def bounds(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """(lowest, highest) value a field allows, from its ge/gt/le/lt constraints.

    Exclusive bounds are nudged inwards: by 1 for integers, by a small step for floats.
    """
    info = model.model_fields[name]
    integer = info.annotation is int
    nudge = 1.0 if integer else 1e-3
    low: float | None = None
    high: float | None = None
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            low = float(item.gt) + nudge  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            high = float(item.lt) - nudge  # type: ignore[arg-type]
    return low, high


#: Plain labels for the group fields a reader may change.
GROUP_KNOB_LABELS: Final[dict[str, str]] = {
    "fmr_multiplier": "wrong matches × (false-match rate multiplier)",
    "fnmr_multiplier": "missed matches × (false non-match rate multiplier)",
}


@dataclass(frozen=True)
class GroupKnob:
    """A numeric field of a group (a differential such as a false-match multiplier)."""

    name: str
    label: str
    description: str
    low: float
    high: float


def group_knobs() -> list[GroupKnob]:
    """The numeric fields a scenario's groups carry beyond name and share (none in older twins)."""
    knobs = []
    for name, info in GroupConfig.model_fields.items():
        if name in _GROUP_FIXED or info.annotation not in (float, int, float | None):
            continue
        low, high = bounds(GroupConfig, name)
        knobs.append(
            GroupKnob(
                name=name,
                label=GROUP_KNOB_LABELS.get(name, name.replace("_", " ")),
                description=info.description or name.replace("_", " "),
                low=0.0 if low is None else low,
                high=100.0 if high is None or not math.isfinite(high) else high,
            )
        )
    return knobs


def display_path(path: Path) -> str:
    """A scenario path as a reader would type it from the project folder."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def describe(overrides: Sequence[str]) -> str:
    """The overrides as a command line a reader can paste."""
    return " ".join(f"--set {o!r}" if " " in o or '"' in o else f"--set {o}" for o in overrides)
