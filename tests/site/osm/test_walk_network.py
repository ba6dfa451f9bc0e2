"""Which OpenStreetMap ways people walk, how wide, and how pedestrian areas join the network."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, Point, box

from twin.site.osm.extract import OsmFeature
from twin.site.osm.walk_network import (
    DEFAULT_WIDTH_M,
    is_walkable,
    network_edges,
    walkways_in,
    width_m,
)


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "footway", "footway": "crossing"}, True),
        ({"highway": "steps", "level": "0"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "footway", "tunnel": "yes"}, False),
        ({"highway": "footway", "tunnel": "building_passage"}, True),
        ({"highway": "footway", "level": "-1"}, False),
        ({"highway": "corridor"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk", "sidewalk": "both"}, True),
        ({"highway": "cycleway", "foot": "no"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "pedestrian", "area": "yes"}, False),
    ],
)
def test_walkable_ways(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable


@pytest.mark.parametrize(
    ("tags", "expected_m"),
    [
        ({"highway": "footway", "width": "4.5"}, 4.5),
        ({"highway": "footway", "width": "2 m"}, 2.0),
        ({"highway": "path", "est_width": "1.5"}, 1.5),
        ({"highway": "pedestrian", "width": "wide"}, DEFAULT_WIDTH_M["pedestrian"]),
        ({"highway": "steps"}, DEFAULT_WIDTH_M["steps"]),
    ],
)
def test_width_from_osm_else_default(tags: dict[str, str], expected_m: float) -> None:
    assert width_m(tags) == expected_m


REGION = box(-100, -100, 200, 200)


def _square(crossed: bool) -> list[OsmFeature]:
    features = [
        OsmFeature("way/1", {"highway": "pedestrian", "area": "yes"}, box(0, 0, 50, 50)),
        OsmFeature("way/2", {"highway": "footway"}, LineString([(-30, 25), (0, 25)])),
    ]
    if crossed:
        features.append(
            OsmFeature("way/3", {"highway": "footway"}, LineString([(0, 25), (50, 25)]))
        )
    return features


def test_pedestrian_area_no_way_crosses_is_walked_along_its_edge() -> None:
    walkways = walkways_in(_square(crossed=False), REGION)
    assert {w.osm_id for w in walkways} == {"way/1", "way/2"}
    edge = next(w for w in walkways if w.osm_id == "way/1")
    assert edge.highway == "pedestrian" and edge.line.length == pytest.approx(200.0)


def test_pedestrian_area_crossed_by_mapped_ways_is_walked_along_them() -> None:
    walkways = walkways_in(_square(crossed=True), REGION)
    assert {w.osm_id for w in walkways} == {"way/2", "way/3"}


def test_network_keeps_the_piece_reaching_the_gateways() -> None:
    features = [
        OsmFeature("way/1", {"highway": "footway"}, LineString([(0, 0), (100, 0)])),
        OsmFeature(
            "way/2", {"highway": "footway", "name": "Island"}, LineString([(0, 50), (30, 50)])
        ),
        OsmFeature(
            "way/3", {"highway": "footway", "name": "Long"}, LineString([(0, 90), (190, 90)])
        ),
    ]
    walkways = walkways_in(features, REGION)
    kept = network_edges(walkways, [Point(50, 1)], join_m=3.0)
    assert {w.osm_id for w in kept} == {"way/1"}
    unanchored = network_edges(walkways, [], join_m=3.0)
    assert {w.osm_id for w in unanchored} == {"way/3"}  # the longest piece
