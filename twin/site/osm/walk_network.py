"""The walk network from OpenStreetMap: the ways people on foot may use, noded into one network.

Walkable: footways (pavements, crossings, ``footway=sidewalk``), pedestrian streets, pedestrian
areas (walked along the ways mapped across them; an area no mapped way crosses, such as a square
drawn only as an area, along its edge), paths, steps, living streets, cycleways and bridleways that allow walking,
tracks, and the pavements of ordinary streets (service, residential, unclassified, tertiary,
secondary and primary roads, and trunk roads that map a ``sidewalk``); not motorways, not ways
marked ``foot=no`` or private without foot access, not indoor corridors. **Tunnels and underground
levels are left out** (``tunnel=yes``/``culvert``, a negative ``level``, or a negative ``layer``
with ``covered``/``indoor``); the network is one level, and planar: a bridge meets what it
crosses. A ``tunnel=building_passage`` (a passage at street level through a building) is kept.

Width: the way's ``width`` tag where OpenStreetMap has one (metres; ``est_width`` otherwise), else
a default for its kind (:data:`DEFAULT_WIDTH_M`, an *assumption*: typical walkable widths, 2-8 m).
Each walkway keeps its OSM way type (``highway``) and, where present, ``level``, ``tunnel`` and
``bridge`` (docs/site_map_profile.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import networkx as nx
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from twin.site.osm.extract import OsmFeature
from twin.site.walkgraph import build_walk_graph

__all__ = ["DEFAULT_WIDTH_M", "Walkway", "is_walkable", "network_edges", "walkways_in"]

#: Walkable width by OSM ``highway`` value when the way has no ``width``, m. *Assumption*: typical
#: widths (a footway or a street's pavement about 3 m, a pedestrian street 8 m), range 2-8 m.
DEFAULT_WIDTH_M: Final[Mapping[str, float]] = {
    "pedestrian": 8.0,
    "footway": 3.0,
    "path": 2.5,
    "steps": 3.0,
    "living_street": 5.0,
    "cycleway": 4.0,
    "bridleway": 2.5,
    "track": 2.5,
    "service": 3.0,
    "residential": 3.0,
    "unclassified": 3.0,
    "tertiary": 3.0,
    "tertiary_link": 3.0,
    "secondary": 3.0,
    "secondary_link": 3.0,
    "primary": 3.0,
    "primary_link": 3.0,
    "trunk": 3.0,
    "trunk_link": 3.0,
}
#: Streets walked along their pavements only where a ``sidewalk`` is mapped.
_NEEDS_SIDEWALK: Final = ("trunk", "trunk_link")
_NO_SIDEWALK: Final = ("no", "none", "separate")
_FOOT_ALLOWED: Final = ("yes", "designated", "permissive", "destination")
# A pedestrian area crossed by a mapped way for at least _CROSSED_M inside this inset is walked
# along that way; one crossed by none, along its edge, m.
_AREA_INSET_M: Final = 1.0
_CROSSED_M: Final = 5.0
# Shorter pieces than this are dropped after clipping, m.
_MIN_PIECE_M: Final = 0.5


@dataclass(frozen=True)
class Walkway:
    """One walkway line (projected metres) with what the site map records of its OSM way."""

    line: LineString
    osm_id: str
    name: str
    highway: str
    width_m: float
    level: str | None = None
    tunnel: str | None = None
    bridge: str | None = None

    def properties(self) -> dict[str, object]:
        """Site-map feature properties (docs/site_map_profile.md)."""
        props: dict[str, object] = {"kind": "walkway"}
        if self.name:
            props["name"] = self.name
        props.update(highway=self.highway, width_m=round(self.width_m, 2), osm_id=self.osm_id)
        for key in ("level", "tunnel", "bridge"):
            if getattr(self, key) is not None:
                props[key] = getattr(self, key)
        return props


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether an OSM way is one people on foot may use at ground level."""
    highway = tags.get("highway")
    if highway not in DEFAULT_WIDTH_M or tags.get("area") == "yes":
        return False
    foot = tags.get("foot")
    if foot == "no" or tags.get("indoor") in ("yes", "corridor", "room"):
        return False
    if tags.get("access") in ("no", "private") and foot not in _FOOT_ALLOWED:
        return False
    if highway in _NEEDS_SIDEWALK and tags.get("sidewalk", "no") in _NO_SIDEWALK:
        return False
    return not underground(tags)


