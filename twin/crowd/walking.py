"""The crowd: walkers who meet, slow down and queue on the site, in simulated time (SimPy).

A mesoscopic model. Each pedestrian is a SimPy process that walks its route (`twin.crowd.routes`)
cell by cell (`twin.crowd.network`: walk-graph edges cut into cells of at most ``capacity.cell_m``).
On entering a cell it counts who is there and walks the cell at the speed Weidmann's fundamental
diagram gives for that density (`twin.crowd.fundamental`), scaled to its own free speed (and slower on
steps), never below ``capacity.min_speed_m_s``; as the walkway fills and empties, later cells are
walked faster or slower.

**Storage and spillback.** A cell stores at most the density at which the diagram slows a walker of
mean free speed to ``capacity.min_speed_m_s`` (`twin.crowd.fundamental.storage_density_ped_m2`,
4.43 ped/m² at 0.1 m/s, below jam density) over its area (at least ``capacity.min_cell_m`` long). A walker enters a stretch only when
each of its cells has room for its share; until then it waits at its origin or at the end of the
stretch it is on, still counted there, so full walkways fill the ones behind them. Both directions
share one storage; so that facing streams cannot lock each other, a walker holds its place for at
most ``capacity.max_hold_s``, then steps aside (stops counting) and waits on (:class:`Holds`).

**Bottlenecks** (steps, bridges, tunnels, crossings, station exits) are SimPy resources
(:class:`twin.crowd.gates.Gate`) that let one walker through per headway (1 / capacity in ped/s):
when walkers arrive faster than that a queue forms, and each walker's wait and the queue ahead of it
are recorded. Walkers queueing stand at the end of the walkway before the bottleneck (they count on
it).

Every cell a walker walks is recorded (:class:`Visits`: when it entered and left), so the walk can be
replayed: the moments a walker passes through camera views (:class:`Passes`, at the times it really
reached each point), densities per walkway and minute (`twin.crowd.density`), trajectories
(`twin.crowd.trajectories`). After arriving, a dweller stays at its destination for its dwell time.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import NamedTuple

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
import simpy
from simpy.events import NORMAL

from twin.crowd.demand import Trips
from twin.crowd.elements import RouteElements, element_times, route_elements
from twin.crowd.fundamental import GAMMA_PED_M2, JAM_DENSITY_PED_M2, storage_density_ped_m2
from twin.crowd.gates import Gate
from twin.crowd.network import (
    Walkways,
    bottleneck_structures,
    build_walkways,
    capacity_headway_s,
    station_exits,
)
from twin.crowd.pass_timing import pass_catalogue
from twin.crowd.records import (
    Holds,
    Passes,
    PassSamples,
    Queues,
    RoutePasses,
    Visits,
    route_passes,
    walk_visits,
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

PROGRESS_STEP_S = 600.0
# Walkers are released to the simulation this far ahead of their start, s (simulated clock).
_RELEASE_STEP_S = 60.0
# Room in a cell is compared with this slack, walkers (shares are summed in floating point).
_ROOM_TOLERANCE = 1e-9


#: A stretch's cells with the walker's share of each (its share of the stretch's length).
Pairs = tuple[tuple[int, float], ...]
#: A stretch as the walk's inner loop reads it: bottleneck at its start (or -1), its cells and shares,
#: its only cell (-1 when it has none or several: a stretch of one cell is walked without looping
#: over cells), length (m), area (m²), speed factor (steps slower).
Stretch = tuple[int, Pairs, int, float, float, float]


class WalkPlan(NamedTuple):
    """A route as the walk's inner loop reads it."""

    stretches: tuple[Stretch, ...]
    #: The walk from the route's origin to the walk graph when nothing can hold it up there (no
    #: cells, no bottleneck), m; -1 when the first stretch is not such a walk. The walker is
    #: started where it ends, at the time it gets there: it takes no event of its own.
    lead_m: float
    #: The walk from the walk graph to the destination's door, m (-1 when the route does not end
    #: with one): it touches no cell and nothing waits for its end, so it takes no event either.
    door_m: float


