"""The crowd: pedestrians walking their routes across the site, in simulated time (SimPy).

Each pedestrian sets off from their origin at their departure time, walks the shortest route on the
walk graph at their own speed, and every time they pass through a camera's view the simulation records
a pass at the moment they are best seen. Passes are the raw material of capture opportunities
(`twin.recognition.captures`): who, which camera, when, and the geometry that shapes the capture's quality.

Routes and their camera passes depend only on the origin-destination pair, so they are worked out once
per pair (`Site.route`, `Site.passes`) and shared by every pedestrian who walks it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from twin.crowd.demand import Trips
from twin.site.model import Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROGRESS_STEP_S = 600.0


@dataclass(frozen=True, slots=True)
class RoutePasses:
    """The camera passes along one origin-destination route, as columns sorted by ``best_m``."""

    length_m: float
    camera: IntArray  # index into Site.cameras
    enter_m: FloatArray
    best_m: FloatArray
    exit_m: FloatArray
    px_per_m: FloatArray
    distance_m: FloatArray
    facing_deg: FloatArray


@dataclass(frozen=True, slots=True)
class Passes:
    """Every pass of a pedestrian through a camera's view, one row each, in the order they happened."""

    pedestrian: IntArray
    camera: IntArray
    enter_s: FloatArray
    best_s: FloatArray
    exit_s: FloatArray
    px_per_m: FloatArray
    distance_m: FloatArray
    facing_deg: FloatArray

    def __len__(self) -> int:
        return len(self.pedestrian)


@dataclass(frozen=True, slots=True)
class CrowdResult:
    """What the crowd simulation produced."""

    passes: Passes
    route_length_m: FloatArray  # per pedestrian
    end_s: FloatArray  # per pedestrian: when they reached their destination
    route_pairs: dict[tuple[int, int], RoutePasses]


def route_passes(site: Site, origin: int, destination: int) -> RoutePasses:
    """Camera passes along the route between two entrances (indices into Site.entrances)."""
    camera_index = {camera.camera_id: i for i, camera in enumerate(site.cameras)}
    route = site.route(site.entrances[origin].entrance_id, site.entrances[destination].entrance_id)
    passes = site.passes(route)

    def column(name: str) -> FloatArray:
        return np.array([getattr(p, name) for p in passes], dtype=np.float64)

    return RoutePasses(
        length_m=float(route.length_m),
        camera=np.array([camera_index[p.camera_id] for p in passes], dtype=np.int64),
        enter_m=column("enter_m"),
        best_m=column("best_m"),
        exit_m=column("exit_m"),
        px_per_m=column("px_per_m"),
        distance_m=column("distance_m"),
        facing_deg=column("facing_deg"),
    )


def simulate_crowd(
    site: Site,
    trips: Trips,
    *,
    on_progress: Callable[[float], None] | None = None,
) -> CrowdResult:
    """Walk every trip through the site in simulated time and record each camera pass.

    ``on_progress`` is called with the simulated clock (seconds after midnight) as it advances.
    """
    origin = trips.origin.tolist()
    destination = trips.destination.tolist()
    pairs = sorted(set(zip(origin, destination, strict=True)))
    route_pairs = {pair: route_passes(site, *pair) for pair in pairs}
    # One catalogue of every route's passes, so that a pass is one integer row.
    pair_offset: dict[tuple[int, int], int] = {}
    offset = 0
    for pair in pairs:
        pair_offset[pair] = offset
        offset += len(route_pairs[pair].camera)
    catalogue = {
        name: np.concatenate([getattr(route_pairs[pair], name) for pair in pairs] + [np.empty(0)])
        for name in ("enter_m", "best_m", "exit_m", "px_per_m", "distance_m", "facing_deg")
    }
    catalogue_camera = np.concatenate(
        [route_pairs[pair].camera for pair in pairs] + [np.empty(0, dtype=np.int64)]
    ).astype(np.int64)
    walks = [route_pairs[pair] for pair in zip(origin, destination, strict=True)]
    first_row = [pair_offset[pair] for pair in zip(origin, destination, strict=True)]

    recorded_pedestrian: list[int] = []
    recorded_row: list[int] = []
    start_s = trips.start_s.tolist()
    speed = trips.speed_m_s.tolist()
    env = simpy.Environment(initial_time=float(trips.start_s[0]) if len(trips) else 0.0)

    def pedestrian(index: int) -> Generator[simpy.Event, object, None]:
        departed = env.now
        pace = 1.0 / speed[index]
        row = first_row[index]
        for best_m in walks[index].best_m.tolist():
            yield env.timeout(max(0.0, departed + best_m * pace - env.now))
            recorded_pedestrian.append(index)
            recorded_row.append(row)
            row += 1

    def departures() -> Generator[simpy.Event, object, None]:
        for index, departs in enumerate(start_s):
            yield env.timeout(max(0.0, departs - env.now))
            env.process(pedestrian(index))

    env.process(departures())
    if on_progress is not None and len(trips):
        clock = env.now
        last = float(trips.start_s[-1])
        while clock < last:
            clock = min(clock + PROGRESS_STEP_S, last)
            env.run(until=clock)
            on_progress(clock)
    env.run()
    if on_progress is not None:
        on_progress(env.now)

    who = np.asarray(recorded_pedestrian, dtype=np.int64)
    row_idx = np.asarray(recorded_row, dtype=np.int64)
    pace = 1.0 / trips.speed_m_s[who]
    departed_s = trips.start_s[who]
    length_m = np.array([walk.length_m for walk in walks], dtype=np.float64)
    passes = Passes(
        pedestrian=who,
        camera=catalogue_camera[row_idx],
        enter_s=departed_s + catalogue["enter_m"][row_idx] * pace,
        best_s=departed_s + catalogue["best_m"][row_idx] * pace,
        exit_s=departed_s + catalogue["exit_m"][row_idx] * pace,
        px_per_m=catalogue["px_per_m"][row_idx],
        distance_m=catalogue["distance_m"][row_idx],
        facing_deg=catalogue["facing_deg"][row_idx],
    )
    return CrowdResult(
        passes=passes,
        route_length_m=length_m,
        end_s=trips.start_s + length_m / trips.speed_m_s,
        route_pairs=route_pairs,
    )
