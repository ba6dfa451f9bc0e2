"""Camera layers replacing a map's cameras, and what the site derives for crowd density."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.site_fixtures import CRS_27700, camera_props, feature, point, rect, tiny_site, write
from twin.errors import SiteMapError
from twin.scenario import load_scenario
from twin.site.model import load_site
from twin.site.scenario_site import load_scenario_site


def layer(*cameras: dict[str, Any], crs: dict[str, Any] = CRS_27700) -> dict[str, Any]:
    return {"type": "FeatureCollection", "crs": crs, "features": list(cameras)}


def test_a_layer_replaces_the_maps_cameras(tmp_path: Path) -> None:
    map_path = write(tmp_path, tiny_site())
    path = write(
        tmp_path,
        layer(
            feature(point(20, 49), **camera_props(id="east-1", heading_deg=90.0)),
            feature(point(60, 51), **camera_props(id="west-1", heading_deg=270.0)),
        ),
        "layer.geojson",
    )
    site = load_site(map_path, cameras=path)
    assert [c.camera_id for c in site.cameras] == ["east-1", "west-1"]
    route = site.route("west", "south")
    facing = {p.camera_id: p.facing_deg for p in site.passes(route)}
    assert facing["west-1"] < 20.0  # walking east, towards the camera looking west
    assert facing["east-1"] > 160.0  # and away from the one looking east


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            layer(feature(point(70, 70), **camera_props(id="in-block"))),
            "camera 'in-block'.*inside a building",
        ),
        (
            layer(feature(point(20, 49), **camera_props(id="wide", hfov_deg=0))),
            "camera 'wide': 'hfov_deg' is 0",
        ),
        (
            layer(feature(point(20, 49), **camera_props(id="low", mount_height_m=-2))),
            "camera 'low': 'mount_height_m'",
        ),
        (
            layer(feature(point(20, 49), **camera_props(id="pix", width_px=0))),
            "camera 'pix': 'width_px'",
        ),
        (
            layer(feature(point(20, 49), **camera_props(id="compass", heading_deg="north"))),
            "camera 'compass': 'heading_deg' is 'north'",
        ),
        (
            layer(feature(rect(1, 1, 2, 2), kind="building", id="shed")),
            "a camera layer holds only 'camera' features",
        ),
        (
            layer(
                feature(point(20, 49), **camera_props(id="far")),
                crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
            ),
            "EPSG::3857.*site map's CRS",
        ),
        (
            layer(feature(point(500, 49), **camera_props(id="away"))),
            "camera 'away'.*outside the boundary",
        ),
    ],
)
def test_bad_layer_is_refused_naming_the_camera(
    tmp_path: Path, document: dict[str, Any], message: str
) -> None:
    map_path = write(tmp_path, tiny_site())
    path = write(tmp_path, document, "layer.geojson")
    with pytest.raises(SiteMapError, match=message) as caught:
        load_site(map_path, cameras=path)
    assert caught.value.source == str(path)
    assert "\n" not in caught.value.line()


def test_a_scenario_uses_its_camera_layer_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    write(tmp_path / "maps", tiny_site(), "tiny.geojson")
    write(
        tmp_path / "maps",
        layer(feature(point(20, 49), **camera_props(id="planned-1", heading_deg=90.0))),
        "plan.geojson",
    )
    scenario_path = tmp_path / "scenario.toml"
    scenario_path.write_text(
        '[site]\nmap = "maps/tiny.geojson"\ncameras = "maps/plan.geojson"\n', encoding="utf-8"
    )
    site = load_scenario_site(load_scenario(scenario_path))
    assert [c.camera_id for c in site.cameras] == ["planned-1"]
    scenario_path.write_text('[site]\nmap = "maps/tiny.geojson"\n', encoding="utf-8")
    assert [c.camera_id for c in load_scenario_site(load_scenario(scenario_path)).cameras] == [
        "cam-1"
    ]


def test_other_cameras_share_the_routes_already_found(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, tiny_site()))
    route = site.route("south", "west")
    other = site.with_cameras(())
    assert other.route("south", "west") is route
    assert other.passes(route) == []
    assert site.passes(route)  # the original still sees it


def test_walk_surface_is_the_walkways_at_their_widths(tmp_path: Path) -> None:
    document = tiny_site()
    document["features"][2]["properties"]["width_m"] = 4.0  # north-south
    document["features"][3]["properties"]["width_m"] = 2.0  # east-west
    site = load_site(write(tmp_path, document))
    assert site.walkway_widths_m == (4.0, 2.0)
    assert site.walkway_names == ("North-south", "East-west")
    # 100 x 4 + 100 x 2, less the 4 x 2 square counted twice where they cross.
    assert site.walk_surface.area == pytest.approx(400 + 200 - 8)
    camera = site.cameras[0]
    assert site.view_walk_area_m2[0] == pytest.approx(
        camera.view.intersection(site.walk_surface).area
    )
    assert 50.0 < site.view_walk_area_m2[0] < camera.view.area


def test_layer_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    map_path = write(tmp_path, tiny_site())
    broken = tmp_path / "layer.geojson"
    broken.write_text(json.dumps(layer())[:-5], encoding="utf-8")
    with pytest.raises(SiteMapError, match="not JSON"):
        load_site(map_path, cameras=broken)
