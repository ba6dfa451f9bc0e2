"""The walkers: SimPy processes that walk their routes stretch by stretch, meeting each other.

A walker walks its route's stretches (`twin.crowd.elements`: runs of walkway cells of at least
``capacity.stretch_m``) one after another. On entering a stretch it counts who is on its cells and
walks it at the speed Weidmann's fundamental diagram gives for that density
(`twin.crowd.fundamental`), scaled to its own free speed (and slower on steps), never below
``capacity.min_speed_m_s``; as walkways fill and empty, later stretches are walked faster or slower.

**Storage and spillback.** A cell stores at most the density at which the diagram slows a walker of
mean free speed to ``capacity.min_speed_m_s`` (`twin.crowd.fundamental.storage_density_ped_m2`,
4.43 ped/m² at 0.1 m/s, below jam density) over its area (at least ``capacity.min_cell_m`` long).
A walker enters a stretch only when each of its cells has room for its share; until then it waits
at its origin or at the end of the stretch it is on, still counted there, so full walkways fill the
ones behind them. Both directions share one storage; so that facing streams cannot lock each other,
a walker holds its place for at most ``capacity.max_hold_s``, then steps aside (stops counting) and
waits on.

**Bottlenecks** are SimPy resources (:class:`twin.crowd.gates.Gate`) that let one walker through per
headway: when walkers arrive faster than that a queue forms, and each walker's wait and the queue
ahead of it are recorded. Walkers queueing stand at the end of the walkway before the bottleneck
(they count on it).

This module is the walk's inner loop, run millions of times a day, so it is also built as a compiled
extension where the package is installed with a C compiler (Cython, from this same source: see
`twin.crowd.compiled`); the two give the same results.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Generator, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import simpy
from simpy.events import NORMAL

from twin.crowd.elements import RouteElements
from twin.crowd.fundamental import (
    FULL_SPEED_BELOW_PED_M2,
    GAMMA_PED_M2,
    JAM_DENSITY_PED_M2,
    storage_density_ped_m2,
)
from twin.crowd.gates import Gate
from twin.crowd.records import Queues
from twin.scenario.crowd import CapacityConfig

__all__ = ["WalkPlan", "Walked", "walk", "walk_plan"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The walk's progress is reported this often, s (simulated clock).
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


class Walked(NamedTuple):
    """What the walk recorded. Per walker and stretch (rows from the walker's offset): when it
    entered and left the stretch, s. Per bottleneck passage: :class:`Queues`. Per wait for room:
    the cell waited for, since when and how long, s."""

    stretch_enter_s: FloatArray
    stretch_exit_s: FloatArray
    queues: Queues
    held_cell: IntArray
    held_from_s: FloatArray
    held_wait_s: FloatArray


def walk(
    plans: Sequence[WalkPlan],
    route_of: IntArray,
    offsets: IntArray,
    start_s: FloatArray,
    speed_m_s: FloatArray,
    *,
    headway_s: Sequence[float],
    cell_area_m2: FloatArray,
    capacity: CapacityConfig,
    on_progress: Callable[[float], None] | None = None,
) -> Walked:
    """Walk every walker (its route's plan ``plans[route_of[i]]``, start, s after midnight, and free
    speed, m/s) through the site in simulated time; ``offsets[i]`` is walker i's first stretch row.
    ``headway_s``: per bottleneck, s between walkers let through; ``cell_area_m2``: per cell, the
    area its density is counted over. ``on_progress`` is called with the simulated clock (s after
    midnight) as it advances."""
    env = simpy.Environment(initial_time=float(start_s[0]) if len(start_s) else 0.0)
    gates = [Gate(env, headway) for headway in headway_s]
    occupancy = [0.0] * cell_area_m2.size
    # A cell stores at most the storage density over its area as densities count it (at least
    # min_cell_m long, Walkways.cell_area_m2), so that no walkway's recorded density reaches jam: a
    # walker enters a stretch only when each of its cells has room for its share, else it waits
    # where it is. An empty cell always takes one walker.
    most_ped_m2 = storage_density_ped_m2(capacity.min_speed_m_s)
    storage = (most_ped_m2 * cell_area_m2 + _ROOM_TOLERANCE).tolist()
    # The walkers waiting for room in a cell, by cell: only cells someone waits for are keys.
    waiting: dict[int, deque[simpy.Event]] = {}
    min_speed = capacity.min_speed_m_s
    max_hold_s = capacity.max_hold_s
    inverse_jam = 1.0 / JAM_DENSITY_PED_M2
    full_speed_below = FULL_SPEED_BELOW_PED_M2
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
    speed = speed_m_s.tolist()

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

    route_list = route_of.tolist()
    offset_list = offsets.tolist()

    def walker(index: int) -> Generator[simpy.Event, object, None]:
        # Declared floats: the compiled build keeps them as C doubles (same IEEE arithmetic).
        free: float = speed[index]
        now: float
        here: float
        share: float
        people: float
        length_m: float
        area_m2: float
        factor: float
        density: float
        kept: float
        pace: float
        duration: float
        # The walker's own timer, re-armed for each stretch: a walk of a stretch is an event
        # scheduled for its end (as a Timeout is), without making a Timeout per stretch.
        walked = env.event()
        walked._ok, walked._value = True, None
        k = offset_list[index]
        # The stretch it stands on: its cells with its shares of them, and its only cell (or -1).
        held: Pairs = ()
        held_single = -1
        plan, lead_m, door_m = plans[route_list[index]]
        # The clock, kept here: a stretch walked ends when its timer was set for (now + duration).
        now = env.now
        if lead_m >= 0.0:  # started where its free walk to the walk graph ends (`departures`)
            t_in[k] = start_list[index]
            t_out[k] = now
            k += 1
        for bottleneck, pairs, single, length_m, area_m2, factor in plan:
            if bottleneck >= 0:
                gate = gates[bottleneck]
                queued_at.append(bottleneck)
                joined.append(now)
                in_front = gate.arrive()
                ahead.append(in_front)
                if in_front:
                    yield gate.request()  # queued at the end of its stretch: still counted on it
                    waited.append(env.now - now)
                    now = env.now
                else:
                    waited.append(0.0)
            if single >= 0:  # one cell: no loop over cells
                here = occupancy[single]
                if here + 1.0 > storage[single] and here > _ROOM_TOLERANCE:
                    if (yield from wait_for_room(single, pairs, held, k)):
                        held, held_single = (), -1
                    here = occupancy[single]
                    now = env.now
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
                        now = env.now
                        break
                people = 0.0
                for cell, share in pairs:
                    here = occupancy[cell] + share
                    occupancy[cell] = here
                    people += here
                if waiting:
                    for cell, _ in pairs:
                        wake(cell)  # room left for the next waiter?
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
                if density < full_speed_below:
                    kept = 1.0
                elif density < JAM_DENSITY_PED_M2:
                    kept = -expm1(-GAMMA_PED_M2 * (1.0 / density - inverse_jam))
                else:
                    kept = 0.0
                pace = free * kept * factor
                if pace < min_speed:
                    pace = min_speed
                duration = length_m / pace
            else:
                duration = length_m / free
            held, held_single = pairs, single
            t_in[k] = now
            k += 1
            if duration > 0.0:  # a station exit's own walk of 0 m takes no event
                walked.callbacks = []
                schedule(walked, NORMAL, duration)
                now += duration  # the timer's time, as SimPy sums it
                yield walked
            t_out[k - 1] = now  # its end, unless it waits there: then when it leaves
        if held:
            leave(held)
            t_out[k - 1] = now
        if door_m >= 0.0:  # the walk to its destination's door: nothing waits for its end
            t_in[k] = now
            t_out[k] = now + door_m / free

    start_list = start_s.tolist()
    # Each walker's process starts where nothing can hold it up any more: at its origin, or at the
    # end of its free walk to the walk graph (`WalkPlan.lead_m`), in the order they get there.
    walker_lead_m = np.array([plan.lead_m for plan in plans], dtype=np.float64)[route_of]
    launch_s = np.where(walker_lead_m >= 0.0, start_s + walker_lead_m / speed_m_s, start_s)
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
    if on_progress is not None and len(start_s):
        clock = env.now
        last = float(launch_s.max())
        while clock < last:
            clock = min(clock + PROGRESS_STEP_S, last)
            env.run(until=clock)
            on_progress(clock)
    env.run()
    if on_progress is not None:
        on_progress(env.now)

    return Walked(
        stretch_enter_s=np.frombuffer(t_in),
        stretch_exit_s=np.frombuffer(t_out),
        queues=Queues(
            bottleneck=np.asarray(queued_at, dtype=np.int64),
            joined_s=np.asarray(joined, dtype=np.float64),
            ahead=np.asarray(ahead, dtype=np.int64),
            wait_s=np.asarray(waited, dtype=np.float64),
        ),
        held_cell=np.asarray(held_cell, dtype=np.int64),
        held_from_s=np.asarray(held_from, dtype=np.float64),
        held_wait_s=np.asarray(held_wait, dtype=np.float64),
    )
