"""Load-test results: what `twin loadtest` leaves behind, read tolerantly for the dashboard.

A load-test directory holds ``summary.json`` (docs/dashboard.md) with

- ``steps``: one entry per offered rate, each ``{offered_rate, achieved_rate, p50_ms, p99_ms, errors,
  rejected}`` (rates in searches per second, latencies in ms, errors and rejections as counts); other
  keys such as ``p90_ms`` or ``p999_ms`` are kept;
- ``knee_rate``: the highest offered rate whose p99 stays under the target (null when none does);
- optionally ``slo_ms`` (the p99 target), ``target``, ``scenario`` and ``seed``.

The reader accepts missing optional keys, numbers written as strings and extra keys; it refuses with one
`ResultsError` line a directory without a readable summary or without any usable step.
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


@dataclass(frozen=True)
class LoadTest:
    """One load test: its steps (one row per offered rate, in rising order) and the knee."""

    path: Path
    steps: pd.DataFrame
    knee_rate: float | None
    slo_ms: float | None
    details: dict[str, Any] = field(default_factory=dict)


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
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ResultsError(f"{SUMMARY} has no 'steps' (a list of rate steps)", source=folder)
    rows = []
    for step in raw_steps:
        if not isinstance(step, Mapping):
            continue
        row = {key: _number(value) for key, value in step.items()}
        for column in STEP_COLUMNS:
            row.setdefault(column, None)
        if row["offered_rate"] is None and row["achieved_rate"] is None:
            continue
        rows.append(row)
    if not rows:
        raise ResultsError(
            f"{SUMMARY}: no step has an offered_rate or achieved_rate", source=folder
        )
    steps = pd.DataFrame(rows).astype(float)
    steps["offered_rate"] = steps["offered_rate"].fillna(steps["achieved_rate"])
    steps["achieved_rate"] = steps["achieved_rate"].fillna(steps["offered_rate"])
    steps = steps.sort_values("offered_rate").reset_index(drop=True)
    details = {
        key: value
        for key, value in data.items()
        if key not in ("steps", "knee_rate", "slo_ms") and not isinstance(value, list | dict)
    }
    return LoadTest(
        path=folder,
        steps=steps,
        knee_rate=_knee(data),
        slo_ms=_number(data.get("slo_ms")),
        details=details,
    )
