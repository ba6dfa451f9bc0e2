"""Build site_maps/kings_cross.geojson: the King's Cross estate from OpenStreetMap, plus cameras.

    python site_maps/build_kings_cross.py [--osm PATH] [--boundary PATH] [--out PATH] [--json]

Geometry comes from an OpenStreetMap extract (WGS84) and a hand-drawn estate boundary, projected
to British National Grid (EPSG:27700) with pyproj: buildings clipped to the boundary; walkways
(footways, pedestrian streets, paths, steps, cycleways, service, residential, unclassified and
tertiary streets, and the pavements of the primary streets on the edge such as York Way) within
25 m of it, noded into one connected walk graph; the named squares, parks and the canal as open
spaces. Gateways sit at the stations and where streets cross the boundary, weighted by published
station footfall; destinations are named places inside the estate.

The estate's real CCTV cameras are not published, so the cameras are synthetic: recognition
cameras placed greedily along the busiest walking routes, looking back along them so approaching
walkers face them at face-recognition pixel densities, then wide overview cameras covering the
walkways they leave unseen, plus the two 2016-18 facial-recognition cameras at one spot on King's
Boulevard. Everything is deterministic: the same inputs give the same file, written atomically.

Map data (c) OpenStreetMap contributors, available under the Open Database Licence (ODbL) 1.0;
the output is a derived database under the same licence.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import networkx as nx
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.ops import nearest_points

ROOT: Final = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a source tree: make `twin` importable
    sys.path.insert(0, str(ROOT))

from twin.analysis.planning import Lens  # noqa: E402
from twin.site.cameras import Camera, camera_from_properties  # noqa: E402 (after the path fix above)
from twin.site.model import Route, Site, build_walk_graph, load_site  # noqa: E402

REFERENCE: Final = Path("/work/shared/reference")
DEFAULT_OSM: Final = REFERENCE / "kings_cross_osm.geojson"
DEFAULT_BOUNDARY: Final = REFERENCE / "kings_cross_boundary.geojson"
DEFAULT_OUT: Final = ROOT / "site_maps" / "kings_cross.geojson"

ATTRIBUTION: Final = (
    "Map data (c) OpenStreetMap contributors, available under the Open Database Licence (ODbL) 1.0"
)
CRS: Final = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}

# --- what counts as walkable, and how wide -----------------------------------------------------

#: OSM highway values people walk along, with a typical walking width, m.
WALKWAY_WIDTH_M: Final[Mapping[str, float]] = {
    "pedestrian": 8.0,
    "footway": 3.0,
    "path": 2.5,
    "steps": 3.0,
    "living_street": 5.0,
    "cycleway": 4.0,  # shared paths: King's Boulevard, the Regent's Canal towpath
    "service": 3.0,
    "residential": 3.0,
    "unclassified": 3.0,
    "tertiary": 3.0,  # Goods Way, Midland Road: their pavements
    "track": 2.5,
    "primary": 3.0,  # York Way, Pancras Road on the edge: their pavements
}
#: Walkways are kept this far outside the boundary (edge streets such as York Way), m.
EDGE_M: Final = 25.0
#: Gateways farther than this from the walk network get a straight link to it, m.
LINK_M: Final = 20.0
#: Loose ends this close to another walkway are joined when building the network, m.
JOIN_M: Final = 3.0
#: Coordinates are rounded to this many decimals (0.1 m).
DECIMALS: Final = 1

# --- entrances -----------------------------------------------------------------------------------

# Gateway weights are thousands of daily entries and exits. Stations: ORR station usage 2023/24
# (King's Cross 67,000 a day; St Pancras International 98,500) and TfL counts 2023 (Underground
# King's Cross St Pancras 198,000 a day, split evenly between the two exits used here). Assumption:
# the share of each station's passengers who walk into the estate is the same for every station
# (not published). Street gateways: assumption, a few thousand a day each.
GATEWAY_ASSUMPTION: Final = (
    "Gateway weights: thousands of daily entries and exits. Stations from ORR station usage "
    "2023/24 (King's Cross 67,000/day, St Pancras International 98,500/day) and TfL 2023 counts "
    "(Underground King's Cross St Pancras 198,000/day, split evenly between two exits); "
    "assumption: every station sends the same share of its passengers into the estate (not "
    "published). Street and towpath gateways: assumption, 3,000-8,000 a day each."
)
DESTINATION_ASSUMPTION: Final = (
    "Destination weights: relative shares of trips, an assumption from each place's size and use "
    "(about 5,000 students and staff at Central Saint Martins, offices around Pancras Square, "
    "shops and restaurants at Coal Drops Yard, about 1,900 homes across the estate); not published."
)
CAMERA_ASSUMPTION: Final = (
    "Cameras are synthetic. The estate's real CCTV count and positions are not published "
    "(assumption); comparator: Canary Wharf, 97 acres, at least 1,750 CCTV cameras (Financial "
    "Times, Aug 2019). Here about 120 cameras: about 60% recognition-capable (narrow lenses along "
    "the busiest walking routes, looking back along them) and wide overview cameras, plus the two "
    "2016-18 facial-recognition cameras at one spot on King's Boulevard (estate owner's statement, "
    "Sep 2019), tagged kings_boulevard_2016."
)


@dataclass(frozen=True)
class EntranceSpec:
    """An entrance to place. ``where`` is an OSM id (see :func:`place_entrance`),
    ``crossing:<osm id>`` (where that walkway crosses the boundary), ``toward:<osm id>`` (the
    boundary point nearest that feature: where its people cross into the estate) or
    ``between:<id>,<id>`` (midway between the features' centres)."""

    entrance_id: str
    name: str
    role: str
    weight: float
    where: str
    note: str = ""


ENTRANCES: Final[tuple[EntranceSpec, ...]] = (
    EntranceSpec(
        "gw-kings-cross",
        "King's Cross station (western concourse)",
        "gateway",
        67.0,
        "node/5009508875",
        "ORR 2023/24: 24.5 million entries and exits, about 67,000 a day",
    ),
    EntranceSpec(
        "gw-st-pancras",
        "St Pancras International (east side, Pancras Road)",
        "gateway",
        98.5,
        "toward:node/3858588809",
        "ORR 2023/24: 36.0 million entries and exits, about 98,500 a day",
    ),
    EntranceSpec(
        "gw-underground-north",
        "King's Cross St Pancras Underground (exit by Pancras Square)",
        "gateway",
        99.0,
        "node/2966431610",
        "TfL 2023: 72.1 million, about 198,000 a day; half here",
    ),
    EntranceSpec(
        "gw-underground-square",
        "King's Cross St Pancras Underground (King's Cross Square exit)",
        "gateway",
        99.0,
        "node/3951416908",
        "TfL 2023: 72.1 million, about 198,000 a day; half here",
    ),
    EntranceSpec(
        "gw-goods-way-west",
        "Goods Way (from Pancras Road)",
        "gateway",
        8.0,
        "crossing:way/681767533",
        "assumption",
    ),
    EntranceSpec(
        "gw-goods-way-east",
        "Goods Way (from York Way)",
        "gateway",
        8.0,
        "crossing:way/848701512",
        "assumption",
    ),
    EntranceSpec(
        "gw-york-way-handyside",
        "York Way (Handyside Street)",
        "gateway",
        6.0,
        "crossing:way/159483599",
        "assumption",
    ),
    EntranceSpec(
        "gw-york-way-north",
        "York Way north (Freight Lane)",
        "gateway",
        4.0,
        "crossing:way/237396922",
        "assumption",
    ),
    EntranceSpec(
        "gw-towpath-east",
        "Regent's Canal towpath (east, to Islington)",
        "gateway",
        5.0,
        "crossing:way/642639441",
        "assumption",
    ),
    EntranceSpec(
        "gw-towpath-west",
        "Regent's Canal towpath (west, to Camden)",
        "gateway",
        4.0,
        "crossing:way/835121504",
        "assumption",
    ),
    EntranceSpec(
        "gw-camley-street",
        "Camley Street (Somers Town Bridge)",
        "gateway",
        4.0,
        "crossing:way/507018236",
        "assumption",
    ),
    EntranceSpec(
        "gw-randells-road",
        "Randell's Road (York Way, north-east)",
        "gateway",
        3.0,
        "crossing:way/15690794",
        "assumption",
    ),
    EntranceSpec(
        "dst-granary-building",
        "Granary Building (Central Saint Martins, UAL)",
        "destination",
        5.0,
        "way/222021578",
    ),
    EntranceSpec(
        "dst-coal-drops-yard",
        "Coal Drops Yard (shops and restaurants)",
        "destination",
        8.0,
        "between:way/222021572,way/222021573",
    ),
    EntranceSpec("dst-granary-square", "Granary Square", "destination", 6.0, "way/222021571"),
    EntranceSpec(
        "dst-pancras-square-offices",
        "Pancras Square offices (Google and others)",
        "destination",
        7.0,
        "way/265720685",
    ),
    EntranceSpec(
        "dst-pancras-square-library",
        "Pancras Square Library and Leisure Centre",
        "destination",
        1.5,
        "way/329058108",
    ),
    EntranceSpec(
        "dst-lewis-cubitt-square", "Lewis Cubitt Square", "destination", 3.0, "way/377974551"
    ),
    EntranceSpec("dst-lewis-cubitt-park", "Lewis Cubitt Park", "destination", 2.0, "way/347275186"),
    EntranceSpec(
        "dst-gasholders", "Gasholders (apartments)", "destination", 1.5, "relation/7972217"
    ),
    EntranceSpec("dst-gasholder-park", "Gasholder Park", "destination", 1.0, "way/453267219"),
    EntranceSpec(
        "dst-homes-west",
        "Homes: Plimsoll and Tapestry buildings",
        "destination",
        1.5,
        "way/453267221",
    ),
    EntranceSpec(
        "dst-homes-north",
        "Homes: Saxon Court and Roseberry Mansions",
        "destination",
        1.5,
        "way/169164465",
    ),
    EntranceSpec(
        "dst-students-north",
        "Student homes (Urbanest King's Cross)",
        "destination",
        1.0,
        "way/222031889",
    ),
    EntranceSpec(
        "dst-aga-khan-centre",
        "Aga Khan Centre (Handyside Street)",
        "destination",
        1.0,
        "way/532767917",
    ),
    EntranceSpec(
        "dst-everyman", "Everyman cinema (Handyside Street)", "destination", 1.0, "node/5376964904"
    ),
    EntranceSpec(
        "dst-waitrose", "Waitrose (Granary Square)", "destination", 2.0, "node/3838023409"
    ),
    EntranceSpec(
        "dst-fish-and-coal",
        "Coal Office and Fish and Coal Buildings",
        "destination",
        1.0,
        "way/834276095",
    ),
    EntranceSpec(
        "dst-camley-street-park",
        "Camley Street Natural Park",
        "destination",
        0.5,
        "relation/12727580",
    ),
)

# --- open spaces ---------------------------------------------------------------------------------

#: OSM tag values drawn as open spaces, with the profile's ``use``.
OPEN_SPACE_USE: Final[Mapping[tuple[str, str], str]] = {
    ("leisure", "park"): "park",
    ("leisure", "nature_reserve"): "park",
    ("leisure", "garden"): "park",
    ("leisure", "playground"): "playground",
    ("highway", "pedestrian"): "square",
    ("natural", "water"): "water",
}
SPACE_NOTES: Final[Mapping[str, Mapping[str, str]]] = {
    "Pancras Square": {"note": "approximate: drawn around its water cascade and lawns"},
    "Coal Drops Yard": {"note": "approximate: the yard between the two Coal Drops sheds"},
}
#: Pancras Square has no area in OSM: drawn around its water cascade and lawns (these OSM ids).
PANCRAS_SQUARE_PARTS: Final = ("way/265720688", "way/265720685")

# --- cameras -------------------------------------------------------------------------------------


#: Recognition cameras: narrow lenses (12 mm-class, 25-55 degrees) on 1080p, 4 MP and 4K sensors.
RECOGNITION_LENSES: Final = (
    Lens(1920, 1080, 30.0, 4.0, 12.0, 40.0),
    Lens(2560, 1440, 40.0, 4.5, 14.0, 40.0),
    Lens(3840, 2160, 55.0, 5.0, 15.0, 40.0),
    Lens(3840, 2160, 35.0, 5.5, 16.0, 40.0),
    Lens(2560, 1440, 28.0, 3.5, 10.0, 40.0),
)
#: Overview cameras: wide lenses (2.8 mm-class, 70-100 degrees), higher up.
OVERVIEW_LENSES: Final = (
    Lens(1920, 1080, 90.0, 6.0, 20.0, 35.0),
    Lens(2560, 1440, 70.0, 5.5, 18.0, 35.0),
    Lens(1920, 1080, 100.0, 6.0, 22.0, 30.0),
)
BOULEVARD_LENS: Final = Lens(1920, 1080, 30.0, 4.0, 12.0, 40.0)
BOULEVARD_TAG: Final = "kings_boulevard_2016"
#: Cameras to place besides the two on King's Boulevard.
RECOGNITION_BUDGET: Final = 70
OVERVIEW_BUDGET: Final = 48
#: A pass counts towards recognition at or above this density and within this facing angle.
GOOD_PX_PER_M: Final = 250.0
GOOD_FACING_DEG: Final = 60.0
#: Candidate recognition cameras every this far along each route, looking this far back along it, m.
CANDIDATE_STEP_M: Final = 15.0
LOOK_BACK_M: Final = 15.0
#: Cameras stand this far to the side of the walkway's centre line, m.
SIDE_OFFSET_M: Final = 1.5
#: Value of one more recognition pass on a route that already has 0, 1, 2, ... of them.
EXTRA_PASS_VALUE: Final = (1.0, 0.8, 0.6, 0.3, 0.1, 0.02, 0.005)
#: Two cameras closer than this and looking within MIN_TURN_DEG of each other are duplicates, m.
MIN_SPACING_M: Final = 20.0
MIN_TURN_DEG: Final = 60.0
#: Walkway sample spacing for the overview cameras' coverage, m.
SAMPLE_STEP_M: Final = 3.0

Transform = Callable[[Any], Any]


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OsmFeature:
    osm_id: str
    tags: Mapping[str, str]
    geometry: Any  # projected shapely geometry, metres


def read_osm(path: Path, project: Transform) -> list[OsmFeature]:
    """Every feature of the OSM extract, projected to EPSG:27700."""
    document = json.loads(path.read_text(encoding="utf-8"))
    features = []
    for feature in document["features"]:
        tags = {k: str(v) for k, v in feature["properties"].items() if k != "osm_id"}
        geometry = project(shape(feature["geometry"]))
        features.append(OsmFeature(feature["properties"]["osm_id"], tags, geometry))
    return features


def read_boundary(path: Path, project: Transform) -> tuple[Polygon, str]:
    """The estate boundary polygon (projected) and its name."""
    document = json.loads(path.read_text(encoding="utf-8"))
    (feature,) = document["features"]
    return project(shape(feature["geometry"])), str(feature["properties"].get("name", "boundary"))


def projector() -> Transform:
    """WGS84 longitude/latitude -> British National Grid metres, for whole shapely geometries."""
    transformer = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

    def project(geometry: Any) -> Any:
        return shapely.transform(
            geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        )

    return project


# --- layers --------------------------------------------------------------------------------------


def polygons_of(geometry: Any, min_area_m2: float = 1.0) -> list[Polygon]:
    parts = shapely.get_parts(shapely.make_valid(geometry))
    return [p for p in parts if isinstance(p, Polygon) and p.area >= min_area_m2]


def extract_buildings(osm: Sequence[OsmFeature], boundary: Polygon) -> list[tuple[str, str, Any]]:
    """(osm id, name, polygon) of each ground-level building, clipped to the boundary."""
    buildings = []
    for feature in osm:
        tags = feature.tags
        if "building" not in tags or tags["building"] == "roof":
            continue
        if tags.get("layer", "0").lstrip("-").isdigit() and int(tags.get("layer", "0")) != 0:
            continue
        if not isinstance(feature.geometry, Polygon | MultiPolygon):
            continue
        clipped = polygons_of(feature.geometry.intersection(boundary), min_area_m2=4.0)
        if clipped:
            geometry = clipped[0] if len(clipped) == 1 else MultiPolygon(clipped)
            buildings.append((feature.osm_id, tags.get("name", ""), geometry))
    return buildings


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether an OSM way is a walkway people on foot may use at ground level."""
    if tags.get("highway") not in WALKWAY_WIDTH_M or tags.get("area") == "yes":
        return False
    if tags.get("tunnel") == "yes" or tags.get("level", "0").startswith("-"):
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    return not (
        tags.get("access") in ("no", "private") and foot not in ("yes", "designated", "permissive")
    )


def extract_walkways(
    osm: Sequence[OsmFeature], region: Polygon
) -> list[tuple[str, str, LineString]]:
    """(name, highway, line) of each walkable way, clipped to ``region``."""
    walkways = []
    for feature in osm:
        if not isinstance(feature.geometry, LineString) or not is_walkable(feature.tags):
            continue
        clipped = feature.geometry.intersection(region)
        for part in shapely.get_parts(shapely.line_merge(clipped) if not clipped.is_empty else []):
            if isinstance(part, LineString) and part.length >= 0.5:
                walkways.append((feature.tags.get("name", ""), feature.tags["highway"], part))
    return walkways


def extract_open_spaces(
    osm: Sequence[OsmFeature], boundary: Polygon, buildings: Sequence[Any]
) -> list[tuple[str, str, Any]]:
    """(name, use, polygon) of the named squares and parks, the canal, and Pancras Square."""
    canal_lines = [
        f.geometry
        for f in osm
        if f.tags.get("waterway") == "canal" and f.tags.get("name") == "Regent's Canal"
    ]
    spaces: list[tuple[str, str, Any]] = []
    for feature in osm:
        use = next((u for (k, v), u in OPEN_SPACE_USE.items() if feature.tags.get(k) == v), None)
        if use is None or not isinstance(feature.geometry, Polygon | MultiPolygon):
            continue
        name = feature.tags.get("name", "")
        if use == "water" and not name:
            if not any(feature.geometry.intersects(line) for line in canal_lines):
                continue
            name = "Regent's Canal"
        if not name and use != "playground":
            continue
        clipped = polygons_of(feature.geometry.intersection(boundary), min_area_m2=20.0)
        if clipped:
            spaces.append((name or "Playground", use, shapely.union_all(clipped)))
    # Pancras Square: the open ground between its office buildings, around the cascade and lawns.
    by_id = {f.osm_id: f for f in osm}
    around = shapely.union_all([by_id[i].geometry for i in PANCRAS_SQUARE_PARTS])
    lawns = [
        f.geometry
        for f in osm
        if (f.tags.get("landuse") == "grass" or f.tags.get("amenity") == "fountain")
        and f.geometry.distance(around) < 30.0
    ]
    square = shapely.convex_hull(shapely.union_all(lawns)).buffer(8.0)
    square = square.difference(shapely.union_all(list(buildings))).intersection(boundary)
    spaces.append(("Pancras Square", "square", shapely.union_all(polygons_of(square))))
    # Coal Drops Yard: the yard between the two Coal Drops sheds.
    sheds = shapely.union_all([by_id["way/222021572"].geometry, by_id["way/222021573"].geometry])
    yard = shapely.convex_hull(sheds).difference(sheds).intersection(boundary)
    spaces.append(("Coal Drops Yard", "square", shapely.union_all(polygons_of(yard, 50.0))))
    return spaces


# --- the walk network ---------------------------------------------------------------------------


def walk_network(
    walkways: Sequence[tuple[str, str, LineString]], anchors: Sequence[Point]
) -> list[tuple[str, str, LineString]]:
    """Noded walkway edges (name, highway, line) of the component reaching the most anchors."""
    lines = [line for _, _, line in walkways]
    graph = build_walk_graph(lines, join_m=JOIN_M)
    components = sorted(nx.connected_components(graph), key=len, reverse=True)
    edge_lines = [g for _, _, g in graph.edges(data="geometry")]
    tree = shapely.STRtree(edge_lines)
    edges = list(graph.edges)

    def reach(component: set[int]) -> int:
        return sum(edges[int(tree.query_nearest(anchor)[0])][0] in component for anchor in anchors)

    best = max(components[:5], key=lambda c: (reach(c), len(c)))
    source_tree = shapely.STRtree(lines)
    network = []
    for u, _, line in graph.edges(data="geometry"):
        if u not in best:
            continue
        middle = line.interpolate(0.5, normalized=True)
        name, highway, _ = walkways[int(source_tree.query_nearest(middle)[0])]
        network.append((name, highway, line))
    network.sort(key=lambda item: (item[2].coords[0], item[2].coords[-1]))
    return network


# --- entrances ---------------------------------------------------------------------------------


def station_links(
    gateways: Sequence[Point], network: Any, boundary: Polygon
) -> list[tuple[str, str, LineString]]:
    """Straight footways from gateways far from the network (station exits whose OSM footways
    run inside the stations) to the nearest walkway: the walk across the station forecourt."""
    links = []
    for gateway in gateways:
        if gateway.distance(network) <= LINK_M:
            continue
        _, onto = nearest_points(gateway, network)
        link = LineString([gateway, onto])
        if not boundary.buffer(49.0).covers(link):
            raise SystemExit(f"gateway at {gateway} is too far outside the boundary to link")
        links.append(("Station forecourt (link)", "footway", link))
    return links


def place_entrance(
    spec: EntranceSpec,
    by_id: Mapping[str, OsmFeature],
    boundary: Polygon,
    network: Any,
    buildings: Sequence[Polygon] = (),
) -> Point:
    """Where an entrance stands: an OSM point, where a walkway crosses the boundary, the point
    of a building nearest the walk network (its door), or an area's middle (or edge nearest the
    network when the middle is far from any walkway)."""
    kind, _, ref = spec.where.partition(":") if ":" in spec.where.split("/")[0] else ("", "", "")
    if kind == "crossing":
        crossing = by_id[ref].geometry.intersection(boundary.exterior)
        return shapely.get_parts(crossing)[0]
    if kind == "toward":
        edge, _ = nearest_points(boundary.exterior, by_id[ref].geometry)
        return edge
    if kind == "between":
        centres = [by_id[i].geometry.centroid for i in ref.split(",")]
        return Point(np.mean([[c.x, c.y] for c in centres], axis=0))
    geometry = by_id[spec.where].geometry
    if isinstance(geometry, Point):
        if geometry.distance(network) <= 20.0:
            return geometry
        # A shop or cinema inside a building: its door, where that building is nearest a walkway.
        inside = [b for b in buildings if b.contains(geometry)]
        if inside:
            door, _ = nearest_points(inside[0].exterior, network)
            return door
        return geometry
    geometry = geometry.intersection(boundary) if geometry.intersects(boundary) else geometry
    if "building" in by_id[spec.where].tags:
        door, _ = nearest_points(
            geometry.exterior if isinstance(geometry, Polygon) else geometry.boundary, network
        )
        return door
    middle = geometry.representative_point()
    if middle.distance(network) <= 20.0:
        return middle
    edge, _ = nearest_points(geometry.boundary, network)
    return edge


# --- demand --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    """Every gateway-destination route, both ways, with its share of trips (sums to 1)."""

    routes: tuple[Route, ...]
    weights: np.ndarray[Any, np.dtype[np.float64]]


def demand(site: Site) -> Demand:
    gateways, destinations = site.gateways, site.destinations
    g_total = sum(g.weight for g in gateways)
    d_total = sum(d.weight for d in destinations)
    routes, weights = [], []
    for gateway in gateways:
        for destination in destinations:
            share = gateway.weight / g_total * destination.weight / d_total / 2.0
            routes.append(site.route(gateway.entrance_id, destination.entrance_id))
            routes.append(site.route(destination.entrance_id, gateway.entrance_id))
            weights += [share, share]
    return Demand(tuple(routes), np.array(weights))


def good_passes(camera: Camera, routes: Sequence[Route], tree: shapely.STRtree) -> list[int]:
    """Indices of the routes on which ``camera`` sees an approaching face well enough."""
    found = []
    for index in tree.query(camera.view, predicate="intersects"):
        for seen in camera.passes(routes[int(index)].line):
            if seen.px_per_m >= GOOD_PX_PER_M and seen.facing_deg <= GOOD_FACING_DEG:
                found.append(int(index))
                break
    return sorted(found)


def recognition_counts(site: Site, routes: Sequence[Route]) -> np.ndarray[Any, Any]:
    """Recognition-capable passes per route (px/m >= 250, facing <= 60 degrees)."""
    counts = []
    for route in routes:
        counts.append(
            sum(
                1
                for seen in site.passes(route)
                if site.camera(seen.camera_id).recognition_capable
                and seen.px_per_m >= GOOD_PX_PER_M
                and seen.facing_deg <= GOOD_FACING_DEG
            )
        )
    return np.array(counts)


# --- cameras -----------------------------------------------------------------------------------


def bearing_deg(from_xy: Sequence[float], to_xy: Sequence[float]) -> float:
    """Compass bearing from one point to another, degrees."""
    return math.degrees(math.atan2(to_xy[0] - from_xy[0], to_xy[1] - from_xy[1])) % 360.0


COMPASS: Final = (
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
)


def compass(heading_deg: float) -> str:
    return COMPASS[round(heading_deg / 45.0) % 8]


def camera_feature(
    camera_id: str,
    name: str,
    xy: Sequence[float],
    heading_deg: float,
    lens: Lens,
    *,
    recognition: bool,
    tags: Sequence[str] = (),
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "kind": "camera",
        "id": camera_id,
        "name": name,
        "heading_deg": round(heading_deg % 360.0, 1),
        "hfov_deg": lens.hfov_deg,
        "width_px": lens.width_px,
        "height_px": lens.height_px,
        "mount_height_m": lens.mount_height_m,
        "tilt_deg": lens.tilt_deg,
        "fps": 25,
        "range_m": lens.range_m,
        "recognition_capable": recognition,
        "tags": list(tags),
    }
    return {"type": "Feature", "properties": props, "geometry": point_geometry(xy)}


def point_geometry(xy: Sequence[float]) -> dict[str, Any]:
    return {
        "type": "Point",
        "coordinates": [round(float(xy[0]), DECIMALS), round(float(xy[1]), DECIMALS)],
    }


@dataclass
class Candidate:
    feature: dict[str, Any]
    camera: Camera
    covers: list[int]  # routes with a good pass (recognition) or sample points seen (overview)


def build_camera(feature: dict[str, Any], buildings: Sequence[Polygon]) -> Camera:
    x, y = feature["geometry"]["coordinates"]
    return camera_from_properties(feature["properties"], (x, y), buildings, source="builder")


def standing_point(
    line: LineString, at_m: float, site: Site, clearance: Any
) -> tuple[float, float] | None:
    """A point beside ``line`` at ``at_m`` (either side) inside the boundary, clear of buildings."""
    here = line.interpolate(at_m)
    ahead = line.interpolate(min(line.length, at_m + 1.0))
    behind = line.interpolate(max(0.0, at_m - 1.0))
    dx, dy = ahead.x - behind.x, ahead.y - behind.y
    norm = math.hypot(dx, dy) or 1.0
    for side in (1.0, -1.0):
        x = here.x + side * SIDE_OFFSET_M * dy / norm
        y = here.y - side * SIDE_OFFSET_M * dx / norm
        if shapely.contains_xy(clearance, x, y):
            return (x, y)
    return None


def boulevard_cameras(
    site: Site, walkways: Sequence[tuple[str, str, LineString]], clearance: Any
) -> list[dict[str, Any]]:
    """The two 2016-18 recognition cameras: one spot on King's Boulevard, looking both ways."""
    boulevard = shapely.line_merge(
        shapely.union_all([line for name, _, line in walkways if name == "King's Boulevard"])
    )
    longest = max(shapely.get_parts(boulevard), key=lambda part: part.length)
    spot = standing_point(longest, longest.length / 2, site, clearance)
    if spot is None:
        raise SystemExit("no room for the King's Boulevard cameras")
    north = longest.interpolate(longest.length / 2 + LOOK_BACK_M)
    south = longest.interpolate(longest.length / 2 - LOOK_BACK_M)
    features = []
    for camera_id, target in (("kx-kb2016-a", north), ("kx-kb2016-b", south)):
        heading = bearing_deg(spot, (target.x, target.y))
        features.append(
            camera_feature(
                camera_id,
                f"King's Boulevard (2016-18 facial recognition), looking {compass(heading)}",
                spot,
                heading,
                BOULEVARD_LENS,
                recognition=True,
                tags=(BOULEVARD_TAG,),
            )
        )
    return features


