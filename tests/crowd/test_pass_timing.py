"""Camera passes are timed by the walk as it happened, from a catalogue worked out once per route."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import twin.crowd.pass_timing as pass_timing
import twin.crowd.walking as walking
from twin.cores import Beside, beside, usable_cores
from twin.crowd.demand import generate_trips
from twin.crowd.elements import route_elements
from twin.crowd.pass_timing import TimedColumns, pass_catalogue
from twin.crowd.records import Passes, PassSamples, routes_passes
from twin.crowd.walking import simulate_crowd
from twin.scenario import CrowdConfig, Scenario
from twin.site.model import load_site


def test_passes_are_timed_where_and_when_each_walker_was(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    crowd = CrowdConfig.model_validate(
        {
            **plaza_scenario.crowd.model_dump(),
            "daily_pedestrians": 400,
            "dwell": {"share": 0.0},
            "groups": {"share": 0.0},
        }
    )
    trips = generate_trips(site, crowd, np.random.default_rng(3))
    walked = simulate_crowd(site, trips, crowd)
    passes = walked.passes
    assert len(passes) > 50
    assert np.all(np.diff(passes.best_s) >= 0)  # in time order
    assert np.all((passes.enter_s <= passes.best_s) & (passes.best_s <= passes.exit_s))
    inside = walked.samples.time_s
    assert np.all((inside >= passes.enter_s[:, None] - 1e-9) & (inside <= passes.exit_s[:, None]))
    assert np.array_equal(inside[:, 0], passes.best_s)  # the first sample is the best moment

    # A walker never slowed reached each pass's best point its distance along at its own speed.
    free = np.isclose(
        walked.arrive_s - trips.start_s, walked.route_length_m / trips.speed_m_s, rtol=1e-12
    )
    assert free.sum() > 50
    catalogue = routes_passes(site, list(walked.routes))
    for row in np.flatnonzero(free[passes.pedestrian])[:200].tolist():
        who = int(passes.pedestrian[row])
        along = catalogue[int(walked.route[who])]
        at = np.flatnonzero(along.camera == passes.camera[row])
        expected = trips.start_s[who] + along.best_m[at] / trips.speed_m_s[who]
        assert np.isclose(expected, passes.best_s[row], rtol=0, atol=1e-6).any()


def test_timing_in_threads_gives_the_same_columns(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    crowd = CrowdConfig.model_validate(
        {**plaza_scenario.crowd.model_dump(), "daily_pedestrians": 3000}
    )
    trips = generate_trips(site, crowd, np.random.default_rng(5))
    walked = simulate_crowd(site, trips, crowd)
    visits = walked.visits
    offsets = np.concatenate([[0], np.cumsum(np.bincount(visits.pedestrian, minlength=len(trips)))])
    # Every route's elements again (cells and their lengths do not depend on bottlenecks).
    edge_bottleneck = np.full(len(walked.walkways), -1, dtype=np.int64)
    elements = [
        route_elements(site, walked.walkways, r, edge_bottleneck, -1, crowd.capacity.stretch_m)
        for r in walked.routes
    ]
    catalogue = pass_catalogue(
        site, list(walked.routes), elements, walked.walkways, np.unique(walked.route)
    )
    arguments = (walked.route, offsets, visits.enter_s, visits.exit_s, trips.dwell_s)
    keywords = {"lateral_u": trips.lateral_u, "group_rank": trips.group_rank}
    one = catalogue.timed(*arguments, **keywords, threads=1)
    rows = pass_timing._SLICE_ROWS
    try:
        pass_timing._SLICE_ROWS = 97  # many slices, so that threads share them
        many = catalogue.timed(*arguments, **keywords, threads=2)
    finally:
        pass_timing._SLICE_ROWS = rows
    for table_one, table_many in zip(one, many, strict=True):
        for name in table_one.__slots__:
            assert np.array_equal(getattr(table_one, name), getattr(table_many, name)), name
    assert np.array_equal(one[0].best_s, walked.passes.best_s)

    # Into room made beforehand (more rows than needed: the first ones are used), the same columns.
    room = TimedColumns.allocate(len(one[0]) + 10, touched=True)
    into_room = catalogue.timed(*arguments, **keywords, room=room)
    assert np.shares_memory(into_room[1].time_s, room.sample_time_s)
    assert np.shares_memory(into_room[0].camera, room.camera)
    small = TimedColumns.allocate(len(one[0]) - 1)  # too small: new arrays instead
    beside_small = catalogue.timed(*arguments, **keywords, room=small)
    assert not np.shares_memory(beside_small[0].enter_s, small.enter_s)
    for timed in (into_room, beside_small):
        for table_one, table in zip(one, timed, strict=True):
            for name in table_one.__slots__:
                assert np.array_equal(getattr(table_one, name), getattr(table, name)), name


def test_passes_worked_out_beside_the_walk_are_those_worked_out_after_it(
    plaza_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    crowd = CrowdConfig.model_validate(
        {**plaza_scenario.crowd.model_dump(), "daily_pedestrians": 1500}
    )
    forks: list[bool] = []

    def spied(*args: Any, **kwargs: Any) -> Beside[Any]:
        started = beside(*args, **kwargs)
        forks.append(started.forked)
        return started

    monkeypatch.setattr(walking, "beside", spied)
    results = []
    for min_routes in (1, 10**9):  # in a child process during the walk; here, after it
        monkeypatch.setattr(walking, "PASSES_BESIDE_MIN_ROUTES", min_routes)
        loaded = load_site(plaza_scenario.site_map_path)
        site = loaded.with_cameras(loaded.cameras)  # a site that knows no passes yet
        trips = generate_trips(site, crowd, np.random.default_rng(11))
        results.append(simulate_crowd(site, trips, crowd))
        kept = routes_passes(site, list(results[-1].routes[:1]))[0]
        assert not kept.best_m.flags.writeable  # kept with the site for later runs: read-only
    assert forks == [usable_cores() > 1, False]
    beside_walk, after_walk = results
    assert len(beside_walk.passes) > 100
    for name in Passes.__slots__:
        assert np.array_equal(getattr(beside_walk.passes, name), getattr(after_walk.passes, name))
    for name in PassSamples.__slots__:
        assert np.array_equal(getattr(beside_walk.samples, name), getattr(after_walk.samples, name))
