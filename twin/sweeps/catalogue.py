"""The validation catalogue: published figure sets, each a deployment's set-up and what it counted.

``scenarios/validation/*.toml`` holds one file per published figure set: where it was published
(report, date, page), the set-up as published (site type, cameras, hours, watchlist size, threshold,
algorithm generation, faces scanned) and the published counts. A file's ``role`` says how the twin
may use it: ``calibration`` rows (NPL 2023 only) are figures the model was fitted to; ``validation``
rows (operational deployments) are never fitted, only predicted. Set-up figures a source does not
give are *assumptions* with a range (twin/scenario/assumptions.py), and a figure a source gives only
roughly says so (``uncertain = true`` with a note). Schema: docs/validation.md.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import Field, ValidationError, model_validator

from twin.errors import TwinInputError
from twin.scenario import PROJECT_ROOT, AssumptionRange, StrictModel, format_validation_error

CATALOGUE_DIR: Final = Path("scenarios/validation")
REFERENCE: Final = "docs/validation.md"

#: What a published row can count: false alerts over the faces scanned (a count), the false-positive
#: identification rate at a watchlist size, the true-positive identification rate (rates 0-1).
Quantity = Literal["false_alerts", "fpir", "tpir"]
Role = Literal["calibration", "validation"]
#: Set-up figures that may carry a range instead of (or beside) a published value.
RANGED_SETUP: Final = ("watchlist_size", "faces_scanned", "enrolment_quality", "capture_quality")


class Source(StrictModel):
    """Where a figure set was published."""

    report: Annotated[str, Field(min_length=1)]
    date: Annotated[str, Field(min_length=4, description="Publication or deployment date.")]
    page: Annotated[str, Field(min_length=1, description="Page, section or 'web page'.")]
    url: str = ""
    quote: Annotated[str, Field(min_length=1, description="The figures, quoted as published.")]


class Setup(StrictModel):
    """The deployment as published. A figure no source gives is left out and given a range."""

    site_type: Annotated[str, Field(min_length=1)]
    cameras: Annotated[int, Field(ge=1)] | None = None
    hours: Annotated[float, Field(gt=0)] | None = None
    watchlist_size: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    vendor_threshold: Annotated[float, Field(gt=0.0, lt=1.0)]
    algorithm: Annotated[str, Field(min_length=1, description="Profile in scenarios/algorithms.")]
    faces_scanned: Annotated[int, Field(ge=1)] | None = None
    enrolment_quality: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    uncertain: tuple[str, ...] = Field(
        default=(), description="Set-up fields whose published value is rough or not certain."
    )
    notes: str = ""
    ranges: dict[str, AssumptionRange] = Field(
        default_factory=dict,
        description="*Assumption* ranges for set-up figures not published (or only roughly).",
    )

    @model_validator(mode="after")
    def _ranges_named(self) -> Setup:
        for key in self.ranges:
            if key not in RANGED_SETUP:
                raise ValueError(
                    f"ranges.{key}: not a set-up figure that takes a range "
                    f"(allowed: {', '.join(RANGED_SETUP)})"
                )
        if self.watchlist_size is None and "watchlist_size" not in self.ranges:
            raise ValueError("watchlist_size: not given; give it or ranges.watchlist_size")
        return self


class Published(StrictModel):
    """One published figure: what it counts, its value, and its own interval when known."""

    quantity: Quantity
    value: Annotated[float, Field(ge=0.0)]
    low: Annotated[float, Field(ge=0.0)] | None = None
    high: Annotated[float, Field(ge=0.0)] | None = None
    trials: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Searches behind a rate, for its interval."
    )
    watchlist_size: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Watchlist size of this figure, when not the set-up's."
    )
    uncertain: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _interval(self) -> Published:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g} (need low <= high)")
        if self.quantity != "false_alerts" and self.value > 1:
            raise ValueError(f"{self.quantity} is a rate from 0 to 1, got {self.value:g}")
        return self


class ValidationScenario(StrictModel):
    """One published figure set and the deployment that produced it."""

    name: Annotated[str, Field(min_length=1)]
    role: Role
    source: Source
    setup: Setup
    published: Annotated[tuple[Published, ...], Field(min_length=1)]
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _scanned_known(self) -> ValidationScenario:
        counts = any(row.quantity == "false_alerts" for row in self.published)
        known = self.setup.faces_scanned is not None or "faces_scanned" in self.setup.ranges
        if counts and not known:
            raise ValueError(
                "setup.faces_scanned: false_alerts need the faces scanned (or a range)"
            )
        if self.role == "calibration" and not self.source.report.startswith(("NPL", "NIST")):
            raise ValueError("role: calibration rows come from NPL 2023 or NIST FRTE only")
        return self


def load_validation_scenario(path: Path) -> ValidationScenario:
    """Read and check one catalogue file. Raises TwinInputError naming the file and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TwinInputError(f"cannot read the validation scenario: {exc}", source=path) from exc
    try:
        scenario = ValidationScenario.model_validate(data)
    except ValidationError as exc:
        raise TwinInputError(
            format_validation_error(exc, reference=REFERENCE), source=path
        ) from exc
    return scenario.model_copy(update={"path": path})


def catalogue_dir() -> Path:
    """The catalogue folder: relative to the working directory, else to the project."""
    return CATALOGUE_DIR if CATALOGUE_DIR.is_dir() else PROJECT_ROOT / CATALOGUE_DIR


def load_catalogue(folder: Path | None = None) -> tuple[ValidationScenario, ...]:
    """Every catalogue file in ``folder`` (default: scenarios/validation), in name order."""
    folder = folder or catalogue_dir()
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise TwinInputError("no validation scenarios (*.toml) here", source=folder)
    return tuple(load_validation_scenario(path) for path in paths)
