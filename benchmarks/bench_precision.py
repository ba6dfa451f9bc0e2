"""Benchmark: the int8 precision of the flat matcher against float32, in one process.

Prints, with the load average before and after (the machine is shared):

- the int8 path's **effective rate** at gallery 10,000 and 100,000, batch 1,024: float32-equivalent
  flops of the decisions delivered (2 x gallery x dim per probe) per second, over the same-process
  float32 sgemm rate (numpy, all cores; target >= 2x) and over float32 exact search;
- **single-probe latency** at gallery 100,000 against the int8 bandwidth bound (int8 gallery bytes
  over the machine's copy bandwidth, STREAM convention; target <= 1.5x);
- **decisions identical** on at least 1,000,000 searches (mated, unrelated, and probes built to sit
  on the threshold): top-1 identity, alert or not, and the top-1 score within float32 rounding.

    python benchmarks/bench_precision.py                 # everything (a few minutes)
    python benchmarks/bench_precision.py --searches 100000 --sizes 10000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np

from twin.matcher import Matcher, configure_threads
from twin.matcher.bench import (
    DIM,
    POOL_SETTLE_S,
    copy_bandwidth_bytes_per_s,
    mated_probes,
    sgemm_gflops,
    unit_rows,
)
from twin.matcher.blas import usable_cores

BATCH = 1024
THRESHOLD = 0.45  # a typical cosine operating threshold (see the profiles); any value serves
SCORE_TOLERANCE = 2e-6  # float32 rounding of a 512-term dot product between BLAS kernels


def _build(gallery: np.ndarray, precision: str) -> Matcher:
    matcher = Matcher(DIM, precision=precision)
    matcher.add(np.arange(gallery.shape[0], dtype=np.int64), gallery)
    return matcher


def _best_s(call: Any, repeats: int) -> float:
    call()
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - began)
    return best


def rates(size: int, rng: np.random.Generator, repeats: int) -> dict[str, Any]:
    """int8 and float32 search of one batch at one gallery size, and the sgemm yardstick."""
    gallery = unit_rows(rng, size)
    probes = np.vstack([mated_probes(rng, gallery, BATCH // 2), unit_rows(rng, BATCH // 2)])
    exact, coarse = _build(gallery, "float32"), _build(gallery, "int8")
    flops = 2.0 * size * DIM * BATCH
    sgemm_before = sgemm_gflops(rng, repeats=3)
    int8_s = _best_s(lambda: coarse.search(probes, 1), repeats)
    time.sleep(POOL_SETTLE_S)
    float32_s = _best_s(lambda: exact.search(probes, 1), repeats)
    sgemm = max(sgemm_before, sgemm_gflops(rng, repeats=3))
    effective = flops / int8_s / 1e9
    return {
        "gallery_size": size,
        "batch": BATCH,
        "int8_s": int8_s,
        "float32_search_s": float32_s,
        "effective_gflops": effective,
        "sgemm_gflops": sgemm,
        "ratio_to_sgemm": effective / sgemm,
        "speedup_over_float32_search": float32_s / int8_s,
        "target_ratio_to_sgemm": 2.0,
        "met": effective / sgemm >= 2.0,
        "precision_path": coarse.precision_path.summary(),
    }


def single_probe(size: int, rng: np.random.Generator, repeats: int) -> dict[str, Any]:
    """One probe at a time against the int8 bandwidth bound (gallery bytes in int8 / copy rate)."""
    gallery = unit_rows(rng, size)
    probes = mated_probes(rng, gallery, repeats + 1)
    coarse, exact = _build(gallery, "int8"), _build(gallery, "float32")
    int8_bytes = size * DIM
    bandwidth = max(
        copy_bandwidth_bytes_per_s(int8_bytes, threads=t) for t in sorted({1, usable_cores()})
    )
    bound_ms = int8_bytes / bandwidth * 1e3
    coarse.search(probes[-1:], 1)  # builds the onnxruntime session
    exact.search(probes[-1:], 1)
    times, float32_times = [], []
    for i in range(repeats):
        began = time.perf_counter()
        coarse.search(probes[i : i + 1], 1)
        times.append(time.perf_counter() - began)
        began = time.perf_counter()
        exact.search(probes[i : i + 1], 1)
        float32_times.append(time.perf_counter() - began)
    p50_ms = float(np.percentile(times, 50)) * 1e3
    return {
        "gallery_size": size,
        "int8_p50_ms": p50_ms,
        "int8_p99_ms": float(np.percentile(times, 99)) * 1e3,
        "int8_fastest_ms": min(times) * 1e3,
        "float32_p50_ms": float(np.percentile(float32_times, 50)) * 1e3,
        "int8_gallery_bytes": int8_bytes,
        "copy_bandwidth_gb_s": bandwidth / 1e9,
        "int8_bandwidth_bound_ms": bound_ms,
        "latency_over_bound": p50_ms / bound_ms,
        "target_x_bound": 1.5,
        "met": p50_ms / bound_ms <= 1.5,
    }


def _threshold_probes(rng: np.random.Generator, gallery: np.ndarray, n: int) -> np.ndarray:
    """Probes whose cosine with a random gallery row is the threshold plus a small offset."""
    targets = gallery[rng.integers(0, gallery.shape[0], n)].astype(np.float64)
    offsets = rng.choice([-1e-3, -1e-4, -1e-5, 1e-5, 1e-4, 1e-3], size=n)
    other = rng.standard_normal(targets.shape)
    other -= np.einsum("ij,ij->i", other, targets)[:, None] * targets
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    score = THRESHOLD + offsets
    probes: np.ndarray = (score[:, None] * targets + np.sqrt(1 - score**2)[:, None] * other).astype(
        np.float32
    )
    return probes


def decisions(
    searches: int, size: int, rng: np.random.Generator, chunk: int = 8192
) -> dict[str, Any]:
    """Compare int8 and float32 decisions on ``searches`` probes, a third of each kind."""
    gallery = unit_rows(rng, size)
    exact, coarse = _build(gallery, "float32"), _build(gallery, "int8")
    counts = {"searches": 0, "top1_differs": 0, "alert_differs": 0, "score_differs": 0}
    kinds = {"mated": 0, "unrelated": 0, "on_threshold": 0}
    done = 0
    while done < searches:
        n = min(chunk, searches - done)
        kind = list(kinds)[(done // chunk) % 3]
        if kind == "mated":
            probes = mated_probes(rng, gallery, n)
        elif kind == "unrelated":
            probes = unit_rows(rng, n)
        else:
            probes = _threshold_probes(rng, gallery, n)
        want = exact.search(probes, 1)
        got = coarse.search(probes, 1)
        counts["top1_differs"] += int(np.count_nonzero(want.ids[:, 0] != got.ids[:, 0]))
        counts["alert_differs"] += int(
            np.count_nonzero((want.scores[:, 0] >= THRESHOLD) != (got.scores[:, 0] >= THRESHOLD))
        )
        counts["score_differs"] += int(
            np.count_nonzero(np.abs(want.scores[:, 0] - got.scores[:, 0]) > SCORE_TOLERANCE)
        )
        counts["searches"] += n
        kinds[kind] += n
        done += n
    return {
        "gallery_size": size,
        **counts,
        "by_kind": kinds,
        "threshold": THRESHOLD,
        "identical": counts["top1_differs"]
        == counts["alert_differs"]
        == counts["score_differs"]
        == 0,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="gallery sizes for the rate figure")
    parser.add_argument("--single-size", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--decision-gallery", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    configure_threads()
    rng = np.random.default_rng(args.seed)
    report: dict[str, Any] = {"load_average_before": list(os.getloadavg())}
    report["rates"] = [rates(int(s), rng, args.repeats) for s in args.sizes.split(",") if s]
    if args.single_size:
        report["single_probe"] = single_probe(args.single_size, rng, max(50, args.repeats * 10))
    if args.searches:
        report["decisions"] = decisions(args.searches, args.decision_gallery, rng)
    report["load_average_after"] = list(os.getloadavg())
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"load average before {report['load_average_before'][0]:.2f}")
    for r in report["rates"]:
        print(
            f"gallery {r['gallery_size']:,}, batch {r['batch']:,}: int8 {r['int8_s'] * 1e3:.1f} ms, "
            f"float32 search {r['float32_search_s'] * 1e3:.1f} ms ({r['speedup_over_float32_search']:.2f}x); "
            f"effective {r['effective_gflops']:.0f} GFLOP/s = {r['ratio_to_sgemm']:.2f}x same-process "
            f"sgemm ({r['sgemm_gflops']:.0f}) (target >= 2x: {'met' if r['met'] else 'NOT met'})"
        )
    if "single_probe" in report:
        s = report["single_probe"]
        print(
            f"single probe, gallery {s['gallery_size']:,}: int8 p50 {s['int8_p50_ms']:.2f} ms "
            f"(p99 {s['int8_p99_ms']:.2f}, float32 p50 {s['float32_p50_ms']:.2f}); bound "
            f"{s['int8_bandwidth_bound_ms']:.2f} ms ({s['int8_gallery_bytes'] / 1e6:.1f} MB at "
            f"{s['copy_bandwidth_gb_s']:.1f} GB/s) = {s['latency_over_bound']:.2f}x "
            f"(target <= 1.5x: {'met' if s['met'] else 'NOT met'})"
        )
    if "decisions" in report:
        d = report["decisions"]
        print(
            f"decisions on {d['searches']:,} searches against {d['gallery_size']:,} "
            f"({', '.join(f'{k} {v:,}' for k, v in d['by_kind'].items())}): top-1 differs "
            f"{d['top1_differs']}, alert differs {d['alert_differs']}, score differs "
            f"{d['score_differs']} (identical: {'yes' if d['identical'] else 'NO'})"
        )
    print(f"load average after {report['load_average_after'][0]:.2f}")
    print(f"path: {report['rates'][0]['precision_path'] if report['rates'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
