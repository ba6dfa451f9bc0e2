"""The site: a GeoJSON site map turned into the ground people walk and cameras watch.

A site map (docs/site_map_profile.md) is one GeoJSON FeatureCollection in projected metres: a
boundary, buildings (which block walking and sight), open spaces (drawn), walkways (the network
people walk), entrances (gateways where people enter and leave, destinations where they go) and
cameras. :func:`load_site` validates it once at the border, refusing bad input with one
:class:`~twin.errors.SiteMapError` line that names the file, the feature and what is allowed, and
returns a frozen :class:`Site`.

The **walk graph** is the walkways noded where they cross or touch, with loose ends within 1 m of
another walkway joined to it. Each entrance attaches to the nearest point of the network within
30 m (a node is inserted there). People walk the shortest path by length; :meth:`Site.route` caches
one shortest-path tree per origin. Every walk-graph edge is cut by the camera views it crosses once,
when the site is built (a spatial index over the views finds them), so :meth:`Site.passes` only
puts a route's pieces together: it runs for thousands of routes.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

import networkx as nx
import numpy as np
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.ops import substring

from twin.cameras import (
    Camera,
    ViewPass,
    ViewPieces,
    camera_from_properties,
    cut_by_views,
    passes_from_pieces,
    passes_through,
)
from twin.errors import SiteMapError

__all__ = [
    "ENTRANCE_SNAP_M",
    "WALKWAY_JOIN_M",
    "WALKWAY_OVERRUN_M",
    "Entrance",
    "OpenSpace",
    "Route",
    "Site",
    "build_walk_graph",
    "load_site",
]

#: An entrance attaches to the walk network within this distance, m.
ENTRANCE_SNAP_M: Final = 30.0
#: A walkway's loose end within this distance of another walkway is joined to it, m.
WALKWAY_JOIN_M: Final = 1.0
#: Walkways and entrances may lie this far outside the boundary (to reach a gateway), m.
WALKWAY_OVERRUN_M: Final = 50.0
#: Walkway width when the map does not say, m.
DEFAULT_WALKWAY_WIDTH_M: Final = 3.0

KINDS: Final = ("boundary", "building", "open_space", "walkway", "entrance", "camera")
_GEOMETRIES: Final[Mapping[str, tuple[str, ...]]] = {
    "boundary": ("Polygon",),
    "building": ("Polygon", "MultiPolygon"),
    "open_space": ("Polygon", "MultiPolygon"),
    "walkway": ("LineString",),
    "entrance": ("Point",),
    "camera": ("Point",),
}
_GEOGRAPHIC_CRS: Final = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4258", "EPSG:4258")
# Noding snaps walkway coordinates to this grid, m: robust crossings, near-touches joined.
_GRID_M: Final = 0.01
# An entrance this close to a node attaches to it rather than splitting the edge, m.
_NODE_SNAP_M: Final = 0.5


@dataclass(frozen=True)
class Entrance:
    """Where people enter and leave the site (gateway) or go to (destination); metres."""

    entrance_id: str
    name: str
    role: Literal["gateway", "destination"]
    #: Relative share of trips (> 0); compared only among entrances of the same role.
    weight: float
    x_m: float
    y_m: float
    #: The walk-graph node the entrance attaches to.
    node: int

    @property
    def position(self) -> Point:
        """The entrance's position on the map."""
        return Point(self.x_m, self.y_m)


@dataclass(frozen=True)
class OpenSpace:
    """A named square, park, water or other open space (drawn; walked along its walkways)."""

    name: str
    use: str
    polygon: Polygon | MultiPolygon


@dataclass(frozen=True)
class Route:
    """The shortest walk from one entrance to another."""

    origin: str
    destination: str
    nodes: tuple[int, ...]
    #: From the origin entrance's point, through the nodes, to the destination's point (metres).
    line: LineString
    length_m: float


