"""A period of consecutive days with the same people: ``twin year SCENARIO --days N``.

The period starts on the calendar's ``first_day`` (`twin.scenario.calendar`) and runs the scenario's
day on every day of the week the calendar names, on one seed: day 0 is exactly ``twin run`` of that
seed, and every later day has its own walkers, captures and responses (`twin.streams`), while the
people who come back are the same people with the same faces, searched against the same enrolment
images (`twin.recognition.population`, `twin.recognition.persons`). On a Saturday or Sunday the
footfall is the calendar's ``weekend_footfall`` share of the scenario's and nobody of a weekday-only
kind comes (their share of trips goes to the other kinds, pro rata).

Each simulated day publishes a full results directory, atomically, under ``DIR/days/day-NNN/`` (its
manifest names the day: ``period_day``), on Dask workers like a sweep's runs (`twin.sweeps.engine`).
The period's index is rewritten as days finish, at the end and on interrupt, each file atomically:

- ``year.json``: the plan, every day's status, and the period's figures with intervals
  (`twin.sweeps.period`);
- ``days.parquet``: one row per calendar day of the period (simulated or not) and its figures;
- ``people.parquet``: one row per person seen in the period, their days on site and days flagged,
  and their visits, searches, alerts and stops summed over the period.

Re-running the same command skips every day whose results are complete for the same scenario, seed
and day, so a killed period loses at most the days in flight and never counts a day twice.
"""

# distributed's client API is only partly annotated.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import pyarrow as pa
from distributed import Client

from twin.errors import ResultsError, TwinInputError
from twin.results.reader import read_results
from twin.results.schema import MANIFEST, PEOPLE
from twin.results.writer import ResultsWriter, write_json_atomic, write_table_atomic
from twin.scenario import PersonKind, PopulationConfig, Scenario, Weekday
from twin.scenario.calendar import WEEKEND
from twin.streams import streams_for
from twin.sweeps.engine import (
    TaskEnd,
    check_engine,
    configure_worker_threads,
    dask_client,
    run_in_order,
)
from twin.sweeps.period import SUMMED, PeriodPeople, day_figures, period_summary

YEAR_SUMMARY: Final = "year.json"
DAYS_TABLE: Final = "days.parquet"
PEOPLE_TABLE: Final = "people.parquet"
DAYS_DIR: Final = "days"
YEAR_SCHEMA_VERSION: Final = 1
#: Longest period one command runs: ten years of days.
MAX_DAYS: Final = 3650
#: Shortest interval between two rewrites of the period's index while days finish, s.
INDEX_INTERVAL_S: Final = 5.0
#: What became of a day of the period.
COMPLETE: Final = "complete"
FAILED: Final = "failed"
NOT_RUN: Final = "not run"  # the calendar does not run the scenario's day on this day of the week
PENDING: Final = "pending"


@dataclass(frozen=True)
class DayRun:
    """One simulated day of the period: its index, day of the week, scenario and results folder."""

    index: int
    weekday: Weekday
    scenario: Scenario
    scenario_sha256: str
    seed: int
    out: Path


@dataclass(frozen=True)
class YearPlan:
    """A period: the scenario, its seed, how many calendar days, and the days it simulates."""

    scenario: Scenario
    seed: int
    days: int
    out: Path
    runs: tuple[DayRun, ...]

    def weekday(self, day: int) -> Weekday:
        """The day of the week of calendar day ``day``."""
        return self.scenario.calendar.weekday(day)


@dataclass(frozen=True)
class DayRecord:
    """What became of one simulated day: its run, status, manifest or error."""

    run: DayRun
    status: str
    manifest: dict[str, Any] | None = None
    error: str = ""
    reused: bool = False


class YearProgress(Protocol):
    """What a period reports: how many days it simulates (and were already done), and each ending."""

    def begin(self, *, total: int, reused: int) -> None: ...

    def finished(self, record: DayRecord) -> None: ...


class _Silent:
    def begin(self, *, total: int, reused: int) -> None:
        pass

    def finished(self, record: DayRecord) -> None:
        pass


