"""The crowd: walkers who meet, slow down and queue on the site, in simulated time (SimPy).

A mesoscopic model. Each pedestrian is a SimPy process (`twin.crowd.walkers`) that walks its route
(`twin.crowd.routes`: one of the shortest few, by a logit on length) stretch by stretch over walkway
cells (`twin.crowd.network`: walk-graph edges cut into cells of at most ``capacity.cell_m``), at the
speed Weidmann's fundamental diagram gives for the density it finds on entering each stretch
(`twin.crowd.fundamental`), scaled to its own free speed; full walkways hold back the walkers behind
them, and bottlenecks (steps, bridges, tunnels, crossings, station exits) are SimPy resources where
queues form (`twin.crowd.gates`).

This module sets the walk up and reads it back. Every cell a walker walks is recorded
(:class:`Visits`: when it entered and left), so the walk can be replayed: the moments a walker passes
through camera views (:class:`Passes`, at the times it really reached each point,
`twin.crowd.pass_timing`), densities per walkway and minute (`twin.crowd.density`), trajectories
(`twin.crowd.trajectories`). After arriving, a dweller stays at its destination for its dwell time.
The camera passes of routes new to the site are worked out in another process during the walk
(`twin.cores.beside`), since they depend on the routes alone.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely

from twin.cores import beside
from twin.crowd.compiled import walk, walk_plan
from twin.crowd.demand import Trips
from twin.crowd.elements import ElementRows, element_rows, element_times, route_elements
from twin.crowd.network import (
    Walkways,
    bottleneck_structures,
    build_walkways,
    capacity_headway_s,
    station_exits,
)
from twin.crowd.pass_timing import TimedColumns, pass_catalogue, passes_per_route
from twin.crowd.records import (
    Holds,
    Passes,
    PassSamples,
    Queues,
    RoutePasses,
    Visits,
    learn_routes_passes,
    route_passes,
    unknown_routes,
    work_out_routes_passes,
)
from twin.crowd.routes import RouteChoice, RoutePlanner, picked_routes
from twin.cycles import cycle_collection_paused
from twin.scenario import CrowdConfig
from twin.site.model import Route, Site

__all__ = [
    "CrowdResult",
    "Holds",
    "PassSamples",
    "Passes",
    "Queues",
    "RoutePasses",
    "Visits",
    "on_site_from",
    "route_passes",
    "simulate_crowd",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Routes new to a site whose camera passes are worked out in a process of their own during the
#: walk (fewer take less time than starting the process costs).
PASSES_BESIDE_MIN_ROUTES = 200


def _structure_name(walkways: Walkways, edges: tuple[int, ...]) -> str:
    """A bottleneck's name in results: kind, walkway name and walk-graph edges."""
    first = edges[0]
    label = f"edge {first}" if len(edges) == 1 else "edges " + ", ".join(map(str, edges))
    return f"{walkways.kind[first]}: {walkways.name[first] or 'unnamed'} ({label})"


def _structure_middle(
    graph: nx.Graph, walkways: Walkways, edges: tuple[int, ...]
) -> tuple[float, float]:
    """Where a bottleneck is shown (m): halfway along it when its edges join into one line, else
    the middle of its longest edge."""
    lines = [graph.edges[walkways.edge_key[e]]["geometry"] for e in edges]
    merged = shapely.line_merge(shapely.MultiLineString(lines)) if len(lines) > 1 else lines[0]
    if not isinstance(merged, shapely.LineString):
        merged = lines[int(np.argmax([walkways.length_m[e] for e in edges]))]
    middle = merged.interpolate(0.5, normalized=True)
    return (float(middle.x), float(middle.y))


@dataclass(frozen=True)
class CrowdResult:
    """What the crowd simulation produced; per-pedestrian rows follow the trips."""

    passes: Passes
    samples: PassSamples  # moments sampled across each pass, row-aligned with passes
    visits: Visits
    queues: Queues
    holds: Holds  # walkers held back by a full walkway ahead
    walkways: Walkways
    bottleneck_names: tuple[str, ...]
    bottleneck_xy_m: FloatArray  # where each bottleneck is (rows x 2), m
    routes: tuple[Route, ...]
    route: IntArray  # per pedestrian: index into routes
    route_length_m: FloatArray  # per pedestrian
    arrive_s: FloatArray  # per pedestrian: when they reached their destination
    end_s: FloatArray  # per pedestrian: when they left it (after any dwell)


