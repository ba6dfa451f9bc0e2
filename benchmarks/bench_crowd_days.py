"""Benchmark: the crowd stage of several days in one process, the first against the later ones.

The days of a period (``twin year``) and the samples of a sweep that one Dask worker runs load the
same site; the site and the route choices and camera passes it works out are kept across them
(`twin.site.model.load_site`, `Site.derived`). This runs the crowd stage (site load, demand, the
SimPy walk and its camera passes) of ``--days`` days of one scenario in turn, each with its own
day's demand stream, and prints each day's wall time and the later days' mean as a share of the
first: a ratio in one process, so it holds on a shared machine.

    python benchmarks/bench_crowd_days.py                    # King's Cross, 08:00-09:00, 3 days
    python benchmarks/bench_crowd_days.py --from 07:00 --to 10:00 --days 2 --json
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from crowd_window import window_overrides, window_parser

from twin.crowd.demand import generate_trips
from twin.crowd.walking import simulate_crowd
from twin.scenario import load_scenario
from twin.site.scenario_site import load_scenario_site
from twin.streams import streams_for


def crowd_days(
    scenario_path: str, start: str, end: str, days: int, *, progress: Any = sys.stdout
) -> list[dict[str, Any]]:
    """Each day's crowd stage: wall time, s; walkers; camera passes (a line each to ``progress``)."""
    scenario = load_scenario(scenario_path, overrides=window_overrides(start, end))
    crowd = scenario.crowd
    rows = []
    for day in range(days):
        began = time.perf_counter()
        site = load_scenario_site(scenario)
        trips = generate_trips(site, crowd, streams_for(scenario.seed, day=day).demand)
        walked = simulate_crowd(site, trips, crowd, passes_from_s=crowd.window_start_s)
        rows.append(
            {
                "day": day,
                "wall_s": time.perf_counter() - began,
                "walkers": len(trips),
                "passes": len(walked.passes),
            }
        )
        print(
            f"day {day}: {rows[-1]['wall_s']:7.1f} s  {len(trips):>8,} walkers  "
            f"{len(walked.passes):>9,} passes",
            file=progress,
            flush=True,
        )
    return rows


def main() -> int:
    parser = window_parser(__doc__, start="08:00", end="09:00")
    parser.add_argument("--days", type=int, default=3, help="days in turn (at least 2)")
    args = parser.parse_args()
    if args.days < 2:
        print("--days: must be at least 2 (the first day against the later ones)", file=sys.stderr)
        return 2
    rows = crowd_days(
        args.scenario,
        args.start,
        args.end,
        args.days,
        progress=sys.stderr if args.json else sys.stdout,
    )
    later_s = sum(row["wall_s"] for row in rows[1:]) / (len(rows) - 1)
    ratio = later_s / rows[0]["wall_s"]
    if args.json:
        print(json.dumps({"days": rows, "later_over_first": ratio}, indent=2))
        return 0
    print(
        f"later days over the first: {ratio:.2f} (mean {later_s:.1f} s against {rows[0]['wall_s']:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
