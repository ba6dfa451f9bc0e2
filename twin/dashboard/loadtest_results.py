"""Load-test results: what `twin loadtest` leaves behind, read tolerantly for the dashboard.

A load-test directory holds ``summary.json`` (docs/dashboard.md) with

- ``steps``: one entry per offered rate, each ``{offered_rate, achieved_rate, p50_ms, p99_ms, errors,
  rejected}`` (rates in searches per second, latencies in ms, errors and rejections as counts); other
  keys such as ``p90_ms`` or ``p999_ms`` are kept;
- ``knee_rate``: the highest offered rate whose p99 stays under the target (null when none does);
- optionally ``slo_ms`` (the p99 target), ``target``, ``scenario`` and ``seed``; what `twin loadtest`
  adds (docs/loadtest.md): per step ``valid`` (the sender kept to its schedule) and ``complete``,
  and at the top ``interrupted``, ``stopped_reason``, ``knee_limited_by_sender`` and ``replay`` (the
  site's window replayed, with its ``comparison`` of simulated and real latencies).

The reader accepts missing optional keys, numbers written as strings and extra keys; it refuses with one
`ResultsError` line a directory without a readable summary, or without any usable step and no replay.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from twin.errors import ResultsError

SUMMARY: Final = "summary.json"
SWEEP_TABLE: Final = "sweep.parquet"
STEP_COLUMNS: Final = ("offered_rate", "achieved_rate", "p50_ms", "p99_ms", "errors", "rejected")
STEP_FLAGS: Final = ("valid", "complete")  # true/false per step, read as 1.0/0.0
#: Top-level keys the page shows in their own place, or bookkeeping: not listed as details.
NOT_DETAILS: Final = frozenset(
    {
        "kind", "interrupted", "stopped_reason", "valid", "knee_limited_by_sender",
        "knee_sender_lag_p99_ms", "sender_lag_limit_ms", "scenario_sha256", "plot",
        "wall_seconds", "load_seconds", "started_utc", "mated_share", "step_s",
    }
)  # fmt: skip


@dataclass(frozen=True)
class LoadTest:
    """One load test: its steps (one row per offered rate, in rising order) and the knee."""

    path: Path
    steps: pd.DataFrame
    knee_rate: float | None
    slo_ms: float | None
    details: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    stopped_reason: str | None = None
    knee_limited_by_sender: bool = False
    replay: dict[str, Any] | None = None  # the replayed window and its comparison, as written

    @property
    def invalid_steps(self) -> pd.DataFrame:
        """Steps marked invalid (the sender fell behind its schedule)."""
        if "valid" not in self.steps:
            return self.steps.iloc[0:0]
        return self.steps[self.steps["valid"] == 0.0]


def _flag(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return _number(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _read_summary(folder: Path) -> dict[str, Any]:
    path = folder / SUMMARY
    if not folder.is_dir():
        raise ResultsError("no load-test directory here", source=folder)
    if not path.is_file():
        raise ResultsError(f"no {SUMMARY}: not a load-test directory", source=folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{SUMMARY} is not readable JSON: {exc}", source=folder) from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{SUMMARY} is not a JSON object", source=folder)
    return data


def is_loadtest_dir(folder: Path) -> bool:
    """Whether ``folder`` looks like a load-test directory (a summary with ``steps``, no sweep)."""
    if not (folder / SUMMARY).is_file() or (folder / SWEEP_TABLE).exists():
        return False
    try:
        data = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return True  # a broken summary is still shown, with its error
    return isinstance(data, dict) and "steps" in data


def _knee(data: Mapping[str, Any]) -> float | None:
    knee = data.get("knee_rate")
    if isinstance(knee, Mapping):
        knee = knee.get("offered_rate", knee.get("rate"))
    return _number(knee)


def read_loadtest(folder: str | Path) -> LoadTest:
    """Read a load-test directory; a `ResultsError` names what is wrong."""
    folder = Path(folder)
    data = _read_summary(folder)
    raw_steps = data.get("steps")
    replay = data.get("replay") if isinstance(data.get("replay"), Mapping) else None
    if not isinstance(raw_steps, list) or (not raw_steps and replay is None):
        raise ResultsError(f"{SUMMARY} has no 'steps' (a list of rate steps)", source=folder)
    rows = []
    for step in raw_steps:
        if not isinstance(step, Mapping):
            continue
        row = {
            key: _flag(value) if key in STEP_FLAGS else _number(value)
            for key, value in step.items()
        }
        for column in STEP_COLUMNS:
            row.setdefault(column, None)
        if row["offered_rate"] is None and row["achieved_rate"] is None:
            continue
        rows.append(row)
    if not rows and replay is None:
        raise ResultsError(
            f"{SUMMARY}: no step has an offered_rate or achieved_rate", source=folder
        )
    steps = pd.DataFrame(rows, columns=None if rows else list(STEP_COLUMNS)).astype(float)
    words = [c for c in steps.columns if c not in STEP_COLUMNS and steps[c].isna().all()]
    steps = steps.drop(columns=words)  # text such as a step's kind: nothing to chart
    steps["offered_rate"] = steps["offered_rate"].fillna(steps["achieved_rate"])
    steps["achieved_rate"] = steps["achieved_rate"].fillna(steps["offered_rate"])
    steps = steps.sort_values("offered_rate").reset_index(drop=True)
    details = {
        key: value
        for key, value in data.items()
        if key not in ("steps", "knee_rate", "slo_ms")
        and key not in NOT_DETAILS
        and not isinstance(value, list | dict)
        and value is not None
    }
    reason = data.get("stopped_reason")
    return LoadTest(
        path=folder,
        steps=steps,
        knee_rate=_knee(data),
        slo_ms=_number(data.get("slo_ms")),
        details=details,
        interrupted=data.get("interrupted") is True,
        stopped_reason=str(reason) if reason else None,
        knee_limited_by_sender=data.get("knee_limited_by_sender") is True,
        replay=dict(replay) if replay is not None else None,
    )
