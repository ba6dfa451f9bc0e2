"""The matcher benchmark: search speed against this machine's own limits, measured in one process.

Two yardsticks are measured in the same process as the searches they judge:

- **sgemm GFLOP/s**: numpy's float32 matrix multiply (its own OpenBLAS, which recognises this
  processor) at ``SGEMM_SHAPE``, with all usable cores. Exact search does the same arithmetic,
  2 x gallery x dim flops per probe, so its GFLOP/s over this rate is how close it runs to the
  machine's arithmetic limit.
- **copy bandwidth**: numpy copying a buffer the size of the gallery, with one and with all usable
  cores (the larger counts), in STREAM's convention (bytes read + bytes written per second). One
  probe must read the whole gallery once, so gallery bytes / bandwidth bounds single-probe latency.

Rates (queries/s, GFLOP/s, the sgemm yardstick, copy bandwidth) come from the fastest call of each
measurement, the one least disturbed by other processes on a shared machine, so that the ratio
compares like with like; the median rate and p50/p99 latency (over all calls) are reported beside.
Approximate backends are timed the same way and scored by recall@1 against exact search on the same
probes. Probes are *mated*: a gallery vector plus noise (cosine ~0.7 to its mate), as a watchlist
subject's capture would be; with unrelated random probes "the nearest" is a near-tie of no interest.
Percentiles come from HdrHistogram. Other processes on the machine skew every figure: the report
carries the load average before and after.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import threadpoolctl
from hdrh.histogram import HdrHistogram

from twin.matcher.backends import BackendName, BackendParams
from twin.matcher.blas import blas_kernel_info, kernel_summary, usable_cores
from twin.matcher.core import Matcher

Float32Array = npt.NDArray[np.float32]

DIM: Final = 512
SGEMM_SHAPE: Final = (1024, DIM, 16384)  # (m probes, k dim, n gallery rows) of the yardstick
# Pause when switching between numpy's thread pool and FAISS's: OpenBLAS's idle workers keep
# spinning for up to 2^28 cycles (~0.1 s) after a call and would steal the other pool's cores.
POOL_SETTLE_S: Final = 0.2
MATE_NOISE_SD: Final = 1.0 / math.sqrt(DIM)  # per-dimension noise giving cosine ~0.7 to the mate
MIN_CELL_S: Final = 0.6  # measure each cell for at least this long...
MIN_REPEATS: Final = 5  # ...and at least this many calls
MAX_REPEATS: Final = 200
FIGURE_GALLERY: Final = 100_000  # the figures are at this gallery size
FIGURE_BATCH: Final = 1024


@dataclass(frozen=True)
class BenchRow:
    """One cell: a backend at a gallery size and batch size."""

    backend: str
    gallery_size: int
    batch: int
    queries_per_s: float  # from the fastest call
    median_queries_per_s: float  # from the median call
    gflops: float  # 2 x gallery x dim x queries/s (for approximate backends: exact-equivalent)
    sgemm_gflops: float  # same-run yardstick, fastest call
    ratio: float  # gflops / sgemm_gflops
    p50_ms: float
    p99_ms: float
    calls: int
    recall_at_1: float | None  # against exact, over all max(batches) probes; None for flat
    precision: str = "float32"  # the scoring path flat took: float32 or int8


@dataclass
class BenchReport:
    """Everything a benchmark run measured."""

    rows: list[BenchRow] = field(default_factory=list)
    kernel: dict[str, Any] = field(default_factory=dict)
    kernel_summary: str = ""
    build_s: dict[str, float] = field(default_factory=dict)  # "backend@size" -> build seconds
    copy_bandwidth_gb_s: dict[str, float] = field(default_factory=dict)  # "size" -> GB/s
    single_probe: dict[str, float] = field(default_factory=dict)  # at FIGURE_GALLERY
    precision: dict[str, str] = field(default_factory=dict)  # the flat backend's scoring path
    load_average: dict[str, list[float]] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        """The issue's two targets, where this run measured them."""
        out: dict[str, Any] = {}
        exact = [
            r
            for r in self.rows
            if r.backend == "flat" and r.gallery_size == FIGURE_GALLERY and r.batch == FIGURE_BATCH
        ]
        if exact:
            out["exact_ratio_to_sgemm"] = exact[0].ratio
            out["exact_ratio_target"] = 0.8
            out["exact_ratio_met"] = exact[0].ratio >= 0.8
        if self.single_probe:
            out.update(self.single_probe)
            out["single_probe_target_x_bound"] = 1.5
            out["single_probe_met"] = self.single_probe["latency_over_bound"] <= 1.5
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: rows, figures and context."""
        return {
            "rows": [asdict(r) for r in self.rows],
            "figures": self.figures(),
            "kernel": self.kernel,
            "kernel_summary": self.kernel_summary,
            "build_s": self.build_s,
            "copy_bandwidth_gb_s": self.copy_bandwidth_gb_s,
            "load_average": self.load_average,
            "sgemm_shape_m_k_n": list(SGEMM_SHAPE),
            "precision": self.precision,
        }


def unit_rows(rng: np.random.Generator, n: int, dim: int = DIM) -> Float32Array:
    """``n`` random unit vectors."""
    rows = rng.standard_normal((n, dim), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def mated_probes(rng: np.random.Generator, gallery: Float32Array, n: int) -> Float32Array:
    """``n`` probes, each a random gallery vector plus noise (cosine ~0.7 to it), unit length."""
    mates = gallery[rng.integers(0, gallery.shape[0], size=n)]
    noisy = mates + rng.normal(0.0, MATE_NOISE_SD, size=mates.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return noisy


def _timed(call: Callable[[], object], *, min_time_s: float) -> list[float]:
    """Wall seconds of repeated calls: at least MIN_REPEATS and ``min_time_s`` in all."""
    call()  # warm-up
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < MAX_REPEATS and (
        len(times) < MIN_REPEATS or time.perf_counter() - started < min_time_s
    ):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def sgemm_gflops(rng: np.random.Generator, *, repeats: int = 5) -> float:
    """numpy float32 matrix-multiply rate (GFLOP/s, fastest call) at `SGEMM_SHAPE`, all cores."""
    m, k, n = SGEMM_SHAPE
    left = rng.standard_normal((m, k), dtype=np.float32)
    right = rng.standard_normal((n, k), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    with threadpoolctl.threadpool_limits(limits=usable_cores(), user_api="blas"):
        time.sleep(POOL_SETTLE_S)
        np.matmul(left, right.T, out=out)
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            np.matmul(left, right.T, out=out)
            times.append(time.perf_counter() - began)
    time.sleep(POOL_SETTLE_S)
    return 2.0 * m * k * n / min(times) / 1e9


def copy_bandwidth_bytes_per_s(n_bytes: int, *, threads: int, repeats: int = 5) -> float:
    """Copy rate in STREAM's convention (read + written bytes per second), fastest of ``repeats``."""
    source = np.ones(n_bytes // 4, dtype=np.float32)
    target = np.empty_like(source)
    parts = np.array_split(np.arange(source.size), threads)
    bounds = [(int(p[0]), int(p[-1]) + 1) for p in parts if p.size]

    def copy_part(bound: tuple[int, int]) -> None:
        np.copyto(target[bound[0] : bound[1]], source[bound[0] : bound[1]])

    times = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(copy_part, bounds))
        for _ in range(repeats):
            began = time.perf_counter()
            list(pool.map(copy_part, bounds))
            times.append(time.perf_counter() - began)
    return 2.0 * source.nbytes / min(times)


