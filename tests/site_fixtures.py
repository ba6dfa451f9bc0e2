"""Tiny synthetic site maps for the site and camera tests: built as dicts, written to a tmp dir."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SHIPPED_MAPS = Path(__file__).resolve().parent.parent / "site_maps"

CRS_27700: dict[str, Any] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}


def rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    """A rectangle as a GeoJSON Polygon geometry."""
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    """A GeoJSON Feature."""
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [x, y]}


def line(*xy: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(p) for p in xy]}


def camera_props(**overrides: Any) -> dict[str, Any]:
    """Valid camera properties (1080p, 30 degrees, 4 m up, looking north), with overrides."""
    props: dict[str, Any] = {
        "kind": "camera",
        "id": "cam-1",
        "heading_deg": 0.0,
        "hfov_deg": 30.0,
        "width_px": 1920,
        "height_px": 1080,
        "mount_height_m": 4.0,
        "tilt_deg": 10.0,
        "recognition_capable": True,
    }
    props.update(overrides)
    return props


_TINY: dict[str, Any] = {
    "type": "FeatureCollection",
    "crs": CRS_27700,
    "properties": {"name": "Tiny", "attribution": "synthetic"},
    "features": [
        feature(rect(0, 0, 100, 100), kind="boundary", name="Tiny"),
        feature(rect(60, 60, 80, 80), kind="building", id="block", name="Block"),
        feature(line((50, 0), (50, 100)), kind="walkway", name="North-south"),
        feature(line((0, 50), (100, 50)), kind="walkway", name="East-west"),
        feature(point(50, 0), kind="entrance", id="south", role="gateway", weight=2.0),
        feature(point(0, 50), kind="entrance", id="west", role="gateway", weight=1.0),
        feature(point(70, 55), kind="entrance", id="block-door", role="destination", weight=1.0),
        feature(point(51, 70), **camera_props(heading_deg=180.0)),
    ],
}


def tiny_site() -> dict[str, Any]:
    """A fresh copy of a valid 1-ha site: a cross of walkways, one block, three entrances, one
    camera looking south down the north-south walkway. Features by index: 0 boundary, 1 building,
    2-3 walkways, 4-6 entrances, 7 camera."""
    return copy.deepcopy(_TINY)


_HAIRPIN: dict[str, Any] = {
    "type": "FeatureCollection",
    "crs": CRS_27700,
    "properties": {"name": "Hairpin", "attribution": "synthetic"},
    "features": [
        feature(rect(0, 0, 120, 120), kind="boundary", name="Hairpin"),
        feature(line((10, 40), (100, 40), (100, 70), (10, 70)), kind="walkway", name="Hairpin"),
        feature(line((10, 40), (10, 10)), kind="walkway", name="Spur"),
        feature(point(12, 37), kind="entrance", id="start", role="gateway", weight=1.0),
        feature(point(12, 73), kind="entrance", id="end", role="destination", weight=1.0),
        feature(point(103, 50), kind="entrance", id="east", role="destination", weight=1.0),
        feature(point(103, 62), kind="entrance", id="east-2", role="gateway", weight=1.0),
        feature(point(10, 10), kind="entrance", id="spur", role="gateway", weight=1.0),
        feature(point(50, 20), **camera_props(id="south-b", range_m=80.0)),
        feature(point(50, 20), **camera_props(id="south-a", range_m=80.0)),
        feature(point(60, 95), **camera_props(id="north", heading_deg=200.0, range_m=80.0)),
    ],
}


def hairpin_site() -> dict[str, Any]:
    """A fresh copy of a site whose walkway runs east, north and back west (y = 40, x = 100,
    y = 70), with a spur south: a route along it crosses a view twice. Two cameras stand on one
    spot looking north (``south-b`` listed before ``south-a``), one looks back from the north;
    entrances ``east`` and ``east-2`` are on the stretch no camera sees."""
    return copy.deepcopy(_HAIRPIN)


def write(tmp_path: Path, document: Any, name: str = "site.geojson") -> Path:
    """Write ``document`` as JSON into ``tmp_path`` and return the file's path."""
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
