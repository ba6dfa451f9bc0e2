"""Benchmark: the SimPy walk against SimPy's own floor for the same events, in one process.

Runs a scenario's crowd stage (``simulate_crowd``: route choice, the SimPy walk, camera passes) once
to warm up (the site keeps its routes and camera passes, `Site.derived`), then ``--repeats`` times,
and after each a **replay**: plain SimPy, one process per walker started at its departure time,
that waits out each stretch the walk recorded for it, with no cells, gates or densities. The replay
is the least any SimPy model with these processes and stretches could take; the ratio of the walk
to it is what the crowd's own work costs, and holds on a shared, noisy machine (both run in the
same process, interleaved). Prints walkers, stretches per walker, the walk's and the replay's best
wall time, s, and their ratio.

    python benchmarks/bench_walk.py                          # King's Cross, 07:00-10:00
    python benchmarks/bench_walk.py --from 00:00 --to 24:00 --repeats 2 --json
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from crowd_window import window_overrides, window_parser

from twin.crowd.demand import generate_trips
from twin.crowd.walking import CrowdResult, simulate_crowd
from twin.cycles import cycle_collection_paused
from twin.scenario import load_scenario
from twin.site.scenario_site import load_scenario_site
from twin.streams import streams_for


def stretch_durations(walked: CrowdResult, walkers: int) -> list[list[float]]:
    """Each walker's stretches as the walk timed them, s (in walking order)."""
    visits = walked.visits
    # A stretch is a run of a walker's rows with one entry time.
    first = np.ones(len(visits), dtype=bool)
    first[1:] = (visits.pedestrian[1:] != visits.pedestrian[:-1]) | (
        visits.stretch_enter_s[1:] != visits.stretch_enter_s[:-1]
    )
    rows = np.flatnonzero(first)
    durations = (visits.stretch_exit_s[rows] - visits.stretch_enter_s[rows]).clip(min=0.0)
    per_walker: list[list[float]] = [[] for _ in range(walkers)]
    for who, took_s in zip(visits.pedestrian[rows].tolist(), durations.tolist(), strict=True):
        per_walker[who].append(took_s)
    return per_walker


def replay(start_s: list[float], durations: list[list[float]]) -> float:
    """Wall time, s, of plain SimPy waiting out every walker's stretches (no interaction)."""
    env = simpy.Environment(initial_time=start_s[0] if start_s else 0.0)
    timeout = env.timeout

    def walker(stretches: list[float]) -> Generator[simpy.Event, object, None]:
        for took_s in stretches:
            yield timeout(took_s)

    def departures() -> Generator[simpy.Event, object, None]:
        for departs, stretches in zip(start_s, durations, strict=True):
            yield env.timeout(max(0.0, departs - env.now))
            env.process(walker(stretches))

    env.process(departures())
    began = time.perf_counter()
    with cycle_collection_paused():
        env.run()
    return time.perf_counter() - began


def measure(scenario_path: str, start: str, end: str, repeats: int) -> dict[str, Any]:
    """Best wall times of the walk and of its replay, s, and what they walked."""
    scenario = load_scenario(scenario_path, overrides=window_overrides(start, end))
    site = load_scenario_site(scenario)
    trips = generate_trips(site, scenario.crowd, streams_for(scenario.seed).demand)
    walked = simulate_crowd(site, trips, scenario.crowd)  # warm-up: routes and passes kept
    durations = stretch_durations(walked, len(trips))
    start_s = trips.start_s.tolist()
    walk_s, replay_s = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        simulate_crowd(site, trips, scenario.crowd)
        walk_s.append(time.perf_counter() - began)
        replay_s.append(replay(start_s, durations))
    stretches = sum(len(d) for d in durations)
    return {
        "scenario": scenario.name,
        "window": f"{start}-{end}",
        "walkers": len(trips),
        "stretches_per_walker": stretches / max(len(trips), 1),
        "bottleneck_passages": len(walked.queues),
        "walk_s": min(walk_s),
        "replay_s": min(replay_s),
        "walk_over_replay": min(walk_s) / min(replay_s),
        "repeats": repeats,
    }


def main() -> int:
    parser = window_parser(__doc__, start="07:00", end="10:00")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, best kept")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    figures = measure(args.scenario, args.start, args.end, args.repeats)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for key, value in figures.items():
        print(f"{key:<24}{value:,.3f}" if isinstance(value, float) else f"{key:<24}{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
