"""The vendor-threshold mapping fitted to counts at several thresholds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.errors import TwinInputError
from twin.recognition.threshold_fit import (
    ThresholdCount,
    ThresholdObservations,
    fit_vendor_slope,
    load_observations,
)
from twin.scenario import AssumptionRange

FMR0 = 1e-6


def _observations(
    counts: dict[float, int], searches: float, gallery: float
) -> ThresholdObservations:
    fixed = {"distribution": "uniform", "source": "test"}
    return ThresholdObservations(
        profile="p",
        reference_threshold=0.6,
        searches=AssumptionRange(low=searches, high=searches, **fixed),
        gallery=AssumptionRange(low=gallery, high=gallery, **fixed),
        counts=tuple(
            ThresholdCount(vendor_threshold=v, false_positives=k, source="test")
            for v, k in counts.items()
        ),
    )


def test_large_counts_recover_the_slope_that_made_them() -> None:
    slope, searches, gallery = 0.03, 1e6, 1000
    expected = {
        v: searches * -np.expm1(gallery * np.log1p(-FMR0 * 10 ** ((0.6 - v) / slope)))
        for v in (0.56, 0.58, 0.62, 0.64)
    }
    fit = fit_vendor_slope(
        _observations({v: round(e) for v, e in expected.items()}, searches, gallery), FMR0
    )
    assert fit["vendor_score_per_fmr_decade"] == pytest.approx(slope, rel=0.03)
    assert fit["low"] <= slope <= fit["high"]
    assert fit["high"] / fit["low"] < 1.2
    assert fit["unbounded_ends"] == []


def test_one_and_zero_events_give_a_wide_interval() -> None:
    fit = fit_vendor_slope(_observations({0.62: 1, 0.64: 0}, 20_000, 50_000), FMR0 / 10)
    assert fit["high"] / fit["low"] > 2  # against < 1.2 from thousands of events
    assert fit["low"] <= fit["vendor_score_per_fmr_decade"] <= fit["high"]


def test_counts_that_cannot_tell_a_slope_say_which_end_is_open() -> None:
    # Expected about one false positive at the reference threshold: zero at 0.64 and one at 0.62
    # fit a flat mapping as well as a steep one.
    fit = fit_vendor_slope(_observations({0.62: 1, 0.64: 0}, 1000, 1000), FMR0)
    assert "high" in fit["unbounded_ends"]


def test_a_file_with_a_bad_range_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "counts.toml"
    path.write_text(
        'profile = "p"\nreference_threshold = 0.6\n'
        "searches = { low = 10, high = 5 }\ngallery = { low = 1, high = 2 }\n"
        "[[counts]]\nvendor_threshold = 0.62\nfalse_positives = 1\nsource = 'x'\n"
    )
    with pytest.raises(TwinInputError, match=r"counts\.toml.*searches"):
        load_observations(path)


def test_the_shipped_observations_load() -> None:
    root = Path(__file__).resolve().parents[2]
    observed = load_observations(root / "scenarios/calibration/npl_2023_thresholds.toml")
    assert {c.vendor_threshold for c in observed.counts} == {0.62, 0.64}
