"""The site: a GeoJSON site map turned into the ground people walk and cameras watch.

A site map (docs/site_map_profile.md) is one GeoJSON FeatureCollection in projected metres: a
boundary, buildings (which block walking and sight), open spaces (drawn), walkways (the network
people walk, each with a width), entrances (gateways where people enter and leave, destinations
where they go) and cameras. :func:`load_site` validates it once at the border (`twin.site.geojson`),
refusing bad input with one :class:`~twin.errors.SiteMapError` line that names the file, the
feature and what is allowed, and returns a frozen :class:`Site`. A separate **camera layer** (a
FeatureCollection of camera features, such as a plan from `twin cameras plan`) may replace the
map's cameras: ``load_site(map, cameras=layer)``.

The **walk graph** (`twin.site.walkgraph`) is the walkways noded where they cross or touch. Each
entrance attaches to the nearest point of the network within 30 m. People walk the shortest path by
length; :meth:`Site.route` caches one shortest-path tree per origin. Every walk-graph edge (and each
entrance's walk to its node) is cut by the camera views it crosses once, when the site is built (a
spatial index over the views finds them), so :meth:`Site.passes` only puts a route's pieces
together: it runs for thousands of routes. :meth:`Site.passes_many` does it for many routes at
once (`twin.site.route_pieces`), with the same result as route by route, and much faster.
A process keeps the few sites it built last (by path and content): the days of a period and the
samples of a sweep that one worker runs on the same map share one site and what it has worked out
(routes, and whatever later stages keep with :meth:`Site.derived`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from twin.errors import SiteMapError
from twin.site.camera_layer import cameras_on_site, load_camera_layer
from twin.site.cameras import Camera
from twin.site.geojson import crs_name, feature_label, features_by_kind, read_document
from twin.site.passes import ViewPass, ViewPieces, passes_from_route_pieces, passes_through
from twin.site.properties import EntranceProperties, WalkwayProperties
from twin.site.route_pieces import Ends, WalkViews, cut_line, cut_walks, route_pieces
from twin.site.walkgraph import (
    ENTRANCE_SNAP_M,
    WALKWAY_JOIN_M,
    attach_point,
    build_walk_graph,
    edge_coord_table,
    route_line,
)

_T = TypeVar("_T")

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

#: Walkways and entrances may lie this far outside the boundary (to reach a gateway), m.
WALKWAY_OVERRUN_M: Final = 50.0
# A view with less walkable ground than this counts as this much (density never divides by 0), m².
_MIN_WALK_AREA_M2: Final = 1.0


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
    #: Width of each walkway, m (``width_m`` on the map).
    walkway_widths_m: tuple[float, ...]
    #: Name of each walkway ("" when the map gives none).
    walkway_names: tuple[str, ...]
    walk_graph: nx.Graph = field(repr=False)
    entrances: tuple[Entrance, ...]
    cameras: tuple[Camera, ...]
    #: Each walkway's kind from the map, as far as given: ``highway`` (footway, steps, crossing,
    #: ...), ``bridge`` and ``tunnel`` (strings), and ``width_mapped`` (whether ``width_m`` was set).
    walkway_tags: tuple[Mapping[str, str | bool], ...] = ()
    # Lookups and caches, built once: entrance and camera by id, views' spatial index, routes.
    _entrance_by_id: dict[str, Entrance] = field(init=False, repr=False, compare=False)
    _camera_by_id: dict[str, Camera] = field(init=False, repr=False, compare=False)
    _view_tree: shapely.STRtree = field(init=False, repr=False, compare=False)
    _paths_from: dict[int, dict[int, list[int]]] = field(init=False, repr=False, compare=False)
    _walk_views: WalkViews = field(init=False, repr=False, compare=False)
    _routes: dict[tuple[str, str], Route] = field(init=False, repr=False, compare=False)
    _derived: dict[Hashable, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_entrance_by_id", {e.entrance_id: e for e in self.entrances})
        setattr_(self, "_camera_by_id", {c.camera_id: c for c in self.cameras})
        setattr_(self, "_view_tree", shapely.STRtree([c.view for c in self.cameras]))
        setattr_(self, "_paths_from", {})
        setattr_(
            self,
            "_walk_views",
            cut_walks(self.walk_graph, self._connectors(), self.cameras, self._view_tree),
        )
        setattr_(self, "_routes", {})
        setattr_(self, "_derived", {})

    def with_cameras(self, cameras: Iterable[Camera]) -> Site:
        """The same site watched by other cameras (routes already worked out are shared)."""
        other = replace(self, cameras=tuple(cameras))
        object.__setattr__(other, "_paths_from", self._paths_from)
        object.__setattr__(other, "_routes", self._routes)
        return other

    def derived(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """A value worked out from this site (its map and cameras) alone: made by ``make`` the first
        time ``key`` is asked for, then kept with the site (a site with other cameras starts empty)."""
        if key not in self._derived:
            self._derived[key] = make()
        return cast(_T, self._derived[key])

    @cached_property
    def walk_surface(self) -> Polygon | MultiPolygon:
        """The ground people walk on: every walkway widened to its ``width_m`` (m²)."""
        widths = np.asarray(self.walkway_widths_m, dtype=np.float64)
        lines = np.asarray(self.walkways, dtype=object)
        surface = shapely.union_all(shapely.buffer(lines, widths / 2.0, cap_style="flat"))
        shapely.prepare(surface)
        return surface

    @cached_property
    def view_walk_area_m2(self) -> NDArray[np.float64]:
        """Walkable ground inside each camera's view, m² (one per camera, at least 1 m²)."""
        if not self.cameras:
            return np.zeros(0, dtype=np.float64)
        views = np.asarray([camera.view for camera in self.cameras], dtype=object)
        area = shapely.area(shapely.intersection(views, self.walk_surface))
        return np.maximum(np.asarray(area, dtype=np.float64), _MIN_WALK_AREA_M2)

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
        line = self.line_along(nodes, origin.position, destination.position)
        route = Route(origin_id, destination_id, nodes, line, float(line.length))
        self._routes[key] = route
        return route

    def line_along(self, nodes: Sequence[int], origin: Point, destination: Point) -> LineString:
        """The line from ``origin`` along the walk-graph ``nodes`` to ``destination`` (m), joined
        from the site's table of edge coordinates (`twin.site.walkgraph.route_line`)."""
        return route_line(self.walk_graph, nodes, origin, destination, edge_coords=self.edge_coords)

    @property
    def edge_coords(self) -> Mapping[tuple[int, int], NDArray[np.float64]]:
        """Each walk-graph edge's coordinates (m, read-only) in walking order, keyed ``(a, b)`` for
        the walk from node ``a`` to node ``b``: for :func:`~twin.site.walkgraph.route_line`'s
        ``edge_coords`` (made once, `twin.site.walkgraph.edge_coord_table`)."""
        return self.derived("edge coords", lambda: edge_coord_table(self.walk_graph))

    def passes(self, route: Route | LineString) -> list[ViewPass]:
        """Every pass of the route through any camera's view, sorted by ``best_m``.

        For a :class:`Route` the pieces of each walk-graph edge inside each view are cut once,
        when the site is built, and only put together here; any other line is cut afresh.
        """
        if not isinstance(route, Route):
            nearby = self._view_tree.query(route, predicate="intersects")
            return passes_through(route, [self.cameras[int(i)] for i in nearby])
        return self.passes_many([route])[0]

    def passes_many(self, routes: Sequence[Route]) -> list[list[ViewPass]]:
        """Every pass of each route through any camera's view, sorted by ``best_m`` (metres along
        the route): exactly ``[self.passes(route) for route in routes]``, worked out for all the
        routes at once (each step runs once for the whole batch)."""
        found = route_pieces(self.walk_graph, self._walk_views, routes, self._cut)
        return passes_from_route_pieces(
            [route.line for route in routes],
            self.cameras,
            found.route_of,
            found.pieces,
            found.camera,
            found.start_m,
            found.end_m,
            found.piece_id,
        )

    def _connectors(self) -> list[Ends]:
        """Each entrance's walk from its point to its node and back (where they differ), m."""
        ends = []
        for entrance in self.entrances:
            node = self.walk_graph.nodes[entrance.node]
            point, node_xy = (entrance.x_m, entrance.y_m), (node["x"], node["y"])
            if point != node_xy:
                ends += [(*point, *node_xy), (*node_xy, *point)]
        return ends

    def _cut(self, ends: Ends) -> ViewPieces:
        """The pieces inside views of the straight line between ``ends`` (x, y, x, y; m), for a
        route starting or ending somewhere else than an entrance; kept by its ends."""
        return self.derived(
            ("connector cut", ends), lambda: self._cut_afresh(LineString([ends[:2], ends[2:]]))
        )

    def _cut_afresh(self, line: LineString) -> ViewPieces:
        nearby = self._view_tree.query(line, predicate="intersects")
        return cut_line(line, nearby, self.cameras)


