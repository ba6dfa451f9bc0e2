from __future__ import annotations

import numpy as np
import pytest

from twin.recognition.faces import (
    NOT_ON_WATCHLIST,
    FaceModel,
    capture_embeddings,
    cosine_threshold_for_fmr,
    fmr_at_cosine,
    make_watchlist,
    pair_fmr,
)
from twin.recognition.profiles import AlgorithmProfile, load_profile

# A generous profile for small, fast empirical checks in few dimensions.
LOOSE = AlgorithmProfile(name="loose", vendor_threshold=0.6, fmr=2e-3, tpir=0.9)


def two_groups(fmr_b: float = 1.0, fnmr_b: float = 1.0) -> list[tuple[str, float, float, float]]:
    return [("a", 0.5, 1.0, 1.0), ("b", 0.5, fmr_b, fnmr_b)]


def impostor_rate(
    model: FaceModel, rng: np.random.Generator, probe_group: int, n_probes: int = 3000
) -> float:
    gallery_groups = rng.integers(0, len(model.groups), 400)
    watchlist = make_watchlist(rng, model, gallery_groups)
    quality = np.full(n_probes, model.reference_quality)
    probes, _ = capture_embeddings(
        rng,
        model,
        watchlist,
        np.full(n_probes, NOT_ON_WATCHLIST),
        np.full(n_probes, probe_group),
        quality,
    )
    return float(np.mean(probes @ watchlist.enrolled.T >= model.threshold_cosine))


def test_threshold_matches_the_impostor_tail_empirically() -> None:
    model = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08)
    assert fmr_at_cosine(model.threshold_cosine, model.free_dim) == pytest.approx(2e-3)
    rate = impostor_rate(model, np.random.default_rng(0), probe_group=0)
    assert rate == pytest.approx(2e-3, rel=0.15)


def test_npl_threshold_is_not_the_vendor_scale() -> None:
    threshold = cosine_threshold_for_fmr(1.67e-8, 510)
    assert 0.2 < threshold < 0.3  # far from NEC's 0.6: about 5.5 sigma of N(0, 0.044)


def test_genuine_scores_give_the_profile_tpir_at_reference_quality() -> None:
    profile = load_profile("npl_2023")
    model = FaceModel.from_profile(profile, dim=512, genuine_score_sd=0.08)
    rng = np.random.default_rng(1)
    watchlist = make_watchlist(rng, model, np.zeros(200, dtype=np.int64))
    subjects = rng.integers(0, 200, 20_000)
    quality = np.full(subjects.size, profile.reference_quality)
    probes, mate = capture_embeddings(
        rng, model, watchlist, subjects, np.zeros_like(subjects), quality
    )
    measured = np.einsum(
        "ij,ij->i", probes.astype(np.float64), watchlist.enrolled[subjects].astype(np.float64)
    )
    np.testing.assert_allclose(measured, mate, atol=1e-5)
    assert np.mean(mate >= model.threshold_cosine) == pytest.approx(0.89, abs=0.01)
    assert np.allclose(np.linalg.norm(probes, axis=1), 1.0, atol=1e-5)


def test_worse_captures_match_less() -> None:
    model = FaceModel.from_profile(load_profile("npl_2023"), dim=512, genuine_score_sd=0.08)
    rng = np.random.default_rng(2)
    watchlist = make_watchlist(rng, model, np.zeros(10, dtype=np.int64))
    subjects = np.zeros(5000, dtype=np.int64)
    _, good = capture_embeddings(rng, model, watchlist, subjects, subjects, np.full(5000, 0.9))
    _, poor = capture_embeddings(rng, model, watchlist, subjects, subjects, np.full(5000, 0.3))
    assert np.mean(good >= model.threshold_cosine) > 0.9
    assert np.mean(poor >= model.threshold_cosine) < 0.15


def test_group_closeness_is_solved_to_the_multiplier() -> None:
    model = FaceModel.from_profile(
        LOOSE, dim=64, genuine_score_sd=0.08, groups=two_groups(fmr_b=4.0)
    )
    expected = model.group_fmr()
    assert expected[1] / expected[0] == pytest.approx(4.0, rel=1e-6)
    assert expected[0] == pytest.approx(2e-3, rel=1e-6)
    assert model.closeness[1] > model.closeness[0] >= 0.0


def test_group_differentials_come_from_the_embeddings() -> None:
    model = FaceModel.from_profile(
        LOOSE, dim=64, genuine_score_sd=0.08, groups=two_groups(fmr_b=4.0)
    )
    rng = np.random.default_rng(4)
    rate_a = impostor_rate(model, rng, probe_group=0)
    rate_b = impostor_rate(model, rng, probe_group=1)
    assert rate_b / rate_a == pytest.approx(4.0, rel=0.25)


def test_equal_groups_need_no_closeness() -> None:
    model = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08, groups=two_groups())
    assert np.all(model.closeness == 0.0)


def test_fnmr_multiplier_lowers_a_groups_tpir() -> None:
    model = FaceModel.from_profile(
        LOOSE, dim=128, genuine_score_sd=0.08, groups=two_groups(fnmr_b=3.0)
    )
    rng = np.random.default_rng(5)
    groups = np.repeat([0, 1], 20)
    watchlist = make_watchlist(rng, model, groups)
    subjects = rng.integers(0, 40, 20_000)
    quality = np.full(subjects.size, LOOSE.reference_quality)
    _, mate = capture_embeddings(rng, model, watchlist, subjects, groups[subjects], quality)
    missed = mate < model.threshold_cosine
    assert np.mean(missed[groups[subjects] == 0]) == pytest.approx(0.10, abs=0.015)
    assert np.mean(missed[groups[subjects] == 1]) == pytest.approx(0.30, abs=0.02)


def test_poor_enrolment_raises_misses_and_false_matches() -> None:
    good = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08)
    poor = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08, enrolment_quality=0.6)
    rng = np.random.default_rng(6)
    quality = np.full(4000, 0.4)  # poor captures share the image artefact
    rates = []
    misses = []
    for model in (good, poor):
        watchlist = make_watchlist(rng, model, np.zeros(300, dtype=np.int64))
        strangers, _ = capture_embeddings(
            rng,
            model,
            watchlist,
            np.full(4000, NOT_ON_WATCHLIST),
            np.zeros(4000, dtype=np.int64),
            quality,
        )
        rates.append(np.mean(strangers @ watchlist.enrolled.T >= model.threshold_cosine))
        subjects = rng.integers(0, 300, 4000)
        _, mate = capture_embeddings(
            rng, model, watchlist, subjects, np.zeros(4000, dtype=np.int64), np.full(4000, 0.8)
        )
        misses.append(np.mean(mate < model.threshold_cosine))
    assert rates[1] > 1.5 * rates[0]
    assert misses[1] > misses[0] + 0.2


def test_pair_fmr_is_the_strangers_rate_without_closeness() -> None:
    matrix = pair_fmr(0.3, np.zeros(3), 64)
    assert np.allclose(matrix, fmr_at_cosine(0.3, 64))


def test_vendor_thresholds_map_through_the_fmr() -> None:
    profile = load_profile("npl_2023")
    assert profile.fmr_at_vendor_threshold(0.6) == pytest.approx(profile.fmr)
    slope = profile.vendor_score_per_fmr_decade  # fitted (twin calibrate-fit)
    assert profile.fmr_at_vendor_threshold(0.6 - slope) == pytest.approx(profile.fmr * 10)
    assert profile.fmr_at_vendor_threshold(0.6 + 2 * slope) == pytest.approx(profile.fmr / 100)
