"""The gallery: a fitted face model, its watchlist, and the real matcher it is enrolled in."""

from __future__ import annotations

import numpy as np

from twin.recognition.gallery import build_gallery
from twin.recognition.profiles import load_profile
from twin.scenario import Scenario


def test_each_watchlist_entry_is_enrolled_under_its_row(plaza_scenario: Scenario) -> None:
    scenario = plaza_scenario
    profile = load_profile(scenario.faces.algorithm)
    groups = np.zeros(50, dtype=np.int64)
    gallery = build_gallery(
        profile,
        scenario,
        groups,
        np.random.default_rng(5),
        backend="flat",
        provenance="test",
    )
    assert gallery.matcher.size == len(gallery.watchlist) == 50
    found = gallery.matcher.search(gallery.watchlist.enrolled, k=1)
    np.testing.assert_array_equal(found.ids[:, 0], np.arange(50))
    again = build_gallery(
        profile, scenario, groups, np.random.default_rng(5), backend="flat", provenance="test"
    )
    np.testing.assert_array_equal(again.watchlist.enrolled, gallery.watchlist.enrolled)
