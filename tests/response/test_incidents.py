"""Merging repeat alerts into incidents, with system-side facts only: identity, camera, time."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.response.incidents import CameraGraphTransit, WalkGraphTransit, merge_alerts


@dataclass(frozen=True)
class FixedTransit:
    """A to B takes 60-180 s; the same camera again within 100 s; anything else is not linked."""

    def bounds_s(self, from_camera: str, to_camera: str) -> tuple[float, float] | None:
        if from_camera == to_camera:
            return 0.0, 100.0
        if {from_camera, to_camera} == {"A", "B"}:
            return 60.0, 180.0
        return None


def merged(ids: list[int], cameras: list[str], times: list[float]):  # type: ignore[no-untyped-def]
    return merge_alerts(
        watchlist_id=np.array(ids, dtype=np.int64),
        camera_id=cameras,
        time_s=np.array(times, dtype=np.float64),
        transit=FixedTransit(),
    )


def test_one_walk_past_two_cameras_is_one_incident() -> None:
    incidents = merged([7, 7], ["A", "B"], [1000.0, 1100.0])
    assert len(incidents) == 1
    assert incidents.alerts.tolist() == [2]
    assert incidents.alert_incident.tolist() == [0, 0]
    assert (incidents.first_s[0], incidents.last_s[0]) == (1000.0, 1100.0)


def test_a_gap_too_long_for_one_walk_opens_a_new_incident() -> None:
    incidents = merged([7, 7], ["A", "B"], [1000.0, 1500.0])
    assert len(incidents) == 2
    assert incidents.impossible_repeats == 0


def test_a_gap_too_short_for_one_person_is_an_impossible_repeat() -> None:
    incidents = merged([7, 7], ["A", "B"], [1000.0, 1010.0])
    assert len(incidents) == 2
    assert incidents.impossible_repeats == 1


def test_different_identities_never_merge_and_unlinked_cameras_do_not_merge() -> None:
    assert len(merged([7, 8], ["A", "B"], [1000.0, 1100.0])) == 2
    assert len(merged([7, 7], ["A", "C"], [1000.0, 1100.0])) == 2


def test_a_chain_of_sightings_stays_one_incident() -> None:
    incidents = merged([3, 3, 3, 3], ["A", "B", "B", "A"], [0.0, 100.0, 150.0, 300.0])
    assert len(incidents) == 1
    assert incidents.alerts.tolist() == [4]


def test_alerts_must_come_in_time_order() -> None:
    with pytest.raises(ValueError, match="sorted"):
        merged([1, 1], ["A", "A"], [10.0, 5.0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from("ABC"), st.floats(0.0, 5000.0)),
        max_size=40,
    )
)
def test_merging_keeps_every_alert_and_one_identity_per_incident(
    alerts: list[tuple[int, str, float]],
) -> None:
    alerts.sort(key=lambda alert: alert[2])
    ids = [a[0] for a in alerts]
    incidents = merged(ids, [a[1] for a in alerts], [a[2] for a in alerts])
    assert int(incidents.alerts.sum()) == len(alerts)
    assert len(incidents) <= len(alerts)
    for row, incident in enumerate(incidents.alert_incident.tolist()):
        assert incidents.watchlist_id[incident] == ids[row]


def test_walk_graph_bounds_follow_distance_and_speeds() -> None:
    transit = WalkGraphTransit(
        distances_m={("A", "B"): 500.0, ("B", "A"): 500.0},
        speed_min_m_s=0.5,
        speed_max_m_s=2.5,
        slack_s=60.0,
    )
    shortest, longest = transit.bounds_s("A", "B")  # type: ignore[misc]
    assert shortest == pytest.approx((500.0 - 80.0) / 2.5)
    assert longest == pytest.approx((500.0 + 80.0) / 0.5 + 60.0)
    assert transit.bounds_s("A", "A") == (0.0, 60.0)
    assert transit.bounds_s("A", "Z") is None


def test_camera_graph_bounds_come_from_observed_transits_with_a_fallback() -> None:
    graph = nx.DiGraph()
    graph.add_edge("A", "B", transit_min_s=40.0, transit_max_s=90.0)
    fallback = WalkGraphTransit({("B", "A"): 100.0}, 0.5, 2.5, 0.0)
    transit = CameraGraphTransit(graph, slack_s=30.0, fallback=fallback)
    assert transit.bounds_s("A", "B") == (40.0, 120.0)
    assert transit.bounds_s("B", "A") == fallback.bounds_s("B", "A")
    assert CameraGraphTransit(graph, slack_s=30.0).bounds_s("B", "A") is None


def test_real_walks_past_several_cameras_merge_into_one_incident_each() -> None:
    """Every simulated walker's own passes, posed as alerts of one identity each, merge into one
    incident per walker under the walk-graph bounds: the bounds admit real walking."""
    from pathlib import Path

    from twin.response.simulation import transit_times
    from twin.run.runner import run_simulation
    from twin.scenario import load_scenario

    root = Path(__file__).resolve().parents[2]
    output = run_simulation(
        load_scenario(
            root / "scenarios" / "small_plaza.toml",
            overrides=[
                "crowd.window_start='08:00'",
                "crowd.window_end='08:20'",
                "pipeline.timing_repeats=2",
            ],
        )
    )
    site, passes = output.deployment.site, output.crowd.passes
    recognition = output.deployment.recognition
    watched = np.flatnonzero(recognition[passes.camera])
    walker = passes.pedestrian[watched]
    several = np.isin(walker, np.flatnonzero(np.bincount(walker) >= 2))
    rows = watched[several]
    rows = rows[np.argsort(passes.best_s[rows], kind="stable")]
    assert rows.size > 50
    ids = [camera.camera_id for camera in site.cameras]
    config = output.scenario.response
    walk_only = WalkGraphTransit.build(
        site.walk_graph,
        [c for c, on in zip(site.cameras, recognition, strict=True) if on],
        speed_min_m_s=config.transit_speed_min_m_s,
        speed_max_m_s=config.transit_speed_max_m_s,
        slack_s=config.merge_slack_s,
    )
    for transit in (walk_only, transit_times(site, config, passes, recognition)):
        incidents = merge_alerts(
            watchlist_id=passes.pedestrian[rows],
            camera_id=[ids[c] for c in passes.camera[rows]],
            time_s=passes.best_s[rows],
            transit=transit,
        )
        assert len(incidents) == np.unique(passes.pedestrian[rows]).size
        assert incidents.impossible_repeats == 0