@dataclass(frozen=True)
class Site:
    """A validated site map: ground, walk graph, entrances and cameras (projected metres).

    ``walk_graph`` nodes are ints with attributes ``x`` and ``y`` (m); each edge carries
    ``length_m`` and ``geometry``, a LineString running from the lower node id to the higher.
    """

    name: str
    source: Path
    attribution: str
    crs: str
    boundary: Polygon
    buildings: tuple[Polygon, ...]
    open_spaces: tuple[OpenSpace, ...]
    walkways: tuple[LineString, ...]
    walk_graph: nx.Graph = field(repr=False)
    entrances: tuple[Entrance, ...]
    cameras: tuple[Camera, ...]
    # Lookups and caches, built once: entrance and camera by id, views' spatial index, routes.
    _entrance_by_id: dict[str, Entrance] = field(init=False, repr=False, compare=False)
    _camera_by_id: dict[str, Camera] = field(init=False, repr=False, compare=False)
    _view_tree: shapely.STRtree = field(init=False, repr=False, compare=False)
    _paths_from: dict[int, dict[int, list[int]]] = field(init=False, repr=False, compare=False)
    _edge_views: dict[tuple[int, int], ViewPieces] = field(init=False, repr=False, compare=False)
    _routes: dict[tuple[str, str], Route] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_entrance_by_id", {e.entrance_id: e for e in self.entrances})
        setattr_(self, "_camera_by_id", {c.camera_id: c for c in self.cameras})
        setattr_(self, "_view_tree", shapely.STRtree([c.view for c in self.cameras]))
        setattr_(self, "_paths_from", {})
        setattr_(self, "_edge_views", _edge_views(self.walk_graph, self.cameras, self._view_tree))
        setattr_(self, "_routes", {})

    @property
    def area_ha(self) -> float:
        """Area inside the boundary, hectares."""
        return float(self.boundary.area) / 10_000.0

    @property
    def gateways(self) -> tuple[Entrance, ...]:
        """Entrances where people enter and leave the site."""
        return tuple(e for e in self.entrances if e.role == "gateway")

    @property
    def destinations(self) -> tuple[Entrance, ...]:
        """Entrances people walk to inside the site."""
        return tuple(e for e in self.entrances if e.role == "destination")

    def entrance(self, entrance_id: str) -> Entrance:
        """The entrance with this id (KeyError naming it if there is none)."""
        try:
            return self._entrance_by_id[entrance_id]
        except KeyError:
            raise KeyError(f"no entrance {entrance_id!r} on site {self.name!r}") from None

    def camera(self, camera_id: str) -> Camera:
        """The camera with this id (KeyError naming it if there is none)."""
        try:
            return self._camera_by_id[camera_id]
        except KeyError:
            raise KeyError(f"no camera {camera_id!r} on site {self.name!r}") from None

    def route(self, origin_id: str, destination_id: str) -> Route:
        """The shortest walk by length between two different entrances (cached)."""
        key = (origin_id, destination_id)
        cached = self._routes.get(key)
        if cached is not None:
            return cached
        if origin_id == destination_id:
            raise ValueError(f"a route needs two different entrances, got {origin_id!r} twice")
        origin, destination = self.entrance(origin_id), self.entrance(destination_id)
        paths = self._paths_from.get(origin.node)
        if paths is None:
            paths = nx.single_source_dijkstra_path(self.walk_graph, origin.node, weight="length_m")
            self._paths_from[origin.node] = paths
        nodes = tuple(paths[destination.node])
        line = _route_line(self.walk_graph, nodes, origin.position, destination.position)
        route = Route(origin_id, destination_id, nodes, line, float(line.length))
        self._routes[key] = route
        return route

    def passes(self, route: Route | LineString) -> list[ViewPass]:
        """Every pass of the route through any camera's view, sorted by ``best_m``.

        For a :class:`Route` the pieces of each walk-graph edge inside each view are cut once,
        when the site is built, and only put together here; any other line is cut afresh.
        """
        if not isinstance(route, Route):
            nearby = self._view_tree.query(route, predicate="intersects")
            return passes_through(route, [self.cameras[int(i)] for i in nearby])
        line = route.line
        coords = np.asarray(line.coords)
        # Each chunk: an edge's pieces, where along the route the edge starts, walked backwards?
        chunks: list[tuple[ViewPieces, float, bool]] = []
        # The walk from the origin's point to its node, and from the last node to the destination.
        first = self.walk_graph.nodes[route.nodes[0]]
        last = self.walk_graph.nodes[route.nodes[-1]]
        lead_m = math.dist(coords[0], (first["x"], first["y"]))
        tail_m = math.dist(coords[-1], (last["x"], last["y"]))
        if lead_m > 0:
            chunks.append(
                (self._cut(LineString([coords[0], (first["x"], first["y"])])), 0.0, False)
            )
        offset_m = lead_m
        for a, b in itertools.pairwise(route.nodes):
            cut = self._edge_views[(a, b) if a < b else (b, a)]
            chunks.append((cut, offset_m, a > b))
            offset_m += cut.length_m
        if tail_m > 0:
            tail = LineString([(last["x"], last["y"]), coords[-1]])
            chunks.append((self._cut(tail), offset_m, False))
        chunks = [chunk for chunk in chunks if chunk[0].pieces.size]
        if not chunks:
            return []
        sizes = [cut.pieces.size for cut, _, _ in chunks]
        offsets_m = np.repeat([offset for _, offset, _ in chunks], sizes)
        backwards = np.repeat([back for _, _, back in chunks], sizes)
        lengths_m = np.repeat([cut.length_m for cut, _, _ in chunks], sizes)
        start_m = np.concatenate([cut.start_m for cut, _, _ in chunks])
        end_m = np.concatenate([cut.end_m for cut, _, _ in chunks])
        return passes_from_pieces(
            line,
            self.cameras,
            np.concatenate([cut.pieces for cut, _, _ in chunks]),
            np.concatenate([cut.camera for cut, _, _ in chunks]),
            offsets_m + np.where(backwards, lengths_m - end_m, start_m),
            offsets_m + np.where(backwards, lengths_m - start_m, end_m),
        )

    def _cut(self, line: LineString) -> ViewPieces:
        nearby = self._view_tree.query(line, predicate="intersects")
        return _cut_line(line, nearby, self.cameras)


