"""Matching the day's tracks: probes and decisions do not depend on how many threads make them."""

from __future__ import annotations

import numpy as np

from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.gallery import build_gallery
from twin.recognition.matching import MatchResult, match_tracks
from twin.recognition.persons import watchlist_ids
from twin.recognition.profiles import load_profile
from twin.scenario import Scenario


def test_probes_and_decisions_do_not_depend_on_the_number_of_threads(
    plaza_scenario: Scenario,
) -> None:
    scenario = plaza_scenario.model_copy(
        update={"matcher": plaza_scenario.matcher.model_copy(update={"search_chunk": 700})}
    )
    gallery = build_gallery(
        load_profile(scenario.faces.algorithm),
        scenario,
        watchlist_ids(40),
        np.zeros(40, dtype=np.int64),
        np.random.default_rng(1),
        seed=3,
        backend="flat",
        provenance="test",
    )
    rng = np.random.default_rng(2)
    n = 1500  # chunks of 700 searches: the first two make their probes in two noise pieces each
    subjects = np.where(rng.random(n) < 0.05, rng.integers(0, 40, n), NOT_ON_WATCHLIST)
    quality = rng.uniform(0.3, 1.0, n)
    people = np.where(
        subjects >= 0, watchlist_ids(40)[np.maximum(subjects, 0)], rng.integers(0, 300, n)
    )

    def run(threads: int) -> MatchResult:
        return match_tracks(
            scenario,
            gallery.model,
            gallery.matcher,
            gallery.watchlist,
            gallery.faces,
            people=people,
            subjects=subjects,
            groups=np.zeros(n, dtype=np.int64),
            quality=quality,
            rng=np.random.default_rng(7),
            on_faces_done=lambda: None,
            on_matching_done=lambda: None,
            on_progress=lambda _: None,
            keep_probes=True,
            threads=threads,
        )

    one = run(1)
    assert one.probes is not None and one.probes.shape == (n, gallery.model.dim)
    assert np.isfinite(one.mate_score[subjects >= 0]).all()
    assert np.isnan(one.mate_score[subjects < 0]).all()
    for threads in (2, 3):
        other = run(threads)
        assert other.probes is not None
        assert np.array_equal(other.probes, one.probes)
        assert np.array_equal(other.top1_id, one.top1_id)
        assert np.array_equal(other.top1_score, one.top1_score)
        assert np.array_equal(other.mate_score, one.mate_score, equal_nan=True)
