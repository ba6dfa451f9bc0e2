"""Gateways and destinations from OpenStreetMap, each with a weight from its kind and size.

**Gateways** (where people enter and leave the site) are where the walk network crosses the
boundary (one per crossing; crossings closer than :data:`MERGE_M` are one) and the transit stops
near the site: railway and metro stations, their mapped entrances (``railway=subway_entrance``,
``train_station_entrance``), tram and bus stops (or their platforms; a railway platform counts
through its station). A stop inside the boundary (or within 50 m of it)
is a gateway where it stands; one outside, up to :data:`TRANSIT_REACH_M` away, is a gateway at the
point of the boundary nearest it, where its passengers cross into the site. Weights are thousands
of daily entries and exits (:data:`GATEWAY_WEIGHT`): an *assumption* wherever the map's overlay
does not give a published count (see `twin.site.osm.overlay`).

**Destinations** (where people go) are amenities, shops, offices, schools, parks and other leisure
places, and buildings with mapped entrances, inside the boundary. Places inside one building are one
destination at that building's door (a mapped entrance, else the point of its outline nearest the
walk network), its weight the sum of theirs. A weight is a relative share of trips: a base for the
kind (:data:`DESTINATION_WEIGHT`, *assumption*: a school or a university draws 3-5 times a shop)
times a size factor for areas, ``sqrt(floor area / 2,000 m²)`` for buildings and
``sqrt(area / 1 ha)`` for parks, kept within 0.5-4 (*assumption*).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from twin.site.osm.extract import OsmFeature
from twin.site.osm.ground import Area
from twin.site.osm.walk_network import Walkway

__all__ = [
    "DESTINATION_WEIGHT",
    "GATEWAY_WEIGHT",
    "MERGE_M",
    "TRANSIT_REACH_M",
    "EntranceSpot",
    "crossing_gateways",
    "destinations_in",
    "transit_gateways",
]

#: Gateways closer than this are one, m.
MERGE_M: Final = 20.0
#: Transit stops this far outside the boundary still feed the site, m.
TRANSIT_REACH_M: Final = 250.0
#: Gateways' daily entries and exits, thousands, by kind. *Assumption* (no source for a generic
#: site; range 0.5-30): a station's share that walks into the site, a street's passers-by.
GATEWAY_WEIGHT: Final[Mapping[str, float]] = {
    "station": 20.0,
    "station_entrance": 10.0,
    "tram_stop": 1.0,
    "bus_stop": 0.5,
    "primary": 5.0,
    "secondary": 5.0,
    "trunk": 5.0,
    "tertiary": 4.0,
    "pedestrian": 3.0,
    "living_street": 3.0,
    "cycleway": 3.0,
    "residential": 2.0,
    "unclassified": 2.0,
    "service": 1.0,
    "footway": 1.0,
}
#: Default for a crossing street or path of a kind not listed above.
_CROSSING_DEFAULT: Final = 1.0
#: Destinations' base weight by (key, value); (key, "*") for any other value of the key.
#: *Assumption*: relative draw of each kind of place, range 0.5-5.
DESTINATION_WEIGHT: Final[Mapping[tuple[str, str], float]] = {
    ("amenity", "university"): 5.0,
    ("amenity", "college"): 4.0,
    ("amenity", "school"): 3.0,
    ("amenity", "hospital"): 5.0,
    ("amenity", "library"): 2.0,
    ("amenity", "cinema"): 2.0,
    ("amenity", "theatre"): 2.0,
    ("amenity", "events_venue"): 2.0,
    ("amenity", "conference_centre"): 2.0,
    ("amenity", "food_court"): 2.0,
    ("amenity", "marketplace"): 2.0,
    ("amenity", "arts_centre"): 1.5,
    ("amenity", "community_centre"): 1.0,
    ("amenity", "place_of_worship"): 1.0,
    ("amenity", "restaurant"): 1.0,
    ("amenity", "cafe"): 1.0,
    ("amenity", "fast_food"): 1.0,
    ("amenity", "pub"): 1.0,
    ("amenity", "bar"): 1.0,
    ("amenity", "nightclub"): 1.0,
    ("amenity", "clinic"): 1.0,
    ("amenity", "doctors"): 0.5,
    ("amenity", "dentist"): 0.5,
    ("amenity", "pharmacy"): 0.5,
    ("amenity", "bank"): 0.5,
    ("amenity", "post_office"): 0.5,
    ("amenity", "kindergarten"): 0.5,
    ("shop", "mall"): 4.0,
    ("shop", "department_store"): 3.0,
    ("shop", "supermarket"): 2.0,
    ("shop", "*"): 0.5,
    ("office", "*"): 2.0,
    ("building", "office"): 2.0,
    ("building", "university"): 3.0,
    ("building", "school"): 3.0,
    ("building", "college"): 3.0,
    ("tourism", "museum"): 2.0,
    ("tourism", "gallery"): 1.0,
    ("tourism", "attraction"): 1.0,
    ("tourism", "hotel"): 1.0,
    ("leisure", "park"): 1.0,
    ("leisure", "garden"): 0.5,
    ("leisure", "sports_centre"): 1.0,
    ("leisure", "fitness_centre"): 1.0,
    ("leisure", "playground"): 0.5,
    ("entrance", "*"): 0.5,
}
_FLOOR_AREA_REFERENCE_M2: Final = 2_000.0
_PARK_REFERENCE_M2: Final = 10_000.0
_SIZE_FACTOR_RANGE: Final = (0.5, 4.0)
#: A park's middle farther than this from a walkway: its destination is its edge nearest one, m.
_NEAR_WALKWAY_M: Final = 20.0


@dataclass(frozen=True)
class EntranceSpot:
    """An entrance to write: id, name, role, weight, where (metres) and where the weight comes from."""

    entrance_id: str
    name: str
    role: str
    weight: float
    point: Point
    source: str

    def properties(self) -> dict[str, object]:
        """Site-map feature properties (docs/site_map_profile.md)."""
        return {
            "kind": "entrance",
            "id": self.entrance_id,
            "name": self.name,
            "role": self.role,
            "weight": round(self.weight, 3),
            "source": self.source,
        }


def slug(text: str) -> str:
    """A lower-case id fragment: ``King's Boulevard`` -> ``kings-boulevard``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")[:40] or "place"


