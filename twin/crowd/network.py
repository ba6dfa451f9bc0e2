"""Walkways with widths and capacities: the walk graph as the crowd sees it.

Every walk-graph edge takes the width and kind of the walkway it lies on (the nearest mapped
walkway). Width: the map's ``width_m`` where mapped (OpenStreetMap ``width``); else the width for its
kind (below), but never more than twice the clearance to the nearest building, measured from the map;
never less than ``capacity.min_width_m``. Kinds come from the map's ``highway``, ``bridge`` and
``tunnel`` tags.

**Bottlenecks** get a flow capacity in ped/s = specific capacity x width, and are SimPy resources in
the walk (`twin.crowd.walking`): steps at ``capacity.stairs_ped_m_s`` (SFPE Handbook: 1.01 ped/(m s)
for 7/11 in stairs), bridges, tunnels and street crossings at ``capacity.walkway_ped_m_s`` (Weidmann
1993: 1.22 ped/(m s)), and station exits (gateways with a timetable) at ``capacity.doorway_ped_m_s``
(SFPE Handbook: 1.32 ped/(m s)) times the timetable's ``exit_width_m``. Steps are also walked slower
(``capacity.stairs_speed_factor``, SFPE Handbook: 1.08 / 1.40 = 0.77).

A bridge, tunnel or flight of steps that the map cuts into several edges (at junctions, or where it
is tagged in pieces) is **one bottleneck** (:func:`bottleneck_structures`): edges of one kind and
name that meet end to end share one gate, whose capacity is that of their narrowest piece, and a
walker crossing several of them passes it once.

Edges are cut into **cells** of at most ``capacity.cell_m``: a walker re-evaluates its speed from the
density on entering each cell. Densities are counted over at least ``capacity.min_cell_m`` of a cell's
length (a junction's short piece of walkway is shorter than a walker is deep), for speed, storage and
the recorded density alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

from twin.scenario import CrowdConfig
from twin.site.model import Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Width by kind when the map gives none, m: *assumption* (footways 2-4 m, pedestrian streets and
#: squares 6-12 m, steps as their footway).
WIDTH_BY_KIND_M: Final = {"pedestrian": 8.0, "footway": 3.0, "steps": 3.0, "cycleway": 3.0}
DEFAULT_WIDTH_M: Final = 3.0
#: Kinds that are bottlenecks, and which capacity they take.
STAIRS_KINDS: Final = frozenset({"steps"})
LEVEL_BOTTLENECK_KINDS: Final = frozenset({"crossing", "bridge", "tunnel"})
# Clearance is looked for this far from a walkway, m (beyond it the kind's width stands).
_CLEARANCE_SEARCH_M: Final = 20.0


@dataclass(frozen=True)
class Walkways:
    """The walk graph's edges as walkways (one row per edge) and the cells they are cut into."""

    edge_key: tuple[tuple[int, int], ...]  # (lower node id, higher)
    edge_index: dict[tuple[int, int], int]
    length_m: FloatArray
    width_m: FloatArray
    name: tuple[str, ...]
    kind: tuple[str, ...]
    speed_factor: FloatArray  # share of level walking speed (steps slower)
    #: Flow capacity of each edge as a bottleneck, ped/s; 0 when it is not one.
    bottleneck_ped_s: FloatArray
    cell_edge: IntArray  # the edge of each cell
    cell_length_m: FloatArray
    cell_area_m2: FloatArray  # for density: at least min_cell_m long
    edge_first_cell: IntArray
    edge_cells: IntArray

    def __len__(self) -> int:
        return len(self.edge_key)

    @property
    def area_m2(self) -> FloatArray:
        """Each edge's area as densities count it, m²: its cells' (each at least
        ``capacity.min_cell_m`` long) summed; its walkable area when no cell is that short."""
        area = np.bincount(self.cell_edge, weights=self.cell_area_m2, minlength=len(self))
        return np.asarray(area, dtype=np.float64)


def walkway_kind(tags: dict[str, str | bool] | None) -> str:
    """The crowd's kind of a walkway from its map tags: steps, crossing, bridge, tunnel, or its
    ``highway`` value (footway when none)."""
    tags = tags or {}
    highway = str(tags.get("highway", "footway"))
    if highway == "steps":
        return "steps"
    if str(tags.get("bridge", "no")) not in ("no", "false", ""):
        return "bridge"
    if str(tags.get("tunnel", "no")) not in ("no", "false", ""):
        return "tunnel"
    if highway in ("crossing",) or str(tags.get("footway", "")) == "crossing":
        return "crossing"
    return highway


