"""Captures come from the walk as it happened: best frames by quality, dwellers seen for longer."""

from __future__ import annotations

import numpy as np

from twin.crowd.demand import generate_trips
from twin.crowd.walking import CrowdResult, simulate_crowd
from twin.recognition.captures import capture_opportunities, recognition_cameras
from twin.scenario import CrowdConfig, Scenario
from twin.site.model import Site, load_site


def _walk(plaza_scenario: Scenario, **changes: object) -> tuple[Site, CrowdResult]:
    site = load_site(plaza_scenario.site_map_path)
    crowd = CrowdConfig.model_validate({**plaza_scenario.crowd.model_dump(), **changes})
    trips = generate_trips(site, crowd, np.random.default_rng(4))
    return site, simulate_crowd(site, trips, crowd)


def test_the_best_frame_is_never_worse_than_the_nearest_point(plaza_scenario: Scenario) -> None:
    site, walked = _walk(plaza_scenario)
    recognition = recognition_cameras(site, plaza_scenario.cameras)
    nearest = capture_opportunities(
        site,
        walked.passes,
        plaza_scenario.cameras,
        np.random.default_rng(1),
        recognition=recognition,
    )
    best = capture_opportunities(
        site,
        walked.passes,
        plaza_scenario.cameras,
        np.random.default_rng(1),
        recognition=recognition,
        samples=walked.samples,
    )
    assert len(best) == len(nearest)
    assert np.all(np.diff(best.passes.best_s) >= 0)  # still in time order
    assert best.searched.sum() >= nearest.searched.sum()
    assert np.all(
        (best.passes.best_s >= best.passes.enter_s) & (best.passes.best_s <= best.passes.exit_s)
    )


def test_dwellers_in_view_give_many_frames(plaza_scenario: Scenario) -> None:
    site, still = _walk(
        plaza_scenario, dwell={"share": 1.0, "median_s": 900.0}, groups={"share": 0.0}
    )
    _, moving = _walk(plaza_scenario, dwell={"share": 0.0}, groups={"share": 0.0})
    config = plaza_scenario.cameras
    recognition = recognition_cameras(site, config)
    frames_still = capture_opportunities(
        site,
        still.passes,
        config,
        np.random.default_rng(1),
        recognition=recognition,
        samples=still.samples,
    )
    frames_moving = capture_opportunities(
        site,
        moving.passes,
        config,
        np.random.default_rng(1),
        recognition=recognition,
        samples=moving.samples,
    )
    assert frames_still.frames_in_view.max() > frames_moving.frames_in_view.max()
    assert np.percentile(frames_still.frames_in_view, 99) > np.percentile(
        frames_moving.frames_in_view, 99
    )
