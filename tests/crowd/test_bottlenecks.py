"""Bottleneck structures (a bridge the map cuts into pieces is one gate) and how walkers start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from twin.crowd.network import bottleneck_structures, build_walkways
from twin.crowd.validation import corridor_trips
from twin.crowd.walking import simulate_crowd
from twin.scenario import CrowdConfig
from twin.site.model import Entrance, Site
from twin.site.walkgraph import attach_point, build_walk_graph

_FOOTWAY: dict[str, str | bool] = {"highway": "footway", "width_mapped": True}
_BRIDGE: dict[str, str | bool] = {"highway": "footway", "bridge": "yes", "width_mapped": True}
_STEPS: dict[str, str | bool] = {"highway": "steps", "width_mapped": True}


def _site(
    pieces: list[tuple[LineString, float, str, dict[str, str | bool]]],
    *,
    start_xy: tuple[float, float] = (0.0, 0.0),
    end_xy: tuple[float, float] = (60.0, 0.0),
) -> Site:
    """A site of walkways (line, width m, name, tags) with a gateway and a destination."""
    walkways = [line for line, _, _, _ in pieces]
    graph = build_walk_graph(walkways)
    entrances = []
    for entrance_id, role, (x_m, y_m) in (
        ("start", "gateway", start_xy),
        ("end", "destination", end_xy),
    ):
        attached = attach_point(graph, Point(x_m, y_m))
        assert attached is not None
        entrances.append(Entrance(entrance_id, entrance_id, role, 1.0, x_m, y_m, attached[0]))  # type: ignore[arg-type]
    return Site(
        name="bridge",
        source=Path("bridge"),
        attribution="",
        crs="local",
        boundary=Polygon([(-10, -20), (70, -20), (70, 20), (-10, 20)]),
        buildings=(),
        open_spaces=(),
        walkways=tuple(walkways),
        walkway_widths_m=tuple(width for _, width, _, _ in pieces),
        walkway_names=tuple(name for _, _, name, _ in pieces),
        walkway_tags=tuple(tags for _, _, _, tags in pieces),
        walk_graph=graph,
        entrances=tuple(entrances),
        cameras=(),
    )


def _canal_bridge(*, second_name: str = "Canal Bridge") -> Site:
    """A footway, a bridge in three pieces (the middle one 2 m wide, a path joining between the
    first two), and a footway on."""
    return _site(
        [
            (LineString([(0, 0), (20, 0)]), 3.0, "", _FOOTWAY),
            (LineString([(20, 0), (23, 0)]), 3.0, "Canal Bridge", _BRIDGE),
            (LineString([(23, 0), (30, 0)]), 2.0, second_name, _BRIDGE),
            (LineString([(30, 0), (33, 0)]), 3.0, "Canal Bridge", _BRIDGE),
            (LineString([(33, 0), (60, 0)]), 3.0, "", _FOOTWAY),
            (LineString([(23, 0), (23, 15)]), 3.0, "", _FOOTWAY),
        ]
    )


def _config() -> CrowdConfig:
    return CrowdConfig.model_validate({"routes": {"k": 1}})


def test_a_bridge_in_pieces_is_one_bottleneck_at_its_narrowest_capacity() -> None:
    site = _canal_bridge()
    config = _config()
    walkways = build_walkways(site, config)
    structures = bottleneck_structures(site, walkways)
    assert len(structures) == 1
    (edges,) = structures.edges
    assert sorted(walkways.kind[e] for e in edges) == ["bridge"] * 3
    # Weidmann's 1.22 ped/(m s) over the 2 m piece.
    assert structures.capacity_ped_s[0] == pytest.approx(config.capacity.walkway_ped_m_s * 2.0)
    assert (structures.edge_structure >= 0).sum() == 3


def test_bridges_of_different_names_are_different_bottlenecks() -> None:
    site = _canal_bridge(second_name="Other Bridge")
    structures = bottleneck_structures(site, build_walkways(site, _config()))
    # The middle piece is another bridge: the first and last pieces meet it, not each other.
    assert len(structures) == 3


def test_steps_onto_a_bridge_are_two_bottlenecks() -> None:
    site = _site(
        [
            (LineString([(0, 0), (20, 0)]), 3.0, "", _FOOTWAY),
            (LineString([(20, 0), (25, 0)]), 3.0, "Canal Bridge", _STEPS),
            (LineString([(25, 0), (35, 0)]), 3.0, "Canal Bridge", _BRIDGE),
            (LineString([(35, 0), (60, 0)]), 3.0, "", _FOOTWAY),
        ]
    )
    assert len(bottleneck_structures(site, build_walkways(site, _config()))) == 2


def test_a_walker_crossing_a_bridge_in_pieces_passes_its_gate_once() -> None:
    site = _canal_bridge()
    n = 40
    start = np.arange(n) * 0.1  # ten walkers a second, four times the bridge's 2.44 ped/s
    walked = simulate_crowd(site, corridor_trips(start, np.full(n, 1.34)), _config())
    assert len(walked.bottleneck_names) == 1
    assert walked.bottleneck_names[0].startswith("bridge: Canal Bridge (edges ")
    assert len(walked.queues) == n  # one passage each, not one per piece
    # A queue forms, and walkers are let through one headway of the narrowest piece apart.
    through_s = np.sort(walked.queues.joined_s + walked.queues.wait_s)
    headway_s = 1.0 / (_config().capacity.walkway_ped_m_s * 2.0)
    assert walked.queues.ahead.max() > 5
    assert np.diff(through_s).min() == pytest.approx(headway_s)
    # The gate is shown halfway along the bridge.
    assert walked.bottleneck_xy_m[0] == pytest.approx([26.5, 0.0])


def test_a_walker_starts_at_its_departure_and_reaches_the_walk_graph_after_its_lead() -> None:
    # The gateway stands 6 m off the corridor: the walk to it is free (no cells, no gate).
    site = _site(
        [(LineString([(0, 0), (60, 0)]), 3.0, "", _FOOTWAY)],
        start_xy=(0.0, 6.0),
    )
    # The first walker leaves first but slowly: the second reaches the corridor before it.
    start = np.array([0.0, 1.0])
    speed = np.array([0.6, 2.0])
    walked = simulate_crowd(site, corridor_trips(start, speed), _config())
    visits = walked.visits
    for who in range(2):
        rows = np.flatnonzero(visits.pedestrian == who)
        assert visits.enter_s[rows[0]] == pytest.approx(start[who])
        assert visits.exit_s[rows[0]] == pytest.approx(start[who] + 6.0 / speed[who])
        assert visits.enter_s[rows[1]] == pytest.approx(visits.exit_s[rows[0]])
        length_m = walked.route_length_m[who]
        assert walked.arrive_s[who] == pytest.approx(start[who] + length_m / speed[who])
    assert walked.arrive_s[1] < walked.arrive_s[0]
