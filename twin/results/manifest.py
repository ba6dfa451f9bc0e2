"""The manifest: a run's typed description, written and read through the same pydantic models.

The writer validates the manifest it is about to write through `Manifest` and writes the validated
document; every reader parses ``manifest.json`` through `Manifest` too (`parse_manifest`), so a
manifest that one side would not produce the other refuses. Meanings and units: docs/results.md.

Policy, for every model here:

- **strict**: no coercion. ``"many"`` is not a count, ``"2"`` is not 2, ``true`` is not 1, and a
  float is not an integer (an integer is accepted where a float is due, as JSON does not tell them
  apart); infinities and NaN are refused.
- **extra keys forbidden** in every section the twin writes: a key no writer produces is a manifest
  from another version of the twin, or edited by hand, and is refused with its name. Maps keyed by
  data (groups, batch sizes), the resolved scenario, the BLAS kernel's description, the watchlist's
  provenance are typed by their values only. The ledger section allows extra
  keys: a signed ledger adds its signature fields there (docs/response.md).
- **paths are relative to the run**: a table's ``file``, ``site.map`` and ``response.ledger.file``
  must be a plain relative path with no ``..`` part; the reader then resolves each inside the run.
- JSON nested deeper than pydantic's parser allows (a few hundred levels), or with a number too
  large to hold, is refused as unreadable JSON, never a crash.
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from twin.results.schema import MANIFEST

#: Largest manifest read, bytes: far above any run's (about 30 kB), far below what hurts.
MAX_MANIFEST_BYTES: Final = 16 * 1024 * 1024


def _relative_path(value: str) -> str:
    """A path relative to the run, with no way out of it."""
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if not value or posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise ValueError("must be a path relative to the run")
    if ".." in posix.parts or ".." in windows.parts:
        raise ValueError("must not leave the run (no '..')")
    return value


RelativePath = Annotated[str, AfterValidator(_relative_path)]
Count = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class ScenarioInfo(_Section):
    """The scenario the run used: its name, file, hash and resolved content."""

    name: str
    source: str | None
    sha256: str
    resolved: dict[str, Any]


class Environment(_Section):
    """The software and machine the run ran on."""

    twin_version: str
    python: str
    machine: str


class Window(_Section):
    """The simulated window, seconds after midnight."""

    start_s: float
    end_s: float


class SiteInfo(_Section):
    """The site: name, area (ha), cameras, and the copy of its map kept in the run."""

    name: str
    area_ha: float
    cameras: Count
    recognition_cameras: Count
    attribution: str | None = None
    map: RelativePath | None = None


class Counts(_Section):
    """What the run counted (docs/results.md)."""

    pedestrians: Count
    passes: Count
    captures: Count
    searches: Count
    alerts: Count
    true_alerts: Count
    false_alerts: Count
    mated_searches: Count
    missed: Count
    watchlisted_pedestrians: Count
    watchlisted_unseen: Count
    # Per person (docs/results.md); absent from runs recorded before persons were.
    people: Count | None = None
    people_scanned: Count | None = None
    innocent_people_flagged: Count | None = None
    watchlisted_people_alerted: Count | None = None


class GroupOutcomes(_Section):
    """One group's searches, alerts and rates (null where the denominator is zero)."""

    searches: Count
    mated_searches: Count
    alerts: Count
    true_alerts: Count
    false_alerts: Count
    missed: Count
    fpir: Share | None
    fnir: Share | None
    precision: Share | None


class Outcomes(_Section):
    """The NIST FRTE 1:N outcomes of the run, overall and per group."""

    fpir: Share | None
    fnir: Share | None
    precision: Share | None
    threshold_cosine: float
    fmr_per_comparison: Share
    by_group: dict[str, GroupOutcomes]
    per_person: dict[str, Any] | None = None  # outcomes per person (docs/results.md)


class Latency(_Section):
    """Capture-to-decision latency, ms (null without searches)."""

    p50: float | None
    p90: float | None
    p99: float | None
    p999: float | None
    max: float | None
    mean: float | None


class Throughput(_Section):
    """Peaks of the simulated load and speed of the run (null where wall time is zero)."""

    peak_captures_per_s: Count
    peak_minute_captures: Count
    peak_minute_start_s: float
    searches_per_wall_s: float | None
    matcher_searches_per_s: float | None
    simulated_over_wall: float | None


class Matcher(_Section):
    """The matcher's settings and what it did."""

    backend: str
    gallery_size: Count
    dim: Count
    top_k: Count
    service_time: str
    max_batch: Count
    max_wait_ms: float
    frames_per_track: Count
    fusion: str
    batches: Count
    busy_fraction: float | None
    service_time_ms: dict[str, float]
    kernel: dict[str, Any]


