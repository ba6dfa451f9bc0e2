"""Routes' pieces inside camera views, put together from their walk-graph edges' (cut once).

Every walk-graph edge, and every entrance's connector (the straight walk between the entrance's
point and its node, either way), is cut by the camera views it crosses once, when the site is built
(:func:`cut_walks`). A route's pieces are its edges' pieces, reversed where it walks an edge from
the higher node id to the lower and shifted to where the edge starts along the route, plus those of
its connectors. :func:`route_pieces` does that for many routes at once, so that
`twin.site.passes.passes_from_route_pieces` can work out all their passes in one go.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString

from twin.site.passes import Camera, ViewPieces, cut_by_views

__all__ = ["RoutePieces", "WalkViews", "WalkedRoute", "cut_line", "cut_walks", "route_pieces"]

#: Two points, x then y of each, m: a connector's ends.
Ends = tuple[float, float, float, float]


class WalkedRoute(Protocol):
    """What route pieces need of a route (`twin.site.model.Route` has it): its walk-graph nodes and
    its line, from the origin's point through the nodes to the destination's (metres)."""

    @property
    def nodes(self) -> tuple[int, ...]: ...
    @property
    def line(self) -> LineString: ...


@dataclass(frozen=True)
class RoutePieces:
    """The pieces of many routes inside camera views, each route's in walking order."""

    #: Index of each piece's route in the sequence of routes.
    route_of: NDArray[np.int64]
    #: Which piece of an edge (or connector) each is: one number for all the routes along it.
    piece_id: NDArray[np.int64]
    #: LineStrings, each a contiguous piece of a route inside one view.
    pieces: NDArray[Any]
    #: Index of each piece's camera in the site's cameras.
    camera: NDArray[np.int64]
    #: Where each piece starts and ends along its route, m.
    start_m: NDArray[np.float64]
    end_m: NDArray[np.float64]


@dataclass(frozen=True)
class WalkViews:
    """The pieces inside camera views of lines people walk, one row per line, in one table: the
    walk-graph edges (metres from the lower node id), then connectors (from their first end)."""

    #: Each edge's row, keyed by its two node ids either way round.
    edge_row: Mapping[tuple[int, int], int]
    #: Each connector's row, keyed by its ends.
    connector_row: Mapping[Ends, int]
    #: Each row's line length, m.
    length_m: NDArray[np.float64]
    #: Each row's first piece in the flat arrays below, and how many it has.
    first: NDArray[np.int64]
    count: NDArray[np.int64]
    pieces: NDArray[Any]
    camera: NDArray[np.int64]
    start_m: NDArray[np.float64]
    end_m: NDArray[np.float64]

    @classmethod
    def of(
        cls,
        cuts: Sequence[ViewPieces],
        edge_row: Mapping[tuple[int, int], int],
        connector_row: Mapping[Ends, int],
    ) -> WalkViews:
        """The table of ``cuts``, one per row."""
        count = np.array([cut.pieces.size for cut in cuts], dtype=np.int64)
        return cls(
            edge_row=edge_row,
            connector_row=connector_row,
            length_m=np.array([cut.length_m for cut in cuts], dtype=np.float64),
            first=np.cumsum(count) - count,
            count=count,
            pieces=np.concatenate([np.zeros(0, dtype=object)] + [cut.pieces for cut in cuts]),
            camera=np.concatenate([np.zeros(0, dtype=np.int64)] + [cut.camera for cut in cuts]),
            start_m=np.concatenate([np.zeros(0)] + [cut.start_m for cut in cuts]),
            end_m=np.concatenate([np.zeros(0)] + [cut.end_m for cut in cuts]),
        )

    def with_connectors(self, more: Mapping[Ends, ViewPieces]) -> WalkViews:
        """This table with rows for the connectors ``more`` after its own."""
        if not more:
            return self
        rows = dict(self.connector_row)
        rows.update({ends: len(self.length_m) + i for i, ends in enumerate(more)})
        added = WalkViews.of(list(more.values()), {}, {})
        return WalkViews(
            edge_row=self.edge_row,
            connector_row=rows,
            length_m=np.concatenate([self.length_m, added.length_m]),
            first=np.concatenate([self.first, self.pieces.size + added.first]),
            count=np.concatenate([self.count, added.count]),
            pieces=np.concatenate([self.pieces, added.pieces]),
            camera=np.concatenate([self.camera, added.camera]),
            start_m=np.concatenate([self.start_m, added.start_m]),
            end_m=np.concatenate([self.end_m, added.end_m]),
        )