def day_scenario(scenario: Scenario, weekday: Weekday) -> Scenario:
    """The scenario as run on ``weekday``: itself on a weekday; on a weekend its footfall times the
    calendar's ``weekend_footfall``, and no weekday-only kind of person (their share goes pro rata)."""
    if weekday not in WEEKEND:
        return scenario
    kinds = scenario.population.kinds
    staying = sum(k.share for k in kinds.values() if not k.weekdays_only)
    if staying <= 0.0:
        raise TwinInputError(
            f"calendar.days: names {weekday}, but every kind of person in population.kinds comes "
            "on weekdays only (give a weekend kind a share, or leave sat and sun out)"
        )
    weekend_kinds = {
        name: PersonKind(
            share=0.0 if kind.weekdays_only else kind.share / staying,
            visits_per_week=kind.visits_per_week,
            weekdays_only=kind.weekdays_only,
        )
        for name, kind in kinds.items()
    }
    footfall = max(1, round(scenario.crowd.daily_pedestrians * scenario.calendar.weekend_footfall))
    return scenario.model_copy(
        update={
            "crowd": scenario.crowd.model_copy(update={"daily_pedestrians": footfall}),
            "population": PopulationConfig(kinds=weekend_kinds),
        }
    )


def day_dir(out: Path, day: int) -> Path:
    """Where day ``day`` of the period writes its results directory."""
    return out / DAYS_DIR / f"day-{day:03d}"


def plan_year(scenario: Scenario, *, days: int, seed: int, out: Path) -> YearPlan:
    """The period's simulated days. Refuses a period of no days or one the calendar runs on no day of."""
    if not 1 <= days <= MAX_DAYS:
        raise TwinInputError(f"--days: must be from 1 to {MAX_DAYS}, got {days}")
    calendar = scenario.calendar
    runs = []
    for day in range(days):
        if not calendar.runs_on(day):
            continue
        weekday = calendar.weekday(day)
        today = day_scenario(scenario, weekday)
        runs.append(DayRun(day, weekday, today, today.sha256(), seed, day_dir(out, day)))
    if not runs:
        raise TwinInputError(
            f"calendar.days: runs on {', '.join(calendar.days)}, none of which falls in the "
            f"{days} day(s) from {calendar.first_day} (give more days or name more days of the week)"
        )
    return YearPlan(scenario=scenario, seed=seed, days=days, out=out, runs=tuple(runs))


def finished_day(run: DayRun) -> dict[str, Any] | None:
    """The day's manifest if it already finished: complete, on the schema, the same scenario, seed
    and day. Anything else is run again."""
    if not (run.out / MANIFEST).is_file():
        return None
    try:
        results = read_results(run.out)
    except ResultsError:
        return None
    typed = results.typed
    same = (
        typed.scenario.sha256 == run.scenario_sha256
        and typed.seed == run.seed
        and typed.period_day is not None
        and typed.period_day.index == run.index
    )
    return results.manifest if same else None


def run_day(
    run: DayRun, threads_by_host: Mapping[str, int], matcher_threads: int | None = None
) -> dict[str, Any]:
    """Simulate and publish one day of the period (on a Dask worker). Returns its manifest."""
    from twin.results.publish import run_scenario

    configure_worker_threads(threads_by_host, matcher_threads)

    def name_the_day(writer: ResultsWriter) -> dict[str, Any]:
        return {"period_day": {"index": run.index, "weekday": run.weekday}}

    return run_scenario(run.scenario, out=run.out, seed=run.seed, day=run.index, extra=name_the_day)


def _day_people(record: DayRecord) -> pa.Table:
    columns = ("person_id", "kind", "group", "watchlisted", *SUMMED)
    return read_results(record.run.out).table(PEOPLE, columns)


def write_index(plan: YearPlan, records: Mapping[int, DayRecord]) -> dict[str, Any]:
    """Rewrite ``year.json``, ``days.parquet`` and ``people.parquet`` from the days finished so far."""
    done = [
        records[r.index]
        for r in plan.runs
        if r.index in records and records[r.index].status == COMPLETE
    ]
    figures = [day_figures(record.manifest or {}) for record in done]
    people = PeriodPeople.from_days([_day_people(record) for record in done])
    summary: dict[str, Any] = {
        "schema_version": YEAR_SCHEMA_VERSION,
        "written_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": {"name": plan.scenario.name, "sha256": plan.scenario.sha256()},
        "seed": plan.seed,
        "days": plan.days,
        "first_day": plan.scenario.calendar.first_day,
        "calendar_days": list(plan.scenario.calendar.days),
        "weekend_footfall": plan.scenario.calendar.weekend_footfall,
        "days_simulated": len(plan.runs),
        "days_complete": len(done),
        "days_failed": [
            {"day": r.run.index, "error": r.error} for r in records.values() if r.status == FAILED
        ],
        "complete": len(done) == len(plan.runs),
    }
    if done:
        summary.update(
            period_summary(
                figures,
                people,
                streams_for(plan.seed).period,
                run_days_per_week=len(plan.scenario.calendar.days),
            )
        )
    summary["method"] = (
        f"{len(done)} of {len(plan.runs)} simulated days of a {plan.days}-day period from "
        f"{plan.scenario.calendar.first_day} (calendar: {', '.join(plan.scenario.calendar.days)}), "
        "one seed, the same people and faces on every day; per-day intervals: the wider of the "
        "Student-t and exact Poisson intervals; per-person intervals: the period's people resampled, "
        "each with all their days (subsets bootstrap, scipy.stats.bootstrap, percentile). Days the "
        "calendar does not name are not modelled."
    )
    write_table_atomic(plan.out / DAYS_TABLE, _days_table(plan, records, figures, done))
    write_table_atomic(plan.out / PEOPLE_TABLE, people.table())
    write_json_atomic(plan.out / YEAR_SUMMARY, summary)
    return summary