def _unique_ids(spots: list[EntranceSpot], prefix: str) -> list[EntranceSpot]:
    counts: dict[str, int] = defaultdict(int)
    named = []
    for spot in spots:
        base = f"{prefix}-{slug(spot.name)}"
        counts[base] += 1
        suffix = f"-{counts[base]}" if counts[base] > 1 else ""
        named.append(
            EntranceSpot(base + suffix, spot.name, spot.role, spot.weight, spot.point, spot.source)
        )
    return named


def crossing_gateways(network: Sequence[Walkway], boundary: Polygon) -> list[EntranceSpot]:
    """A gateway where each walkway crosses the boundary (crossings within MERGE_M are one)."""
    spots: list[EntranceSpot] = []
    ring = boundary.exterior
    for walkway in network:
        crossing = walkway.line.intersection(ring)
        for point in shapely.get_parts(crossing):
            if not isinstance(point, Point) or any(
                point.distance(s.point) < MERGE_M for s in spots
            ):
                continue
            what = walkway.name or walkway.highway
            weight = GATEWAY_WEIGHT.get(walkway.highway, _CROSSING_DEFAULT)
            spots.append(
                EntranceSpot(
                    "",
                    f"{what} (boundary crossing)",
                    "gateway",
                    weight,
                    point,
                    f"{walkway.osm_id} crosses the boundary; weight {weight:g} thousand a day "
                    f"for a {walkway.highway} (assumption)",
                )
            )
    return _unique_ids(spots, "gw")


def _transit_kind(tags: Mapping[str, str]) -> str | None:
    if tags.get("railway") in ("subway_entrance", "train_station_entrance"):
        return "station_entrance"
    if tags.get("railway") in ("station", "halt") or tags.get("public_transport") == "station":
        return "station"
    if tags.get("railway") == "tram_stop":
        return "tram_stop"
    if tags.get("highway") == "bus_stop":
        return "bus_stop"
    if tags.get("public_transport") == "platform":  # a stop mapped by its platform only
        if tags.get("tram") == "yes":
            return "tram_stop"
        if tags.get("bus") == "yes":
            return "bus_stop"
    return None


def transit_gateways(features: Sequence[OsmFeature], boundary: Polygon) -> list[EntranceSpot]:
    """Stations, station entrances, tram and bus stops within TRANSIT_REACH_M of the boundary."""
    reach = boundary.buffer(TRANSIT_REACH_M)
    inside = boundary.buffer(40.0)
    spots: list[EntranceSpot] = []
    seen: set[tuple[str, str]] = set()
    ordered = sorted(
        (f for f in features if _transit_kind(f.tags) is not None),
        key=lambda f: (_transit_kind(f.tags) != "station_entrance", f.osm_id),
    )
    for feature in ordered:
        kind = _transit_kind(feature.tags)
        assert kind is not None
        geometry = feature.geometry
        if not geometry.intersects(reach):
            continue
        name = feature.tags.get("name", "")
        if (kind, name) in seen and kind != "station_entrance":
            continue  # a station mapped as a node and an area, or a stop's pole and platform
        seen.add((kind, name))
        if geometry.intersects(inside):
            point = _point_of(geometry.intersection(inside))
        else:
            point, _ = nearest_points(boundary.exterior, geometry)
        if any(point.distance(s.point) < 5.0 for s in spots):
            continue
        weight = GATEWAY_WEIGHT[kind]
        label = f"{name} ({kind.replace('_', ' ')})" if name else kind.replace("_", " ")
        spots.append(
            EntranceSpot(
                "",
                label,
                "gateway",
                weight,
                point,
                f"{feature.osm_id}; weight {weight:g} thousand a day (assumption)",
            )
        )
    return _unique_ids(spots, "gw")