#: How many built sites a process keeps (the most recently loaded first).
_KEPT_SITES: Final = 4
_kept: dict[tuple[tuple[str, bytes], tuple[str, bytes] | None], Site] = {}


def _file_key(path: str | Path) -> tuple[str, bytes]:
    """A file by its resolved path and the SHA-256 of its content."""
    resolved = Path(path).resolve()
    return str(resolved), hashlib.sha256(resolved.read_bytes()).digest()


def load_site(path: str | Path, *, cameras: str | Path | None = None) -> Site:
    """Read, validate and build the site map at ``path`` (GeoJSON in projected metres).

    ``cameras``, a camera layer (:func:`load_camera_layer`), replaces the map's own cameras.
    Raises :class:`~twin.errors.SiteMapError` for anything the profile does not allow. A map (and
    layer) with the same path and content as one of the last few loaded gives that same site.
    """
    try:
        key = (_file_key(path), None if cameras is None else _file_key(cameras))
    except OSError:  # unreadable: building it says so, naming the file
        return _build_site(path, cameras)
    site = _kept.pop(key, None) or _build_site(path, cameras)
    _kept[key] = site
    while len(_kept) > _KEPT_SITES:
        del _kept[next(iter(_kept))]
    return site


def _build_site(path: str | Path, cameras: str | Path | None) -> Site:
    source = Path(path)
    document = read_document(source)
    found = features_by_kind(document, source)

    if len(found.boundaries) != 1:
        listed = ", ".join(f"feature {i}" for i, _, _ in found.boundaries) or "none"
        raise SiteMapError(
            f"a site map needs exactly one 'boundary' feature; found {listed}", source=source
        )
    boundary: Polygon = found.boundaries[0][2]
    reach = boundary.buffer(WALKWAY_OVERRUN_M)
    shapely.prepare(boundary)
    shapely.prepare(reach)

    buildings = tuple(
        part for _, _, geometry in found.buildings for part in shapely.get_parts(geometry)
    )
    open_spaces = tuple(
        OpenSpace(name=props.name, use=props.use, polygon=geometry)
        for _, props, geometry in found.open_spaces
    )
    walkways, widths, names, tags = [], [], [], []
    for index, props, geometry in found.walkways:
        tags.append(_walkway_tags(props))
        if not reach.covers(geometry):
            raise SiteMapError(
                f"{feature_label(index, {'kind': 'walkway'})}: walkway runs more than "
                f"{WALKWAY_OVERRUN_M:.0f} m outside the boundary",
                source=source,
            )
        walkways.append(geometry)
        widths.append(props.width_m)
        names.append(props.name)
    if not walkways:
        raise SiteMapError("a site map needs at least one 'walkway' feature", source=source)

    map_cameras = cameras_on_site(found.cameras, boundary, buildings, source)
    graph = build_walk_graph(walkways)
    entrances = _attach_entrances(graph, found.entrances, reach, source)
    _check_reachable(graph, entrances, source)

    top = document.get("properties") or {}
    site = Site(
        name=str(top.get("name", source.stem)),
        source=source,
        attribution=str(top.get("attribution", "")),
        crs=crs_name(document, source),
        boundary=boundary,
        buildings=buildings,
        open_spaces=open_spaces,
        walkways=tuple(walkways),
        walkway_widths_m=tuple(widths),
        walkway_names=tuple(names),
        walkway_tags=tuple(tags),
        walk_graph=graph,
        entrances=entrances,
        cameras=() if cameras is not None else map_cameras,
    )
    if cameras is None:
        return site
    return site.with_cameras(load_camera_layer(cameras, site))


