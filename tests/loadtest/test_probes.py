"""Probes with ground truth: the run's own watchlist, and mated probes the reference identifies."""

from __future__ import annotations

import numpy as np

from twin.loadtest.probes import replay_pool, sweep_pool
from twin.matcher import Matcher
from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.gallery import Gallery
from twin.run.runner import run_simulation
from twin.scenario import Scenario

pytest_plugins = ["tests.loadtest_fixtures"]


def test_the_gallery_is_the_watchlist_twin_run_enrols(
    lt_scenario: Scenario, lt_gallery: Matcher
) -> None:
    # a run that keeps its probes: the same probes against our gallery give the run's decisions
    short = lt_scenario.model_copy(
        update={
            "crowd": lt_scenario.crowd.model_copy(
                update={"window_start": "08:00", "window_end": "08:20"}
            ),
            "pipeline": lt_scenario.pipeline.model_copy(update={"service_time": "measured"}),
        }
    )
    output = run_simulation(short)
    assert (
        output.decisions.matches.probes is not None and len(output.decisions.matches.top1_id) > 50
    )
    result = lt_gallery.search(output.decisions.matches.probes, k=1)
    np.testing.assert_array_equal(result.ids[:, 0], output.decisions.matches.top1_id)
    np.testing.assert_allclose(result.scores[:, 0], output.decisions.matches.top1_score, rtol=1e-6)


def test_the_sweep_pool_has_its_share_of_checked_mated_probes(
    lt_faces: Gallery, lt_gallery: Matcher
) -> None:
    pool = sweep_pool(lt_faces, size=400, mated_share=0.25, rng=np.random.default_rng(1))
    mated = pool.expected_id != NOT_ON_WATCHLIST
    assert len(pool) == 400 and mated.sum() == 100
    assert pool.checked.sum() >= 90 and not pool.checked[~mated].any()
    top1 = lt_gallery.search(pool.embeddings[pool.checked], k=1).ids[:, 0]
    np.testing.assert_array_equal(top1, pool.expected_id[pool.checked])


def test_replay_probes_follow_each_capture(lt_faces: Gallery, lt_gallery: Matcher) -> None:
    subjects = np.array([NOT_ON_WATCHLIST, 5, NOT_ON_WATCHLIST, 9], dtype=np.int64)
    pool, rows = replay_pool(
        lt_faces,
        subjects=subjects,
        groups=np.zeros(4, dtype=np.int64),
        quality=np.full(4, 0.9),
        frames=2,
        rng=np.random.default_rng(2),
    )
    assert rows.shape == (8,)
    np.testing.assert_array_equal(pool.expected_id[rows], [-1, -1, 5, 5, -1, -1, 9, 9])
