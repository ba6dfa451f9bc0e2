"""Camera optics, views with building shadows, and passes along routes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from tests.site_fixtures import camera_props
from twin.errors import SiteMapError
from twin.site.cameras import (
    DORI_PX_PER_M,
    FACE_HEIGHT_M,
    FACE_MIN_PX_PER_M,
    Camera,
    camera_from_properties,
    dori_grade,
)

SOURCE = "test.geojson"


def make_camera(
    buildings: tuple[Polygon, ...] = (), xy: tuple[float, float] = (0.0, 0.0), **props: Any
) -> Camera:
    return camera_from_properties(camera_props(**props), xy, buildings, source=SOURCE)


def test_1080p_at_30_degrees_reaches_500_px_per_m_at_about_7_m() -> None:
    """facts.md: 1080p at 30 degrees reaches 500 px/m at about 7 m (face at lens height)."""
    camera = make_camera(mount_height_m=FACE_HEIGHT_M + 1e-9)
    assert camera.px_per_m_at(7.0) == pytest.approx(500.0, rel=0.04)
    assert camera.distance_for_px_per_m(FACE_MIN_PX_PER_M) == pytest.approx(7.0, rel=0.04)


def test_px_per_m_uses_slant_range_and_accepts_arrays() -> None:
    camera = make_camera(mount_height_m=4.0)
    slant_m = math.hypot(7.0, 4.0 - FACE_HEIGHT_M)
    expected = 1920 / (2 * slant_m * math.tan(math.radians(15)))
    assert camera.px_per_m_at(7.0) == pytest.approx(expected)
    densities = camera.px_per_m_at(np.array([5.0, 7.0, 20.0]))
    assert isinstance(densities, np.ndarray)
    assert densities[1] == pytest.approx(expected)
    assert np.all(np.diff(densities) < 0)


@pytest.mark.parametrize(
    ("px_per_m", "grade"),
    [
        (1200.0, "identify_face_recommended"),
        (500.0, "face_min"),
        (300.0, "identify"),
        (DORI_PX_PER_M["recognise"], "recognise"),
        (70.0, "observe"),
        (25.0, "detect"),
        (10.0, "none"),
    ],
)
def test_dori_grade(px_per_m: float, grade: str) -> None:
    assert dori_grade(px_per_m) == grade


def test_view_is_the_sector_out_to_range_without_buildings() -> None:
    camera = make_camera(hfov_deg=60.0, range_m=40.0, tilt_deg=0.0)
    expected_m2 = math.pi * 40.0**2 * 60.0 / 360.0
    assert camera.view.area == pytest.approx(expected_m2, rel=0.01)
    assert camera.view.contains(Point(0, 30))
    assert not camera.view.contains(Point(0, -5))  # behind the camera
    assert not camera.view.contains(Point(30, 10))  # outside the field of view


def test_building_hides_what_lies_behind_it() -> None:
    wall = box(-3, 10, 3, 14)
    camera = make_camera((wall,), hfov_deg=60.0, range_m=40.0, tilt_deg=0.0)
    assert camera.view.contains(Point(0, 8))  # in front of the wall
    assert not camera.view.intersects(Point(0, 12))  # the wall itself
    assert not camera.view.intersects(Point(0, 30))  # in its shadow, far beyond the footprint
    assert camera.view.contains(Point(12, 30))  # beside the shadow
    walkway_behind = LineString([(-2, 25), (2, 25)])
    assert not camera.view.intersects(walkway_behind)
    assert camera.passes(walkway_behind) == []


def test_tilt_sets_the_reach_and_the_near_blind_zone() -> None:
    level = make_camera(tilt_deg=0.0, range_m=40.0)
    steep = make_camera(tilt_deg=30.0, range_m=40.0)
    assert level.reach_m == 40.0
    assert steep.reach_m < 10.0
    assert 0.0 < steep.near_m < level.near_m
    assert steep.view.area < level.view.area


def test_pass_walking_straight_at_the_camera() -> None:
    camera = make_camera(range_m=30.0, tilt_deg=10.0)
    route = LineString([(0.2, 40.0), (0.2, 0.5)])  # walking south, towards the lens
    (found,) = camera.passes(route)
    assert found.camera_id == "cam-1"
    assert found.enter_m == pytest.approx(10.0, abs=0.1)  # where the route crosses range_m
    assert found.exit_m > 39.0  # leaves the sector just in front of the lens
    assert found.distance_m == pytest.approx(camera.near_m, rel=0.01)
    assert found.best_m == pytest.approx(40.0 - camera.near_m, abs=0.1)
    assert found.px_per_m == pytest.approx(camera.px_per_m_at(found.distance_m))
    assert found.facing_deg < 5.0


def test_pass_walking_directly_away() -> None:
    camera = make_camera(range_m=30.0, tilt_deg=10.0)
    route = LineString([(0.2, 0.5), (0.2, 40.0)])
    (found,) = camera.passes(route)
    assert found.facing_deg > 175.0
    assert found.distance_m == pytest.approx(camera.near_m, rel=0.01)


def test_pass_crossing_the_view_is_best_at_closest_approach() -> None:
    camera = make_camera(hfov_deg=90.0, range_m=30.0, tilt_deg=10.0)
    route = LineString([(-20.0, 15.0), (20.0, 15.0)])  # walking east, 15 m ahead of the camera
    (found,) = camera.passes(route)
    assert found.enter_m == pytest.approx(5.0, abs=0.1)  # the 45-degree edge at x = -15
    assert found.exit_m == pytest.approx(35.0, abs=0.1)
    assert found.best_m == pytest.approx(20.0, abs=0.1)
    assert found.distance_m == pytest.approx(15.0, abs=0.01)
    assert found.facing_deg == pytest.approx(90.0, abs=1.0)


def test_route_leaving_and_reentering_the_view_makes_two_passes() -> None:
    post = box(-1, 14, 1, 16)
    camera = make_camera((post,), hfov_deg=90.0, range_m=30.0, tilt_deg=0.0)
    route = LineString([(-20.0, 25.0), (20.0, 25.0)])  # crosses the post's shadow
    found = camera.passes(route)
    assert len(found) == 2
    assert found[0].exit_m < found[1].enter_m


def test_route_outside_the_view_has_no_pass() -> None:
    camera = make_camera()
    assert camera.passes(LineString([(-50, -10), (50, -10)])) == []


@settings(max_examples=60, deadline=None)
@given(
    xs=st.lists(st.floats(-40, 40), min_size=2, max_size=6),
    ys=st.lists(st.floats(-40, 40), min_size=2, max_size=6),
    heading_deg=st.floats(0, 360),
)
def test_pass_invariants(xs: list[float], ys: list[float], heading_deg: float) -> None:
    n = min(len(xs), len(ys))
    route = LineString(list(zip(xs[:n], ys[:n], strict=True)))
    if route.length < 1.0:
        return
    # A route that crosses or touches itself passes a point twice, and where along it a point lies
    # is then ambiguous: passes are located on routes that do not (walk-graph paths).
    assume(route.is_simple)
    camera = make_camera((box(5, 5, 9, 9),), hfov_deg=70.0, heading_deg=heading_deg, xy=(1, 1))
    for found in camera.passes(route):
        assert 0.0 <= found.enter_m <= found.best_m + 1e-6
        assert found.best_m <= found.exit_m + 1e-6 <= route.length + 1e-3
        assert 0.0 <= found.facing_deg <= 180.0
        assert found.distance_m >= camera.near_m - 1e-3
        assert found.px_per_m == pytest.approx(camera.px_per_m_at(found.distance_m))


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"hfov_deg": 0}, "hfov_deg"),
        ({"hfov_deg": 180}, "hfov_deg"),
        ({"hfov_deg": "wide"}, "hfov_deg"),
        ({"heading_deg": None}, "heading_deg"),
        ({"heading_deg": float("nan")}, "heading_deg"),
        ({"heading_deg": True}, "heading_deg"),
        ({"width_px": 0}, "width_px"),
        ({"height_px": 1080.5}, "height_px"),
        ({"mount_height_m": 0}, "mount_height_m"),
        ({"mount_height_m": 31}, "mount_height_m"),
        ({"tilt_deg": 90}, "tilt_deg"),
        ({"tilt_deg": -1}, "tilt_deg"),
        ({"fps": 0}, "fps"),
        ({"range_m": -5}, "range_m"),
        ({"recognition_capable": "yes"}, "recognition_capable"),
        ({"tags": "kings_boulevard_2016"}, "tags"),
        ({"name": 7}, "name"),
    ],
)
def test_bad_camera_field_names_camera_and_field(override: dict[str, Any], named: str) -> None:
    props = camera_props(id="cam-bad", **override)
    with pytest.raises(SiteMapError) as caught:
        camera_from_properties(props, (0.0, 0.0), (), source=SOURCE)
    message = str(caught.value)
    assert SOURCE in message
    assert "cam-bad" in message
    assert named in message
    assert "allowed" in message


def test_camera_without_id_is_named_by_feature_index() -> None:
    props = camera_props()
    del props["id"]
    with pytest.raises(SiteMapError, match="feature 4"):
        camera_from_properties(props, (0.0, 0.0), (), source=SOURCE, index=4)


def test_camera_inside_a_building_is_refused() -> None:
    with pytest.raises(SiteMapError, match=r"cam-1.*inside a building"):
        make_camera((box(-5, -5, 5, 5),))
