"""The vendor-threshold mapping, fitted to NPL's results at other thresholds.

A profile maps a vendor threshold v to a false-match rate per comparison (FMR) through
``FMR(v) = FMR(v0) x 10^((v0 - v) / s)``, s the vendor score per tenfold change in FMR
(`twin.recognition.profiles`). NPL published its LFR results at 0.56, 0.58, 0.60, 0.62 and 0.64; the
counts that reached the press are one false positive at 0.62 and none at 0.64 (the observations file,
scenarios/calibration/npl_2023_thresholds.toml, quotes them). With the false positives expected at
v0 = 0.60 in the same test, ``E0 = searches x FPIR_gallery(FMR(v0))``, the counts are Poisson with
means ``E(v) = searches x (1 - (1 - FMR(v))^gallery)``, and s is fitted by maximum likelihood.

**Uncertainty.** The searches behind the counts and the gallery they were made against are not in
the sources read, so both carry *assumption* ranges (given in the file). For each corner and the
centre of those ranges, s's 95% interval is the likelihood-ratio interval (chi-squared, 1 degree of
freedom, 3.84) over a log grid of s; the reported interval is their union, the value the fit at the
centre. One and zero events pin s down only loosely: the interval is wide, and says so. Where it
reaches the grid's end the data set no bound there, and the result says which end.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Final

import numpy as np
import numpy.typing as npt
from pydantic import Field, ValidationError
from scipy import stats

from twin.errors import TwinInputError
from twin.scenario import AssumptionRange, StrictModel, format_validation_error

FloatArray = npt.NDArray[np.float64]

#: Log grid of s, vendor score per tenfold change in FMR: the support of the fit.
GRID_LOW: Final = 0.004
GRID_HIGH: Final = 0.2
GRID_POINTS: Final = 2000
#: chi-squared(1) at 95%: the likelihood-ratio interval's cut.
LR_CUT: Final = float(stats.chi2.ppf(0.95, 1))


class ThresholdCount(StrictModel):
    """False positives published at one vendor threshold."""

    vendor_threshold: Annotated[float, Field(gt=0.0, lt=1.0)]
    false_positives: Annotated[int, Field(ge=0)]
    source: Annotated[str, Field(min_length=1)]


class ThresholdObservations(StrictModel):
    """A profile's published results at other thresholds, and the figures needed to read them."""

    profile: Annotated[str, Field(min_length=1)]
    reference_threshold: Annotated[float, Field(gt=0.0, lt=1.0)]
    searches: AssumptionRange = Field(description="Non-mated searches behind the counts.")
    gallery: AssumptionRange = Field(description="Images each search was compared with.")
    counts: Annotated[tuple[ThresholdCount, ...], Field(min_length=1)]


def load_observations(path: Path) -> ThresholdObservations:
    """Read and validate an observations file. Raises TwinInputError with one line."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TwinInputError(f"{path}: cannot read the threshold observations: {exc}") from exc
    try:
        return ThresholdObservations.model_validate(data)
    except ValidationError as exc:
        message = format_validation_error(exc, reference="docs/validation.md")
        raise TwinInputError(f"{path}: {message}") from exc


def _expected(
    slope: FloatArray,
    thresholds: FloatArray,
    *,
    fmr0: float,
    v0: float,
    searches: float,
    gallery: float,
) -> FloatArray:
    """(slopes, thresholds) expected false positives."""
    fmr = np.minimum(0.5, fmr0 * 10.0 ** ((v0 - thresholds[None, :]) / slope[:, None]))
    return np.asarray(searches * -np.expm1(gallery * np.log1p(-fmr)), dtype=np.float64)


def _log_likelihood(
    slope: FloatArray, observed: ThresholdObservations, fmr0: float, searches: float, gallery: float
) -> FloatArray:
    thresholds = np.array([c.vendor_threshold for c in observed.counts])
    counts = np.array([c.false_positives for c in observed.counts], dtype=np.float64)
    mean = _expected(
        slope,
        thresholds,
        fmr0=fmr0,
        v0=observed.reference_threshold,
        searches=searches,
        gallery=gallery,
    )
    return np.asarray(
        np.sum(stats.poisson.logpmf(counts[None, :], np.maximum(mean, 1e-300)), axis=1)
    )


def fit_vendor_slope(observed: ThresholdObservations, fmr0: float) -> dict[str, Any]:
    """Fit s (vendor score per tenfold FMR change) to the counts. Returns the value (at the centre
    of the searches and gallery ranges), the union of the 95% intervals over their corners, and a
    row per corner."""
    grid = np.geomspace(GRID_LOW, GRID_HIGH, GRID_POINTS)
    corners = []
    for searches in (observed.searches.low, observed.searches.central(), observed.searches.high):
        for gallery in (observed.gallery.low, observed.gallery.central(), observed.gallery.high):
            ll = _log_likelihood(grid, observed, fmr0, searches, gallery)
            inside = grid[2.0 * (ll.max() - ll) <= LR_CUT]
            expected0 = searches * -math.expm1(gallery * math.log1p(-fmr0))
            corners.append(
                {
                    "searches": searches,
                    "gallery": gallery,
                    "expected_at_reference": expected0,
                    "fitted": float(grid[int(np.argmax(ll))]),
                    "low": float(inside.min()),
                    "high": float(inside.max()),
                }
            )
    centre = corners[4]
    low = min(c["low"] for c in corners)
    high = max(c["high"] for c in corners)
    open_ends = [
        end
        for end, hit in (("low", low <= grid[0] * 1.0001), ("high", high >= grid[-1] * 0.9999))
        if hit
    ]
    return {
        "vendor_score_per_fmr_decade": centre["fitted"],
        "low": low,
        "high": high,
        "unbounded_ends": open_ends,
        "grid": [GRID_LOW, GRID_HIGH],
        "counts": [c.model_dump() for c in observed.counts],
        "corners": corners,
    }
