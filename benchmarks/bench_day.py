"""Benchmark: a whole simulated day of a scenario, end to end, on this machine.

Prints wall time, captures per wall-second, simulated/wall speed-up, peak memory, where the time goes
(site, crowd, captures, faces, matching, pipeline, recording), and the matcher's arithmetic rate as a
share of numpy's float32 matrix multiply measured in the same process (the machine is shared and
noisy, so the ratio is the figure to compare across runs). The spine's target for the default King's
Cross weekday: at most 120 s wall and under 4 GB peak memory on a 2-core machine.

    python benchmarks/bench_day.py                       # the default King's Cross weekday
    python benchmarks/bench_day.py scenarios/small_plaza.toml --json
    python benchmarks/bench_day.py --set matcher.precision=int8   # int8 scores, float32 decisions
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from twin.results.publish import run_scenario
from twin.scenario import load_scenario

SGEMM_SHAPE = (8192, 512, 10_000)  # probes x dim x gallery, the shape of the day's matching
TARGET_WALL_S = 120.0
TARGET_PEAK_MEMORY_GB = 4.0


def sgemm_gflops(repeats: int = 3) -> float:
    """float32 matrix-multiply rate (GFLOP/s) of numpy's BLAS in this process, best of ``repeats``,
    on every core (the matcher keeps numpy's own BLAS to one thread; the baseline should not be)."""
    with threadpool_limits(limits=os.cpu_count() or 1, user_api="blas"):
        return _sgemm_gflops(repeats)


def _sgemm_gflops(repeats: int) -> float:
    rng = np.random.default_rng(0)
    rows, dim, cols = SGEMM_SHAPE
    a = rng.standard_normal((rows, dim), dtype=np.float32)
    b = rng.standard_normal((dim, cols), dtype=np.float32)
    _ = a @ b  # warm up
    best_s = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        _ = a @ b
        best_s = min(best_s, time.perf_counter() - began)
    return 2.0 * rows * dim * cols / best_s / 1e9


def measure(scenario_path: str, overrides: list[str], seed: int | None) -> dict[str, Any]:
    """Run the scenario once and collect the figures."""
    scenario = load_scenario(scenario_path, overrides=overrides)
    baseline_before = sgemm_gflops()
    with tempfile.TemporaryDirectory() as scratch:
        began = time.perf_counter()
        manifest = run_scenario(scenario, out=Path(scratch) / "run", seed=seed)
        wall_s = time.perf_counter() - began
    baseline = max(baseline_before, sgemm_gflops())
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    counts = manifest["counts"]
    window_s = manifest["window"]["end_s"] - manifest["window"]["start_s"]
    matching_s = manifest["stage_seconds"]["matching"]
    flops = (
        2.0 * counts["searches"] * manifest["matcher"]["gallery_size"] * manifest["matcher"]["dim"]
    )
    matcher_gflops = flops / matching_s / 1e9 if matching_s > 0 else 0.0
    return {
        "scenario": manifest["scenario"]["name"],
        "wall_s": wall_s,
        "pedestrians": counts["pedestrians"],
        "cameras": manifest["site"]["cameras"],
        "recognition_cameras": manifest["site"]["recognition_cameras"],
        "captures": counts["captures"],
        "searches": counts["searches"],
        "gallery_size": manifest["matcher"]["gallery_size"],
        "people": counts.get("people"),
        "people_scanned": counts.get("people_scanned"),
        "innocent_people_flagged": counts.get("innocent_people_flagged"),
        "false_alerts": counts["false_alerts"],
        "most_false_alerts_on_one_person": manifest["outcomes"]
        .get("per_person", {})
        .get("max_per_flagged"),
        "captures_per_wall_s": counts["captures"] / wall_s,
        "simulated_over_wall": window_s / wall_s,
        "peak_memory_gb": peak_gb,
        "stage_seconds": manifest["stage_seconds"],
        "matcher_gflops": matcher_gflops,
        "sgemm_gflops_same_process": baseline,
        "matcher_over_sgemm": matcher_gflops / baseline,
        "kernel": manifest["matcher"]["kernel"],
        "target_wall_s": TARGET_WALL_S,
        "target_peak_memory_gb": TARGET_PEAK_MEMORY_GB,
        "meets_targets": wall_s <= TARGET_WALL_S and peak_gb < TARGET_PEAK_MEMORY_GB,
    }


def _precision_line(path: dict[str, str]) -> str:
    if not path:
        return "float32"
    return f"{path['used']} (requested {path['requested']}; {path['kernel']})"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default="scenarios/kings_cross_weekday.toml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="override")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    figures = measure(args.scenario, args.overrides, args.seed)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    wall_s = figures["wall_s"]
    rows = [
        ("scenario", figures["scenario"]),
        ("pedestrians", f"{figures['pedestrians']:,}"),
        ("cameras (recognition)", f"{figures['cameras']} ({figures['recognition_cameras']})"),
        ("faces captured", f"{figures['captures']:,}"),
        (
            "matcher searches",
            f"{figures['searches']:,} against {figures['gallery_size']:,} identities",
        ),
        (
            "people wrongly flagged",
            f"{figures['innocent_people_flagged']} of {figures['people_scanned']} scanned "
            f"({figures['false_alerts']} false alerts, at most "
            f"{figures['most_false_alerts_on_one_person']} on one person)",
        ),
        ("wall time", f"{wall_s:.1f} s (target <= {TARGET_WALL_S:.0f} s)"),
        ("captures per wall-s", f"{figures['captures_per_wall_s']:,.0f}"),
        ("simulated / wall", f"{figures['simulated_over_wall']:,.0f}x"),
        (
            "peak memory",
            f"{figures['peak_memory_gb']:.2f} GB (target < {TARGET_PEAK_MEMORY_GB:.0f} GB)",
        ),
        (
            "matcher arithmetic",
            f"{figures['matcher_gflops']:,.0f} GFLOP/s = {figures['matcher_over_sgemm']:.0%} of numpy "
            f"sgemm in this process ({figures['sgemm_gflops_same_process']:,.0f} GFLOP/s)",
        ),
        ("BLAS kernel", str(figures["kernel"].get("faiss_blas_architecture", "?"))),
        ("matcher precision", _precision_line(figures["kernel"].get("matcher_precision", {}))),
    ]
    for name, value in rows:
        print(f"{name:<22}{value}")
    print("where the time goes:")
    for stage, seconds in figures["stage_seconds"].items():
        print(f"  {stage:<12} {seconds:7.2f} s  {100 * seconds / wall_s:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