class TableEntry(_Section):
    """One table: its file (relative to the run) and row count."""

    file: RelativePath
    rows: Count


class Post(_Section):
    """An officers' post."""

    name: str
    node: int
    x_m: float
    y_m: float
    officers: Count


class LostReasons(_Section):
    """Why dispatched incidents were lost."""

    no_officer: Count
    left_site: Count
    not_found: Count


class Funnel(_Section):
    """From alert to intervention (docs/response.md)."""

    alerts: Count
    true_alerts: Count
    false_alerts: Count
    incidents: Count
    true_incidents: Count
    impossible_repeats: Count
    expired: Count
    reviewed: Count
    dismissed: Count
    credible: Count
    dispatched: Count
    intercepted: Count
    right_person: Count
    wrong_person: Count
    lost: Count
    lost_reasons: LostReasons


class Staff(_Section):
    """Operators and officers: hours, busy seconds, utilisation, cost (GBP)."""

    duty_h: float
    operators: Count
    officers: Count
    operator_hours: float
    officer_hours: float
    operator_busy_s: float
    officer_busy_s: float
    operator_utilisation: float | None
    officer_utilisation: float | None
    operator_cost_gbp: float
    officer_cost_gbp: float
    cost_gbp: float


class GroupResponse(_Section):
    """What the response meant for one group."""

    scanned_passers_by: Count
    faces_processed: Count
    false_alerts: Count
    interventions: Count
    wrong_interventions: Count
    wrong_intervention_share: Share | None


class Proportionality(_Section):
    """Faces scanned per outcome (null where nothing is in the denominator)."""

    faces_per_true_alert: float | None
    bystander_faces_per_intervention: float | None
    bystander_faces_per_wrong_intervention: float | None


class LedgerInfo(_Section):
    """The oversight ledger: its file (relative to the run), entries and head hash."""

    model_config = ConfigDict(extra="allow")  # a signed ledger adds its signature fields

    file: RelativePath
    entries: Count
    head_sha256: str


class Response(_Section):
    """After the alert: posts, funnel, staff, groups, proportionality, provenance, ledger."""

    posts: list[Post]
    funnel: Funnel
    staff: Staff
    by_group: dict[str, GroupResponse]
    proportionality: Proportionality
    provenance: dict[str, str | int | None]
    ledger: LedgerInfo


class Crowd(_Section):
    """How the crowd walked (docs/results.md): trips, speeds, the densest walkway-minute, queues."""

    mean_trip_s: Annotated[float, Field(ge=0.0)] | None
    mean_speed_m_s: Annotated[float, Field(ge=0.0)] | None
    peak_density_ped_m2: Annotated[float, Field(ge=0.0)]
    max_queue: Count
    held_back: Count  # walkers who found a walkway full and waited to enter it
    busiest_walkway_level_of_service: Literal["A", "B", "C", "D", "E", "F"]


class PeriodDay(_Section):
    """Which day of a period of days (``twin year``) a run is: its index and day of the week."""

    index: Count
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Manifest(_Section):
    """A complete run's ``manifest.json`` (docs/results.md)."""

    status: Literal["complete"]
    schema_version: Literal[1]
    scenario: ScenarioInfo
    seed: int
    started_utc: str
    wall_seconds: float
    stage_seconds: dict[str, float]
    environment: Environment
    window: Window
    site: SiteInfo
    crowd: Crowd | None = None  # absent from runs recorded before the crowd interacted
    counts: Counts
    outcomes: Outcomes
    latency_ms: Latency
    throughput: Throughput
    matcher: Matcher
    tables: dict[str, TableEntry]
    response: Response | None = None
    period_day: PeriodDay | None = None  # a day of a period of days only (twin year)


def first_problem(exc: ValidationError) -> str:
    """One line from a validation error: the first field at fault, what it should be, what it was."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    message = error["msg"]
    if error["type"] not in ("json_invalid", "missing") and "input" in error:
        shown = repr(error["input"])
        message += f", got {shown[:40]}{'...' if len(shown) > 40 else ''}"
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {message}{extra}" if where else f"{message}{extra}"


def manifest_document(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as the writer stores it: validated through `Manifest`, then as JSON data.

    Raises ValueError naming the first field at fault: a writer producing a manifest its readers
    would refuse is a defect of the twin, not of its input.
    """
    try:
        typed = Manifest.model_validate(manifest)
    except ValidationError as exc:
        raise ValueError(f"{MANIFEST} off the schema: {first_problem(exc)}") from exc
    return typed.model_dump(mode="json", exclude_unset=True)


def parse_manifest(data: bytes) -> Manifest:
    """Parse a manifest's bytes; raises ValueError with one line naming the field at fault."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ValueError(f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        return Manifest.model_validate_json(data)
    except ValidationError as exc:
        raise ValueError(first_problem(exc)) from exc
