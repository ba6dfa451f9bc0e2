"""Loading site maps: the shipped maps, routes and passes, and every kind of bad input."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from shapely.geometry import Point

from tests.site_fixtures import (
    SHIPPED_MAPS,
    camera_props,
    feature,
    line,
    point,
    rect,
    tiny_site,
    write,
)
from twin.errors import SiteMapError
from twin.site.cameras import FACE_MIN_PX_PER_M, passes_through
from twin.site.model import Site, build_walk_graph, load_site

KINGS_CROSS = SHIPPED_MAPS / "kings_cross.geojson"
SMALL_PLAZA = SHIPPED_MAPS / "small_plaza.geojson"


@functools.cache
def shipped(name: str) -> Site:
    return load_site(SHIPPED_MAPS / name)


# --- the tiny synthetic map ------------------------------------------------------------------


def test_tiny_site_loads(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, tiny_site()))
    assert site.name == "Tiny"
    assert site.area_ha == pytest.approx(1.0)
    assert [e.entrance_id for e in site.gateways] == ["south", "west"]
    assert [e.entrance_id for e in site.destinations] == ["block-door"]
    assert site.camera("cam-1").heading_deg == 180.0
    assert nx.is_connected(site.walk_graph)
    for _, _, data in site.walk_graph.edges(data=True):
        assert data["length_m"] == pytest.approx(data["geometry"].length)


def test_route_runs_from_origin_to_destination_and_is_cached(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, tiny_site()))
    route = site.route("south", "block-door")
    assert route.line.coords[0] == (50.0, 0.0)
    assert route.line.coords[-1] == (70.0, 55.0)
    assert route.length_m == pytest.approx(50 + 20 + 5)  # north, east, then to the door
    assert route.nodes[0] == site.entrance("south").node
    assert route.nodes[-1] == site.entrance("block-door").node
    assert site.route("south", "block-door") is route
    back = site.route("block-door", "south")
    assert back.length_m == pytest.approx(route.length_m)
    assert back.line.coords[0] == (70.0, 55.0)


def test_route_errors_name_the_entrance(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, tiny_site()))
    with pytest.raises(KeyError, match="nowhere"):
        site.route("south", "nowhere")
    with pytest.raises(ValueError, match="two different"):
        site.route("south", "south")


def test_passes_walking_north_towards_the_camera(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, tiny_site()))
    camera = site.camera("cam-1")
    route = site.route("south", "west")  # north up x = 50 to the crossing, then west
    (found,) = site.passes(route)
    assert found.camera_id == "cam-1"
    assert found.facing_deg < 30.0
    assert found.px_per_m == pytest.approx(camera.px_per_m_at(found.distance_m))
    assert site.passes(route.line) == [found]


def test_walkway_ends_within_a_metre_are_joined() -> None:
    from shapely.geometry import LineString

    graph = build_walk_graph([LineString([(0, 0), (10, 0)]), LineString([(5, 0.6), (5, 10)])])
    assert nx.is_connected(graph)
    assert graph.number_of_nodes() == 4  # the T junction plus three ends


def test_crossing_walkways_are_noded_and_loops_kept_simple() -> None:
    from shapely.geometry import LineString

    ring = LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])
    graph = build_walk_graph([ring, LineString([(5, -5), (5, 15)])])
    assert nx.is_connected(graph)
    assert not any(u == v for u, v in graph.edges)
    total_m = sum(length for _, _, length in graph.edges(data="length_m"))
    assert total_m == pytest.approx(40 + 20)


# --- the shipped maps -------------------------------------------------------------------------


def test_small_plaza_loads() -> None:
    site = shipped("small_plaza.geojson")
    assert site.name == "Small plaza (synthetic)"
    assert 0.8 <= site.area_ha <= 1.5
    assert len(site.gateways) == 4
    assert len(site.destinations) == 3
    assert 6 <= len(site.cameras) <= 8
    assert nx.is_connected(site.walk_graph)
    faced = [
        p
        for g in site.gateways
        for d in site.destinations
        for p in site.passes(site.route(d.entrance_id, g.entrance_id))
        if p.px_per_m >= FACE_MIN_PX_PER_M and p.facing_deg <= 30
    ]
    assert faced, "walkers leaving the plaza should face a camera at face-recognition density"


@pytest.mark.skipif(not KINGS_CROSS.exists(), reason="site_maps/kings_cross.geojson not built")
def test_kings_cross_loads() -> None:
    site = shipped("kings_cross.geojson")
    assert site.area_ha == pytest.approx(27.0, rel=0.10)
    assert len(site.cameras) >= 100
    assert "OpenStreetMap contributors" in site.attribution
    assert "ODbL" in site.attribution
    boulevard = [c for c in site.cameras if "kings_boulevard_2016" in c.tags]
    assert len(boulevard) == 2
    assert all(c.recognition_capable for c in boulevard)
    assert (
        Point(boulevard[0].x_m, boulevard[0].y_m).distance(
            Point(boulevard[1].x_m, boulevard[1].y_m)
        )
        < 10.0
    )
    names = " ".join(e.name for e in site.gateways)
    assert "King's Cross" in names
    assert "St Pancras" in names
    assert nx.is_connected(site.walk_graph)
    assert all(site.boundary.covers(c.position) for c in site.cameras)


@pytest.mark.skipif(not KINGS_CROSS.exists(), reason="site_maps/kings_cross.geojson not built")
def test_kings_cross_cameras_have_realistic_optics() -> None:
    site = shipped("kings_cross.geojson")
    recognition = [c for c in site.cameras if c.recognition_capable]
    assert 0.5 <= len(recognition) / len(site.cameras) <= 0.7
    assert {(c.width_px, c.height_px) for c in site.cameras} == {
        (1920, 1080),
        (2560, 1440),
        (3840, 2160),
    }
    assert all(25.0 <= c.hfov_deg <= 100.0 for c in site.cameras)
    assert all(c.hfov_deg <= 60.0 for c in recognition)
    assert all(3.0 <= c.mount_height_m <= 6.0 for c in site.cameras)
    assert not any(b.contains(c.position) for c in site.cameras for b in site.buildings)


@pytest.mark.skipif(not KINGS_CROSS.exists(), reason="site_maps/kings_cross.geojson not built")
def test_kings_cross_trips_pass_three_recognition_cameras_on_average() -> None:
    """Weighted over gateway-destination trips both ways (weights as the build script's)."""
    site = shipped("kings_cross.geojson")
    g_total = sum(g.weight for g in site.gateways)
    d_total = sum(d.weight for d in site.destinations)
    mean = 0.0
    for g in site.gateways:
        for d in site.destinations:
            share = g.weight / g_total * d.weight / d_total / 2.0
            for route in (
                site.route(g.entrance_id, d.entrance_id),
                site.route(d.entrance_id, g.entrance_id),
            ):
                passes = site.passes(route)
                assert [p.best_m for p in passes] == sorted(p.best_m for p in passes)
                good = [
                    p
                    for p in passes
                    if site.camera(p.camera_id).recognition_capable
                    and p.px_per_m >= 250.0
                    and p.facing_deg <= 60.0
                ]
                mean += share * len(good)
    assert mean >= 3.0


@pytest.mark.parametrize("name", ["small_plaza.geojson", "kings_cross.geojson"])
def test_cached_edge_passes_match_cutting_the_whole_route(name: str) -> None:
    if not (SHIPPED_MAPS / name).exists():
        pytest.skip(f"site_maps/{name} not built")
    site = shipped(name)
    entrances = [e.entrance_id for e in site.entrances][:8]
    for origin in entrances:
        for destination in entrances:
            if origin == destination:
                continue
            route = site.route(origin, destination)
            cached = site.passes(route)
            direct = passes_through(route.line, site.cameras)
            assert [p.camera_id for p in cached] == [p.camera_id for p in direct]
            for a, b in zip(cached, direct, strict=True):
                assert a.enter_m == pytest.approx(b.enter_m, abs=1e-6)
                assert a.exit_m == pytest.approx(b.exit_m, abs=1e-6)
                assert a.best_m == pytest.approx(b.best_m, abs=1e-6)
                assert a.facing_deg == pytest.approx(b.facing_deg, abs=1e-6)


# --- bad input --------------------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], Any]


def _set(index: int, **props: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["features"][index]["properties"].update(props)

    return edit


def _append(*features: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["features"].extend(features)

    return edit


def _geometry(index: int, geometry: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["features"][index]["geometry"] = geometry

    return edit


def _drop(*indices: int) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc["features"] = [f for i, f in enumerate(doc["features"]) if i not in indices]

    return edit


def _top(key: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        if value is None:
            del doc[key]
        else:
            doc[key] = value

    return edit


BOWTIE = {"type": "Polygon", "coordinates": [[[60, 60], [80, 80], [80, 60], [60, 80], [60, 60]]]}

BAD_EDITS: dict[str, tuple[Edit, str]] = {
    "not a FeatureCollection": (_top("type", "Feature"), "FeatureCollection"),
    "features not a list": (_top("features", {}), "features"),
    "no crs": (_top("crs", None), "crs"),
    "crs in degrees": (
        _top("crs", {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}),
        "degrees",
    ),
    "no boundary": (_drop(0), "exactly one 'boundary'"),
    "two boundaries": (
        _append(feature(rect(0, 0, 10, 10), kind="boundary")),
        "exactly one 'boundary'",
    ),
    "self-intersecting building": (
        _geometry(1, BOWTIE),
        r"feature 1 \(building 'block'\): invalid Polygon",
    ),
    "self-intersecting boundary": (
        _geometry(0, {**BOWTIE, "coordinates": [[[0, 0], [100, 100], [100, 0], [0, 100], [0, 0]]]}),
        r"feature 0 \(boundary\): invalid Polygon",
    ),
    "unknown kind": (_set(2, kind="bench"), "feature 2: unknown kind 'bench'"),
    "no kind": (_set(2, kind=None), "feature 2: unknown kind"),
    "wrong geometry type": (
        _geometry(4, line((0, 0), (1, 1))),
        r"feature 4 \(entrance 'south'\).*Point",
    ),
    "malformed coordinates": (
        _geometry(2, {"type": "LineString", "coordinates": [[0, "a"]]}),
        "feature 2",
    ),
    "not a feature": (_append(["nope"]), "feature 8: not a GeoJSON Feature"),
    "bad camera field": (_set(7, hfov_deg=200), "camera 'cam-1': 'hfov_deg' is 200"),
    "camera outside boundary": (_geometry(7, point(150, 50)), "camera 'cam-1'.*outside"),
    "camera inside building": (_geometry(7, point(70, 70)), "camera 'cam-1'.*inside a building"),
    "duplicate id": (
        _set(6, id="south"),
        r"feature 6 \(entrance 'south'\): duplicate id 'south'.*feature 4",
    ),
    "entrance bad role": (
        _set(6, role="exit"),
        "entrance 'block-door': 'role' is 'exit'; allowed: 'gateway' or 'destination'",
    ),
    "entrance bad weight": (
        _set(6, weight=0),
        "entrance 'block-door': 'weight' is 0; allowed: a finite number > 0",
    ),
    "entrance without id": (
        _set(6, id=None),
        r"feature 6 \(entrance\): 'id' is None; allowed: a non-empty string",
    ),
    "entrance far from walkways": (
        _geometry(6, point(90, 90)),
        "entrance 'block-door': no walkway within 30 m",
    ),
    "entrance cannot reach a gateway": (
        _append(
            feature(line((90, 90), (99, 99)), kind="walkway", name="Island"),
            feature(point(99, 99), kind="entrance", id="island", role="gateway", weight=1),
        ),
        "'island'.*cannot reach gateway|cannot reach gateway 'island'",
    ),
    "walkway far outside": (
        _append(feature(line((50, 100), (50, 200)), kind="walkway")),
        r"feature 8 \(walkway\): walkway runs more than 50 m outside",
    ),
    "no destination": (_drop(6), "at least one gateway and one destination"),
    "bad walkway width": (_set(2, width_m=-1), r"feature 2 \(walkway\): 'width_m'"),
}


@pytest.mark.parametrize("case", list(BAD_EDITS))
def test_bad_map_is_refused_naming_the_feature(tmp_path: Path, case: str) -> None:
    edit, expected = BAD_EDITS[case]
    document = tiny_site()
    edit(document)
    path = write(tmp_path, document)
    with pytest.raises(SiteMapError, match=expected) as caught:
        load_site(path)
    assert caught.value.source == str(path)
    assert "\n" not in caught.value.line()


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SiteMapError, match="not found"):
        load_site(tmp_path / "nowhere.geojson")


def test_not_json_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(SiteMapError, match=r"not JSON.*line 1") as caught:
        load_site(path)
    assert caught.value.__cause__ is not None


def test_camera_in_map_is_validated_like_the_profile_says(tmp_path: Path) -> None:
    document = tiny_site()
    document["features"].append(feature(point(40, 40), **camera_props(id="cam-2", width_px=-1)))
    with pytest.raises(SiteMapError, match="camera 'cam-2': 'width_px'"):
        load_site(write(tmp_path, document))


def test_a_map_loaded_again_is_the_same_site_until_its_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, tiny_site())
    first = load_site(path)
    assert load_site(path) is first  # the days and samples of one worker share it
    changed = tiny_site()
    changed["properties"] = {"name": "changed plaza"}
    write(tmp_path, changed)
    again = load_site(path)
    assert again is not first
    assert again.name == "changed plaza"


def test_what_a_site_works_out_is_kept_with_it_but_not_with_other_cameras(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, tiny_site()))
    made: list[int] = []

    def make() -> int:
        made.append(len(made) + 1)
        return made[-1]

    assert site.derived(("thing", 1), make) == 1
    assert site.derived(("thing", 1), make) == 1
    assert site.derived(("thing", 2), make) == 2
    assert site.with_cameras(()).derived(("thing", 1), make) == 3


def test_route_passes_are_worked_out_once_and_cannot_be_changed(tmp_path: Path) -> None:
    from twin.crowd.records import route_passes

    site = load_site(write(tmp_path, tiny_site()))
    route = site.route("south", "west")
    passes = route_passes(site, route)
    assert route_passes(site, site.route("south", "west")) is passes
    assert passes.camera.size > 0
    with pytest.raises(ValueError, match="read-only"):
        passes.best_m[0] = 0.0
