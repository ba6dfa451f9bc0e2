"""Confidence intervals for replicated runs: how sure a sweep can be of a mean, and of a difference.

One simulated day's handful of alerts is a noisy number; run the same scenario R times with independent
seeds and the replications' mean carries a Student-t interval. Two sweeps are compared by the interval
of their difference: paired when both ran the same seeds (common random numbers, the same crowd in
both), Welch's unequal-variance interval otherwise. The arithmetic is scipy.stats'.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

CONFIDENCE: Final = 0.95

DifferenceMethod = Literal["paired", "welch"]
#: Values of one metric over replications: None or NaN where a run had none.
Samples = Sequence[float | None] | npt.NDArray[np.floating[Any]]


@dataclass(frozen=True)
class Estimate:
    """A mean over ``n`` finite values and its confidence interval (None where it cannot be had)."""

    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-ready: ``{mean, ci_low, ci_high, n}``."""
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high, "n": self.n}


def _finite(values: Samples) -> npt.NDArray[np.float64]:
    array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return array[np.isfinite(array)]


def _interval(low: float, high: float) -> tuple[float | None, float | None]:
    if math.isfinite(low) and math.isfinite(high):
        return float(low), float(high)
    return None, None


def mean_ci(values: Samples, *, confidence: float = CONFIDENCE) -> Estimate:
    """Mean and Student-t interval of the finite values; a constant sample has a zero-width interval.

    None and NaN (a rate whose denominator was zero in that run) are left out and not counted.
    """
    sample = _finite(values)
    n = int(sample.size)
    if n == 0:
        return Estimate(n=0, mean=None, ci_low=None, ci_high=None)
    mean = float(sample.mean())
    if n == 1:
        return Estimate(n=1, mean=mean, ci_low=None, ci_high=None)
    standard_error = float(stats.sem(sample))
    if standard_error == 0:  # no spread (to double precision): a zero-width interval
        return Estimate(n=n, mean=mean, ci_low=mean, ci_high=mean)
    low, high = stats.t.interval(confidence, df=n - 1, loc=mean, scale=standard_error)
    ci_low, ci_high = _interval(low, high)
    return Estimate(n=n, mean=mean, ci_low=ci_low, ci_high=ci_high)


def difference_ci(
    a: Samples,
    b: Samples,
    *,
    paired: bool,
    confidence: float = CONFIDENCE,
) -> tuple[Estimate, DifferenceMethod]:
    """The mean difference B − A and its interval.

    ``paired``: ``a[i]`` and ``b[i]`` ran on the same seed; pairs with a missing value are dropped and
    the paired t interval is used. Otherwise Welch's interval for two independent samples.
    """
    if paired:
        if len(a) != len(b):
            raise ValueError("paired samples must have the same length")
        first = np.array([np.nan if v is None else v for v in a], dtype=np.float64)
        second = np.array([np.nan if v is None else v for v in b], dtype=np.float64)
        keep = np.isfinite(first) & np.isfinite(second)
        return mean_ci(second[keep] - first[keep], confidence=confidence), "paired"
    sample_a, sample_b = _finite(a), _finite(b)
    n = int(min(sample_a.size, sample_b.size))
    if n == 0:
        return Estimate(n=0, mean=None, ci_low=None, ci_high=None), "welch"
    mean = float(sample_b.mean() - sample_a.mean())
    if n == 1:
        return Estimate(n=1, mean=mean, ci_low=None, ci_high=None), "welch"
    if np.ptp(sample_a) == 0 and np.ptp(sample_b) == 0:
        return Estimate(n=n, mean=mean, ci_low=mean, ci_high=mean), "welch"
    with warnings.catch_warnings():  # one constant sample is fine for Welch; scipy still warns
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(sample_b, sample_a, equal_var=False)
        interval = result.confidence_interval(confidence)
    ci_low, ci_high = _interval(interval.low, interval.high)
    return Estimate(n=n, mean=mean, ci_low=ci_low, ci_high=ci_high), "welch"
