"""The matcher service under load on loopback, against the in-process matcher on the same core.

    python -m benchmarks.bench_service [--json] [--duration-s 10] [--gallery-size 10000]

What it does, on a machine with at least two cores:

1. In-process yardstick: this process pins itself to the server's core, builds the same synthetic
   gallery the server will serve, and measures ``Matcher.search`` throughput at 64 probes per call
   and for single probes (one thread, as the server will have).
2. Starts ``twin matcher serve`` pinned to that core (``taskset``), and waits for ``/health``.
3. Drives it with ``wrk`` pinned to the *other* core, with ``benchmarks/wrk_search.lua`` posting a
   fixed binary body: 64-probe requests, then single-probe requests (one 2 KB embedding each).
   Latency percentiles come from wrk's HdrHistogram; mean micro-batch sizes from the server's
   Prometheus ``/metrics``.
4. Stops the server with SIGTERM and prints the figures against the issue's targets: 64-probe
   requests >= 50% of in-process throughput; single probes >= 5,000/s with p99 < 50 ms.

Load goes to 127.0.0.1 only, for a bounded time. Other processes on the machine skew the figures;
the load average is reported before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.local_server import free_port, stop, wait_healthy
from twin.matcher import Matcher, configure_threads
from twin.matcher.bench import unit_rows

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "wrk_search.lua"
DIM = 512
BATCH_PROBES = 64
TARGET_BATCH_RATIO = 0.5
TARGET_SINGLE_PER_S = 5000.0
TARGET_SINGLE_P99_MS = 50.0


def _in_process_rates(
    gallery_size: int, seed: int, core: int | None, seconds: float, precision: str = "float32"
) -> dict[str, float]:
    """Probes/s of the matcher itself at 64 probes per call, and single probes/s, on ``core``."""
    original = os.sched_getaffinity(0)
    if core is not None:
        os.sched_setaffinity(0, {core})
    try:
        configure_threads()
        matcher = Matcher(DIM, precision=precision)
        rng = np.random.default_rng(seed)
        matcher.add(np.arange(gallery_size, dtype=np.int64), unit_rows(rng, gallery_size))
        probes = unit_rows(np.random.default_rng(seed + 1), BATCH_PROBES)
        rates = {}
        for label, batch in (("batch64", probes), ("single", probes[:1])):
            matcher.search(batch, 1)
            calls, began = 0, time.perf_counter()
            while time.perf_counter() - began < seconds:
                matcher.search(batch, 1)
                calls += 1
            rates[f"{label}_probes_per_s"] = calls * batch.shape[0] / (time.perf_counter() - began)
        return rates
    finally:
        os.sched_setaffinity(0, original)
        configure_threads()


def _pinned(command: list[str], core: int | None) -> list[str]:
    return command if core is None else ["taskset", "-c", str(core), *command]


def _metric_sum_count(page: str, name: str) -> tuple[float, float]:
    total = re.search(rf"^{name}_sum (\S+)$", page, re.MULTILINE)
    count = re.search(rf"^{name}_count (\S+)$", page, re.MULTILINE)
    return (float(total.group(1)) if total else 0.0, float(count.group(1)) if count else 0.0)


def _run_wrk(
    url: str, body: bytes, *, connections: int, seconds: float, core: int | None
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".bin") as body_file:
        body_file.write(body)
        body_file.flush()
        command = _pinned(
            [
                "wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "5s",
                "-s", str(LUA_SCRIPT), f"{url}/v1/search",
            ],
            core,
        )  # fmt: skip
        done = subprocess.run(
            command,
            env={**os.environ, "WRK_BODY_FILE": body_file.name},
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    result["requests_per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    cores = sorted(os.sched_getaffinity(0))
    server_core, load_core = (cores[0], cores[1]) if len(cores) >= 2 else (None, None)
    report: dict[str, Any] = {
        "gallery_size": args.gallery_size,
        "server_core": server_core,
        "load_generator_core": load_core,
        "load_average_before": list(os.getloadavg()),
        "precision": args.precision,
    }
    report["in_process"] = _in_process_rates(
        args.gallery_size, args.seed, server_core, args.in_process_s, args.precision
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [
        sys.executable, "-m", "twin.cli.matcher", "serve", "--port", str(port),
        "--synthetic-size", str(args.gallery_size), "--seed", str(args.seed),
        "--max-batch", str(args.max_batch), "--max-queue", str(args.max_queue),
        "--precision", args.precision,
    ]  # fmt: skip
    if args.max_wait_ms is not None:
        serve += ["--max-wait-ms", str(args.max_wait_ms)]
    server = subprocess.Popen(
        _pinned(serve, server_core),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_healthy(url, server)
        rng = np.random.default_rng(args.seed + 2)
        scenarios = (
            ("batch64", unit_rows(rng, BATCH_PROBES), args.batch_connections),
            ("single", unit_rows(rng, 1), args.single_connections),
        )
        for label, probes, connections in scenarios:
            if args.only and label != args.only:
                continue
            before = httpx.get(f"{url}/metrics").text
            result = _run_wrk(
                url, probes.astype("<f4").tobytes(), connections=connections,
                seconds=args.duration_s, core=load_core,
            )  # fmt: skip
            after = httpx.get(f"{url}/metrics").text
            probes_sum = np.subtract(
                _metric_sum_count(after, "matcher_batch_probes"),
                _metric_sum_count(before, "matcher_batch_probes"),
            )
            result["connections"] = connections
            result["probes_per_request"] = probes.shape[0]
            result["probes_per_s"] = result["requests_per_s"] * probes.shape[0]
            result["mean_batch_probes"] = float(probes_sum[0] / max(probes_sum[1], 1))
            result["p99_ms"] = result["p99_us"] / 1e3
            result["p50_ms"] = result["p50_us"] / 1e3
            report[label] = result
    finally:
        stop(server)
    report["load_average_after"] = list(os.getloadavg())
    if args.only:
        return report
    ratio = report["batch64"]["probes_per_s"] / report["in_process"]["batch64_probes_per_s"]
    single = report["single"]
    report["figures"] = {
        "batch64_ratio_to_in_process": ratio,
        "batch64_met": ratio >= TARGET_BATCH_RATIO,
        "single_requests_per_s": single["requests_per_s"],
        "single_p99_ms": single["p99_ms"],
        "single_met": single["requests_per_s"] >= TARGET_SINGLE_PER_S
        and single["p99_ms"] < TARGET_SINGLE_P99_MS
        and single["errors_status"] == 0,
    }
    return report


def _print(report: dict[str, Any]) -> None:
    inproc = report["in_process"]
    print(
        f"gallery {report['gallery_size']:,}; server on core {report['server_core']}, "
        f"wrk on core {report['load_generator_core']}"
    )
    print(
        f"in-process on one core: {inproc['batch64_probes_per_s']:,.0f} probes/s at 64 per call; "
        f"{inproc['single_probes_per_s']:,.0f} single probes/s"
    )
    for label in ("batch64", "single"):
        r = report[label]
        print(
            f"{label:>8}: {r['requests_per_s']:,.0f} req/s = {r['probes_per_s']:,.0f} probes/s, "
            f"p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, {r['connections']} connections, "
            f"mean micro-batch {r['mean_batch_probes']:.1f} probes, "
            f"non-2xx {r['errors_status']}, timeouts {r['errors_timeout']}"
        )
    f = report["figures"]
    print(
        f"64-probe requests: {f['batch64_ratio_to_in_process']:.0%} of in-process "
        f"(target >= 50%: {'met' if f['batch64_met'] else 'NOT met'})"
    )
    print(
        f"single probes: {f['single_requests_per_s']:,.0f}/s, p99 {f['single_p99_ms']:.1f} ms "
        f"(target >= 5,000/s and p99 < 50 ms: {'met' if f['single_met'] else 'NOT met'})"
    )
    print(
        f"load average before {report['load_average_before'][0]:.2f}, "
        f"after {report['load_average_after'][0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--duration-s", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--in-process-s", type=float, default=3.0, help="seconds per yardstick")
    parser.add_argument("--gallery-size", type=int, default=10_000)
    parser.add_argument("--batch-connections", type=int, default=8)
    parser.add_argument("--single-connections", type=int, default=96)
    parser.add_argument("--max-batch", type=int, default=1024)
    parser.add_argument("--max-queue", type=int, default=8192)
    parser.add_argument("--max-wait-ms", type=float, default=None, help="server's; default its own")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--precision", choices=["float32", "int8", "auto"], default="float32", help="flat scoring"
    )
    parser.add_argument("--only", choices=["batch64", "single"], help="run one load scenario")
    args = parser.parse_args()
    report = run(args)
    if args.json or args.only:
        print(json.dumps(report))
    else:
        _print(report)


if __name__ == "__main__":
    main()
