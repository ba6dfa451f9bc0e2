"""Benchmark: the crowd at today's footfall and at ten times it, side by side.

Runs the crowd stages (demand, the SimPy walk, captures) of a scenario over a window twice: as given
and with ``crowd.daily_pedestrians`` multiplied by ``--factor`` (default 10). Prints, for both, the
walk's wall time, pedestrians, mean trip time, mean speed, the densest walkway-minute (against
Weidmann's jam density, 5.4 ped/m2), the longest queue, how often a walker was held back by a
full walkway ahead and its mean wait, the level of service on the busiest walkway, and captures (searched faces) per minute, mean and peak. The interacting crowd should show trips
that take longer, densities below jam, and captures that grow less than the footfall. The second
run reuses the site and the routes the first worked out (`Site.derived`), so its ``crowd_wall_s``
leaves that work out (`bench_crowd_days.py` measures how much it is).

    python benchmarks/bench_crowd.py                        # King's Cross, 07:00-10:00, 1x and 10x
    python benchmarks/bench_crowd.py --factor 5 --json
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import numpy as np
from crowd_window import window_overrides, window_parser

from twin.crowd.demand import generate_trips
from twin.crowd.density import minute_density
from twin.crowd.fundamental import JAM_DENSITY_PED_M2
from twin.crowd.walking import on_site_from, simulate_crowd
from twin.recognition.captures import capture_opportunities, recognition_cameras
from twin.recognition.quality import level_of_service
from twin.scenario import load_scenario
from twin.site.scenario_site import load_scenario_site
from twin.streams import streams_for


def measure(scenario_path: str, overrides: list[str]) -> dict[str, Any]:
    """The crowd's figures for one scenario (demand stream as a run draws it)."""
    scenario = load_scenario(scenario_path, overrides=overrides)
    crowd = scenario.crowd
    site = load_scenario_site(scenario)
    streams = streams_for(scenario.seed)  # the run's own layout: the same walkers as twin run
    began = time.perf_counter()
    trips = generate_trips(site, crowd, streams.demand)
    walked = simulate_crowd(site, trips, crowd, passes_from_s=crowd.window_start_s)
    trips, walked = on_site_from(trips, walked, crowd.window_start_s)
    crowd_s = time.perf_counter() - began
    captures = capture_opportunities(
        site,
        walked.passes,
        scenario.cameras,
        streams.captures,
        recognition=recognition_cameras(site, scenario.cameras),
        samples=walked.samples,
    )
    density = minute_density(walked, from_s=crowd.window_start_s, to_s=crowd.window_end_s)
    searched_s = captures.passes.best_s[captures.searched]
    minute = np.floor((searched_s - crowd.window_start_s) / 60.0).astype(np.int64)
    minutes = int(np.ceil((crowd.window_end_s - crowd.window_start_s) / 60.0))
    per_minute = np.bincount(minute[(minute >= 0) & (minute < minutes)], minlength=minutes)
    walk_s = walked.arrive_s - trips.start_s
    peak = float(density.density_ped_m2.max()) if len(density) else 0.0
    return {
        "daily_pedestrians": crowd.daily_pedestrians,
        "crowd_wall_s": crowd_s,
        "pedestrians": len(trips),
        "mean_trip_s": float(walk_s.mean()),
        "mean_speed_m_s": float((walked.route_length_m / walk_s).mean()),
        "peak_density_ped_m2": peak,
        "below_jam": peak < JAM_DENSITY_PED_M2,
        "level_of_service_busiest": level_of_service(peak),
        "max_queue": int(walked.queues.ahead.max()) if len(walked.queues) else 0,
        "held_back": len(walked.holds.wait_s),
        "mean_hold_s": float(walked.holds.wait_s.mean()) if len(walked.holds.wait_s) else 0.0,
        "captures_per_minute_mean": float(per_minute.mean()),
        "captures_per_minute_peak": int(per_minute.max()),
        "peak_memory_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def main() -> int:
    parser = window_parser(__doc__, start="07:00", end="10:00")
    parser.add_argument("--factor", type=float, default=10.0, help="footfall multiplier")
    args = parser.parse_args()
    window = window_overrides(args.start, args.end)
    base = load_scenario(args.scenario).crowd.daily_pedestrians
    scaled = round(base * args.factor)
    one = measure(args.scenario, window)
    print(f"1x measured: {one}", file=sys.stderr, flush=True)
    many = measure(args.scenario, [*window, f"crowd.daily_pedestrians={scaled}"])
    ratio = {
        "mean_trip": many["mean_trip_s"] / one["mean_trip_s"],
        "captures_per_minute": many["captures_per_minute_mean"] / one["captures_per_minute_mean"]
        if one["captures_per_minute_mean"]
        else None,
        "pedestrians": many["pedestrians"] / one["pedestrians"],
    }
    if args.json:
        print(json.dumps({"1x": one, f"{args.factor:g}x": many, "ratio": ratio}, indent=2))
        return 0
    print(f"{'':<28}{'1x':>14}{f'{args.factor:g}x':>14}")
    for key in one:
        a, b = one[key], many[key]
        fmt = (lambda v: f"{v:,.3f}") if isinstance(a, float) else str
        print(f"{key:<28}{fmt(a):>14}{fmt(b):>14}")
    print(
        f"ratios {args.factor:g}x / 1x: pedestrians {ratio['pedestrians']:.2f}, mean trip "
        f"{ratio['mean_trip']:.2f}, captures per minute {ratio['captures_per_minute']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
