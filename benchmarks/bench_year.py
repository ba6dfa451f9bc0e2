"""Benchmark: a period of consecutive days with the same people (``twin year``), its wall time and memory.

Runs `twin.sweeps.year.run_year` on a local Dask cluster and prints the wall time, the days simulated
per hour, the peak memory of this process and its worker processes together (sampled every second
with psutil, summed over the process tree), and the period's per-person figures with their intervals.
A killed benchmark resumes like ``twin year``: days already on disk are reused, and reported as such.

    python benchmarks/bench_year.py                                     # the default weekday, 60 days
    python benchmarks/bench_year.py --days 10 --workers 2 --json
    python benchmarks/bench_year.py scenarios/small_plaza.toml --days 14 --out runs/bench-year-plaza
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from twin.scenario import load_scenario
from twin.sweeps.year import plan_year, run_year

DEFAULT_SCENARIO = "scenarios/kings_cross_weekday.toml"
DEFAULT_DAYS = 60
SAMPLE_S = 1.0


class TreeMemory:
    """Peak resident memory of this process and all its descendants together, sampled (bytes)."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        root = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [root, *root.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    parser.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help="calendar days in the period"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="Dask worker processes (default: cores)"
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--out", type=Path, default=None, help="period directory (default: runs/bench-year)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)

    scenario = load_scenario(args.scenario)
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("runs") / "bench-year"
    plan = plan_year(scenario, days=args.days, seed=seed, out=out)
    began = time.perf_counter()
    with TreeMemory() as memory:
        outcome = run_year(plan, workers=args.workers)
    wall_s = time.perf_counter() - began
    summary = outcome.summary
    people = summary.get("per_person", {})
    figures: dict[str, Any] = {
        "scenario": scenario.name,
        "calendar_days": args.days,
        "days_simulated": len(plan.runs),
        "days_ran": outcome.ran,
        "days_reused": outcome.reused,
        "days_failed": len(outcome.failed),
        "wall_s": wall_s,
        "wall_s_per_day_ran": wall_s / outcome.ran if outcome.ran else None,
        "peak_memory_gb": memory.peak_bytes / 2**30,
        "workers": args.workers,
        "per_person": {
            name: value
            for name, value in people.items()
            if isinstance(value, dict) and "value" in value
        },
        "people": people.get("people"),
        "people_on_site_two_days_or_more": people.get("people_on_site_two_days_or_more"),
        "path": str(out),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{scenario.name}: {args.days} calendar days, {len(plan.runs)} simulated")
        print(f"  ran {outcome.ran}, reused {outcome.reused}, failed {len(outcome.failed)}")
        print(f"  wall {wall_s:.0f} s ({figures['wall_s_per_day_ran'] or 0:.0f} s per day ran)")
        print(f"  peak memory, all processes: {figures['peak_memory_gb']:.2f} GB")
        print(
            f"  people {figures['people']}, on two days or more {figures['people_on_site_two_days_or_more']}"
        )
        for name, figure in figures["per_person"].items():
            print(f"  {name}: {figure['value']:g}  95% {figure['ci95']}")
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
