"""The record of a sweep: ``sweep.parquet`` (one row per run) and ``summary.json`` (per point).

Each finished run of a sweep is a results directory of its own under ``points/``; these two files index
them. ``sweep.parquet`` holds one row per point and replication: the varied fields as columns named by
their dotted keys, the seed, the status (and error), and every numeric figure of the run's manifest
flattened to a dotted name (``counts.alerts``, ``latency_ms.p99``). ``summary.json`` holds, per point,
the mean and 95% Student-t interval of the key metrics, and which runs failed and why. Both are
rewritten atomically, so a reader never sees half a file. Schema: docs/sweeps.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

import pyarrow as pa

from twin.results.writer import write_json_atomic, write_table_atomic
from twin.sweeps.plan import PointRun, SweepPlan, is_scenario_field
from twin.sweeps.stats import CONFIDENCE, mean_ci

SWEEP_TABLE: Final = "sweep.parquet"
SUMMARY: Final = "summary.json"
SUMMARY_SCHEMA_VERSION: Final = 1

RunStatus = Literal["complete", "failed"]
COMPLETE: Final = "complete"
FAILED: Final = "failed"

# Bookkeeping columns of sweep.parquet (the rest are varied fields and run figures).
POINT: Final = "point"
REPLICATION: Final = "replication"
SEED: Final = "seed"
STATUS: Final = "status"
ERROR: Final = "error"
PATH: Final = "path"
BOOKKEEPING: Final = (POINT, REPLICATION, SEED, STATUS, ERROR, PATH)

#: The metrics summary.json gives a mean and interval for, per point.
KEY_METRICS: Final = (
    "counts.pedestrians",
    "counts.captures",
    "counts.searches",
    "counts.alerts",
    "counts.true_alerts",
    "counts.false_alerts",
    "counts.missed",
    "counts.watchlisted_unseen",
    "outcomes.fpir",
    "outcomes.fnir",
    "outcomes.precision",
    "latency_ms.p50",
    "latency_ms.p99",
    "latency_ms.max",
    "throughput.peak_captures_per_s",
    "matcher.busy_fraction",
    "wall_seconds",
)
# Manifest parts that describe the run rather than measure it.
_NOT_FIGURES: Final = (
    "seed",
    "schema_version",
    "status",
    "tables",
    "environment",
    "scenario",
    "matcher.kernel",
)


@dataclass(frozen=True)
class RunRecord:
    """How one run of a sweep ended: its manifest, or the error it failed with."""

    run: PointRun
    status: RunStatus
    manifest: Mapping[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    reused: bool = False  # found finished on disk rather than run now


def manifest_figures(manifest: Mapping[str, Any]) -> dict[str, float | int]:
    """Every numeric figure of a manifest, by dotted name (``latency_ms.p99``); nulls left out.

    Echoes of scenario inputs (``matcher.top_k``) are left out too: in a sweep table a dotted scenario
    key is a varied field, never a result.
    """
    figures: dict[str, float | int] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if name in _NOT_FIGURES:
                continue
            if isinstance(value, Mapping):
                walk(value, f"{name}.")
            elif (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and not is_scenario_field(name)
            ):
                figures[name] = value

    walk(manifest, "")
    return figures


def _column(values: Sequence[Any]) -> pa.Array:
    """A typed Arrow column: int64 if every value is an integer, float64 if numeric, else text."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.int64())
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if all(isinstance(v, str) for v in present):
        return pa.array(values, type=pa.string())
    return pa.array([None if v is None else json.dumps(v) for v in values], type=pa.string())


def sweep_table(plan: SweepPlan, records: Iterable[RunRecord]) -> pa.Table:
    """sweep.parquet's table: one row per finished or failed run, in grid order."""
    by_run = {(r.run.point, r.run.replication): r for r in records}
    ordered = [
        by_run[k] for k in ((run.point, run.replication) for run in plan.runs) if k in by_run
    ]
    figures = [manifest_figures(r.manifest) if r.manifest else {} for r in ordered]
    metric_names = sorted({name for row in figures for name in row})
    columns: dict[str, pa.Array] = {
        POINT: pa.array([r.run.point for r in ordered], type=pa.string()),
        REPLICATION: pa.array([r.run.replication for r in ordered], type=pa.int64()),
        SEED: pa.array([r.run.seed for r in ordered], type=pa.int64()),
        STATUS: pa.array([r.status for r in ordered], type=pa.string()),
        ERROR: pa.array([r.error for r in ordered], type=pa.string()),
        PATH: pa.array([str(r.run.out.relative_to(plan.out)) for r in ordered], type=pa.string()),
    }
    for axis in plan.axes:
        columns[axis.key] = _column([r.run.params[axis.key] for r in ordered])
    for name in metric_names:
        columns[name] = _column([row.get(name) for row in figures])
    return pa.table(columns)


def failure_line(record: RunRecord) -> str:
    """One line naming a failed run and why: ``watchlist.size=7, rep 1 (seed 123): ValueError: ...``."""
    return f"{record.run.label} (seed {record.run.seed}): {record.error}"


def sweep_summary(plan: SweepPlan, records: Iterable[RunRecord]) -> dict[str, Any]:
    """summary.json's document: the sweep's settings, per point mean and interval, failures."""
    listed = list(records)
    by_point: dict[str, list[RunRecord]] = {}
    for record in listed:
        by_point.setdefault(record.run.point, []).append(record)
    points = []
    for key, params in plan.points:
        mine = by_point.get(key, [])
        done = [manifest_figures(r.manifest) for r in mine if r.manifest is not None]
        metrics = {
            name: mean_ci([row.get(name) for row in done]).as_dict()
            for name in KEY_METRICS
            if any(name in row for row in done)
        }
        points.append(
            {
                "point": key,
                "params": dict(params),
                "replications": len(done),
                "failed": sum(r.status == FAILED for r in mine),
                "metrics": metrics,
            }
        )
    failures = [r for r in listed if r.status == FAILED]
    complete = sum(r.status == COMPLETE for r in listed)
    total = len(plan.runs)
    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "status": COMPLETE if complete == total else "incomplete",
        "scenario": str(plan.scenario_path),
        "scenario_name": plan.scenario_name,
        "base_seed": plan.base_seed,
        "replications": plan.replications,
        "vary": {axis.key: list(axis.values) for axis in plan.axes},
        "fixed": list(plan.fixed),
        "confidence": CONFIDENCE,
        "runs_total": total,
        "runs_complete": complete,
        "runs_failed": len(failures),
        "runs_pending": total - complete - len(failures),
        "updated_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "points": points,
        "failed": [failure_line(r) for r in failures],
        "failures": [
            {
                "point": r.run.point,
                "params": dict(r.run.params),
                "replication": r.run.replication,
                "seed": r.run.seed,
                "error": r.error,
                "traceback": r.traceback,
            }
            for r in failures
        ],
    }


def write_index(plan: SweepPlan, records: Iterable[RunRecord]) -> dict[str, Any]:
    """Rewrite sweep.parquet and summary.json atomically. Returns the summary."""
    listed = list(records)
    plan.out.mkdir(parents=True, exist_ok=True)
    write_table_atomic(plan.out / SWEEP_TABLE, sweep_table(plan, listed))
    summary = sweep_summary(plan, listed)
    write_json_atomic(plan.out / SUMMARY, summary)
    return summary