def cut_line(line: LineString, nearby: NDArray[Any], cameras: Sequence[Camera]) -> ViewPieces:
    """Cut ``line`` by the views of ``cameras[nearby]``; camera indices into ``cameras``."""
    cut = cut_by_views(line, [cameras[int(i)] for i in nearby])
    return replace(cut, camera=np.asarray(nearby, dtype=np.int64)[cut.camera])


def cut_walks(
    graph: nx.Graph,
    connectors: Iterable[Ends],
    cameras: Sequence[Camera],
    tree: shapely.STRtree,
) -> WalkViews:
    """Cut every walk-graph edge and each of ``connectors`` (straight lines between two points, m)
    by the camera views it crosses (``tree`` indexes the cameras' views)."""
    edge_row: dict[tuple[int, int], int] = {}
    connector_row: dict[Ends, int] = {}
    lines: list[LineString] = []
    for u, v, line in graph.edges(data="geometry"):
        edge_row[(u, v)] = edge_row[(v, u)] = len(lines)
        lines.append(line)
    for ends in connectors:
        if ends not in connector_row:
            connector_row[ends] = len(lines)
            lines.append(LineString([ends[:2], ends[2:]]))
    nearby = [tree.query(line, predicate="intersects") for line in lines]
    cuts = [cut_line(line, near, cameras) for line, near in zip(lines, nearby, strict=True)]
    return WalkViews.of(cuts, edge_row, connector_row)


def route_pieces(
    graph: nx.Graph,
    views: WalkViews,
    routes: Sequence[WalkedRoute],
    cut_connector: Callable[[Ends], ViewPieces],
) -> RoutePieces:
    """Every piece of each of ``routes`` inside a view, from its edges' and connectors' pieces in
    ``views`` (:func:`cut_walks`); a connector not there is cut by ``cut_connector``. Metres along
    the route, each route's pieces in walking order (its lead connector, edges, tail connector)."""
    if not routes:
        return _no_pieces()
    node_lists = [route.nodes for route in routes]
    n_nodes = np.fromiter(map(len, node_lists), dtype=np.int64, count=len(routes))
    nodes = np.fromiter(itertools.chain.from_iterable(node_lists), dtype=np.int64)
    last = np.cumsum(n_nodes) - 1
    n_steps = n_nodes - 1
    # Each step from a node to the next one on its route: the edge's row, walked backwards?
    is_step = np.ones(nodes.size - 1, dtype=bool)
    is_step[last[:-1]] = False
    step_from = np.flatnonzero(is_step)
    step_a, step_b = nodes[step_from], nodes[step_from + 1]
    step_rows = np.fromiter(
        map(views.edge_row.__getitem__, zip(step_a.tolist(), step_b.tolist(), strict=True)),
        dtype=np.int64,
        count=step_a.size,
    )

    # The walk from the origin's point to its node, and from the last node to the destination.
    lines = np.asarray([route.line for route in routes], dtype=object)
    line_xy = shapely.get_coordinates(
        np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    ).tolist()
    first_xy = [_xy(graph, n) for n in nodes[last - n_steps].tolist()]
    last_xy = [_xy(graph, n) for n in nodes[last].tolist()]
    leads: list[Ends] = [(*a, *b) for a, b in zip(line_xy[: len(routes)], first_xy, strict=True)]
    tails: list[Ends] = [(*a, *b) for a, b in zip(last_xy, line_xy[len(routes) :], strict=True)]
    lead_m = np.array(list(map(math.dist, line_xy[: len(routes)], first_xy)))
    tail_m = np.array(list(map(math.dist, last_xy, line_xy[len(routes) :])))
    more: dict[Ends, ViewPieces] = {}  # connectors not in the table, cut here
    more_row: dict[Ends, int] = {}
    lead_rows = _connector_rows(views, leads, lead_m > 0, more, more_row, cut_connector)
    tail_rows = _connector_rows(views, tails, tail_m > 0, more, more_row, cut_connector)
    table = views.with_connectors(more)

    # Where each edge starts along its route, and where the tail starts: summed edge by edge.
    step_first = np.cumsum(n_steps) - n_steps
    step_offset_m, tail_offset_m = _running_sums(
        lead_m, table.length_m[step_rows], step_first, n_steps
    )

    # The chunks (rows of the table) in walking order: lead connector, edges, tail connector.
    has_lead, has_tail = lead_rows >= 0, tail_rows >= 0
    n_chunks = has_lead + n_steps + has_tail
    chunk_first = np.cumsum(n_chunks) - n_chunks
    chunk_row = np.empty(int(n_chunks.sum()), dtype=np.int64)
    chunk_offset_m = np.zeros(chunk_row.size)
    chunk_backwards = np.zeros(chunk_row.size, dtype=bool)
    chunk_row[chunk_first[has_lead]] = lead_rows[has_lead]
    at = np.arange(step_rows.size) + np.repeat(chunk_first + has_lead - step_first, n_steps)
    chunk_row[at], chunk_offset_m[at], chunk_backwards[at] = (
        step_rows,
        step_offset_m,
        step_a > step_b,
    )
    at = (chunk_first + has_lead + n_steps)[has_tail]
    chunk_row[at], chunk_offset_m[at] = tail_rows[has_tail], tail_offset_m[has_tail]
    chunk_route = np.repeat(np.arange(len(routes)), n_chunks)

    # Each chunk's pieces, shifted to where it starts along its route (reversed if backwards).
    sizes = table.count[chunk_row]
    index = np.arange(int(sizes.sum()), dtype=np.int64)
    index += np.repeat(table.first[chunk_row] - (np.cumsum(sizes) - sizes), sizes)
    offsets_m = np.repeat(chunk_offset_m, sizes)
    backwards = np.repeat(chunk_backwards, sizes)
    lengths_m = np.repeat(table.length_m[chunk_row], sizes)
    start_m, end_m = table.start_m[index], table.end_m[index]
    return RoutePieces(
        route_of=np.repeat(chunk_route, sizes),
        piece_id=index,
        pieces=table.pieces[index],
        camera=table.camera[index],
        start_m=offsets_m + np.where(backwards, lengths_m - end_m, start_m),
        end_m=offsets_m + np.where(backwards, lengths_m - start_m, end_m),
    )


