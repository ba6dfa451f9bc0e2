"""The gallery: a fitted face model, its watchlisted persons' enrolled faces, and the real matcher."""

from __future__ import annotations

import numpy as np

from twin.recognition.gallery import build_gallery
from twin.recognition.persons import watchlist_ids
from twin.recognition.profiles import load_profile
from twin.scenario import Scenario


def test_each_watchlist_entry_is_enrolled_under_its_row(plaza_scenario: Scenario) -> None:
    scenario = plaza_scenario
    profile = load_profile(scenario.faces.algorithm)
    people = watchlist_ids(50)
    groups = np.zeros(50, dtype=np.int64)

    def build(rng_seed: int, seed: int = 3) -> np.ndarray:
        gallery = build_gallery(
            profile,
            scenario,
            people,
            groups,
            np.random.default_rng(rng_seed),
            seed=seed,
            backend="flat",
            provenance="test",
        )
        assert gallery.matcher.size == len(gallery.watchlist) == 50
        found = gallery.matcher.search(gallery.watchlist.enrolled, k=1)
        np.testing.assert_array_equal(found.ids[:, 0], np.arange(50))
        return gallery.watchlist.enrolled

    first = build(5)
    np.testing.assert_array_equal(build(5), first)  # the same seeds, the same gallery
    assert not np.array_equal(build(5, seed=4), first)  # another run's people have other faces
