"""Benchmark: a whole simulated day of a scenario, end to end, on this machine.

Prints wall time, captures per wall-second, simulated/wall speed-up, peak memory, and where the time
goes (crowd, captures, faces, matching, pipeline, recording). The spine's target for the default King's
Cross weekday: at most 120 s wall and under 4 GB peak memory on a 2-core machine.

    python benchmarks/bench_day.py                       # the default King's Cross weekday
    python benchmarks/bench_day.py scenarios/small_plaza.toml --json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from twin.runner import run_scenario
from twin.scenario import load_scenario

TARGET_WALL_S = 120.0
TARGET_PEAK_MEMORY_GB = 4.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default="scenarios/kings_cross_weekday.toml")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], help="scenario override"
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario, overrides=args.overrides)
    with tempfile.TemporaryDirectory() as scratch:
        began = time.perf_counter()
        manifest = run_scenario(scenario, out=Path(scratch) / "run", seed=args.seed)
        wall_s = time.perf_counter() - began
    peak_gb = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    )  # ru_maxrss is KiB on Linux
    counts = manifest["counts"]
    window_s = manifest["window"]["end_s"] - manifest["window"]["start_s"]
    figures = {
        "scenario": manifest["scenario"]["name"],
        "wall_s": wall_s,
        "pedestrians": counts["pedestrians"],
        "cameras": manifest["site"]["cameras"],
        "recognition_cameras": manifest["site"]["recognition_cameras"],
        "searches": counts["searches"],
        "gallery_size": manifest["matcher"]["gallery_size"],
        "captures_per_wall_s": counts["searches"] / wall_s,
        "simulated_over_wall": window_s / wall_s,
        "peak_memory_gb": peak_gb,
        "stage_seconds": manifest["stage_seconds"],
        "matcher_searches_per_s": manifest["throughput"]["matcher_searches_per_s"],
        "kernel": manifest["matcher"]["kernel"],
        "target_wall_s": TARGET_WALL_S,
        "target_peak_memory_gb": TARGET_PEAK_MEMORY_GB,
        "meets_targets": wall_s <= TARGET_WALL_S and peak_gb < TARGET_PEAK_MEMORY_GB,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"scenario              {figures['scenario']}")
    print(f"pedestrians           {counts['pedestrians']:,}")
    print(f"cameras (recognition) {figures['cameras']} ({figures['recognition_cameras']})")
    print(
        f"matcher searches      {counts['searches']:,} against {figures['gallery_size']:,} identities"
    )
    print(f"wall time             {wall_s:.1f} s (target <= {TARGET_WALL_S:.0f} s)")
    print(f"captures per wall-s   {figures['captures_per_wall_s']:,.0f}")
    print(f"simulated / wall      {figures['simulated_over_wall']:,.0f}x")
    print(f"peak memory           {peak_gb:.2f} GB (target < {TARGET_PEAK_MEMORY_GB:.0f} GB)")
    print(
        f"matcher rate          {figures['matcher_searches_per_s'] or 0:,.0f} searches/s of matcher time"
    )
    print("where the time goes:")
    for stage, seconds in manifest["stage_seconds"].items():
        print(f"  {stage:<12} {seconds:7.2f} s  {100 * seconds / wall_s:5.1f}%")
    print(f"BLAS kernel           {figures['kernel']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