@cycle_collection_paused()  # millions of events, none in a reference cycle
def simulate_crowd(
    site: Site,
    trips: Trips,
    crowd: CrowdConfig | None = None,
    *,
    on_progress: Callable[[float], None] | None = None,
    passes_from_s: float | None = None,
) -> CrowdResult:
    """Walk every trip through the site in simulated time: walkers slow down where it is crowded,
    queue at bottlenecks, and each camera pass is recorded at the moment it happened.

    ``on_progress`` is called with the simulated clock (seconds after midnight) as it advances.
    ``passes_from_s`` (s after midnight): record only the passes best seen from then on, of
    walkers still on site then (what :func:`on_site_from` keeps for a warm start; it saves building
    the others).
    """
    crowd = crowd or CrowdConfig()
    walkways = build_walkways(site, crowd)
    structures = bottleneck_structures(site, walkways)
    edge_bottleneck = structures.edge_structure
    exits = station_exits(site, crowd)
    exit_bottleneck = {entrance: len(structures) + n for n, entrance in enumerate(sorted(exits))}
    graph = site.walk_graph
    names = tuple(
        [_structure_name(walkways, edges) for edges in structures.edges]
        + [f"station exit: {site.entrances[e].name}" for e in sorted(exits)]
    )
    middles = [_structure_middle(graph, walkways, edges) for edges in structures.edges]
    bottleneck_xy = np.array(
        middles + [(site.entrances[e].x_m, site.entrances[e].y_m) for e in sorted(exits)],
        dtype=np.float64,
    ).reshape(-1, 2)
    capacity_ped_s = structures.capacity_ped_s.tolist() + [exits[e] for e in sorted(exits)]

    # Route choices per origin-destination pair; each walker's route by its uniform draw.
    n_entrances = len(site.entrances)
    pair = trips.origin * n_entrances + trips.destination
    planner = RoutePlanner(site, crowd.routes)
    choices: dict[int, RouteChoice] = {
        code: planner.choice(*divmod(code, n_entrances)) for code in np.unique(pair).tolist()
    }
    routes: list[Route] = []
    route_origin: list[int] = []
    first_route: list[int] = []
    for code in sorted(choices):
        first_route.append(len(routes))
        routes.extend(choices[code].routes)
        route_origin.extend([code // n_entrances] * len(choices[code].routes))
    pair_rank, picked = picked_routes(pair, trips.route_u, choices)
    route_of = np.asarray(first_route, dtype=np.int64)[pair_rank] + picked
    walked_routes = np.unique(route_of)
    # The camera passes of routes new to the site are worked out in another process during the
    # walk, and the memory the timed passes fill is made ready on a helper thread meanwhile.
    unknown = unknown_routes(site, [routes[r] for r in walked_routes.tolist()])
    unknown_passes = beside(
        work_out_routes_passes, site, unknown, fork=len(unknown) >= PASSES_BESIDE_MIN_ROUTES
    )
    elements = [
        route_elements(
            site,
            walkways,
            route,
            edge_bottleneck,
            exit_bottleneck.get(from_entrance, -1),
            crowd.capacity.stretch_m,
        )
        for route, from_entrance in zip(routes, route_origin, strict=True)
    ]
    n_stretches = np.array([len(e.stretch_length_m) for e in elements], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_stretches[route_of])]).astype(np.int64)

    def ahead_of_the_walk() -> tuple[ElementRows, TimedColumns]:
        """On a helper thread during the walk, what the routes alone decide (numpy, which lets go
        of the GIL, so it runs on the other core): each walker's elements on its stretches; the
        new routes' camera passes (from the child process), kept with the site; room for every
        walker's passes, its pages written (`TimedColumns`). A warm start keeps only the passes
        from ``passes_from_s`` on, in the first rows (0.8-0.97 of them in windows of one to three
        hours of the default day)."""
        placed = element_rows(elements, route_of, offsets)
        learn_routes_passes(site, unknown, unknown_passes.result())
        rows = int(passes_per_route(site, routes, walked_routes)[route_of].sum())
        return placed, TimedColumns.allocate(rows, touched=True)

    plans = [walk_plan(e) for e in elements]
    with ThreadPoolExecutor(max_workers=1) as helper:
        preparing = helper.submit(ahead_of_the_walk)
        walked = walk(
            plans,
            route_of,
            offsets,
            trips.start_s,
            trips.speed_m_s,
            headway_s=[capacity_headway_s(c) for c in capacity_ped_s],
            cell_area_m2=walkways.cell_area_m2,
            capacity=crowd.capacity,
            on_progress=on_progress,
        )
        placed, room = preparing.result()

    enter_s, exit_s, stretch_enter_s, stretch_exit_s = element_times(
        placed, walked.stretch_enter_s, walked.stretch_exit_s
    )
    element_offsets = placed.walker_offsets
    visits = Visits(
        pedestrian=placed.pedestrian,
        cell=placed.cell,
        start_m=placed.start_m,
        length_m=placed.length_m,
        enter_s=enter_s,
        exit_s=exit_s,
        stretch_enter_s=stretch_enter_s,
        stretch_exit_s=stretch_exit_s,
    )
    del placed, stretch_enter_s, stretch_exit_s
    route_length = np.array([r.length_m for r in routes], dtype=np.float64)[route_of]
    arrive = exit_s[element_offsets[1:] - 1] if len(trips) else np.empty(0)
    end_s = arrive + trips.dwell_s
    catalogue = pass_catalogue(site, routes, elements, walkways, walked_routes)
    passes, samples = catalogue.timed(
        route_of,
        element_offsets,
        enter_s,
        exit_s,
        trips.dwell_s,
        lateral_u=trips.lateral_u,
        group_rank=trips.group_rank,
        from_s=passes_from_s,
        end_s=end_s,
        room=room,
    )
    return CrowdResult(
        passes=passes,
        samples=samples,
        visits=visits,
        queues=walked.queues,
        holds=Holds(
            walkway=walkways.cell_edge[walked.held_cell],
            joined_s=walked.held_from_s,
            wait_s=walked.held_wait_s,
        ),
        walkways=walkways,
        bottleneck_names=names,
        bottleneck_xy_m=bottleneck_xy,
        routes=tuple(routes),
        route=route_of,
        route_length_m=route_length,
        arrive_s=arrive,
        end_s=end_s,
    )


