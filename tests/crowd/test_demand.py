"""Demand in time: timetable pulses, events, groups, dwell, and bad input refused."""

from __future__ import annotations

import numpy as np
import pytest

from twin.crowd.demand import EVENT_KIND, generate_trips
from twin.errors import ScenarioError
from twin.scenario import CrowdConfig, Scenario
from twin.site.model import load_site


def _crowd(plaza_scenario: Scenario, **changes: object) -> CrowdConfig:
    return CrowdConfig.model_validate({**plaza_scenario.crowd.model_dump(), **changes})


def test_timetabled_gateway_releases_pulses(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    gateway = site.gateways[0].entrance_id
    crowd = _crowd(
        plaza_scenario,
        timetables=[{"gateway": gateway, "headway_s": 300.0, "dispersal_s": 60.0}],
        groups={"share": 0.0},
    )
    trips = generate_trips(site, crowd, np.random.default_rng(1))
    index = [e.entrance_id for e in site.entrances].index(gateway)
    from_gateway = trips.start_s[trips.origin == index]
    assert from_gateway.size > 50
    assert np.all(np.mod(from_gateway, 300.0) <= 60.0 + 1e-6)


def test_passengers_per_train_makes_the_gateway_walkers(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    gateway = site.gateways[0].entrance_id
    index = [e.entrance_id for e in site.entrances].index(gateway)
    flat = [1.0] * 24  # every hour its peak: every train brings the full load
    trips_by_kind = {
        kind: {**values, "hourly_profile": flat}
        for kind, values in plaza_scenario.crowd.model_dump()["trips"].items()
    }
    timetable = {"gateway": gateway, "headway_s": 600.0, "dispersal_s": 60.0}
    base = {
        "groups": {"share": 0.0},
        "trips": trips_by_kind,
        "window_start": "08:00",
        "window_end": "10:00",
        "warm_up_min": 0.0,
    }
    loaded = _crowd(plaza_scenario, **base, timetables=[{**timetable, "passengers_per_train": 40}])
    trips = generate_trips(site, loaded, np.random.default_rng(3))
    from_gateway = trips.start_s[trips.origin == index]
    # Twelve trains in two hours, forty each, leaving within the dispersal time.
    assert from_gateway.size == 12 * 40
    assert np.all(np.mod(from_gateway, 600.0) <= 60.0 + 1e-9)
    heavier = _crowd(plaza_scenario, **base, timetables=[{**timetable, "passengers_per_train": 80}])
    more = generate_trips(site, heavier, np.random.default_rng(3))
    assert (more.origin == index).sum() == 2 * from_gateway.size
    # The other entrances' walkers still come from the footfall.
    assert (trips.origin != index).sum() > 0


def test_event_adds_egress_trips(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    place = site.destinations[0].entrance_id
    crowd = _crowd(
        plaza_scenario,
        events=[{"place": place, "time": "08:00", "people": 500, "duration_min": 10}],
        groups={"share": 0.0},
    )
    trips = generate_trips(site, crowd, np.random.default_rng(1))
    event = trips.kind == EVENT_KIND
    assert event.sum() == 500
    assert trips.start_s[event].min() >= 8 * 3600
    assert trips.start_s[event].max() <= 8 * 3600 + 600


def test_groups_share_route_and_pace(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    trips = generate_trips(site, _crowd(plaza_scenario), np.random.default_rng(2))
    members = np.flatnonzero(trips.group >= 0)
    assert members.size > 0.3 * len(trips)
    leader = trips.group[members]
    assert np.array_equal(trips.origin[members], trips.origin[leader])
    assert np.array_equal(trips.speed_m_s[members], trips.speed_m_s[leader])


def test_an_event_at_no_such_place_is_refused(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    crowd = _crowd(plaza_scenario, events=[{"place": "nowhere", "time": "08:00", "people": 5}])
    with pytest.raises(ScenarioError, match=r"crowd\.events\.0\.place: no destination entrance"):
        generate_trips(site, crowd, np.random.default_rng(1))


@pytest.mark.parametrize(
    "changes",
    [
        {"timetables": [{"gateway": "g", "headway_s": 0.0}]},
        {"timetables": [{"gateway": "g", "headway_s": 60.0, "passengers_per_train": 0}]},
        {"dwell": {"share": 1.5}},
        {"groups": {"share": -0.1}},
        {"capacity": {"stairs_ped_m_s": 0.0}},
    ],
)
def test_bad_crowd_knobs_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CrowdConfig.model_validate(changes)