def _percentiles_ms(times_s: Sequence[float]) -> tuple[float, float]:
    histogram = HdrHistogram(1, 600_000_000, 3)  # microseconds, up to 10 minutes
    for t in times_s:
        histogram.record_value(max(1, round(t * 1e6)))
    return (
        histogram.get_value_at_percentile(50) / 1e3,
        histogram.get_value_at_percentile(99) / 1e3,
    )


def _build(
    backend: BackendName, gallery: Float32Array, params: BackendParams, precision: str
) -> tuple[Matcher, float]:
    began = time.perf_counter()
    matcher = Matcher(
        gallery.shape[1],
        backend=backend,
        params=params,
        precision=precision if backend == "flat" else "float32",
    )
    matcher.add(np.arange(gallery.shape[0], dtype=np.int64), gallery)
    return matcher, time.perf_counter() - began


def run_bench(
    *,
    gallery_sizes: Sequence[int] = (1_000, 10_000, 100_000),
    batches: Sequence[int] = (1, 16, 256, 1024),
    backends: Sequence[BackendName] = ("flat", "ivf", "hnsw"),
    params: BackendParams | None = None,
    min_time_s: float = MIN_CELL_S,
    seed: int = 0,
    on_row: Callable[[BenchRow], None] | None = None,
    precision: str = "float32",
) -> BenchReport:
    """Measure every backend x gallery size x batch cell, and the single-probe bound.

    ``precision`` is the flat backend's (`twin.matcher.precision`); ``int8`` judges the single
    probe against the int8 gallery's bytes, and recall of the approximate backends against it.
    """
    report_path = Matcher(DIM, precision=precision).precision_path
    rng = np.random.default_rng(seed)
    params = params or BackendParams()
    report = BenchReport(
        kernel=blas_kernel_info(), kernel_summary=kernel_summary(), precision=report_path.to_dict()
    )
    report.load_average["before"] = list(os.getloadavg())
    for size in gallery_sizes:
        gallery = unit_rows(rng, size)
        probes = mated_probes(rng, gallery, max(batches))
        exact: Matcher | None = None
        order: list[BackendName] = ["flat", *[b for b in backends if b != "flat"]]
        for backend in order:
            matcher, build_s = _build(backend, gallery, params, precision)
            report.build_s[f"{backend}@{size}"] = build_s
            if backend == "flat":
                exact = matcher
                if backend not in backends:
                    continue
            assert exact is not None
            recall = None
            if matcher is not exact:
                found = matcher.search(probes, 1).ids[:, 0]
                recall = float(np.mean(found == exact.search(probes, 1).ids[:, 0]))
            for batch in batches:
                row = _measure_cell(matcher, probes[:batch], size, rng, min_time_s, recall)
                report.rows.append(row)
                if on_row is not None:
                    on_row(row)
            if size == FIGURE_GALLERY and backend == "flat":
                report.single_probe = _single_probe_figure(matcher, gallery, probes, report)
            if matcher is not exact:
                del matcher
        del exact, gallery
    report.load_average["after"] = list(os.getloadavg())
    return report


