"""The matcher service at two times its capacity: no crash, honest 503s, flat memory, quick recovery.

    python -m benchmarks.bench_overload [--json] [--short] [--overload-s 120] [--gallery-size 50000]

1. Starts ``twin matcher serve`` on a free loopback port (one search thread, a small queue) and
   waits for ``/health``.
2. Capacity: closed loop, 4 requests of 256 binary probes in flight at all times, for
   ``--capacity-s``; capacity is the answered requests per second. Baseline latency: open loop at
   a fifth of capacity.
3. Overload: open loop at two times capacity for ``--overload-s`` (120 s; 15 s with ``--short``).
   Every answer is counted by status; a 503 is *honest* when it carries a whole-second
   ``Retry-After`` of at least 1 and no longer than the time a full queue takes to drain at the
   rate the server answered probes during the overload (rounded up, plus one second of slack).
4. Recovery: open loop at a fifth of capacity again; latency per second is compared with the
   baseline, and the recovery time is how long after the overload ended the p50 of a one-second
   window first came back within two times the baseline p50 (target: within 10 s).
5. Memory: the server's resident set (``/proc/PID/status``) before and after the overload.

Load goes to 127.0.0.1 only, bounded in time; other processes on the machine skew every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from hdrh.histogram import HdrHistogram

from benchmarks.local_server import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
DIM = 512
PROBES = 256  # probes per request: few, heavy requests keep the Python client far from its limit
MAX_QUEUE_PROBES = 2048
RECOVERY_TARGET_S = 10.0
LIGHT_SHARE = 0.2  # light load, as a share of capacity


def _phase(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _histogram() -> HdrHistogram:
    return HdrHistogram(1, 60_000_000, 3)  # microseconds, 1 us to 60 s


async def _closed_loop(client: httpx.AsyncClient, body: bytes, seconds: float) -> float:
    """Answered requests per second with 4 requests (half the queue) always in flight."""
    answered = 0
    end_s = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal answered
        while time.monotonic() < end_s:
            response = await client.post("/v1/search", content=body)
            answered += response.status_code == 200

    began_s = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(4)))
    return answered / (time.monotonic() - began_s)


class OpenLoop:
    """Requests sent on a fixed schedule whatever the answers; each answer recorded as it comes."""

    def __init__(self, client: httpx.AsyncClient, body: bytes) -> None:
        self.client = client
        self.body = body
        self.statuses: Counter[int] = Counter()
        self.retry_after_s: Counter[str] = Counter()
        self.transport_errors = 0
        self.windows: dict[int, HdrHistogram] = {}  # second since t0 -> latency of 200s
        self.t0_s = time.monotonic()
        self.began_s = self.last_ok_s = self.last_sent_s = self.t0_s
        self.sent = 0
        self.unfinished = 0

    async def _one(self) -> None:
        sent_s = time.monotonic()
        try:
            response = await self.client.post("/v1/search", content=self.body)
        except httpx.HTTPError:
            self.transport_errors += 1
            return
        self.statuses[response.status_code] += 1
        if response.status_code == 503:
            self.retry_after_s[response.headers.get("retry-after", "missing")] += 1
        if response.status_code == 200:
            self.last_ok_s = time.monotonic()
            window = int(sent_s - self.t0_s)
            histogram = self.windows.setdefault(window, _histogram())
            histogram.record_value(max(1, int((time.monotonic() - sent_s) * 1e6)))

    async def run(self, rate_per_s: float, seconds: float) -> None:
        tasks: set[asyncio.Task[None]] = set()
        began_s = self.began_s = time.monotonic()
        count = int(rate_per_s * seconds)
        for i in range(count):
            due_s = began_s + i / rate_per_s
            delay_s = due_s - time.monotonic()
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            task = asyncio.create_task(self._one())
            self.sent += 1
            self.last_sent_s = time.monotonic()
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        for task in list(tasks):  # bounded: what is still unanswered is given up, and counted
            task.cancel()
            self.unfinished += 1


def _p50_ms(histograms: list[HdrHistogram]) -> float | None:
    merged = _histogram()
    for histogram in histograms:
        merged.add(histogram)
    if merged.get_total_count() == 0:
        return None
    return float(merged.get_value_at_percentile(50) / 1000)


async def _measure(url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    rows = np.random.default_rng(1).standard_normal((PROBES, DIM)).astype("<f4")
    body = rows.tobytes()
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    headers = {"Content-Type": "application/octet-stream"}
    async with httpx.AsyncClient(
        base_url=url, limits=limits, headers=headers, timeout=30
    ) as client:
        capacity = await _closed_loop(client, body, args.capacity_s)
        _phase(f"capacity {capacity:,.1f} requests/s; baseline at a fifth of it")
        light = OpenLoop(client, body)
        await light.run(capacity * LIGHT_SHARE, args.baseline_s)
        baseline_p50_ms = _p50_ms(list(light.windows.values()))
        rss_before_mb = _rss_mb(pid)
        overload = OpenLoop(client, body)
        _phase(f"overload at {2 * capacity:,.1f} requests/s for {args.overload_s:g} s")
        await overload.run(2 * capacity, args.overload_s)
        _phase("recovery")
        overload_end_s = time.monotonic()
        rss_after_mb = _rss_mb(pid)
        recovery = OpenLoop(client, body)
        recovery.t0_s = overload_end_s
        await recovery.run(capacity * LIGHT_SHARE, args.recovery_s)
        rss_end_mb = _rss_mb(pid)
        health = (await client.get("/health")).status_code
    recovered_s = None
    if baseline_p50_ms is not None:
        for second in sorted(recovery.windows):
            p50 = _p50_ms([recovery.windows[second]])
            if p50 is not None and p50 <= 2 * baseline_p50_ms:
                recovered_s = float(second + 1)  # by the end of that window
                break
    # the client may fall behind its schedule on a busy machine: rates use the times it really took
    answering_s = max(overload.last_ok_s - overload.began_s, 1e-3)
    drained_probes_per_s = overload.statuses[200] * PROBES / answering_s
    sent_per_s = overload.sent / max(overload.last_sent_s - overload.began_s, 1e-3)
    drain_bound_s = math.ceil(MAX_QUEUE_PROBES / max(drained_probes_per_s, 1.0)) + 1
    honest = sum(
        n
        for value, n in overload.retry_after_s.items()
        if value.isdigit() and 1 <= int(value) <= drain_bound_s
    )
    rejected = overload.statuses[503]
    server_errors = {
        str(status): n for status, n in overload.statuses.items() if status >= 500 and status != 503
    }
    return {
        "capacity_requests_per_s": capacity,
        "probes_per_request": PROBES,
        "overload_rate_per_s": 2 * capacity,
        "overload_rate_sent_per_s": sent_per_s,
        "overload_s": args.overload_s,
        "statuses": {str(k): v for k, v in sorted(overload.statuses.items())},
        "transport_errors": overload.transport_errors,
        "unfinished": overload.unfinished,
        "server_errors_other_than_503": server_errors,
        "rejected_503": rejected,
        "retry_after_values": dict(overload.retry_after_s),
        "retry_after_honest": rejected > 0 and honest == rejected,
        "retry_after_drain_bound_s": drain_bound_s,
        "drained_probes_per_s": drained_probes_per_s,
        "rss_mb": {"before": rss_before_mb, "after_overload": rss_after_mb, "end": rss_end_mb},
        "baseline_p50_ms": baseline_p50_ms,
        "recovered_within_s": recovered_s,
        "recovery_target_s": RECOVERY_TARGET_S,
        "recovery_met": recovered_s is not None and recovered_s <= RECOVERY_TARGET_S,
        "health_after": health,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "twin", "matcher", "serve", "--port", str(port),
        "--synthetic-size", str(args.gallery_size), "--threads", "1",
        "--max-queue", str(MAX_QUEUE_PROBES), "--max-batch", "1024",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load_before = os.getloadavg()
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_healthy(url, process)
        report = asyncio.run(_measure(url, process.pid, args))
        report["crashed"] = process.poll() is not None
    finally:
        stop(process)
    report["server_exit_code"] = process.returncode
    report["load_average"] = {"before": load_before[0], "after": os.getloadavg()[0]}
    report["gallery_size"] = args.gallery_size
    return report


def _print(report: dict[str, Any]) -> None:
    rss = report["rss_mb"]
    print(
        f"capacity: {report['capacity_requests_per_s']:,.0f} requests/s of "
        f"{report['probes_per_request']} probes (gallery {report['gallery_size']:,})"
    )
    print(
        f"overload: {report['overload_rate_per_s']:,.0f} requests/s planned "
        f"({report['overload_rate_sent_per_s']:,.0f}/s sent) for {report['overload_s']:g} s; "
        f"statuses {report['statuses']}, transport errors {report['transport_errors']}"
    )
    print(f"crashes: {'yes' if report['crashed'] else 'none'}")
    print(f"5xx other than 503: {report['server_errors_other_than_503'] or 'none'}")
    print(
        f"503s with an honest Retry-After (1 to {report['retry_after_drain_bound_s']} s, the queue "
        f"over the {report['drained_probes_per_s']:,.0f} probes/s answered): "
        f"{'all' if report['retry_after_honest'] else 'NOT all'} {report['retry_after_values']}"
    )
    print(
        f"memory (RSS): {rss['before']:.0f} MB before, {rss['after_overload']:.0f} MB after the "
        f"overload, {rss['end']:.0f} MB at the end"
    )
    recovered = report["recovered_within_s"]
    print(
        f"latency back to normal (p50 <= 2x baseline {report['baseline_p50_ms']:.1f} ms): "
        + (f"within {recovered:.0f} s" if recovered is not None else "not within the window")
        + f" (target {report['recovery_target_s']:g} s: "
        + ("met" if report["recovery_met"] else "NOT met")
        + ")"
    )
    print(
        f"load average before {report['load_average']['before']:.2f}, after "
        f"{report['load_average']['after']:.2f} (other processes skew every figure)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="Print one JSON document.")
    parser.add_argument("--short", action="store_true", help="15 s of overload: a quick check.")
    parser.add_argument("--overload-s", type=float, default=120.0)
    parser.add_argument("--capacity-s", type=float, default=8.0)
    parser.add_argument("--baseline-s", type=float, default=5.0)
    parser.add_argument("--recovery-s", type=float, default=15.0)
    parser.add_argument("--gallery-size", type=int, default=10_000)
    args = parser.parse_args()
    if args.short:
        args.overload_s, args.capacity_s, args.baseline_s = 15.0, 4.0, 3.0
    if not 1 <= args.overload_s <= 600 or not 1_000 <= args.gallery_size <= 1_000_000:
        parser.error("--overload-s must be 1-600 s and --gallery-size 1,000-1,000,000")
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)


if __name__ == "__main__":
    main()
