"""Reading a period directory back (``twin year``): the one strict reader of periods.

A period directory holds ``year.json``, ``days.parquet``, ``people.parquet`` and each simulated day's
results directory under ``days/`` (twin/sweeps/year.py writes them; docs/sweeps.md). `read_period`
parses ``year.json`` through the strict `PeriodSummary` model (no coercion, no keys the writer does not
write), bounded in size, and finds the first finished day's results directory inside the period,
refusing anything else with one `ResultsError` line naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin.errors import ResultsError
from twin.results.manifest import first_problem
from twin.results.reader import inside, read_document, resolve_folder
from twin.results.schema import MANIFEST
from twin.sweeps.year import DAYS_DIR, PEOPLE_TABLE, YEAR_SUMMARY, day_dir

Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class ScenarioName(_Strict):
    name: str
    sha256: str


class FailedDay(_Strict):
    day: Count
    error: str


class PeriodSummary(_Strict):
    """``year.json`` as the writer writes it; the figures' inner maps are typed by their values."""

    schema_version: Literal[1]
    written_utc: str
    scenario: ScenarioName
    seed: int
    days: Annotated[int, Field(ge=1)]
    first_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    calendar_days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    weekend_footfall: float
    days_simulated: Count
    days_complete: Count
    days_failed: list[FailedDay]
    complete: bool
    method: str
    per_day: dict[str, dict[str, Any]] | None = None
    per_person: dict[str, Any] | None = None
    conversion: dict[str, float | None] | None = None
    run_days_per_year: float | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class PeriodResults:
    """A period read back: its summary, and the results directory of its first finished day."""

    path: Path
    summary: dict[str, Any]
    first_day: Path


def period_of_day(run: Path, *, root: Path | None = None) -> PeriodResults | None:
    """The period a run is a day of (its folder is ``PERIOD/days/day-NNN``), or None for a run alone."""
    period = run.parent.parent
    if run.parent.name != DAYS_DIR or not is_period_dir(period):
        return None
    return read_period(period, root=root)


def read_period_people(period: PeriodResults, columns: tuple[str, ...]) -> dict[str, list[Any]]:
    """Columns of the period's ``people.parquet`` (one row per person seen), read inside the period."""
    path = inside(period.path, PEOPLE_TABLE, source=period.path, what=PEOPLE_TABLE)
    try:
        table = pq.read_table(path, columns=list(columns))
    except (OSError, pa.ArrowInvalid, KeyError) as exc:
        raise ResultsError(f"{PEOPLE_TABLE}: unreadable ({exc})", source=period.path) from exc
    return {name: table.column(name).to_pylist() for name in columns}


def is_period_dir(folder: Path) -> bool:
    """Whether ``folder`` looks like a period directory (it has ``year.json``)."""
    return (folder / YEAR_SUMMARY).is_file()


def read_period(folder: str | Path, *, root: str | Path | None = None) -> PeriodResults:
    """Read a period directory strictly (module docstring)."""
    path = resolve_folder(Path(folder), None if root is None else Path(root), what="period")
    data = read_document(
        path, YEAR_SUMMARY, source=path, missing=f"no {YEAR_SUMMARY}: not a period directory"
    )
    try:
        typed = PeriodSummary.model_validate_json(data)
    except ValidationError as exc:
        raise ResultsError(f"{YEAR_SUMMARY}: {first_problem(exc)}", source=path) from exc
    if typed.per_person is None or typed.days_complete == 0:
        raise ResultsError(f"{YEAR_SUMMARY}: no day of the period has finished yet", source=path)
    for day in range(typed.days):
        candidate = inside(path, day_dir(Path(), day), source=path, what="day")
        if (candidate / MANIFEST).is_file():
            return PeriodResults(
                path=path, summary=typed.model_dump(mode="json"), first_day=candidate
            )
    raise ResultsError(f"{YEAR_SUMMARY}: names finished days, but none is under days/", source=path)
