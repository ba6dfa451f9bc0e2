"""Confidence intervals of replicated figures, checked against worked examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from twin.sweeps.stats import difference_ci, mean_ci


def test_the_mean_of_one_to_five_has_the_textbook_t_interval() -> None:
    # mean 3, s = 1.5811, se = 0.7071, t(0.975, 4) = 2.7764
    estimate = mean_ci([1, 2, 3, 4, 5])
    assert estimate.n == 5
    assert estimate.mean == pytest.approx(3.0)
    assert estimate.ci_low == pytest.approx(1.0368, abs=1e-4)
    assert estimate.ci_high == pytest.approx(4.9632, abs=1e-4)


@pytest.mark.parametrize(
    ("values", "n", "mean", "interval"),
    [
        ([], 0, None, (None, None)),
        ([None, math.nan], 0, None, (None, None)),
        ([4.0], 1, 4.0, (None, None)),  # one run: a mean, no interval
        ([2, 2, 2], 3, 2.0, (2.0, 2.0)),  # no spread: a zero-width interval
        ([1, None, 3, math.nan], 2, 2.0, None),  # missing rates are left out, not counted
    ],
)
def test_small_and_degenerate_samples(
    values: list[float | None],
    n: int,
    mean: float | None,
    interval: tuple[float | None, float | None] | None,
) -> None:
    estimate = mean_ci(values)
    assert (estimate.n, estimate.mean) == (n, mean)
    if interval is not None:
        assert (estimate.ci_low, estimate.ci_high) == interval


def test_a_paired_difference_uses_the_pairs() -> None:
    # differences 1, 2, 2: mean 1.6667, s = 0.5774, se = 0.3333, t(0.975, 2) = 4.3027
    estimate, method = difference_ci([1, 2, 3], [2, 4, 5], paired=True)
    assert method == "paired"
    assert estimate.mean == pytest.approx(5 / 3)
    assert estimate.ci_low == pytest.approx(0.2324, abs=1e-4)
    assert estimate.ci_high == pytest.approx(3.1009, abs=1e-4)


def test_a_pair_with_a_missing_value_is_dropped() -> None:
    estimate, _ = difference_ci([1, None, 3], [2, 9, 5], paired=True)
    assert estimate.n == 2
    assert estimate.mean == pytest.approx(1.5)


def test_welch_interval_matches_the_welch_satterthwaite_formula() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [3.0, 5.0, 7.0, 9.0, 11.0]
    va, vb = 5 / 3, 10.0  # sample variances
    se = math.sqrt(va / 4 + vb / 5)
    df = se**4 / ((va / 4) ** 2 / 3 + (vb / 5) ** 2 / 4)
    half = stats.t.ppf(0.975, df) * se
    estimate, method = difference_ci(a, b, paired=False)
    assert method == "welch"
    assert estimate.mean == pytest.approx(4.5)
    assert estimate.ci_low == pytest.approx(4.5 - half)
    assert estimate.ci_high == pytest.approx(4.5 + half)


def test_paired_samples_must_pair_up() -> None:
    with pytest.raises(ValueError, match="same length"):
        difference_ci([1, 2], [1, 2, 3], paired=True)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=2, max_size=30))
def test_the_interval_holds_the_mean(values: list[float]) -> None:
    estimate = mean_ci(values)
    assert estimate.ci_low is not None and estimate.ci_high is not None
    assert estimate.mean is not None
    tolerance = 1e-9 * max(1.0, abs(estimate.mean))
    assert estimate.ci_low - tolerance <= estimate.mean <= estimate.ci_high + tolerance
