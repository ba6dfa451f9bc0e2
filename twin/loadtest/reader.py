"""Reading a load test's directory back: the one strict reader, for the CLI and the dashboard.

``summary.json`` (docs/loadtest.md) is written and read through the same pydantic model,
`LoadtestSummary`: twin/loadtest/directory.py validates the document before it writes it, and
`read_loadtest` parses the file through it. Strict (no coercion: ``"100"`` is not a rate), no keys
the writer does not write (extra keys are refused with their name), finite numbers only. The replay's
comparison of simulated and real latencies is typed by its values (twin/loadtest/prediction.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin.errors import ResultsError
from twin.results.manifest import RelativePath, first_problem
from twin.results.reader import read_document, resolve_folder

SUMMARY: Final = "summary.json"
SWEEP_TABLE: Final = "sweep.parquet"  # a sweep's directory also has a summary.json
#: The columns of a step the dashboard charts (rates per second, latencies ms, counts).
STEP_COLUMNS: Final = ("offered_rate", "achieved_rate", "p50_ms", "p99_ms", "errors", "rejected")
Count = Annotated[int, Field(ge=0)]
Rate = Annotated[float, Field(ge=0.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class Step(_Strict):
    """One step of a load test (twin/loadtest/recorder.py, StepStats): rates /s, times ms, counts."""

    kind: Literal["rate", "replay"]
    offered_rate: Rate
    sent_rate: Rate
    achieved_rate: Rate
    offered_probe_rate: Rate
    achieved_probe_rate: Rate
    requests: Count
    probes: Count
    answered: Count
    errors: Count
    rejected: Count
    timeouts: Count
    connection_errors: Count
    not_sent: Count
    mated_checked: Count
    wrong_answers: Count
    missing_answers: Count
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    p999_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    sender_lag_p50_ms: float | None
    sender_lag_p99_ms: float | None
    sender_lag_max_ms: float | None
    valid: bool
    complete: bool
    duration_s: float
    backlogged: Count
    max_in_flight: Count


class Replay(Step):
    """The site's window replayed: its step figures, settings and the simulated-versus-real
    comparison."""

    window: str
    speed: float
    edge_batching: str
    edge_max_batch_probes: Count
    edge_max_wait_ms: float
    comparison: dict[str, Any] | None


class Sender(_Strict):
    """How the load was sent."""

    scheduling: str
    cpu: int | None
    max_connections: Count
    request_timeout_s: float


class LoadtestSummary(_Strict):
    """A load test's ``summary.json`` (docs/loadtest.md)."""

    kind: Literal["loadtest"]
    scenario: str
    seed: int
    target: str
    backend: str
    gallery_size: Count
    slo_ms: float
    knee_rate: Rate | None
    knee_sender_lag_p99_ms: float | None
    knee_limited_by_sender: bool
    sender_lag_limit_ms: float
    valid: bool
    interrupted: bool
    stopped_reason: str | None
    steps: list[Step]
    skipped_rates: list[float]
    replay: Replay | None
    step_s: float
    rates_asked: list[float]
    mated_share: float
    scenario_sha256: str
    sender: Sender
    started_utc: str
    wall_seconds: float
    load_seconds: float
    environment: dict[str, Any]
    tables: dict[str, RelativePath]
    plot: RelativePath


def summary_document(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as the writer stores it, validated through `LoadtestSummary` (ValueError if not)."""
    try:
        return LoadtestSummary.model_validate(summary).model_dump(mode="json")
    except ValidationError as exc:
        raise ValueError(f"{SUMMARY} off the schema: {first_problem(exc)}") from exc


@dataclass(frozen=True)
class LoadTest:
    """One load test read back: the typed summary, and its rate steps as a frame (rising rate)."""

    path: Path
    summary: LoadtestSummary

    @property
    def steps(self) -> pd.DataFrame:
        """One row per rate step, by rising offered rate; ``valid`` and ``complete`` as 1.0/0.0."""
        rows = [step.model_dump(exclude={"kind"}) for step in self.summary.steps]
        columns = [c for c in Step.model_fields if c != "kind"]
        frame = pd.DataFrame(rows, columns=columns).astype(float)
        return frame.sort_values("offered_rate").reset_index(drop=True)

    @property
    def invalid_steps(self) -> pd.DataFrame:
        """Steps marked invalid (the sender fell behind its schedule)."""
        steps = self.steps
        return steps[steps["valid"] == 0.0]

    @property
    def details(self) -> dict[str, Any]:
        """What the page lists beside the charts: the target and what it ran."""
        s = self.summary
        return {
            "scenario": s.scenario,
            "seed": s.seed,
            "target": s.target,
            "backend": s.backend,
            "gallery_size": s.gallery_size,
        }

    @property
    def knee_rate(self) -> float | None:
        """The highest offered rate (/s) whose p99 met the target; None if none did."""
        return self.summary.knee_rate

    @property
    def slo_ms(self) -> float:
        """The p99 latency target, ms."""
        return self.summary.slo_ms

    @property
    def interrupted(self) -> bool:
        """Whether the test was interrupted."""
        return self.summary.interrupted

    @property
    def stopped_reason(self) -> str | None:
        """Why it stopped early, if it did."""
        return self.summary.stopped_reason

    @property
    def knee_limited_by_sender(self) -> bool:
        """Whether the step above the knee was invalid (the sender could not tell)."""
        return self.summary.knee_limited_by_sender

    @property
    def replay(self) -> dict[str, Any] | None:
        """The replayed window and its comparison, as written."""
        return self.summary.replay.model_dump(mode="json") if self.summary.replay else None


def is_loadtest_dir(folder: Path) -> bool:
    """Whether ``folder`` is a load test's directory: a ``summary.json`` and no sweep table.

    The summary is not parsed here; a broken one is listed and its error shown when opened.
    """
    return (folder / SUMMARY).is_file() and not (folder / SWEEP_TABLE).exists()


def read_loadtest(folder: str | Path, *, root: str | Path | None = None) -> LoadTest:
    """Open a load test's directory, refusing a summary off the schema with one line.

    ``root``: the results folder the directory must lie in (after following symlinks).
    """
    given = Path(folder)
    resolved = resolve_folder(given, Path(root) if root is not None else None, what="load-test")
    data = read_document(
        resolved, SUMMARY, source=given, missing=f"no {SUMMARY}: not a load-test directory"
    )
    try:
        summary = LoadtestSummary.model_validate_json(data)
    except ValidationError as exc:
        raise ResultsError(f"{SUMMARY}: {first_problem(exc)}", source=given) from exc
    return LoadTest(path=resolved, summary=summary)
