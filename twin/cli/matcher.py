"""``twin matcher``: benchmark the matcher on this machine, or serve it over HTTP.

Mounted by the ``twin`` command as ``twin matcher``; also runnable as ``python -m twin.cli.matcher``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from twin.cli.support import refuse_bad_input, stderr, stdout
from twin.errors import TwinInputError
from twin.matcher.backends import BACKENDS, BackendName, BackendParams
from twin.matcher.bench import BenchReport, BenchRow, run_bench, unit_rows
from twin.matcher.config import DEFAULT_PORT, ServiceConfig
from twin.matcher.core import Matcher
from twin.matcher.precision import PRECISIONS
from twin.matcher.server import serve

TOKEN_ENV = "TWIN_MATCHER_TOKEN"
MAX_SYNTHETIC_SIZE = 2_000_000  # 2M x 512 float32 = 4 GiB: beyond that the gallery exhausts memory

matcher_app = typer.Typer(
    help="The real FAISS matcher: benchmark it on this machine, or serve it over HTTP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _csv_ints(text: str, option: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise TwinInputError(f"{option}: comma-separated positive integers, got {text!r}") from exc
    if not values or min(values) < 1:
        raise TwinInputError(f"{option}: comma-separated positive integers, got {text!r}")
    return values


def _backends(text: str) -> list[BackendName]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in BACKENDS]
    if unknown or not names:
        raise TwinInputError(f"--backends: choose from {', '.join(BACKENDS)}, got {text!r}")
    return [n for n in BACKENDS if n in names]


def _precision(text: str) -> str:
    if text not in PRECISIONS:
        raise TwinInputError(f"--precision: choose one of {', '.join(PRECISIONS)}, got {text!r}")
    return text


def _render(report: BenchReport) -> None:
    table = Table(
        title=f"matcher bench (d=512) — FAISS BLAS: {report.kernel_summary}; "
        f"flat precision: {report.precision.get('used', 'float32')} "
        f"({report.precision.get('kernel', '')})"
    )
    for column in (
        "backend", "gallery", "batch", "queries/s*", "GFLOP/s*", "sgemm GFLOP/s*", "ratio",
        "p50 ms", "p99 ms", "recall@1",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for r in report.rows:
        table.add_row(
            r.backend,
            f"{r.gallery_size:,}",
            f"{r.batch:,}",
            f"{r.queries_per_s:,.0f}",
            f"{r.gflops:,.1f}",
            f"{r.sgemm_gflops:,.1f}",
            f"{r.ratio:.0%}",
            f"{r.p50_ms:.3f}",
            f"{r.p99_ms:.3f}",
            "" if r.recall_at_1 is None else f"{r.recall_at_1:.3f}",
        )
    stdout.print(table)
    stdout.print("* from the fastest call of each measurement; p50/p99 over all calls")
    for key, seconds in report.build_s.items():
        stdout.print(f"build {key}: {seconds:.2f} s")
    figures = report.figures()
    if "exact_ratio_to_sgemm" in figures:
        stdout.print(
            f"exact search, gallery 100,000, batch 1,024: {figures['exact_ratio_to_sgemm']:.0%} "
            f"of same-process sgemm (target >= 80%: {'met' if figures['exact_ratio_met'] else 'NOT met'})"
        )
    if "single_probe_p50_ms" in figures:
        stdout.print(
            f"single probe, gallery 100,000: p50 {figures['single_probe_p50_ms']:.2f} ms; bound "
            f"{figures['bandwidth_bound_ms']:.2f} ms at {figures['copy_bandwidth_gb_s']:.1f} GB/s copy "
            f"= {figures['latency_over_bound']:.2f}x (target <= 1.5x: "
            f"{'met' if figures['single_probe_met'] else 'NOT met'})"
        )
    stdout.print(
        f"load average before {report.load_average['before'][0]:.2f}, "
        f"after {report.load_average['after'][0]:.2f} (other processes skew every figure)"
    )


@matcher_app.command()
@refuse_bad_input
def bench(
    sizes: Annotated[
        str, typer.Option(help="Gallery sizes, comma-separated (1000000 is optional and slow).")
    ] = "1000,10000,100000",
    batches: Annotated[str, typer.Option(help="Batch sizes (probes per call).")] = "1,16,256,1024",
    backends: Annotated[str, typer.Option(help="Backends: flat, ivf, hnsw.")] = "flat,ivf,hnsw",
    min_time_s: Annotated[float, typer.Option(help="Least time measured per cell (s).")] = 0.6,
    seed: Annotated[int, typer.Option(help="Seed for the synthetic gallery and probes.")] = 0,
    precision: Annotated[
        str, typer.Option(help=f"Flat backend's scoring: {', '.join(PRECISIONS)}.")
    ] = "float32",
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Queries/s, GFLOP/s against same-process sgemm, p50/p99 and recall@1 per backend x size x batch."""
    if min_time_s <= 0:
        raise TwinInputError(f"--min-time-s: must be positive, got {min_time_s}")
    _precision(precision)

    def progress(row: BenchRow) -> None:
        if not json_output:
            stderr.print(
                f"  {row.backend} {row.gallery_size:,} x {row.batch}: {row.queries_per_s:,.0f} q/s",
                highlight=False,
            )

    report = run_bench(
        gallery_sizes=_csv_ints(sizes, "--sizes"),
        batches=_csv_ints(batches, "--batches"),
        backends=_backends(backends),
        min_time_s=min_time_s,
        seed=seed,
        on_row=progress,
        precision=precision,
    )
    if json_output:
        print(json.dumps(report.to_dict()))
    else:
        _render(report)