def _point_of(geometry: BaseGeometry) -> Point:
    if isinstance(geometry, Point):
        return geometry
    return geometry.representative_point()


def _base_weight(tags: Mapping[str, str]) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    for key in ("amenity", "shop", "office", "tourism", "leisure", "building", "entrance"):
        value = tags.get(key)
        if value is None:
            continue
        weight = DESTINATION_WEIGHT.get((key, value), DESTINATION_WEIGHT.get((key, "*")))
        if weight is not None and (best is None or weight > best[0]):
            best = (weight, f"{key}={value}")
    return best


def _size_factor(tags: Mapping[str, str], geometry: BaseGeometry) -> float:
    if not isinstance(geometry, Polygon | MultiPolygon):
        return 1.0
    low, high = _SIZE_FACTOR_RANGE
    if "building" in tags:
        levels_text = tags.get("building:levels", "1").split(";")[0]
        levels = float(levels_text) if re.fullmatch(r"\d+(\.\d+)?", levels_text) else 1.0
        ratio = geometry.area * max(levels, 1.0) / _FLOOR_AREA_REFERENCE_M2
    else:
        ratio = geometry.area / _PARK_REFERENCE_M2
    return min(max(math.sqrt(ratio), low), high)


def destinations_in(
    features: Sequence[OsmFeature],
    buildings: Sequence[Area],
    boundary: Polygon,
    walk_lines: BaseGeometry,
) -> list[EntranceSpot]:
    """Places inside ``boundary`` people walk to, one per building they share (see module doc)."""
    tree = shapely.STRtree([b.polygon for b in buildings])
    by_building: dict[int, list[tuple[OsmFeature, float, str]]] = defaultdict(list)
    doors: dict[int, list[Point]] = defaultdict(list)
    loose: list[EntranceSpot] = []
    for feature in features:
        geometry = feature.geometry
        if isinstance(geometry, Point) and "entrance" in feature.tags:
            for index in tree.query(geometry, predicate="dwithin", distance=1.0):
                doors[int(index)].append(geometry)
        base = _base_weight(feature.tags)
        if base is None or not boundary.intersects(geometry):
            continue
        weight = base[0] * _size_factor(feature.tags, geometry)
        where = geometry.representative_point() if not isinstance(geometry, Point) else geometry
        if not boundary.contains(where):
            continue
        hits = tree.query(where, predicate="dwithin", distance=1.0)
        if len(hits):
            by_building[int(hits[0])].append((feature, weight, base[1]))
            continue
        if feature.tags.get("entrance") is not None:
            continue  # an entrance of no building on the map
        if where.distance(walk_lines) > _NEAR_WALKWAY_M and not isinstance(geometry, Point):
            where, _ = nearest_points(geometry.boundary.intersection(boundary), walk_lines)
        name = feature.tags.get("name", _label(base[1]))
        loose.append(
            EntranceSpot(
                "", name, "destination", weight, where, f"{feature.osm_id}: {base[1]} (assumption)"
            )
        )
    spots = []
    for index, places in sorted(by_building.items()):
        building = buildings[index]
        named = [f.tags["name"] for f, _, _ in places if "name" in f.tags]
        real = [p for p in places if "entrance" not in p[0].tags]
        chosen = real or places[:1]  # a building with only entrances counts once
        weight = sum(w for _, w, _ in chosen)
        name = building.name or (named[0] if named else _label(chosen[0][2]))
        if len(chosen) > 1:
            name = f"{name} ({len(chosen)} places)"
        door = _door(building, doors.get(index, []), walk_lines)
        kinds = ", ".join(sorted({kind for _, _, kind in chosen}))
        spots.append(
            EntranceSpot(
                "",
                name,
                "destination",
                weight,
                door,
                f"{building.osm_id}: {kinds} (assumption)",
            )
        )
    return _unique_ids(spots + loose, "dst")


def _label(kind: str) -> str:
    """``amenity=place_of_worship`` -> ``place of worship``."""
    return kind.partition("=")[2].replace("_", " ")


def _door(building: Area, entrances: Sequence[Point], walk_lines: BaseGeometry) -> Point:
    """A building's mapped entrance nearest the walk network, else its outline's nearest point."""
    if entrances:
        return min(entrances, key=lambda point: point.distance(walk_lines))
    door, _ = nearest_points(building.polygon.boundary, walk_lines)
    return door