def _cut_line(
    line: LineString, nearby: np.ndarray[Any, Any], cameras: Sequence[Camera]
) -> ViewPieces:
    """Cut ``line`` by the views of ``cameras[nearby]``; camera indices into ``cameras``."""
    cut = cut_by_views(line, [cameras[int(i)] for i in nearby])
    return replace(cut, camera=np.asarray(nearby, dtype=np.int64)[cut.camera])


def _edge_views(
    graph: nx.Graph, cameras: Sequence[Camera], tree: shapely.STRtree
) -> dict[tuple[int, int], ViewPieces]:
    """Cut every walk-graph edge by the camera views it crosses, keyed (lower id, higher id)."""
    table = {}
    for u, v, line in graph.edges(data="geometry"):
        nearby = tree.query(line, predicate="intersects")
        table[(min(u, v), max(u, v))] = _cut_line(line, nearby, cameras)
    return table


def load_site(path: str | Path) -> Site:
    """Read, validate and build the site map at ``path`` (GeoJSON in projected metres).

    Raises :class:`~twin.errors.SiteMapError` for anything the profile does not allow.
    """
    source = Path(path)
    document = _read_document(source)
    features = document["features"]

    by_kind: dict[str, list[tuple[int, Mapping[str, Any], Any]]] = {kind: [] for kind in KINDS}
    seen_ids: dict[str, int] = {}
    for index, feature in enumerate(features):
        kind, props, geometry = _parse_feature(index, feature, source)
        feature_id = props.get("id")
        if isinstance(feature_id, str):
            if feature_id in seen_ids:
                raise SiteMapError(
                    f"{_label(index, props)}: duplicate id {feature_id!r} (also feature "
                    f"{seen_ids[feature_id]}); allowed: ids unique in the file",
                    source=source,
                )
            seen_ids[feature_id] = index
        by_kind[kind].append((index, props, geometry))

    boundaries = by_kind["boundary"]
    if len(boundaries) != 1:
        found = ", ".join(f"feature {i}" for i, _, _ in boundaries) or "none"
        raise SiteMapError(
            f"a site map needs exactly one 'boundary' feature; found {found}", source=source
        )
    boundary: Polygon = boundaries[0][2]
    reach = boundary.buffer(WALKWAY_OVERRUN_M)
    shapely.prepare(boundary)
    shapely.prepare(reach)

    buildings = tuple(
        part for _, _, geometry in by_kind["building"] for part in shapely.get_parts(geometry)
    )
    open_spaces = tuple(
        OpenSpace(
            name=_text(props, "name", "", index, source),
            use=_text(props, "use", "open", index, source),
            polygon=geometry,
        )
        for index, props, geometry in by_kind["open_space"]
    )
    walkways = []
    for index, props, geometry in by_kind["walkway"]:
        _text(props, "name", "", index, source)
        width = props.get("width_m", DEFAULT_WALKWAY_WIDTH_M)
        if isinstance(width, bool) or not isinstance(width, int | float) or not width > 0:
            raise SiteMapError(
                f"{_label(index, props)}: 'width_m' is {width!r}; allowed: metres > 0",
                source=source,
            )
        if not reach.covers(geometry):
            raise SiteMapError(
                f"{_label(index, props)}: walkway runs more than {WALKWAY_OVERRUN_M:.0f} m "
                "outside the boundary",
                source=source,
            )
        walkways.append(geometry)
    if not walkways:
        raise SiteMapError("a site map needs at least one 'walkway' feature", source=source)

    cameras = []
    for index, props, geometry in by_kind["camera"]:
        camera = camera_from_properties(
            props, (geometry.x, geometry.y), buildings, source=source, index=index
        )
        if not boundary.covers(geometry):
            raise SiteMapError(
                f"camera {camera.camera_id!r}: at ({camera.x_m:.1f}, {camera.y_m:.1f}) outside "
                "the boundary; allowed: inside the boundary",
                source=source,
            )
        cameras.append(camera)

    graph = build_walk_graph(walkways)
    entrances = _attach_entrances(graph, by_kind["entrance"], reach, source)
    _check_reachable(graph, entrances, source)

    top = document.get("properties") or {}
    return Site(
        name=str(top.get("name", source.stem)),
        source=source,
        attribution=str(top.get("attribution", "")),
        crs=_crs_name(document, source),
        boundary=boundary,
        buildings=buildings,
        open_spaces=open_spaces,
        walkways=tuple(walkways),
        walk_graph=graph,
        entrances=entrances,
        cameras=tuple(cameras),
    )