@matcher_app.command("serve")
@refuse_bad_input
def serve_command(
    gallery: Annotated[
        Path | None,
        typer.Option(help="Saved gallery file (Matcher.save); default: a synthetic gallery."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind (beyond loopback needs --token).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = DEFAULT_PORT,
    token: Annotated[
        str | None, typer.Option(help=f"Bearer token clients must send (or ${TOKEN_ENV}).")
    ] = None,
    synthetic_size: Annotated[int, typer.Option(help="Synthetic gallery size.")] = 10_000,
    backend: Annotated[str, typer.Option(help="Backend of the synthetic gallery.")] = "flat",
    max_batch: Annotated[int, typer.Option(help="Most probes per search call.")] = 1024,
    max_wait_ms: Annotated[
        float, typer.Option(help="Extra wait to fill a merged batch (ms).")
    ] = 0.0,
    max_queue: Annotated[int, typer.Option(help="Probes queued before 503.")] = 8192,
    max_request_probes: Annotated[int, typer.Option(help="Most probes per request.")] = 1024,
    max_body_bytes: Annotated[int, typer.Option(help="Largest request body (bytes).")] = 16 << 20,
    threads: Annotated[
        int | None, typer.Option(help="Search threads; default: the cores this process may use.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic gallery.")] = 0,
    precision: Annotated[
        str, typer.Option(help=f"Flat backend's scoring: {', '.join(PRECISIONS)}.")
    ] = "float32",
) -> None:
    """Serve the matcher over HTTP until interrupted; see /openapi.json for the API."""
    _precision(precision)
    given_token = token if token is not None else os.environ.get(TOKEN_ENV)
    config = ServiceConfig(
        host=host,
        port=port,
        token=given_token if given_token != "" else None,
        max_request_probes=max_request_probes,
        max_body_bytes=max_body_bytes,
        max_batch_probes=max_batch,
        max_wait_s=max_wait_ms / 1000.0,
        max_queue_probes=max_queue,
        search_threads=threads,
    )
    config.check()  # every option, before a gallery is built or a port is bound
    if gallery is not None:
        matcher = Matcher.load(gallery, precision=precision)
    else:
        if backend not in BACKENDS:
            raise TwinInputError(f"--backend: choose from {', '.join(BACKENDS)}, got {backend!r}")
        if not 1 <= synthetic_size <= MAX_SYNTHETIC_SIZE:
            raise TwinInputError(
                f"--synthetic-size: must be between 1 and {MAX_SYNTHETIC_SIZE}, got {synthetic_size}"
            )
        matcher = Matcher(512, backend=backend, params=BackendParams(), precision=precision)
        vectors = unit_rows(np.random.default_rng(seed), synthetic_size)
        matcher.add(np.arange(synthetic_size, dtype=np.int64), vectors, provenance="synthetic")
    stderr.print(
        f"matcher: {matcher!r} on http://{host}:{port} (API: /openapi.json); "
        f"scoring: {matcher.precision_path.summary()}",
        highlight=False,
    )
    serve(matcher, config)


if __name__ == "__main__":
    matcher_app()