def on_site_from(trips: Trips, crowd: CrowdResult, start_s: float) -> tuple[Trips, CrowdResult]:
    """Only the pedestrians still on site at ``start_s`` (the warm start) and the passes from then."""
    keep = np.flatnonzero(crowd.end_s >= start_s)
    if keep.size == len(trips) and (len(crowd.passes) == 0 or crowd.passes.best_s.min() >= start_s):
        return trips, crowd
    renumber = np.full(len(trips), -1, dtype=np.int64)
    renumber[keep] = np.arange(keep.size)
    passes = crowd.passes
    rows = np.flatnonzero((renumber[passes.pedestrian] >= 0) & (passes.best_s >= start_s))
    if rows.size == len(passes):  # passes already from start_s (simulate_crowd's passes_from_s)
        kept_passes, kept_samples = replace(passes, pedestrian=renumber[passes.pedestrian]), None
    else:
        kept_passes, kept_samples = passes.take(rows, renumber), crowd.samples.take(rows)
    visit_rows = np.flatnonzero(renumber[crowd.visits.pedestrian] >= 0)
    visits = crowd.visits
    kept_visits = Visits(
        **{name: getattr(visits, name)[visit_rows] for name in Visits.__slots__},
    )
    kept_visits = replace(kept_visits, pedestrian=renumber[kept_visits.pedestrian])
    return trips.take(keep), CrowdResult(
        passes=kept_passes,
        samples=crowd.samples if kept_samples is None else kept_samples,
        visits=kept_visits,
        queues=crowd.queues,
        holds=crowd.holds,
        walkways=crowd.walkways,
        bottleneck_names=crowd.bottleneck_names,
        bottleneck_xy_m=crowd.bottleneck_xy_m,
        routes=crowd.routes,
        route=crowd.route[keep],
        route_length_m=crowd.route_length_m[keep],
        arrive_s=crowd.arrive_s[keep],
        end_s=crowd.end_s[keep],
    )
