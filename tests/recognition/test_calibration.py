"""Calibration through the real FAISS matcher, on a loose profile so a small run measures it well."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.recognition.calibration import calibrate
from twin.recognition.profiles import AlgorithmProfile, FpirPoint
from twin.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]

# FMR 5e-7 per comparison: FPIR about 5e-4 at 1,000 and 5e-3 at 10,000.
LOOSE = AlgorithmProfile(
    name="loose",
    vendor_threshold=0.6,
    fmr=5e-7,
    tpir=0.85,
    fpir_points=(
        FpirPoint(watchlist_size=1000, fpir=4.999e-4),
        FpirPoint(watchlist_size=10000, fpir=4.988e-3),
    ),
)


@pytest.fixture(scope="module")
def plaza() -> Scenario:
    return load_scenario(ROOT / "scenarios/small_plaza.toml")


def test_measured_rates_match_the_profile(plaza: Scenario) -> None:
    # Independent captures: the fit of the model to the profile, with narrow intervals (that
    # persons' captures keep FPIR per search is tested in test_persons).
    independent = plaza.model_copy(
        update={"faces": plaza.faces.model_copy(update={"within_person_correlation": 0.0})}
    )
    report = calibrate(LOOSE, independent, non_mated=16_384, mated=3_000, seed=3)
    fpir = report["fpir"]
    assert fpir["1000"]["published_within_ci95"], fpir["1000"]
    assert fpir["10000"]["published_within_ci95"], fpir["10000"]
    assert 7 <= report["fpir_ratio_10000_to_1000"] <= 13
    low, high = report["tpir"]["ci95"]
    assert low <= 0.85 <= high
    assert report["tpir_at_reference_quality"] == pytest.approx(0.85, abs=0.03)
    assert set(report["fpir_by_watchlist_size"]) == {"1000", "10000"}
    fpirs = [row["fpir_10000"] for row in report["det"]]
    fnirs = [row["fnir"] for row in report["det"]]
    assert fpirs == sorted(fpirs, reverse=True)  # a higher threshold never raises more false alerts
    assert fnirs == sorted(fnirs)


def test_a_group_multiplier_shows_up_in_the_real_matcher(plaza: Scenario) -> None:
    scenario = load_scenario(
        ROOT / "scenarios/small_plaza.toml",
        overrides=[
            "faces.groups=[{name='a', share=0.5}, {name='b', share=0.5, fmr_multiplier=4.0}]",
            # independent captures: the group model alone, with narrow intervals
            "faces.within_person_correlation=0.0",
        ],
    )
    report = calibrate(LOOSE, scenario, non_mated=16_384, mated=1_000, seed=4)
    groups = report["groups"]
    assert groups["a"]["multiplier_within_ci95"], groups["a"]
    assert groups["b"]["multiplier_within_ci95"], groups["b"]
    assert groups["b"]["ratio_to_best_served"] == pytest.approx(4.0, rel=0.35)
    assert groups["b"]["closeness"] > groups["a"]["closeness"]


@pytest.mark.parametrize(("correlation", "low", "high"), [(0.0, 0.0, 3.0), (0.9, 20.0, 1e9)])
def test_one_face_per_person_makes_false_alerts_repeat_on_the_same_people(
    correlation: float, low: float, high: float
) -> None:
    scenario = load_scenario(
        ROOT / "scenarios/small_plaza.toml",
        overrides=[f"faces.within_person_correlation={correlation}"],
    )
    report = calibrate(LOOSE, scenario, non_mated=16_384, mated=200, seed=5)
    spread = report["false_alert_concentration"]
    assert spread["people_flagged"] > 10
    # Another capture of a flagged person alerts as often as anyone's (independent captures) or far
    # more often (one face per person, strongly kept by every capture).
    assert low <= spread["again_over_fpir"] <= high
    if correlation > 0:
        assert spread["flagged_twice_or_more"] > 0
        assert report["fpir"]["10000"]["design_effect"] > 1.0


def test_a_fitted_set_up_is_checked_through_the_real_matcher(plaza: Scenario) -> None:
    # Walkers of the set-up at two qualities: the reference quality fitted there reproduces the
    # TPIR through the real matcher; a profile without a set-up reports none.
    from twin.recognition.reference_fit import fit_reference_quality, quality_quantiles

    qualities = np.repeat([0.5, 0.7], 500)
    fitted = fit_reference_quality(LOOSE, qualities, dim=512, genuine_score_sd=0.08)
    profile = LOOSE.model_copy(
        update={"reference_quality": fitted, "setup_qualities": quality_quantiles(qualities)}
    )
    independent = plaza.model_copy(
        update={"faces": plaza.faces.model_copy(update={"within_person_correlation": 0.0})}
    )
    report = calibrate(profile, independent, non_mated=1_024, mated=4_000, seed=6)
    low, high = report["tpir_in_setup"]["ci95"]
    assert low <= 0.85 <= high
    assert (
        calibrate(LOOSE, independent, non_mated=1_024, mated=100, seed=6)["tpir_in_setup"] is None
    )