def _measure_cell(
    matcher: Matcher,
    probes: Float32Array,
    size: int,
    rng: np.random.Generator,
    min_time_s: float,
    recall: float | None,
) -> BenchRow:
    """Time one cell, bracketed by the sgemm yardstick just before and just after it."""
    batch = probes.shape[0]
    before = sgemm_gflops(rng, repeats=3)
    times = _timed(lambda: matcher.search(probes, 1), min_time_s=min_time_s)
    yardstick = max(before, sgemm_gflops(rng, repeats=3))
    queries_per_s = batch / min(times)
    gflops = 2.0 * size * DIM * queries_per_s / 1e9
    p50_ms, p99_ms = _percentiles_ms(times)
    return BenchRow(
        backend=matcher.backend,
        gallery_size=size,
        batch=batch,
        queries_per_s=queries_per_s,
        median_queries_per_s=batch / float(np.median(times)),
        gflops=gflops,
        sgemm_gflops=yardstick,
        ratio=gflops / yardstick,
        p50_ms=p50_ms,
        p99_ms=p99_ms,
        calls=len(times),
        recall_at_1=recall,
        precision=matcher.precision_path.used,
    )


def _single_probe_figure(
    matcher: Matcher, gallery: Float32Array, probes: Float32Array, report: BenchReport
) -> dict[str, float]:
    """Single-probe latency at this gallery against gallery bytes / copy bandwidth."""
    gallery_bytes = gallery.size * (1 if matcher.precision_path.used == "int8" else 4)
    bandwidths = {
        threads: copy_bandwidth_bytes_per_s(gallery_bytes, threads=threads)
        for threads in sorted({1, usable_cores()})
    }
    for threads, rate in bandwidths.items():
        report.copy_bandwidth_gb_s[f"{threads}_threads"] = rate / 1e9
    best = max(bandwidths.values())
    bound_ms = gallery_bytes / best * 1e3
    time.sleep(POOL_SETTLE_S)
    times = _timed(lambda: matcher.search(probes[:1], 1), min_time_s=MIN_CELL_S)
    p50_ms, p99_ms = _percentiles_ms(times)
    return {
        "single_probe_gallery_size": float(gallery.shape[0]),
        "single_probe_p50_ms": p50_ms,
        "single_probe_fastest_ms": min(times) * 1e3,
        "single_probe_p99_ms": p99_ms,
        "gallery_bytes": float(gallery_bytes),
        "copy_bandwidth_gb_s": best / 1e9,
        "bandwidth_bound_ms": bound_ms,
        "latency_over_bound": p50_ms / bound_ms,
    }