def place_name(xy: Sequence[float], named: Sequence[tuple[str, Any]], tree: shapely.STRtree) -> str:
    nearest = tree.query_nearest(Point(xy), max_distance=25.0)
    return named[int(nearest[0])][0] if nearest.size else "Walkway"


def too_close(camera: Camera, others: Sequence[Camera]) -> bool:
    """Whether ``camera`` nearly duplicates one of ``others``: near it, looking the same way."""
    for other in others:
        apart_m = math.hypot(camera.x_m - other.x_m, camera.y_m - other.y_m)
        turn_deg = abs((camera.heading_deg - other.heading_deg + 180.0) % 360.0 - 180.0)
        if apart_m < MIN_SPACING_M and turn_deg < MIN_TURN_DEG:
            return True
    return False


def lazy_greedy(
    candidates: Sequence[Candidate],
    budget: int,
    gain: Callable[[Candidate], float],
    on_pick: Callable[[Candidate], None],
    placed: Sequence[Camera],
) -> list[Candidate]:
    """Pick up to ``budget`` candidates, each time the one with the largest ``gain`` (gains only
    shrink as picks accumulate, so stale gains are upper bounds: lazy evaluation), never one that
    nearly duplicates a camera already ``placed`` or picked."""
    heap = [(-gain(c), i) for i, c in enumerate(candidates)]
    heapq.heapify(heap)
    picked: list[Candidate] = []
    cameras = list(placed)
    while heap and len(picked) < budget:
        _, index = heapq.heappop(heap)
        fresh = gain(candidates[index])
        if fresh <= 0 or too_close(candidates[index].camera, cameras):
            continue
        if heap and fresh < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-fresh, index))
            continue
        picked.append(candidates[index])
        cameras.append(candidates[index].camera)
        on_pick(candidates[index])
    return picked