def build_walk_graph(walkways: Sequence[LineString], *, join_m: float = WALKWAY_JOIN_M) -> nx.Graph:
    """Node walkways into a graph: split where they cross or touch, loose ends within ``join_m``
    joined; nodes carry ``x``, ``y`` (m), edges ``length_m`` and ``geometry`` (lower id first).
    """
    lines = _join_loose_ends(np.asarray(walkways, dtype=object), join_m)
    noded = shapely.get_parts(shapely.union_all(lines, grid_size=_GRID_M))
    noded = noded[shapely.get_type_id(noded) == shapely.GeometryType.LINESTRING]
    graph = nx.Graph()
    node_at: dict[tuple[float, float], int] = {}

    def node(xy: tuple[float, float]) -> int:
        found = node_at.get(xy)
        if found is None:
            found = node_at[xy] = graph.number_of_nodes()
            graph.add_node(found, x=xy[0], y=xy[1])
        return found

    for line in noded:
        if line.length <= 0:
            continue
        coords = np.asarray(line.coords)
        u, v = node(tuple(coords[0])), node(tuple(coords[-1]))
        # Keep a simple graph: a loop or a second edge between two nodes is split by new nodes.
        pieces = 3 if u == v else 2 if graph.has_edge(u, v) else 1
        cuts = [line.length * k / pieces for k in range(pieces + 1)]
        ends = [u] + [node(_xy(line.interpolate(c))) for c in cuts[1:-1]] + [v]
        for k in range(pieces):
            _add_edge(graph, ends[k], ends[k + 1], substring(line, cuts[k], cuts[k + 1]))
    return graph


# --- reading and validating features -----------------------------------------------------------


def _read_document(source: Path) -> dict[str, Any]:
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SiteMapError("site map file not found", source=source) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteMapError(f"cannot read the site map: {exc}", source=source) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SiteMapError(
            f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=source
        ) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SiteMapError("not a GeoJSON FeatureCollection", source=source)
    if not isinstance(document.get("features"), list):
        raise SiteMapError("a FeatureCollection needs a 'features' list", source=source)
    if not isinstance(document.get("properties", {}), dict):
        raise SiteMapError("top-level 'properties' must be an object", source=source)
    _crs_name(document, source)
    return document


def _crs_name(document: Mapping[str, Any], source: Path) -> str:
    crs = document.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str):
        raise SiteMapError(
            "missing 'crs': a site map is in projected metres and names its grid, e.g. "
            '{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}',
            source=source,
        )
    if name.upper().endswith(_GEOGRAPHIC_CRS):
        raise SiteMapError(
            f"crs {name!r} is in degrees; allowed: a projected CRS in metres (e.g. EPSG:27700)",
            source=source,
        )
    return name


