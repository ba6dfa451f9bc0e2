"""Cameras where OpenStreetMap maps them: ``man_made=surveillance`` nodes turned into camera features.

A node counts when it is a camera (``surveillance:type`` absent or ``camera``), not indoors
(``surveillance=indoor``), inside the boundary and outside every building. Its heading is
``camera:direction`` (degrees, or a compass point such as ``NE``), else the bearing to the nearest
walkway (*assumption*: a camera looks at the ground people walk). Its mount height is its
``height`` tag where mapped. Everything else OpenStreetMap does not record, so the lens and sensor
are *assumptions* by ``camera:type``: a fixed camera 1080p, 60 degrees; a dome or panning camera
1080p, 90 degrees; mounted 4 m up (5 m on a pole); none recognition-capable (OpenStreetMap does not
say which run face recognition). Each is tagged ``osm_surveillance``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from twin.site.osm.extract import OsmFeature

__all__ = ["CAMERA_TAG", "surveillance_cameras"]

CAMERA_TAG: Final = "osm_surveillance"
_COMPASS: Final[Mapping[str, float]] = {
    name: index * 22.5
    for index, name in enumerate(
        "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split()  # noqa: SIM905
    )
}
#: *Assumption*: (horizontal field of view, degrees) by ``camera:type``.
_HFOV_DEG: Final[Mapping[str, float]] = {"fixed": 60.0, "dome": 90.0, "panning": 90.0}
_DEFAULT_HFOV_DEG: Final = 60.0
#: *Assumption*: mount height, m, on a wall (or unknown) and on a pole.
_MOUNT_HEIGHT_M: Final = 4.0
_POLE_HEIGHT_M: Final = 5.0


def _direction_deg(text: str | None) -> float | None:
    if text is None:
        return None
    first = text.split(";")[0].split("-")[0].strip()
    if re.fullmatch(r"\d+(\.\d+)?", first):
        return float(first) % 360.0
    return _COMPASS.get(first.upper())


def _height_m(text: str | None, mount: str | None) -> float:
    if text is not None:
        match = re.fullmatch(r"(\d+(\.\d+)?)\s*m?", text.strip())
        if match and 0.0 < float(match.group(1)) <= 30.0:
            return float(match.group(1))
    return _POLE_HEIGHT_M if mount == "pole" else _MOUNT_HEIGHT_M


def _bearing_deg(start: Point, end: Point) -> float:
    return math.degrees(math.atan2(end.x - start.x, end.y - start.y)) % 360.0


def surveillance_cameras(
    features: Sequence[OsmFeature],
    boundary: Polygon,
    buildings: Sequence[Polygon],
    walk_lines: BaseGeometry,
) -> list[dict[str, Any]]:
    """Camera features (site-map profile properties, projected metres) for mapped cameras."""
    blocked = shapely.union_all(list(buildings)) if buildings else Polygon()
    cameras = []
    for feature in features:
        tags, point = feature.tags, feature.geometry
        if tags.get("man_made") != "surveillance" or not isinstance(point, Point):
            continue
        if tags.get("surveillance:type", "camera") != "camera":
            continue
        if tags.get("surveillance") == "indoor" or not boundary.contains(point):
            continue
        if blocked.contains(point):
            continue
        heading = _direction_deg(tags.get("camera:direction") or tags.get("direction"))
        if heading is None:
            heading = (
                0.0
                if walk_lines.is_empty
                else _bearing_deg(point, *nearest_points(walk_lines, point)[:1])
            )
        kind = tags.get("camera:type", "fixed")
        node = feature.osm_id.rsplit("/", 1)[-1]
        cameras.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "camera",
                    "id": f"osm-cam-{node}",
                    "name": tags.get("name", f"OSM camera {node} ({kind})"),
                    "heading_deg": round(heading, 1),
                    "hfov_deg": _HFOV_DEG.get(kind, _DEFAULT_HFOV_DEG),
                    "width_px": 1920,
                    "height_px": 1080,
                    "mount_height_m": _height_m(tags.get("height"), tags.get("camera:mount")),
                    "tilt_deg": 10.0,
                    "fps": 25,
                    "range_m": 40.0,
                    "recognition_capable": False,
                    "tags": [CAMERA_TAG],
                    "osm_id": feature.osm_id,
                    "source": "OpenStreetMap man_made=surveillance; optics assumed",
                },
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
            }
        )
    return cameras