def underground(tags: Mapping[str, str]) -> bool:
    """A tunnel or an underground level (left out of the one-level walk network)."""
    if tags.get("tunnel") in ("yes", "culvert", "avalanche_protector"):
        return True
    level = tags.get("level", "0").split(";")[0].strip()
    if _number(level) is not None and (_number(level) or 0.0) < 0:
        return True
    layer = _number(tags.get("layer", "0")) or 0.0
    return layer < 0 and (tags.get("covered") == "yes" or tags.get("location") == "underground")


def width_m(tags: Mapping[str, str]) -> float:
    """The way's walkable width: its ``width`` (or ``est_width``) tag in metres, else the default."""
    for key in ("width", "est_width"):
        value = _number(tags.get(key, "").replace("m", "").strip())
        if value is not None and 0.5 <= value <= 100.0:
            return value
    return DEFAULT_WIDTH_M[tags["highway"]]


def _number(text: str) -> float | None:
    return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text.strip()) else None


def walkways_in(features: Sequence[OsmFeature], region: Polygon) -> list[Walkway]:
    """Every walkable way clipped to ``region``, and the edges of pedestrian areas that no
    mapped way crosses (see module doc)."""
    found: list[Walkway] = []
    areas: list[tuple[OsmFeature, dict[str, str]]] = []
    for feature in features:
        tags, geometry = feature.tags, feature.geometry
        if isinstance(geometry, Polygon | MultiPolygon):
            if tags.get("highway") == "pedestrian" or tags.get("area:highway") == "pedestrian":
                walkway_tags = {**tags, "highway": "pedestrian", "area": "no"}
                if is_walkable(walkway_tags):
                    areas.append((feature, walkway_tags))
            continue
        if isinstance(geometry, LineString) and is_walkable(tags):
            found += _clipped(feature, [geometry], region, tags)
    if not areas:
        return found
    lines = shapely.STRtree([walkway.line for walkway in found])
    for feature, walkway_tags in areas:
        interior = feature.geometry.buffer(-_AREA_INSET_M)
        crossing = lines.query(interior, predicate="intersects")
        if any(found[int(i)].line.intersection(interior).length >= _CROSSED_M for i in crossing):
            continue  # walked along the ways mapped across it
        rings = shapely.get_exterior_ring(shapely.get_parts(feature.geometry))
        found += _clipped(feature, list(rings), region, walkway_tags)
    return found


def _clipped(
    feature: OsmFeature, lines: Sequence[BaseGeometry], region: Polygon, tags: Mapping[str, str]
) -> list[Walkway]:
    walkways = []
    for line in lines:
        clipped = line.intersection(region)
        if clipped.is_empty:
            continue
        for part in shapely.get_parts(shapely.line_merge(clipped) if clipped.length else clipped):
            if isinstance(part, LineString) and part.length >= _MIN_PIECE_M:
                walkways.append(
                    Walkway(
                        line=part,
                        osm_id=feature.osm_id,
                        name=tags.get("name", ""),
                        highway=tags["highway"],
                        width_m=width_m(tags),
                        level=tags.get("level"),
                        tunnel=tags.get("tunnel"),
                        bridge=tags.get("bridge"),
                    )
                )
    return walkways


def network_edges(
    walkways: Sequence[Walkway], anchors: Sequence[Point], *, join_m: float
) -> list[Walkway]:
    """The walkways noded into edges (loose ends within ``join_m`` joined), keeping the connected
    piece that reaches the most ``anchors`` (gateways), then the longest. Each edge keeps the
    properties of the way it lies on."""
    if not walkways:
        return []
    lines = [walkway.line for walkway in walkways]
    graph = build_walk_graph(lines, join_m=join_m)
    edges = list(graph.edges(data="geometry"))
    tree = shapely.STRtree([geometry for _, _, geometry in edges])

    def score(component: set[int]) -> tuple[int, float]:
        reached = sum(
            edges[int(tree.query_nearest(anchor)[0])][0] in component for anchor in anchors
        )
        length = sum(graph.edges[u, v]["length_m"] for u, v in graph.subgraph(component).edges)
        return reached, length

    components = sorted(nx.connected_components(graph), key=len, reverse=True)
    best = max(components[:10], key=score)
    source_tree = shapely.STRtree(lines)
    network = []
    for u, _, line in edges:
        if u not in best:
            continue
        middle = line.interpolate(0.5, normalized=True)
        source = walkways[int(source_tree.query_nearest(middle)[0])]
        network.append(replace(source, line=line))
    network.sort(key=lambda walkway: (walkway.line.coords[0], walkway.line.coords[-1]))
    return network