def recognition_cameras(
    site: Site,
    need: Demand,
    buildings: Sequence[Polygon],
    clearance: Any,
    counts: np.ndarray[Any, Any],
    placed: Sequence[Camera],
) -> list[Candidate]:
    """Greedy recognition cameras along the routes, looking back at approaching walkers."""
    tree = shapely.STRtree([route.line for route in need.routes])
    seen_keys: set[tuple[int, int, int]] = set()
    candidates: list[Candidate] = []
    order = np.argsort(-need.weights, kind="stable")
    for route_index in order:
        line = need.routes[int(route_index)].line
        at_m = LOOK_BACK_M + 5.0
        while at_m < line.length - 2.0:
            spot = standing_point(line, at_m, site, clearance)
            at_m += CANDIDATE_STEP_M
            if spot is None:
                continue
            back = line.interpolate(at_m - CANDIDATE_STEP_M - LOOK_BACK_M)
            heading = bearing_deg(spot, (back.x, back.y))
            key = (round(spot[0] / 6.0), round(spot[1] / 6.0), round(heading / 30.0) % 12)
            if key in seen_keys:
                continue
            seen_keys.add(key)
            lens = RECOGNITION_LENSES[len(candidates) % len(RECOGNITION_LENSES)]
            feature = camera_feature("candidate", "", spot, heading, lens, recognition=True)
            camera = build_camera(feature, buildings)
            covers = good_passes(camera, need.routes, tree)
            if covers:
                candidates.append(Candidate(feature, camera, covers))

    # Square roots of the trip shares: the station routes still count most, but the greedy also
    # reaches the quieter routes instead of stacking every camera on King's Boulevard.
    spread = np.sqrt(need.weights)

    def value(count: int) -> float:
        return EXTRA_PASS_VALUE[min(count, len(EXTRA_PASS_VALUE) - 1)]

    def gain(candidate: Candidate) -> float:
        return float(sum(spread[r] * value(int(counts[r])) for r in candidate.covers))

    def on_pick(candidate: Candidate) -> None:
        counts[candidate.covers] += 1

    return lazy_greedy(candidates, RECOGNITION_BUDGET, gain, on_pick, placed)


