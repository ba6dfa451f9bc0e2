"""Helpers for the sweep tests: the small plaza on a short, seeded window, and synthetic run records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin.sweeps.plan import SweepPlan, plan_sweep
from twin.sweeps.tables import COMPLETE, FAILED, RunRecord

ROOT = Path(__file__).resolve().parent.parent
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
#: A quarter of an hour of the morning: a couple of hundred searches, about a second per run.
WINDOW = "07:00-07:15"
#: Fewer timed matcher calls per batch size at start-up: the runs' service-time table is coarser.
FAST = ("pipeline.timing_repeats=3",)


def plaza_plan(
    out: Path,
    *,
    vary: Sequence[str] = ("watchlist.size=7,100",),
    replications: int = 2,
    seed: int | None = None,
    overrides: Sequence[str] = FAST,
) -> SweepPlan:
    """A sweep of the small plaza over WINDOW."""
    return plan_sweep(
        PLAZA,
        vary=vary,
        replications=replications,
        out=out,
        seed=seed,
        overrides=overrides,
        window=WINDOW,
    )


def sweep_args(out: Path, *extra: str) -> list[str]:
    """``twin sweep`` arguments for a small plaza sweep into ``out``."""
    args = ["sweep", str(PLAZA), "--window", WINDOW, "--out", str(out)]
    for override in FAST:
        args += ["--set", override]
    return [*args, *extra]


def fake_manifest(**figures: Any) -> dict[str, Any]:
    """A manifest with the figures given as ``counts__alerts=3`` (``__`` for a dot)."""
    manifest: dict[str, Any] = {"status": "complete", "seed": 0, "scenario": {"name": "x"}}
    for name, value in figures.items():
        node = manifest
        *sections, leaf = name.split("__")
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = value
    return manifest


def fake_records(
    plan: SweepPlan, figures: dict[tuple[int, int], dict[str, Any] | None]
) -> list[RunRecord]:
    """Records for ``plan``'s runs keyed by (point index, replication); None marks a failed run."""
    points = [key for key, _ in plan.points]
    records = []
    for run in plan.runs:
        index = (points.index(run.point), run.replication)
        if index not in figures:
            continue
        manifest = figures[index]
        if manifest is None:
            records.append(RunRecord(run=run, status=FAILED, error="ValueError: boom"))
        else:
            records.append(RunRecord(run=run, status=COMPLETE, manifest=fake_manifest(**manifest)))
    return records


def executing_tasks(dask_worker: Any) -> int:
    """Tasks a Dask worker is running, cancelled ones included (the scheduler no longer lists those).
    Here, not in a test module, so that workers can import it."""
    return int(dask_worker.state.executing_count)
