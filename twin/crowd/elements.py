"""A route as the walk sees it: its elements (cells of walkways, and the walks between an entrance and
the walk graph), and each walker's times at every element from the times it entered and left each
stretch (`twin.crowd.walking`: a stretch is walked at one speed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.crowd.network import Walkways
from twin.site.model import Route, Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CONNECTOR = -1  # a route element off the walk graph (entrance to its node)


@dataclass(frozen=True)
class RouteElements:
    """A route as the walk sees it: its elements (cells, and the walks to and from the walk graph)
    in walking order, joined into stretches walked at one speed each."""

    cell: list[int]
    length_m: list[float]
    start_m: FloatArray
    stretch_of: IntArray  # per element: its stretch
    # Per stretch: its cells and their shares of its length, length, area, speed factor, bottleneck.
    stretch_cells: list[tuple[int, ...]]
    stretch_shares: list[tuple[float, ...]]
    stretch_length_m: list[float]
    stretch_area_m2: list[float]
    stretch_factor: list[float]
    stretch_bottleneck: list[int]


def route_elements(
    site: Site,
    walkways: Walkways,
    route: Route,
    edge_bottleneck: IntArray,
    exit_bottleneck: int,
    stretch_m: float,
) -> RouteElements:
    """``route``'s elements in walking order, joined into stretches of at least ``stretch_m`` (m).

    ``edge_bottleneck``: per walk-graph edge, the bottleneck (gate) it belongs to, or -1; a walker
    passes a bottleneck where it steps onto it, once however many of its edges it walks.
    ``exit_bottleneck``: the gate of the station exit the route leaves from, or -1.
    """
    cells: list[int] = []
    lengths: list[float] = []
    bottlenecks: list[int] = []
    coords = route.line.coords
    graph = site.walk_graph
    first, last = graph.nodes[route.nodes[0]], graph.nodes[route.nodes[-1]]
    lead_m = math.dist(coords[0], (first["x"], first["y"]))
    tail_m = math.dist(coords[-1], (last["x"], last["y"]))
    if lead_m > 0 or exit_bottleneck >= 0:
        cells.append(CONNECTOR)
        lengths.append(lead_m)
        bottlenecks.append(exit_bottleneck)
    on_structure = -1  # the bottleneck the walker is on (passed when it stepped onto it)
    for a, b in zip(route.nodes[:-1], route.nodes[1:], strict=True):
        edge = walkways.edge_index[(a, b) if a < b else (b, a)]
        first_cell = int(walkways.edge_first_cell[edge])
        n = int(walkways.edge_cells[edge])
        order = range(first_cell, first_cell + n)
        structure = int(edge_bottleneck[edge])
        gate = structure if structure != on_structure else -1
        on_structure = structure
        for number, cell in enumerate(order if a < b else reversed(order)):
            cells.append(cell)
            lengths.append(float(walkways.cell_length_m[cell]))
            bottlenecks.append(gate if number == 0 else -1)
    if tail_m > 0 or not cells:
        cells.append(CONNECTOR)
        lengths.append(tail_m)
        bottlenecks.append(-1)
    # Join elements into stretches of at least stretch_m; a connector, a bottleneck or a change of
    # speed factor (steps) starts a new one.
    factor = [1.0 if c < 0 else float(walkways.speed_factor[walkways.cell_edge[c]]) for c in cells]
    stretch_of = []
    groups: list[list[int]] = []
    for k, cell in enumerate(cells):
        previous = groups[-1] if groups else None
        new = (
            previous is None
            or cell < 0
            or cells[previous[0]] < 0
            or bottlenecks[k] >= 0
            or factor[k] != factor[previous[0]]
            or sum(lengths[i] for i in previous) >= stretch_m
        )
        if new:
            groups.append([k])
        else:
            groups[-1].append(k)
        stretch_of.append(len(groups) - 1)
    area = walkways.cell_area_m2
    stretch_length = [sum(lengths[i] for i in g) for g in groups]
    return RouteElements(
        cell=cells,
        length_m=lengths,
        start_m=np.concatenate([[0.0], np.cumsum(lengths)[:-1]]),
        stretch_of=np.asarray(stretch_of, dtype=np.int64),
        stretch_cells=[tuple(cells[i] for i in g) if cells[g[0]] >= 0 else () for g in groups],
        stretch_shares=[
            tuple(lengths[i] / total if total > 0 else 1.0 / len(g) for i in g)
            for g, total in zip(groups, stretch_length, strict=True)
        ],
        stretch_length_m=stretch_length,
        stretch_area_m2=[
            float(sum(area[cells[i]] for i in g)) if cells[g[0]] >= 0 else 0.0 for g in groups
        ],
        stretch_factor=[factor[g[0]] for g in groups],
        stretch_bottleneck=[bottlenecks[g[0]] for g in groups],
    )


@dataclass(frozen=True, slots=True)
class ElementRows:
    """Every walker's route elements, one row each (walkers in order, each route's elements in
    walking order), placed on the walker's stretches; from the routes alone, so it can be worked out
    before or during the walk. ``visit``: the row of the element's stretch in the walk's records
    (the walker's offset plus the stretch); ``start_fraction`` and ``end_fraction``: where the
    element begins and ends along its stretch (0-1); ``walker_offsets``: each walker's first row,
    and one more at the end. ``pedestrian``, ``cell``, ``start_m`` and ``length_m``: each row's
    walker, cell (-1: a connector), and where along the route it starts and how long it is, m
    (as `twin.crowd.records.Visits` keeps them)."""

    visit: IntArray
    start_fraction: FloatArray
    end_fraction: FloatArray
    walker_offsets: IntArray
    pedestrian: IntArray
    cell: IntArray
    start_m: FloatArray
    length_m: FloatArray


def element_rows(
    elements: list[RouteElements], route_of: IntArray, offsets: IntArray
) -> ElementRows:
    """Each walker's elements placed on its stretches (``offsets``: each walker's first stretch row
    in the walk's records)."""
    counts = np.array([len(e.cell) for e in elements], dtype=np.int64)
    who, k = rows_of(route_of, counts)
    stretch_of = np.concatenate([e.stretch_of for e in elements] + [np.empty(0, np.int64)])
    start_m = np.concatenate([e.start_m for e in elements] + [np.empty(0)])
    length_m = np.concatenate([np.asarray(e.length_m) for e in elements] + [np.empty(0)])
    first_element = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    row = first_element[route_of[who]] + k
    del k
    stretch = stretch_of[row]
    # Where each stretch starts along the route: the start of its first element.
    stretch_start = np.concatenate(
        [
            e.start_m[np.searchsorted(e.stretch_of, np.arange(len(e.stretch_length_m)))]
            for e in elements
        ]
        + [np.empty(0)]
    )
    stretch_length = np.concatenate(
        [np.asarray(e.stretch_length_m) for e in elements] + [np.empty(0)]
    )
    n_stretches = np.array([len(e.stretch_length_m) for e in elements], dtype=np.int64)
    first_stretch = np.concatenate([[0], np.cumsum(n_stretches)[:-1]]).astype(np.int64)
    global_stretch = first_stretch[route_of[who]] + stretch
    visit = offsets[who] + stretch
    del stretch
    total = np.maximum(stretch_length[global_stretch], 1e-12)
    row_start_m, row_length_m = start_m[row], length_m[row]
    into = (row_start_m - stretch_start[global_stretch]) / total
    through = np.minimum(into + row_length_m / total, 1.0)
    cells = np.concatenate(
        [np.asarray(e.cell, dtype=np.int64) for e in elements] + [np.empty(0, np.int64)]
    )
    return ElementRows(
        visit=visit,
        start_fraction=into,
        end_fraction=through,
        walker_offsets=np.concatenate([[0], np.cumsum(counts[route_of])]).astype(np.int64),
        pedestrian=who,
        cell=cells[row],
        start_m=row_start_m,
        length_m=row_length_m,
    )


def element_times(
    rows: ElementRows, stretch_in: FloatArray, stretch_out: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Each walker's times at every element (``rows``), from when it entered and left each of its
    stretches (walked at one speed each): (entered, left, when it entered and left the element's
    stretch), s."""
    enter_stretch = stretch_in[rows.visit]
    exit_stretch = stretch_out[rows.visit]
    span = exit_stretch - enter_stretch
    enter = rows.start_fraction * span
    enter += enter_stretch
    leave = np.multiply(rows.end_fraction, span, out=span)
    leave += enter_stretch
    return enter, leave, enter_stretch, exit_stretch


def rows_of(route_of: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """For each pedestrian, its route's rows: (pedestrian of each row, row number in its route)."""
    per = counts[route_of]
    who = np.repeat(np.arange(route_of.size), per)
    starts = np.concatenate([[0], np.cumsum(per)[:-1]]).astype(np.int64)
    return who, np.arange(int(per.sum())) - np.repeat(starts, per)
