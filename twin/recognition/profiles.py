"""Recognition-algorithm profiles: an algorithm described by what it was measured to do.

A profile does not describe an algorithm's internals. It gives the operating point a deployment used:
the vendor's threshold, the false-match rate of one comparison there (FMR), and the true-positive
identification rate (TPIR) at a reference capture quality. The faces model turns those figures into a
cosine threshold and genuine-score distribution for the synthetic embeddings (see `twin.recognition.faces`).
Profiles live in ``scenarios/algorithms/*.toml``.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from twin.errors import ProfileError
from twin.scenario import PROJECT_ROOT, AssumptionRange, StrictModel, format_validation_error

ALGORITHMS_DIR = Path("scenarios/algorithms")
# FPIR(N) = 1 - (1 - FMR)^N (NIST FRTE 1:N; facts.md). A published point more than this factor away from
# the profile's FMR contradicts it.
MAX_FMR_DISAGREEMENT = 3.0
#: Figures a profile's fit file (written by ``twin calibrate-fit``) supplies.
FIT_FIELDS = ("reference_quality", "vendor_score_per_fmr_decade", "setup_qualities")


class FpirPoint(StrictModel):
    """A published false-positive identification rate at one watchlist size."""

    watchlist_size: Annotated[int, Field(ge=1)]
    fpir: Annotated[float, Field(gt=0.0, lt=1.0)]

    def implied_fmr(self) -> float:
        """The per-comparison FMR this point implies: 1 - (1 - FPIR)^(1/N)."""
        return -math.expm1(math.log1p(-self.fpir) / self.watchlist_size)


class AlgorithmProfile(StrictModel):
    """A recognition algorithm at its published operating point."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    source: str = Field(default="", description="Where the figures were published.")
    vendor_threshold: Annotated[float, Field(gt=0.0, lt=1.0)]
    fmr: Annotated[
        float,
        Field(gt=0.0, lt=1.0, description="False-match rate of one comparison at the threshold."),
    ]
    tpir: Annotated[
        float,
        Field(
            gt=0.0, lt=1.0, description="True-positive identification rate at reference quality."
        ),
    ]
    reference_quality: Annotated[
        float, Field(gt=0.0, le=1.0, description="Capture quality score the TPIR was measured at.")
    ] = 0.8
    vendor_score_per_fmr_decade: Annotated[
        float,
        Field(
            gt=0.0,
            le=1.0,
            description=(
                "How far the vendor's score moves per tenfold change in FMR, to map vendor thresholds "
                "to FMR. *Assumption* unless the vendor publishes its score calibration."
            ),
        ),
    ] = 0.05
    fpir_points: tuple[FpirPoint, ...] = ()
    setup_qualities: tuple[Annotated[float, Field(ge=0.0, le=1.0)], ...] = Field(
        default=(),
        description=(
            "Evenly spaced quantiles (0 to 1) of the best capture quality of each walker in the set-up "
            "where the TPIR was measured (0: never captured); empty when the TPIR is taken at the "
            "reference quality instead (twin.recognition.reference_fit)."
        ),
    )
    assumptions: dict[str, AssumptionRange] = Field(
        default_factory=dict,
        description="The plausible range of each *assumption* above, by field name.",
    )

    def fmr_at_vendor_threshold(self, vendor_threshold: float) -> float:
        """FMR per comparison at another vendor threshold: tenfold per ``vendor_score_per_fmr_decade``."""
        decades = (self.vendor_threshold - vendor_threshold) / self.vendor_score_per_fmr_decade
        return float(min(0.5, self.fmr * 10.0**decades))

    @model_validator(mode="after")
    def _assumptions_named(self) -> AlgorithmProfile:
        numeric = ("fmr", "tpir", "reference_quality", "vendor_score_per_fmr_decade")
        for key in self.assumptions:
            if key not in numeric:
                raise ValueError(
                    f"assumptions.{key}: not an assumed figure of a profile (allowed: {', '.join(numeric)})"
                )
        return self

    @model_validator(mode="after")
    def _points_agree(self) -> AlgorithmProfile:
        for point in self.fpir_points:
            ratio = point.implied_fmr() / self.fmr
            if not 1 / MAX_FMR_DISAGREEMENT <= ratio <= MAX_FMR_DISAGREEMENT:
                raise ValueError(
                    f"fpir_points: FPIR {point.fpir:.3g} at watchlist {point.watchlist_size} implies "
                    f"FMR {point.implied_fmr():.3g}, which contradicts fmr = {self.fmr:.3g} "
                    f"(allowed: within a factor {MAX_FMR_DISAGREEMENT:g})"
                )
        return self


def find_profile(name_or_path: str, *, scenario_dir: Path | None = None) -> Path:
    """Resolve a profile name (``npl_2023``) or path to its TOML file."""
    given = Path(name_or_path)
    candidates = [given] if given.suffix == ".toml" else []
    if scenario_dir is not None:
        candidates += [scenario_dir / given, scenario_dir / "algorithms" / f"{name_or_path}.toml"]
    candidates += [
        ALGORITHMS_DIR / f"{name_or_path}.toml",
        PROJECT_ROOT / ALGORITHMS_DIR / f"{name_or_path}.toml",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in (PROJECT_ROOT / ALGORITHMS_DIR).glob("*.toml"))
    raise ProfileError(
        f"faces.algorithm: no profile {name_or_path!r} (known: {', '.join(known) or 'none'}; or a path to a .toml)"
    )


def _read_toml(path: Path, what: str, source: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read {what}: {exc}", source=source) from exc


def _with_fit(data: dict[str, Any], path: Path, *, fitted: bool) -> dict[str, Any]:
    """The profile's data with its fit file's figures (``fit = "fits/NAME.toml"``, relative to the
    profile) filled in where the profile does not set them itself (unless ``fitted`` is False)."""
    fit_name = data.pop("fit", None)
    if fit_name is None or not fitted:
        return data
    if not isinstance(fit_name, str):
        raise ProfileError("fit: must be a path to a fit file (a string)", source=path)
    fit_path = path.parent / fit_name
    fit = _read_toml(fit_path, f"the fit file {fit_path}", path)
    for key in FIT_FIELDS:
        if key in fit:
            data.setdefault(key, fit[key])
    assumptions = dict(data.get("assumptions", {}))
    for key, spread in fit.get("assumptions", {}).items():
        assumptions.setdefault(key, spread)
    data["assumptions"] = assumptions
    return data


def load_profile(
    name_or_path: str, *, scenario_dir: Path | None = None, fitted: bool = True
) -> AlgorithmProfile:
    """Read and validate an algorithm profile, with its fit file if it names one (``fitted=False``:
    without it, as ``twin calibrate-fit`` needs before there is one). Raises ProfileError with one
    clear line."""
    path = find_profile(name_or_path, scenario_dir=scenario_dir)
    data = _with_fit(_read_toml(path, "the profile", path), path, fitted=fitted)
    try:
        return AlgorithmProfile.model_validate(data)
    except ValidationError as exc:
        message = format_validation_error(exc, reference="docs/scenarios.md (algorithm profiles)")
        raise ProfileError(message, source=path) from exc
