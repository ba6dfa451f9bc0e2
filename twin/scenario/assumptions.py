"""Assumptions as data: a figure no source gives, written with the range it could plausibly take.

A scenario (``[assumptions]``) or an algorithm profile (``[assumptions]``) lists each of its
*assumptions* by the dotted key of the field it sets, with a documented distribution over a range:

- ``uniform``: every value between ``low`` and ``high`` equally likely;
- ``triangular``: most likely at ``mode`` (default: the middle), falling to zero at ``low`` and ``high``;
- ``loguniform``: uniform in the logarithm, for a figure known only to an order of magnitude (``low``
  must be positive).

``twin uncertainty`` samples these ranges (Latin hypercube, scipy.stats.qmc) and maps each sample
through the distribution's quantile function (scipy.stats), so the arithmetic is scipy's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from scipy import stats

from twin.scenario.base import StrictModel

Distribution = Literal["uniform", "triangular", "loguniform"]
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "triangular", "loguniform")


class AssumptionRange(StrictModel):
    """The plausible range of one assumed figure and the distribution over it."""

    distribution: Distribution = "uniform"
    low: float
    high: float
    mode: float | None = Field(default=None, description="Most likely value (triangular only).")
    source: Annotated[str, Field(max_length=1000)] = Field(
        default="", description="Why this range: the figures that bracket it."
    )

    @model_validator(mode="after")
    def _ordered(self) -> AssumptionRange:
        if self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g} (need low <= high)")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"loguniform needs low > 0, got {self.low:g}")
        if self.mode is not None:
            if self.distribution != "triangular":
                raise ValueError("mode: only a triangular distribution has a mode")
            if not self.low <= self.mode <= self.high:
                raise ValueError(f"mode {self.mode:g} is outside low..high")
        return self

    def quantile(self, u: float) -> float:
        """The value at probability ``u`` (0-1) of the distribution (its inverse CDF)."""
        if self.high == self.low:
            return self.low
        width = self.high - self.low
        if self.distribution == "uniform":
            return float(stats.uniform.ppf(u, loc=self.low, scale=width))
        if self.distribution == "loguniform":
            return float(stats.loguniform.ppf(u, self.low, self.high))
        mode = (self.low + self.high) / 2 if self.mode is None else self.mode
        return float(stats.triang.ppf(u, (mode - self.low) / width, loc=self.low, scale=width))

    def central(self) -> float:
        """The distribution's median: the value used when nothing is sampled."""
        return self.quantile(0.5)


def _range(distribution: Distribution, low: float, high: float, source: str) -> AssumptionRange:
    return AssumptionRange(distribution=distribution, low=low, high=high, source=source)


#: Ranges of the schema's own assumed defaults, used for any scenario that does not list its own
#: range for that key. Each bracket is itself an *assumption*; the reason is beside it.
SCHEMA_ASSUMPTIONS: dict[str, AssumptionRange] = {
    "faces.genuine_score_sd": _range(
        "uniform", 0.05, 0.12, "spread of mated cosines; 0.08 is the default, no source gives it"
    ),
    "watchlist.prevalence": _range(
        "loguniform",
        3e-5,
        3e-4,
        "trips by watchlisted people: a factor of about three either side of 1 in 10,000",
    ),
    "cameras.max_pitch_deg": _range(
        "uniform", 30.0, 60.0, "pitch engines tolerate at a cost; 45 degrees is the default"
    ),
    "cameras.night_lighting_factor": _range(
        "uniform", 0.5, 0.9, "lit public realm, infrared or low-light cameras; 0.7 the default"
    ),
    "cameras.exposure_day_s": _range(
        "loguniform", 0.002, 0.008, "1/500 s to 1/125 s around the default 1/250 s"
    ),
    "cameras.blur_half_quality_px": _range(
        "uniform", 4.0, 12.0, "a quarter of a 32-px eye distance (8 px) give or take half"
    ),
}