def _xy(graph: nx.Graph, node: int) -> tuple[float, float]:
    attributes = graph.nodes[node]
    return (attributes["x"], attributes["y"])


def _connector_rows(
    views: WalkViews,
    ends: Sequence[Ends],
    walked: NDArray[np.bool_],
    more: dict[Ends, ViewPieces],
    more_row: dict[Ends, int],
    cut_connector: Callable[[Ends], ViewPieces],
) -> NDArray[np.int64]:
    """Each connector's row (-1 where not ``walked``). One not in ``views`` is cut into ``more``
    (rows after the table's, in order, kept in ``more_row``)."""
    rows = list(map(views.connector_row.get, ends))
    for i, (row, walks) in enumerate(zip(rows, walked.tolist(), strict=True)):
        if not walks:
            rows[i] = -1
        elif row is None:
            if ends[i] not in more_row:
                more_row[ends[i]] = len(views.length_m) + len(more)
                more[ends[i]] = cut_connector(ends[i])
            rows[i] = more_row[ends[i]]
    return np.array(rows, dtype=np.int64)


def _running_sums(
    start_m: NDArray[np.float64],
    step_m: NDArray[np.float64],
    step_first: NDArray[np.int64],
    n_steps: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """For each route, ``start_m`` plus its steps' lengths added one at a time, in order: the sum
    before each step, and after the last."""
    steps = step_m.tolist()
    before_m: list[float] = []
    after_m: list[float] = []
    for start, first, count in zip(
        start_m.tolist(), step_first.tolist(), n_steps.tolist(), strict=True
    ):
        sums = list(itertools.accumulate(steps[first : first + count], initial=start))
        before_m += sums[:-1]
        after_m.append(sums[-1])
    return np.array(before_m, dtype=np.float64), np.array(after_m, dtype=np.float64)


def _no_pieces() -> RoutePieces:
    index, metres = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return RoutePieces(index, index, np.zeros(0, dtype=object), index, metres, metres)