def walk_plan(elements: RouteElements) -> WalkPlan:
    """A route's stretches as plain tuples for the walk, with its free walks to and from the walk
    graph split off (:class:`WalkPlan`)."""
    stretches = list(
        zip(
            elements.stretch_bottleneck,
            [
                tuple(zip(cells, shares, strict=True)) if cells else ()
                for cells, shares in zip(
                    elements.stretch_cells, elements.stretch_shares, strict=True
                )
            ],
            [cells[0] if len(cells) == 1 else -1 for cells in elements.stretch_cells],
            elements.stretch_length_m,
            elements.stretch_area_m2,
            elements.stretch_factor,
            strict=True,
        )
    )
    door_m = -1.0
    if stretches and not stretches[-1][1] and stretches[-1][0] < 0:
        door_m = stretches.pop()[3]
    lead_m = -1.0
    if stretches and not stretches[0][1] and stretches[0][0] < 0:
        lead_m = stretches.pop(0)[3]
    return WalkPlan(tuple(stretches), lead_m, door_m)


class _Starting(simpy.Process):
    """A process that starts ``delay_s`` (s) from now: resumed first by a timeout then, where
    ``env.process`` would take an event to start it now and another to wait (one event less per
    walker)."""

    def __init__(
        self,
        env: simpy.Environment,
        generator: Generator[simpy.Event, object, None],
        delay_s: float,
    ) -> None:
        simpy.Event.__init__(self, env)
        self._generator = generator
        self._target = env.timeout(delay_s)
        self._target.callbacks.append(self._resume)


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

    env = simpy.Environment(initial_time=float(trips.start_s[0]) if len(trips) else 0.0)
    gates = [Gate(env, capacity_headway_s(c)) for c in capacity_ped_s]
    occupancy = [0.0] * walkways.cell_edge.size
    # A cell stores at most the storage density over its area as densities count it (at least
    # min_cell_m long, Walkways.cell_area_m2), so that no walkway's recorded density reaches jam: a
    # walker enters a stretch only when each of its cells has room for its share, else it waits
    # where it is. An empty cell always takes one walker.
    most_ped_m2 = storage_density_ped_m2(crowd.capacity.min_speed_m_s)
    storage = (most_ped_m2 * walkways.cell_area_m2 + _ROOM_TOLERANCE).tolist()
    # The walkers waiting for room in a cell, by cell: only cells someone waits for are keys.
    waiting: dict[int, deque[simpy.Event]] = {}
    min_speed = crowd.capacity.min_speed_m_s
    max_hold_s = crowd.capacity.max_hold_s
    inverse_jam = 1.0 / JAM_DENSITY_PED_M2
    # When each walker entered and left each stretch, s: C doubles, so the day's million stretches
    # leave no float objects behind (read as numpy arrays without a copy).
    t_in = array("d", bytes(8 * int(offsets[-1])))
    t_out = array("d", bytes(8 * int(offsets[-1])))
    queued_at: list[int] = []
    joined: list[float] = []
    ahead: list[int] = []
    waited: list[float] = []
    held_cell: list[int] = []
    held_from: list[float] = []
    held_wait: list[float] = []
    speed = trips.speed_m_s.tolist()

    timeout = env.timeout
    schedule = env.schedule
    expm1 = math.expm1

    def wake(cell: int) -> None:
        """Let the first walker waiting for ``cell`` look again, if the cell has room."""
        queue = waiting.get(cell)
        if queue and occupancy[cell] + 1.0 <= storage[cell]:
            queue.popleft().succeed()
            if not queue:
                del waiting[cell]

    def leave(pairs: Pairs) -> None:
        for cell, share in pairs:
            occupancy[cell] -= share
            if waiting:
                wake(cell)

    def full_cell(pairs: Pairs) -> int:
        """The first cell of a stretch without room for this walker's share; -1 when all have."""
        for cell, share in pairs:
            if occupancy[cell] + share > storage[cell] and occupancy[cell] > _ROOM_TOLERANCE:
                return cell
        return -1

    def wait_for_room(
        blocked: int, pairs: Pairs, held: Pairs, k: int
    ) -> Generator[simpy.Event, object, bool]:
        """Wait where it stands (on the stretch ``held``, whose visit is ``k`` - 1, or at its
        origin) until every cell of ``pairs`` has room, the cell ``blocked`` having none now;
        after ``max_hold_s`` it steps aside (leaves ``held``). True when it stepped aside."""
        since = env.now
        held_cell.append(blocked)
        held_from.append(since)
        stepped_aside = False
        while blocked >= 0:
            slot = env.event()
            waiting.setdefault(blocked, deque()).append(slot)
            if held:
                hold_s = since + max_hold_s - env.now
                if hold_s > 0.0:
                    yield slot | timeout(hold_s)
                if not slot.triggered:  # held too long: step aside
                    leave(held)
                    t_out[k - 1] = env.now
                    held = ()
                    stepped_aside = True
                    yield slot
            else:
                yield slot  # woken when someone leaves that cell
            woken_by = blocked
            blocked = full_cell(pairs)
            if blocked != woken_by:
                wake(woken_by)  # pass the turn on: it was not this walker's
        held_wait.append(env.now - since)
        return stepped_aside

    plans = [walk_plan(e) for e in elements]
    route_list = route_of.tolist()
    offset_list = offsets.tolist()

    def walker(index: int) -> Generator[simpy.Event, object, None]:
        free = speed[index]
        # The walker's own timer, re-armed for each stretch: a walk of a stretch is an event
        # scheduled for its end (as a Timeout is), without making a Timeout per stretch.
        walked = env.event()
        walked._ok, walked._value = True, None
        k = offset_list[index]
        # The stretch it stands on: its cells with its shares of them, and its only cell (or -1).
        held: Pairs = ()
        held_single = -1
        plan, lead_m, door_m = plans[route_list[index]]
        if lead_m >= 0.0:  # started where its free walk to the walk graph ends (`departures`)
            t_in[k] = start_s[index]
            t_out[k] = env.now
            k += 1
        for bottleneck, pairs, single, length_m, area_m2, factor in plan:
            if bottleneck >= 0:
                gate = gates[bottleneck]
                arrived = env.now
                queued_at.append(bottleneck)
                joined.append(arrived)
                in_front = gate.arrive()
                ahead.append(in_front)
                if in_front:
                    yield gate.request()  # queued at the end of its stretch: still counted on it
                waited.append(env.now - arrived)
            if single >= 0:  # one cell: no loop over cells
                here = occupancy[single]
                if here + 1.0 > storage[single] and here > _ROOM_TOLERANCE:
                    if (yield from wait_for_room(single, pairs, held, k)):
                        held, held_single = (), -1
                    here = occupancy[single]
                people = here + 1.0
                occupancy[single] = people
                if waiting:
                    wake(single)  # room left for the next waiter?
            elif pairs:
                for cell, share in pairs:
                    here = occupancy[cell]
                    if here + share > storage[cell] and here > _ROOM_TOLERANCE:
                        if (yield from wait_for_room(cell, pairs, held, k)):
                            held, held_single = (), -1
                        break
                people = 0.0
                for cell, share in pairs:
                    here = occupancy[cell] + share
                    occupancy[cell] = here
                    people += here
                if waiting:
                    for cell, _ in pairs:
                        wake(cell)  # room left for the next waiter?
            now = env.now
            if held:  # leave the stretch behind
                if held_single >= 0:
                    occupancy[held_single] -= 1.0
                    if waiting:
                        wake(held_single)
                else:
                    for cell, share in held:
                        occupancy[cell] -= share
                    if waiting:
                        for cell, _ in held:
                            wake(cell)
                t_out[k - 1] = now
            if pairs:
                density = people / area_m2
                kept = (
                    -expm1(-GAMMA_PED_M2 * (1.0 / density - inverse_jam))
                    if density < JAM_DENSITY_PED_M2
                    else 0.0
                )
                pace = free * kept * factor
                if pace < min_speed:
                    pace = min_speed
                duration = length_m / pace
            else:
                duration = length_m / free
            held, held_single = pairs, single
            t_in[k] = now
            t_out[k] = now + duration
            k += 1
            if duration > 0.0:  # a station exit's own walk of 0 m takes no event
                walked.callbacks = []
                schedule(walked, NORMAL, duration)
                yield walked
        now = env.now
        if held:
            leave(held)
            t_out[k - 1] = now
        if door_m >= 0.0:  # the walk to its destination's door: nothing waits for its end
            t_in[k] = now
            t_out[k] = now + door_m / free

    start_s = trips.start_s.tolist()
    # Each walker's process starts where nothing can hold it up any more: at its origin, or at the
    # end of its free walk to the walk graph (`WalkPlan.lead_m`), in the order they get there.
    walker_lead_m = np.array([plan.lead_m for plan in plans], dtype=np.float64)[route_of]
    launch_s = np.where(
        walker_lead_m >= 0.0, trips.start_s + walker_lead_m / trips.speed_m_s, trips.start_s
    )
    launch_order = np.argsort(launch_s, kind="stable")

    def departures() -> Generator[simpy.Event, object, None]:
        """Release the walkers minute by minute, each to start at its own time."""
        order = launch_order.tolist()
        at_s = launch_s[launch_order].tolist()
        begin = 0
        while begin < len(order):
            until = env.now + _RELEASE_STEP_S
            end = bisect_left(at_s, until, lo=begin)
            for index, at in zip(order[begin:end], at_s[begin:end], strict=True):
                _Starting(env, walker(index), max(0.0, at - env.now))
            begin = end
            if begin < len(order):
                yield env.timeout(max(_RELEASE_STEP_S, at_s[begin] - env.now))

    env.process(departures())
    if on_progress is not None and len(trips):
        clock = env.now
        last = float(launch_s.max())
        while clock < last:
            clock = min(clock + PROGRESS_STEP_S, last)
            env.run(until=clock)
            on_progress(clock)
    env.run()
    if on_progress is not None:
        on_progress(env.now)

    enter_s, exit_s, element_offsets, stretch_enter_s, stretch_exit_s = element_times(
        elements, route_of, offsets, np.frombuffer(t_in), np.frombuffer(t_out)
    )
    visits = walk_visits(elements, route_of, enter_s, exit_s, stretch_enter_s, stretch_exit_s)
    del stretch_enter_s, stretch_exit_s
    route_length = np.array([r.length_m for r in routes], dtype=np.float64)[route_of]
    arrive = exit_s[element_offsets[1:] - 1] if len(trips) else np.empty(0)
    end_s = arrive + trips.dwell_s
    catalogue = pass_catalogue(site, routes, elements, walkways, np.unique(route_of))
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
    )
    return CrowdResult(
        passes=passes,
        samples=samples,
        visits=visits,
        queues=Queues(
            bottleneck=np.asarray(queued_at, dtype=np.int64),
            joined_s=np.asarray(joined, dtype=np.float64),
            ahead=np.asarray(ahead, dtype=np.int64),
            wait_s=np.asarray(waited, dtype=np.float64),
        ),
        holds=Holds(
            walkway=walkways.cell_edge[np.asarray(held_cell, dtype=np.int64)],
            joined_s=np.asarray(held_from, dtype=np.float64),
            wait_s=np.asarray(held_wait, dtype=np.float64),
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