def _label(index: int, props: Mapping[str, Any]) -> str:
    """How a message names a feature: its index, kind and id, e.g. "feature 7 (camera 'cam-1')"."""
    kind, feature_id = props.get("kind"), props.get("id")
    named = [
        *([kind] if kind in KINDS else []),
        *([repr(feature_id)] if isinstance(feature_id, str) else []),
    ]
    return f"feature {index} ({' '.join(named)})" if named else f"feature {index}"


def _parse_feature(index: int, feature: Any, source: Path) -> tuple[str, Mapping[str, Any], Any]:
    """(kind, properties, geometry) of one feature, its geometry valid and in finite metres."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise SiteMapError(f"feature {index}: not a GeoJSON Feature", source=source)
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise SiteMapError(f"feature {index}: 'properties' must be an object", source=source)
    label = _label(index, props)
    kind = props.get("kind")
    if kind not in KINDS:
        raise SiteMapError(
            f"{label}: unknown kind {kind!r}; allowed: {', '.join(KINDS)}", source=source
        )
    raw = feature.get("geometry")
    allowed = _GEOMETRIES[kind]
    if not isinstance(raw, dict) or raw.get("type") not in allowed:
        found = raw.get("type") if isinstance(raw, dict) else raw
        raise SiteMapError(
            f"{label}: {kind} needs a {' or '.join(allowed)} geometry, not {found!r}",
            source=source,
        )
    try:
        geometry = shape(raw)
    except (ShapelyError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SiteMapError(
            f"{label}: malformed {raw['type']} geometry ({exc})", source=source
        ) from exc
    coords = shapely.get_coordinates(geometry)
    if geometry.is_empty or not np.isfinite(coords).all():
        raise SiteMapError(f"{label}: empty geometry or coordinates not finite", source=source)
    if not geometry.is_valid:
        raise SiteMapError(
            f"{label}: invalid {raw['type']} ({shapely.is_valid_reason(geometry)}); allowed: "
            "simple polygons whose rings do not cross themselves",
            source=source,
        )
    if kind == "walkway" and geometry.length <= 0:
        raise SiteMapError(f"{label}: walkway has zero length", source=source)
    return kind, props, geometry


def _text(props: Mapping[str, Any], key: str, default: str, index: int, source: Path) -> str:
    value = props.get(key, default)
    if not isinstance(value, str):
        raise SiteMapError(
            f"{_label(index, props)}: {key!r} is {value!r}; allowed: a string", source=source
        )
    return value


# --- the walk graph ------------------------------------------------------------------------------


def _xy(point: Point) -> tuple[float, float]:
    return (float(point.x), float(point.y))


def _add_edge(graph: nx.Graph, u: int, v: int, geometry: LineString) -> None:
    """Add u-v with its geometry oriented from the lower node id to the higher."""
    low = graph.nodes[min(u, v)]
    start = geometry.coords[0]
    end = geometry.coords[-1]
    if math.dist(start, (low["x"], low["y"])) > math.dist(end, (low["x"], low["y"])):
        geometry = geometry.reverse()
    graph.add_edge(u, v, length_m=float(geometry.length), geometry=geometry)


def _join_loose_ends(lines: np.ndarray[Any, Any], join_m: float) -> list[LineString]:
    """Extend each walkway end that stops within ``join_m`` of another walkway onto it."""
    if lines.size < 2:
        return list(lines)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.concatenate([np.arange(lines.size), np.arange(lines.size)])
    end_idx, line_idx = shapely.STRtree(lines).query(ends, predicate="dwithin", distance=join_m)
    other = owner[end_idx] != line_idx
    end_idx, line_idx = end_idx[other], line_idx[other]
    gaps = shapely.distance(ends[end_idx], lines[line_idx])
    coords = [list(line.coords) for line in lines]
    closest: dict[int, tuple[float, int]] = {}
    for end, line, gap in zip(end_idx.tolist(), line_idx.tolist(), gaps.tolist(), strict=True):
        if end not in closest or gap < closest[end][0]:
            closest[end] = (gap, line)
    for end, (gap, line) in closest.items():
        if gap == 0.0:
            continue
        target = lines[line]
        onto = _xy(target.interpolate(target.project(ends[end])))
        walkway = int(owner[end])
        if end < lines.size:
            coords[walkway].insert(0, onto)
        else:
            coords[walkway].append(onto)
    return [LineString(c) for c in coords]


def _attach(graph: nx.Graph, point: Point) -> tuple[int, float] | None:
    """Attach ``point`` to the nearest point of the network: (node, distance m), or None."""
    edges = list(graph.edges(data="geometry"))
    tree = shapely.STRtree([geometry for _, _, geometry in edges])
    found, distances = tree.query_nearest(point, max_distance=ENTRANCE_SNAP_M, return_distance=True)
    if found.size == 0:
        return None
    u, v, geometry = edges[int(found[0])]
    along_m = float(geometry.project(point))
    low, high = min(u, v), max(u, v)
    if along_m <= _NODE_SNAP_M:
        return low, float(distances[0])
    if along_m >= geometry.length - _NODE_SNAP_M:
        return high, float(distances[0])
    new = max(graph.nodes) + 1
    x_m, y_m = _xy(geometry.interpolate(along_m))
    graph.add_node(new, x=x_m, y=y_m)
    graph.remove_edge(u, v)
    _add_edge(graph, low, new, substring(geometry, 0.0, along_m))
    _add_edge(graph, new, high, substring(geometry, along_m, geometry.length))
    return new, float(distances[0])


def _attach_entrances(
    graph: nx.Graph,
    features: Sequence[tuple[int, Mapping[str, Any], Any]],
    reach: Polygon,
    source: Path,
) -> tuple[Entrance, ...]:
    entrances = []
    for index, props, point in features:
        label = _label(index, props)
        entrance_id = props.get("id")
        if not isinstance(entrance_id, str) or not entrance_id.strip():
            raise SiteMapError(f"{label}: entrance 'id' must be a non-empty string", source=source)
        label = f"entrance {entrance_id!r}"
        role = props.get("role")
        if role not in ("gateway", "destination"):
            raise SiteMapError(
                f"{label}: role is {role!r}; allowed: 'gateway' or 'destination'", source=source
            )
        weight = props.get("weight")
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight <= 0
        ):
            raise SiteMapError(
                f"{label}: weight is {weight!r}; allowed: a finite number > 0", source=source
            )
        name = _text(props, "name", entrance_id, index, source)
        if not reach.covers(point):
            raise SiteMapError(
                f"{label}: more than {WALKWAY_OVERRUN_M:.0f} m outside the boundary",
                source=source,
            )
        attached = _attach(graph, point)
        if attached is None:
            raise SiteMapError(
                f"{label}: no walkway within {ENTRANCE_SNAP_M:.0f} m; allowed: within "
                f"{ENTRANCE_SNAP_M:.0f} m of the walk graph",
                source=source,
            )
        entrances.append(
            Entrance(
                entrance_id=entrance_id,
                name=name,
                role=role,
                weight=float(weight),
                x_m=float(point.x),
                y_m=float(point.y),
                node=attached[0],
            )
        )
    return tuple(entrances)


def _check_reachable(graph: nx.Graph, entrances: Sequence[Entrance], source: Path) -> None:
    """Every entrance must reach every gateway along the walkways."""
    gateways = [e for e in entrances if e.role == "gateway"]
    destinations = [e for e in entrances if e.role == "destination"]
    if not gateways or not destinations:
        raise SiteMapError(
            "a site map needs at least one gateway and one destination entrance", source=source
        )
    component_of = {}
    for number, component in enumerate(nx.connected_components(graph)):
        for node in component:
            component_of[node] = number
    for gateway in gateways:
        for entrance in entrances:
            if component_of[entrance.node] != component_of[gateway.node]:
                raise SiteMapError(
                    f"entrance {entrance.entrance_id!r} ({entrance.name}) cannot reach gateway "
                    f"{gateway.entrance_id!r} ({gateway.name}) along the walkways; allowed: "
                    "one connected walk network joining every entrance",
                    source=source,
                )


def _route_line(
    graph: nx.Graph, nodes: Sequence[int], origin: Point, destination: Point
) -> LineString:
    """Join the edges' geometries along ``nodes``, from the origin point to the destination's."""
    chunks = [np.array([[origin.x, origin.y]])]
    if len(nodes) == 1:
        n = graph.nodes[nodes[0]]
        chunks.append(np.array([[n["x"], n["y"]]]))
    for a, b in itertools.pairwise(nodes):
        coords = np.asarray(graph.edges[a, b]["geometry"].coords)
        chunks.append(coords if a < b else coords[::-1])
    chunks.append(np.array([[destination.x, destination.y]]))
    coords = np.concatenate(chunks)
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    coords = coords[keep]
    if len(coords) < 2:
        coords = np.vstack([coords, coords])
    return LineString(coords)