def overview_cameras(
    site: Site,
    need: Demand,
    buildings: Sequence[Polygon],
    clearance: Any,
    placed: Sequence[Camera],
) -> list[Candidate]:
    """Greedy wide cameras at junctions covering the most walkway (weighted by footfall) unseen."""
    footfall: defaultdict[tuple[int, int], float] = defaultdict(float)
    for route, weight in zip(need.routes, need.weights, strict=True):
        for a, b in zip(route.nodes[:-1], route.nodes[1:], strict=True):
            footfall[(min(a, b), max(a, b))] += float(weight)
    xs, ys, values = [], [], []
    for u, v, line in site.walk_graph.edges(data="geometry"):
        if not site.boundary.intersects(line):
            continue
        steps = np.arange(0.0, line.length, SAMPLE_STEP_M)
        points = shapely.line_interpolate_point(line, steps)
        inside = shapely.contains_xy(site.boundary, *shapely.get_coordinates(points).T)
        coords = shapely.get_coordinates(points)[inside]
        xs.extend(coords[:, 0])
        ys.extend(coords[:, 1])
        values.extend([0.02 + footfall.get((min(u, v), max(u, v)), 0.0)] * len(coords))
    x, y, value = np.array(xs), np.array(ys), np.array(values)
    unseen = np.ones(len(x), dtype=bool)
    for camera in placed:
        unseen &= ~shapely.contains_xy(camera.view, x, y)

    candidates: list[Candidate] = []
    for node, data in sorted(site.walk_graph.nodes(data=True)):
        if site.walk_graph.degree(node) < 3 or not site.boundary.contains(
            Point(data["x"], data["y"])
        ):
            continue
        for neighbour in sorted(site.walk_graph.neighbors(node)):
            line = site.walk_graph.edges[node, neighbour]["geometry"]
            if node > neighbour:
                line = line.reverse()
            spot = standing_point(line, 0.0, site, clearance)
            if spot is None:
                continue
            target = line.interpolate(min(line.length, 20.0))
            heading = bearing_deg(spot, (target.x, target.y))
            lens = OVERVIEW_LENSES[len(candidates) % len(OVERVIEW_LENSES)]
            feature = camera_feature("candidate", "", spot, heading, lens, recognition=False)
            camera = build_camera(feature, buildings)
            covers = np.flatnonzero(shapely.contains_xy(camera.view, x, y)).tolist()
            if covers:
                candidates.append(Candidate(feature, camera, covers))

    def gain(candidate: Candidate) -> float:
        return float(value[candidate.covers][unseen[candidate.covers]].sum())

    def on_pick(candidate: Candidate) -> None:
        unseen[candidate.covers] = False

    return lazy_greedy(candidates, OVERVIEW_BUDGET, gain, on_pick, placed)


