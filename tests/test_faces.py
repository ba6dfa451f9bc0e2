from __future__ import annotations

import numpy as np
import pytest

from twin.faces import (
    NOT_ON_WATCHLIST,
    FaceModel,
    capture_embeddings,
    cosine_threshold_for_fmr,
    fmr_at_cosine,
    make_watchlist,
    random_unit_rows,
)
from twin.profiles import load_profile


def test_threshold_matches_the_impostor_tail_empirically() -> None:
    dim = 64
    threshold = cosine_threshold_for_fmr(1e-3, dim)
    rng = np.random.default_rng(0)
    a = random_unit_rows(rng, 4000, dim)
    b = random_unit_rows(rng, 500, dim)
    rate = float(np.mean(a @ b.T > threshold))
    assert rate == pytest.approx(1e-3, rel=0.15)
    assert fmr_at_cosine(threshold, dim) == pytest.approx(1e-3)


def test_npl_threshold_is_not_the_vendor_scale() -> None:
    threshold = cosine_threshold_for_fmr(1.67e-8, 512)
    assert 0.2 < threshold < 0.3  # far from NEC's 0.6: about 5.5 sigma of N(0, 0.044)


def test_genuine_scores_give_the_profile_tpir_at_reference_quality() -> None:
    profile = load_profile("npl_2023")
    model = FaceModel.from_profile(profile, dim=512, genuine_score_sd=0.08)
    rng = np.random.default_rng(1)
    gallery = make_watchlist(rng, 200, 512)
    subjects = rng.integers(0, 200, 20_000)
    quality = np.full(subjects.size, profile.reference_quality)
    probes, genuine = capture_embeddings(rng, model, gallery, subjects, quality)
    measured = np.einsum(
        "ij,ij->i", probes.astype(np.float64), gallery[subjects].astype(np.float64)
    )
    np.testing.assert_allclose(measured, genuine, atol=1e-5)
    assert np.mean(genuine >= model.threshold_cosine) == pytest.approx(0.89, abs=0.01)
    assert np.allclose(np.linalg.norm(probes, axis=1), 1.0, atol=1e-5)


def test_worse_captures_match_less() -> None:
    model = FaceModel.from_profile(load_profile("npl_2023"), dim=512, genuine_score_sd=0.08)
    rng = np.random.default_rng(2)
    gallery = make_watchlist(rng, 10, 512)
    subjects = np.zeros(5000, dtype=np.int64)
    _, good = capture_embeddings(rng, model, gallery, subjects, np.full(5000, 0.9))
    _, poor = capture_embeddings(rng, model, gallery, subjects, np.full(5000, 0.3))
    assert np.mean(good >= model.threshold_cosine) > 0.9
    assert np.mean(poor >= model.threshold_cosine) < 0.15


def test_people_not_on_the_watchlist_get_no_genuine_score() -> None:
    model = FaceModel.from_profile(load_profile("npl_2023"), dim=32, genuine_score_sd=0.08)
    rng = np.random.default_rng(3)
    gallery = make_watchlist(rng, 5, 32)
    probes, genuine = capture_embeddings(
        rng, model, gallery, np.full(10, NOT_ON_WATCHLIST, dtype=np.int64), np.ones(10)
    )
    assert probes.shape == (10, 32)
    assert np.all(np.isnan(genuine))