def build_walkways(site: Site, crowd: CrowdConfig) -> Walkways:
    """Widths, kinds, capacities and cells of every walk-graph edge of ``site``."""
    capacity = crowd.capacity
    graph = site.walk_graph
    keys = tuple(sorted((min(u, v), max(u, v)) for u, v in graph.edges))
    lines = np.array([graph.edges[key]["geometry"] for key in keys], dtype=object)
    length_m = np.array([graph.edges[key]["length_m"] for key in keys], dtype=np.float64)
    walkways = np.asarray(site.walkways, dtype=object)
    mids = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    _, owner = shapely.STRtree(walkways).query_nearest(mids, all_matches=False)
    owner = np.asarray(owner, dtype=np.int64)
    tags = list(site.walkway_tags) or [{} for _ in site.walkways]
    kinds = [walkway_kind(dict(tags[int(w)])) for w in owner]
    mapped = np.array([bool(tags[int(w)].get("width_mapped", True)) for w in owner])
    width_m = np.asarray(site.walkway_widths_m, dtype=np.float64)[owner]
    if site.buildings and not mapped.all():
        tree = shapely.STRtree(site.buildings)
        found, gap_m = tree.query_nearest(
            mids, max_distance=_CLEARANCE_SEARCH_M, return_distance=True, all_matches=False
        )
        clearance = np.full(len(keys), np.inf)
        clearance[found[0]] = gap_m
        by_kind = np.array([WIDTH_BY_KIND_M.get(k, DEFAULT_WIDTH_M) for k in kinds])
        width_m = np.where(mapped, width_m, np.minimum(by_kind, 2.0 * clearance))
    width_m = np.maximum(width_m, capacity.min_width_m)
    is_stairs = np.array([k in STAIRS_KINDS for k in kinds])
    is_level = np.array([k in LEVEL_BOTTLENECK_KINDS for k in kinds])
    bottleneck = np.where(
        is_stairs,
        capacity.stairs_ped_m_s * width_m,
        np.where(is_level, capacity.walkway_ped_m_s * width_m, 0.0),
    )
    cells = np.maximum(1, np.ceil(length_m / capacity.cell_m)).astype(np.int64)
    cell_edge = np.repeat(np.arange(len(keys)), cells)
    cell_length = (length_m / cells)[cell_edge]
    first = np.concatenate([[0], np.cumsum(cells)[:-1]]).astype(np.int64)
    return Walkways(
        edge_key=keys,
        edge_index={key: i for i, key in enumerate(keys)},
        length_m=length_m,
        width_m=width_m,
        name=tuple(site.walkway_names[int(w)] for w in owner),
        kind=tuple(kinds),
        speed_factor=np.where(is_stairs, capacity.stairs_speed_factor, 1.0),
        bottleneck_ped_s=bottleneck,
        cell_edge=cell_edge,
        cell_length_m=cell_length,
        cell_area_m2=np.maximum(cell_length, capacity.min_cell_m) * width_m[cell_edge],
        edge_first_cell=first,
        edge_cells=cells,
    )


@dataclass(frozen=True)
class BottleneckStructures:
    """Bottleneck edges grouped into the structures walkers pass once (a bridge in several pieces)."""

    #: Per walk-graph edge: its structure (index into ``edges``), or -1 when it is no bottleneck.
    edge_structure: IntArray
    #: Per structure: its edges, ascending.
    edges: tuple[tuple[int, ...], ...]
    #: Per structure: flow capacity, ped/s (its narrowest piece's).
    capacity_ped_s: FloatArray

    def __len__(self) -> int:
        return len(self.edges)


def bottleneck_structures(site: Site, walkways: Walkways) -> BottleneckStructures:
    """Group ``walkways``' bottleneck edges into structures: edges of the same kind and name (both
    unnamed counts as the same) that share a node are one structure, so a bridge the map cuts at
    its junctions is one bottleneck. Structures are numbered by their lowest edge."""
    is_bottleneck = walkways.bottleneck_ped_s > 0
    parent = list(range(len(walkways)))

    def root(edge: int) -> int:
        while parent[edge] != edge:
            parent[edge] = parent[parent[edge]]
            edge = parent[edge]
        return edge

    graph = site.walk_graph
    for node in graph.nodes:
        by_kind_and_name: dict[tuple[str, str], list[int]] = {}
        for other in graph.neighbors(node):
            edge = walkways.edge_index[(node, other) if node < other else (other, node)]
            if is_bottleneck[edge]:
                by_kind_and_name.setdefault((walkways.kind[edge], walkways.name[edge]), []).append(
                    edge
                )
        for meeting in by_kind_and_name.values():
            for edge in meeting[1:]:
                a, b = root(meeting[0]), root(edge)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    for edge in np.flatnonzero(is_bottleneck).tolist():
        members.setdefault(root(edge), []).append(edge)
    groups = [members[r] for r in sorted(members)]
    edge_structure = np.full(len(walkways), -1, dtype=np.int64)
    for number, group in enumerate(groups):
        edge_structure[group] = number
    return BottleneckStructures(
        edge_structure=edge_structure,
        edges=tuple(tuple(group) for group in groups),
        capacity_ped_s=np.array(
            [walkways.bottleneck_ped_s[group].min() for group in groups], dtype=np.float64
        ),
    )


def station_exits(site: Site, crowd: CrowdConfig) -> dict[int, float]:
    """Station exits as bottlenecks: entrance index -> flow capacity, ped/s."""
    index = {e.entrance_id: i for i, e in enumerate(site.entrances)}
    return {
        index[t.gateway]: crowd.capacity.doorway_ped_m_s * t.exit_width_m
        for t in crowd.timetables
        if t.gateway in index
    }


def capacity_headway_s(capacity_ped_s: float) -> float:
    """Seconds between walkers through a bottleneck of this capacity (ped/s)."""
    return 1.0 / capacity_ped_s if capacity_ped_s > 0 else math.inf