def _walkway_tags(props: WalkwayProperties) -> dict[str, str | bool]:
    """A walkway's kind as the map gives it (OpenStreetMap tags kept by the importer)."""
    tags: dict[str, str | bool] = {
        key: str(value)
        for key in ("highway", "bridge", "tunnel")
        if (value := getattr(props, key)) is not None and value != ""
    }
    tags["width_mapped"] = "width_m" in props.model_fields_set
    return tags


def _attach_entrances(
    graph: nx.Graph,
    features: Sequence[tuple[int, EntranceProperties, Any]],
    reach: Polygon,
    source: Path,
) -> tuple[Entrance, ...]:
    entrances = []
    for _, props, point in features:
        label = f"entrance {props.id!r}"
        if not reach.covers(point):
            raise SiteMapError(
                f"{label}: more than {WALKWAY_OVERRUN_M:.0f} m outside the boundary",
                source=source,
            )
        attached = attach_point(graph, point)
        if attached is None:
            raise SiteMapError(
                f"{label}: no walkway within {ENTRANCE_SNAP_M:.0f} m; allowed: within "
                f"{ENTRANCE_SNAP_M:.0f} m of the walk graph",
                source=source,
            )
        entrances.append(
            Entrance(
                entrance_id=props.id,
                name=props.name if props.name is not None else props.id,
                role=props.role,
                weight=props.weight,
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
