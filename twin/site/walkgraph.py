"""The walk graph: the walkways of a site map noded into a graph people walk along (metres).

Walkway lines are noded where they cross or touch (on a 1 cm grid), and a loose end within
:data:`WALKWAY_JOIN_M` of another walkway is joined to it. The graph is planar: a bridge meets
whatever it crosses. Nodes are ints with ``x`` and ``y`` (m); each edge carries ``length_m`` and
``geometry``, a LineString running from the lower node id to the higher. Entrances attach to the
nearest point of the graph within :data:`ENTRANCE_SNAP_M` (:func:`attach_point` inserts a node
there), and a route's line joins its edges' geometries (:func:`route_line`; their coordinates read
once by :func:`edge_coord_table`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Point
from shapely.ops import substring

__all__ = [
    "ENTRANCE_SNAP_M",
    "WALKWAY_JOIN_M",
    "attach_point",
    "build_walk_graph",
    "edge_coord_table",
    "route_line",
]

#: An entrance attaches to the walk network within this distance, m.
ENTRANCE_SNAP_M: Final = 30.0
#: A walkway's loose end within this distance of another walkway is joined to it, m.
WALKWAY_JOIN_M: Final = 1.0
# Noding snaps walkway coordinates to this grid, m: robust crossings, near-touches joined.
_GRID_M: Final = 0.01
# An entrance this close to a node attaches to it rather than splitting the edge, m.
_NODE_SNAP_M: Final = 0.5


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


def attach_point(graph: nx.Graph, point: Point) -> tuple[int, float] | None:
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


def edge_coord_table(graph: nx.Graph) -> dict[tuple[int, int], NDArray[np.float64]]:
    """Each edge's coordinates (m) as a read-only array in walking order, keyed ``(a, b)`` for the
    walk from node ``a`` to node ``b`` (both ways round): for :func:`route_line` to reuse. Valid
    until the graph changes."""
    table = {}
    for u, v, geometry in graph.edges(data="geometry"):
        coords = np.asarray(geometry.coords, dtype=np.float64)  # from the lower id to the higher
        coords.setflags(write=False)
        low, high = min(u, v), max(u, v)
        table[(low, high)], table[(high, low)] = coords, coords[::-1]
    return table


def route_line(
    graph: nx.Graph,
    nodes: Sequence[int],
    origin: Point,
    destination: Point,
    *,
    edge_coords: Mapping[tuple[int, int], NDArray[np.float64]] | None = None,
) -> LineString:
    """Join the edges' geometries along ``nodes``, from the origin point to the destination's (m).

    ``edge_coords`` (:func:`edge_coord_table` of ``graph``, such as ``Site.edge_coords``) saves
    reading each edge's coordinates out of its geometry again; the line is the same either way.
    """
    chunks = [np.array([[origin.x, origin.y]])]
    if len(nodes) == 1:
        n = graph.nodes[nodes[0]]
        chunks.append(np.array([[n["x"], n["y"]]]))
    if edge_coords is None:
        for a, b in itertools.pairwise(nodes):
            coords = np.asarray(graph.edges[a, b]["geometry"].coords)
            chunks.append(coords if a < b else coords[::-1])
    else:
        chunks += map(edge_coords.__getitem__, itertools.pairwise(nodes))
    chunks.append(np.array([[destination.x, destination.y]]))
    coords = np.concatenate(chunks)
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    coords = coords[keep]
    if len(coords) < 2:
        coords = np.vstack([coords, coords])
    return LineString(coords)