def _days_table(
    plan: YearPlan,
    records: Mapping[int, DayRecord],
    figures: list[dict[str, float]],
    done: list[DayRecord],
) -> pa.Table:
    """One row per calendar day: its day of the week, status, path and figures (NaN if not simulated)."""
    by_day = {record.run.index: figure for record, figure in zip(done, figures, strict=True)}
    simulated = {run.index for run in plan.runs}
    names = sorted({name for figure in figures for name in figure})
    status = []
    for day in range(plan.days):
        if day not in simulated:
            status.append(NOT_RUN)
        else:
            status.append(records[day].status if day in records else PENDING)
    columns: dict[str, Any] = {
        "day": np.arange(plan.days, dtype=np.int32),
        "weekday": [plan.weekday(day) for day in range(plan.days)],
        "status": status,
        "path": [
            str(day_dir(plan.out, day).relative_to(plan.out)) if day in by_day else None
            for day in range(plan.days)
        ],
    }
    for name in names:
        columns[name] = [by_day.get(day, {}).get(name, np.nan) for day in range(plan.days)]
    return pa.table(columns)


@dataclass(frozen=True)
class YearOutcome:
    """What a period run did: every simulated day's record, the summary written, and its wall time (s)."""

    plan: YearPlan
    records: tuple[DayRecord, ...]
    summary: dict[str, Any]
    ran: int
    reused: int
    wall_seconds: float

    @property
    def failed(self) -> tuple[DayRecord, ...]:
        """The days that failed."""
        return tuple(r for r in self.records if r.status == FAILED)


def run_year(
    plan: YearPlan,
    *,
    client: Client | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    matcher_threads: int | None = None,
    progress: YearProgress | None = None,
) -> YearOutcome:
    """Simulate every day of the period not already finished on disk, storing each as it finishes."""
    check_engine(workers=workers, scheduler=scheduler, matcher_threads=matcher_threads)
    progress = progress or _Silent()
    began = time.perf_counter()
    records: dict[int, DayRecord] = {}
    todo = []
    for run in plan.runs:
        manifest = finished_day(run)
        if manifest is None:
            todo.append(run)
        else:
            records[run.index] = DayRecord(run=run, status=COMPLETE, manifest=manifest, reused=True)
    reused = len(records)
    plan.out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if todo and client is None:  # connect (and fail) before anything is written
            client = stack.enter_context(dask_client(workers=workers, scheduler=scheduler))
        progress.begin(total=len(plan.runs), reused=reused)
        summary = write_index(plan, records)
        if todo and client is not None:
            summary = _run_on(client, plan, todo, records, progress, matcher_threads)
    return YearOutcome(
        plan=plan,
        records=tuple(records[r.index] for r in plan.runs if r.index in records),
        summary=summary,
        ran=len(records) - reused,
        reused=reused,
        wall_seconds=time.perf_counter() - began,
    )


def _run_on(
    client: Client,
    plan: YearPlan,
    todo: list[DayRun],
    records: dict[int, DayRecord],
    progress: YearProgress,
    matcher_threads: int | None,
) -> dict[str, Any]:
    """Send ``todo`` to the cluster, days in order; record each as it ends. Returns the last summary."""

    def ended(run: DayRun, end: TaskEnd) -> None:
        error = f"{end.error}\n{end.traceback}".strip()
        record = DayRecord(run=run, status=end.status, manifest=end.result, error=error)
        records[run.index] = record
        progress.finished(record)

    return run_in_order(
        client,
        todo,
        run_day,
        name=lambda run: f"twin-day-{run.index}",
        matcher_threads=matcher_threads,
        on_end=ended,
        rewrite=lambda: write_index(plan, records),
        what="day",
        interval_s=INDEX_INTERVAL_S,
    )
