"""Buildings, open spaces and water from OpenStreetMap, clipped to the site's boundary (metres).

Buildings: every ``building=*`` area at ground level (not ``roof``, canopies or ``building=no``,
nor one raised or sunk by a non-zero ``layer`` or ``location=underground``), clipped to the
boundary; they block walking and line of sight. Open spaces: parks, gardens, nature reserves,
playgrounds, pitches, commons and grass (``use`` ``park`` or ``playground``), pedestrian areas and
squares (``square``), and water (``natural=water``, riverbanks and canal basins: ``water``),
clipped to the boundary; they are drawn, and walked along their walkways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from twin.site.osm.extract import OsmFeature

__all__ = ["Area", "buildings_in", "open_spaces_in", "polygons_of"]

#: OSM (key, value) drawn as an open space, with the profile's ``use``.
OPEN_SPACE_USE: Final[Mapping[tuple[str, str], str]] = {
    ("leisure", "park"): "park",
    ("leisure", "garden"): "park",
    ("leisure", "nature_reserve"): "park",
    ("leisure", "common"): "park",
    ("leisure", "pitch"): "park",
    ("landuse", "grass"): "park",
    ("landuse", "recreation_ground"): "park",
    ("leisure", "playground"): "playground",
    ("highway", "pedestrian"): "square",
    ("area:highway", "pedestrian"): "square",
    ("place", "square"): "square",
    ("natural", "water"): "water",
    ("waterway", "riverbank"): "water",
    ("waterway", "dock"): "water",
    ("landuse", "basin"): "water",
}
_NOT_BUILDINGS: Final = ("no", "roof", "canopy", "carport", "ruins", "construction")
# Smaller pieces are dropped after clipping, m².
_MIN_BUILDING_M2: Final = 4.0
_MIN_OPEN_SPACE_M2: Final = 20.0


@dataclass(frozen=True)
class Area:
    """A building or open space: its OSM id, name, use (open spaces) and polygon (metres)."""

    osm_id: str
    name: str
    use: str
    polygon: Polygon | MultiPolygon


def polygons_of(geometry: BaseGeometry, min_area_m2: float) -> list[Polygon]:
    """The valid polygons of ``geometry`` of at least ``min_area_m2``."""
    parts = shapely.get_parts(shapely.make_valid(geometry))
    found = []
    for part in parts:
        for piece in shapely.get_parts(part):
            if isinstance(piece, Polygon) and piece.area >= min_area_m2:
                found.append(piece)
    return found


def _as_area(feature: OsmFeature, use: str, boundary: Polygon, min_area_m2: float) -> Area | None:
    clipped = polygons_of(feature.geometry.intersection(boundary), min_area_m2)
    if not clipped:
        return None
    polygon = clipped[0] if len(clipped) == 1 else MultiPolygon(clipped)
    return Area(feature.osm_id, feature.tags.get("name", ""), use, polygon)


def buildings_in(features: Sequence[OsmFeature], boundary: Polygon) -> list[Area]:
    """Ground-level buildings clipped to ``boundary``, sorted by OSM id."""
    buildings = []
    for feature in features:
        tags = feature.tags
        if tags.get("building", "no") in _NOT_BUILDINGS:
            continue
        if not isinstance(feature.geometry, Polygon | MultiPolygon):
            continue
        if tags.get("layer", "0").strip() not in ("0", "") or tags.get("location") in (
            "underground",
            "roof",
        ):
            continue
        area = _as_area(feature, "building", boundary, _MIN_BUILDING_M2)
        if area is not None:
            buildings.append(area)
    return sorted(buildings, key=lambda area: area.osm_id)


def open_spaces_in(features: Sequence[OsmFeature], boundary: Polygon) -> list[Area]:
    """Parks, squares, playgrounds and water clipped to ``boundary``, sorted by OSM id."""
    spaces = []
    for feature in features:
        if not isinstance(feature.geometry, Polygon | MultiPolygon):
            continue
        use = next(
            (use for (key, value), use in OPEN_SPACE_USE.items() if feature.tags.get(key) == value),
            None,
        )
        if use is None:
            continue
        area = _as_area(feature, use, boundary, _MIN_OPEN_SPACE_M2)
        if area is not None:
            spaces.append(area)
    return sorted(spaces, key=lambda area: area.osm_id)
