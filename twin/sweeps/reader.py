"""Reading a sweep directory back: the one strict reader of sweeps, for the CLI and the dashboard.

A sweep directory holds ``summary.json`` and ``sweep.parquet`` (twin/sweeps/tables.py writes both;
docs/sweeps.md). `read_sweep` parses the summary through the strict `SweepSummary` model (no coercion,
no keys the writer does not write) and checks the table's bookkeeping columns, refusing anything else
with one `ResultsError` line naming the file and the field. A run's folder named in the table is
opened only inside the sweep (`SweepResults.run_path`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin.errors import ResultsError
from twin.results.manifest import first_problem
from twin.results.reader import inside, read_document, resolve_folder
from twin.sweeps.tables import (
    BOOKKEEPING,
    COMPLETE,
    PATH,
    STATUS,
    SUMMARY,
    SWEEP_TABLE,
)

#: Columns of the points frame besides the varied parameters.
POINT_COLUMNS: Final = ("metric", "mean", "ci_low", "ci_high", "n")
Count = Annotated[int, Field(ge=0)]
Scalar = str | int | float | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class Interval(_Strict):
    """A metric's mean and 95% interval over a point's replications (null where undefined)."""

    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: Count


class PointSummary(_Strict):
    """One point of the grid: its parameters, how many runs finished or failed, its metrics."""

    point: str
    params: dict[str, Scalar]
    replications: Count
    failed: Count
    metrics: dict[str, Interval]


class Failure(_Strict):
    """A run that failed, and why."""

    point: str
    params: dict[str, Scalar]
    replication: Count
    seed: int
    error: str | None
    traceback: str | None


class SweepSummary(_Strict):
    """``summary.json`` of a sweep (docs/sweeps.md)."""

    schema_version: Literal[1]
    status: Literal["complete", "incomplete"]
    scenario: str
    scenario_name: str
    base_seed: int
    replications: Count
    vary: dict[str, list[Scalar]]
    fixed: list[str]
    confidence: float
    runs_total: Count
    runs_complete: Count
    runs_failed: Count
    runs_pending: Count
    updated_utc: str
    points: list[PointSummary]
    failed: list[str]
    failures: list[Failure]


@dataclass(frozen=True)
class SweepResults:
    """A sweep directory read back: its summary and its table of runs (one row per run)."""

    path: Path
    typed: SweepSummary
    table: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """The summary as JSON data."""
        return self.typed.model_dump(mode="json")

    @property
    def parameters(self) -> tuple[str, ...]:
        """The varied fields, in the order the sweep gave them."""
        return tuple(self.typed.vary)

    @property
    def failed(self) -> tuple[str, ...]:
        """One line per failed run."""
        return tuple(self.typed.failed)

    def complete_runs(self) -> pd.DataFrame:
        """The rows of runs that finished."""
        return self.table[self.table[STATUS] == COMPLETE]

    def run_path(self, relative: str) -> Path:
        """A run's folder named in the table, resolved inside the sweep."""
        return inside(self.path, relative, source=self.path / SWEEP_TABLE, what=PATH)

    @property
    def points(self) -> pd.DataFrame:
        """One row per point and metric: the parameters, ``metric``, ``mean``, ``ci_low``,
        ``ci_high`` and ``n`` (replications behind the mean)."""
        rows = [
            {**point.params, "metric": name, **interval.model_dump()}
            for point in self.typed.points
            for name, interval in point.metrics.items()
            if interval.mean is not None
        ]
        frame = pd.DataFrame(rows, columns=[*self.parameters, *POINT_COLUMNS])
        for column in POINT_COLUMNS[1:]:
            frame[column] = pd.to_numeric(frame[column])
        return frame

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics with a mean at some point, in the summary's order."""
        return tuple(dict.fromkeys(str(m) for m in self.points["metric"]))


def is_sweep_dir(folder: Path) -> bool:
    """Whether ``folder`` holds a sweep's table."""
    return (folder / SWEEP_TABLE).is_file()


def _summary(folder: Path) -> SweepSummary:
    data = read_document(folder, SUMMARY, source=folder, missing=f"not a sweep: no {SUMMARY}")
    try:
        return SweepSummary.model_validate_json(data)
    except ValidationError as exc:
        problem = first_problem(exc)
        if problem.startswith("schema_version"):
            problem = f"not a sweep summary of schema version 1 ({problem})"
        raise ResultsError(f"{SUMMARY}: {problem}", source=folder) from exc


def _table(folder: Path, summary: SweepSummary) -> pd.DataFrame:
    path = inside(folder, SWEEP_TABLE, source=folder, what=SWEEP_TABLE)
    if not path.is_file():
        raise ResultsError(f"not a sweep: no {SWEEP_TABLE}", source=folder)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        line = " ".join(str(exc).split())[:200]
        raise ResultsError(f"{SWEEP_TABLE}: unreadable ({line})", source=folder) from exc
    missing = [c for c in (*BOOKKEEPING, *summary.vary) if c not in table.column_names]
    if missing:
        raise ResultsError(f"{SWEEP_TABLE}: lacks column(s) {', '.join(missing)}", source=folder)
    for column in (STATUS, PATH):
        kind = table.schema.field(column).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise ResultsError(f"{SWEEP_TABLE}: column {column} is not text", source=folder)
    frame: pd.DataFrame = table.to_pandas()
    return frame


def read_sweep(folder: str | Path, *, root: str | Path | None = None) -> SweepResults:
    """Open a sweep directory, refusing one whose summary or table is off the schema.

    ``root``: the results folder the sweep must lie in (after following symlinks).
    """
    given = Path(folder)
    resolved = resolve_folder(given, Path(root) if root is not None else None, what="sweep")
    summary = _summary(resolved)
    return SweepResults(path=resolved, typed=summary, table=_table(resolved, summary))