# --- writing -------------------------------------------------------------------------------------


def rounded(geometry: Any) -> dict[str, Any]:
    """GeoJSON geometry with coordinates rounded to 0.1 m (rings kept valid)."""
    geometry = shapely.set_precision(geometry, 10.0**-DECIMALS)
    mapping: dict[str, Any] = shapely.geometry.mapping(geometry)

    def round_all(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, DECIMALS)
        if isinstance(value, list | tuple):
            return [round_all(v) for v in value]
        return value

    return {"type": mapping["type"], "coordinates": round_all(mapping["coordinates"])}


def feature(geometry: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": rounded(geometry)}


def document(properties: Mapping[str, Any], features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "crs": CRS,
        "properties": dict(properties),
        "features": list(features),
    }


def dumps(doc: Mapping[str, Any]) -> str:
    """Compact JSON with one feature per line: small, and readable in a diff."""
    head = json.dumps({k: v for k, v in doc.items() if k != "features"}, ensure_ascii=False)
    body = ",\n".join(
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in doc["features"]
    )
    return f'{head[:-1]}, "features": [\n{body}\n]}}\n'


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- main ---------------------------------------------------------------------------------------


def build(osm_path: Path, boundary_path: Path) -> dict[str, Any]:
    """The King's Cross site map as a GeoJSON document (dict)."""
    project = projector()
    osm = read_osm(osm_path, project)
    by_id = {f.osm_id: f for f in osm}
    boundary, boundary_name = read_boundary(boundary_path, project)

    buildings = extract_buildings(osm, boundary)
    building_polygons = [p for _, _, g in buildings for p in shapely.get_parts(g)]
    open_spaces = extract_open_spaces(osm, boundary, building_polygons)

    region = boundary.buffer(EDGE_M)
    gateway_points = [
        place_entrance(spec, by_id, boundary, boundary)
        for spec in ENTRANCES
        if spec.role == "gateway"
    ]
    region = region.union(shapely.union_all([p.buffer(EDGE_M) for p in gateway_points]))
    region = region.intersection(boundary.buffer(49.0))  # the profile allows 50 m; rounding
    walkways = extract_walkways(osm, region)
    network = walk_network(walkways, gateway_points)
    network_lines = shapely.union_all([line for _, _, line in network])
    network += station_links(gateway_points, network_lines, boundary)
    network_lines = shapely.union_all([line for _, _, line in network])

    base = [feature(boundary, kind="boundary", name=boundary_name)]
    base += [
        feature(g, kind="building", **({"name": name} if name else {}), osm_id=osm_id)
        for osm_id, name, g in sorted(buildings)
    ]
    base += [
        feature(g, kind="open_space", name=name, use=use, **SPACE_NOTES.get(name, {}))
        for name, use, g in open_spaces
    ]
    base += [
        feature(
            line,
            kind="walkway",
            **({"name": name} if name else {}),
            highway=highway,
            width_m=WALKWAY_WIDTH_M[highway],
        )
        for name, highway, line in network
        if line.length >= 10.0**-DECIMALS  # shorter edges vanish when rounded; ends meet anyway
    ]
    for spec in ENTRANCES:
        target = boundary if spec.role == "gateway" else network_lines
        where = place_entrance(spec, by_id, boundary, target, building_polygons)
        props: dict[str, Any] = {
            "kind": "entrance",
            "id": spec.entrance_id,
            "name": spec.name,
            "role": spec.role,
            "weight": spec.weight,
        }
        if spec.note:
            props["source"] = spec.note
        base.append(
            {"type": "Feature", "properties": props, "geometry": point_geometry((where.x, where.y))}
        )

    properties = {
        "name": "King's Cross estate, London",
        "attribution": ATTRIBUTION,
        "source": (
            "OpenStreetMap extract (kings_cross_osm.geojson) and an approximate hand-drawn estate "
            "boundary (kings_cross_boundary.geojson), projected to EPSG:27700 with pyproj by "
            "site_maps/build_kings_cross.py; cameras synthetic"
        ),
        "licence": "ODbL 1.0 (derived from OpenStreetMap)",
        "assumptions": {
            "gateways": GATEWAY_ASSUMPTION,
            "destinations": DESTINATION_ASSUMPTION,
            "cameras": CAMERA_ASSUMPTION,
            "walk_network": (
                "Planar: walkways are joined wherever they cross, so bridges meet what runs "
                "beneath; tunnels and underground levels are left out."
            ),
        },
    }

    # Load the map without cameras to get the walk graph, routes and the validated buildings.
    with tempfile.TemporaryDirectory() as scratch:
        draft = Path(scratch) / "draft.geojson"
        draft.write_text(dumps(document(properties, base)), encoding="utf-8")
        site = load_site(draft)
    need = demand(site)
    clearance = site.boundary.buffer(-1.0).difference(
        shapely.union_all(list(site.buildings)).buffer(1.0)
    )
    shapely.prepare(clearance)
    named = [(name, line) for name, _, line in network if name]
    named += [(name, g) for name, _, g in open_spaces]
    name_tree = shapely.STRtree([g for _, g in named])

    cameras = boulevard_cameras(site, network, clearance)
    fixed = [build_camera(f, site.buildings) for f in cameras]
    tree = shapely.STRtree([route.line for route in need.routes])
    counts = np.zeros(len(need.routes), dtype=np.int64)
    for camera in fixed:
        counts[good_passes(camera, need.routes, tree)] += 1
    picked = recognition_cameras(site, need, site.buildings, clearance, counts, fixed)
    placed = fixed + [c.camera for c in picked]
    overview = overview_cameras(site, need, site.buildings, clearance, placed)

    for number, candidate in enumerate(picked + overview, start=1):
        props = dict(candidate.feature["properties"])
        xy = candidate.feature["geometry"]["coordinates"]
        props["id"] = f"kx-{number:03d}"
        where = place_name(xy, [(n, g) for n, g in named], name_tree)
        props["name"] = f"{where}, looking {compass(props['heading_deg'])}"
        props["tags"] = ["face_capture"] if props["recognition_capable"] else ["overview"]
        cameras.append(
            {"type": "Feature", "properties": props, "geometry": candidate.feature["geometry"]}
        )
    return document(properties, base + cameras)


def statistics(site: Site) -> dict[str, Any]:
    """The figures the build prints: area, cameras, recognition passes per weighted route."""
    need = demand(site)
    counts = recognition_counts(site, need.routes)
    recognition = [c for c in site.cameras if c.recognition_capable]
    return {
        "area_ha": round(site.area_ha, 2),
        "buildings": len(site.buildings),
        "walkways": len(site.walkways),
        "walk_graph_nodes": site.walk_graph.number_of_nodes(),
        "walk_graph_edges": site.walk_graph.number_of_edges(),
        "gateways": len(site.gateways),
        "destinations": len(site.destinations),
        "cameras": len(site.cameras),
        "recognition_capable": len(recognition),
        "kings_boulevard_2016": sum(BOULEVARD_TAG in c.tags for c in site.cameras),
        "routes": len(need.routes),
        "mean_route_length_m": round(
            float(np.dot(need.weights, [r.length_m for r in need.routes])), 1
        ),
        "mean_recognition_passes_per_route": round(float(np.dot(need.weights, counts)), 2),
        "share_of_trips_with_no_recognition_pass": round(float(need.weights[counts == 0].sum()), 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM, help="OSM extract (GeoJSON)")
    parser.add_argument("--boundary", type=Path, default=DEFAULT_BOUNDARY, help="estate boundary")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="site map to write")
    parser.add_argument(
        "--json", action="store_true", help="print the figures as one JSON document"
    )
    args = parser.parse_args(argv)

    doc = build(args.osm, args.boundary)
    write_atomically(args.out, dumps(doc))
    figures = statistics(load_site(args.out))
    figures["file_bytes"] = args.out.stat().st_size
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key.replace('_', ' ')}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
