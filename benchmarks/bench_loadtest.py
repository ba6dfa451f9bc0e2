"""The load tester against a real ``twin matcher serve``: the knee, the curve, the sender's lag.

    python benchmarks/bench_loadtest.py [--json] [--rates 250,500,...] [--step-s 10] [--window ...]

What it does:

1. Saves the King's Cross scenario's 10,000-identity synthetic watchlist as a gallery file (the one
   ``twin loadtest --write-gallery`` writes), in a temporary folder.
2. Starts ``python -m twin.cli.matcher serve --gallery FILE`` on a free loopback port, with one
   search thread, pinned to the first CPU (``taskset``) when there are two or more, and waits for
   ``/health``.
3. Runs ``python -m twin.cli.loadtest SCENARIO --target URL --json`` as a separate process, its sender
   pinned to the other CPU (``--sender-cpu``), so that load generator and server do not take each
   other's core, and its own matcher (the simulation's measured service times, when a window is
   replayed) on one search thread like the server's (``--search-threads 1``); times it from launch
   to exit.
4. Prints what that measured: the curve (one row per step), the knee, the sender's lag at the knee,
   the wall time of the whole sweep against the issue's targets (knee found and curve printed in
   under 3 minutes; sender lag p99 under 1 ms at the knee), and the load average before and after;
   with ``--json``, one JSON document (the load test's own summary included). Then stops the server.

Traffic goes to 127.0.0.1 only and every step is bounded (the load tester's duration cap). Other
processes on the machine skew every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.local_server import free_port, stop, wait_healthy
from twin.loadtest.probes import scenario_gallery
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "kings_cross_weekday.toml"
TARGET_WALL_S = 180.0
TARGET_LAG_P99_MS = 1.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, sender_cpu = (
        (cpus[0], cpus[1]) if len(cpus) >= 2 and not args.no_pin else (None, None)
    )
    report: dict[str, Any] = {
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "server_cpu": server_cpu,
        "sender_cpu": sender_cpu,
        "load_average_before": list(os.getloadavg()),
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="bench-loadtest-") as tmp:
        scenario = load_scenario(SCENARIO)
        gallery = Path(tmp) / "watchlist.twg"
        matcher = scenario_gallery(scenario, scenario.seed).matcher
        matcher.save(gallery)
        report["gallery_size"] = matcher.size
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = [
            sys.executable, "-m", "twin.cli.matcher", "serve", "--gallery", str(gallery),
            "--port", str(port), "--threads", "1",
        ]  # fmt: skip
        if server_cpu is not None and shutil.which("taskset"):
            serve = ["taskset", "-c", str(server_cpu), *serve]
        server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_healthy(url, server)
            command = [
                sys.executable, "-m", "twin.cli.loadtest", str(SCENARIO), "--target", url,
                "--json", "--out", str(Path(tmp) / "loadtest"), "--step-s", str(args.step_s),
                "--search-threads", "1",
            ]  # fmt: skip
            if args.rates:
                command += ["--rates", args.rates]
            if args.window:
                command += ["--window", args.window, "--speed", str(args.speed)]
            if sender_cpu is not None:
                command += ["--sender-cpu", str(sender_cpu)]
            began = time.perf_counter()
            done = subprocess.run(
                command,
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=1200,
                check=False,
            )
            report["loadtest_wall_s"] = time.perf_counter() - began
        finally:
            stop(server)
    if done.returncode != 0:
        raise SystemExit(f"twin loadtest failed ({done.returncode}): {done.stderr.strip()}")
    summary = json.loads(done.stdout)
    report["summary"] = summary
    report["load_average_after"] = list(os.getloadavg())
    knee = summary["knee_rate"]
    lag = summary["knee_sender_lag_p99_ms"]
    report["figures"] = {
        "knee_rate": knee,
        "knee_sender_lag_p99_ms": lag,
        "wall_s": report["loadtest_wall_s"],
        "knee_found": knee is not None,
        "wall_met": knee is not None and report["loadtest_wall_s"] < TARGET_WALL_S,
        "wall_includes_replay": bool(args.window),
        "lag_met": lag is not None and lag < TARGET_LAG_P99_MS,
    }
    return report


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _print(report: dict[str, Any]) -> None:
    summary = report["summary"]
    print(
        f"{report['scenario']}: gallery {report['gallery_size']:,} identities; server on CPU "
        f"{report['server_cpu']} (one search thread), sender on CPU {report['sender_cpu']} "
        f"({summary['sender']['scheduling']})"
    )
    print(
        f"{'offered/s':>10} {'achieved/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} "
        f"{'errors':>7} {'503s':>6} {'wrong':>9} {'lag p99 ms':>11} valid"
    )
    for s in summary["steps"]:
        lag = "-" if s["sender_lag_p99_ms"] is None else f"{s['sender_lag_p99_ms']:.3f}"
        print(
            f"{s['offered_rate']:>10,.0f} {s['achieved_rate']:>10,.0f} {_ms(s['p50_ms']):>8} "
            f"{_ms(s['p99_ms']):>8} {_ms(s['p999_ms']):>9} {s['errors']:>7,} {s['rejected']:>6,} "
            f"{s['wrong_answers']:>4,}/{s['mated_checked']:<4,} {lag:>11} "
            f"{'yes' if s['valid'] else 'NO'}"
        )
    replay = summary.get("replay")
    if replay:
        _print_replay(replay)
    if summary.get("skipped_rates"):
        print(f"skipped (the service fell behind twice in a row): {summary['skipped_rates']}")
    f = report["figures"]
    knee = "none" if f["knee_rate"] is None else f"{f['knee_rate']:,.0f} requests/s"
    print(f"knee (p99 < {summary['slo_ms']:g} ms, nothing failed): {knee}")
    if summary["knee_limited_by_sender"]:
        print("the step just above the knee is invalid (the sender lagged): the knee may be higher")
    lag = f["knee_sender_lag_p99_ms"]
    print(
        f"sender lag p99 at the knee: {'-' if lag is None else f'{lag:.3f} ms'} "
        f"(target < {TARGET_LAG_P99_MS:g} ms: {'met' if f['lag_met'] else 'NOT met'})"
    )
    verdict = (
        "the replay included: the target is for the sweep alone"
        if f["wall_includes_replay"]
        else f"target: knee found and curve printed in under {TARGET_WALL_S:.0f} s: "
        + ("met" if f["wall_met"] else "NOT met")
    )
    print(
        f"twin loadtest wall time, launch to exit: {f['wall_s']:.1f} s, of which load "
        f"{summary['load_seconds']:.1f} s ({verdict})"
    )
    print(
        f"load average before {report['load_average_before'][0]:.2f}, "
        f"after {report['load_average_after'][0]:.2f} (other processes skew every figure)"
    )


def _print_replay(replay: dict[str, Any]) -> None:
    lag = replay["sender_lag_p99_ms"]
    print(
        f"replay {replay['window']} at {replay['speed']:g}x ({replay['edge_batching']}): "
        f"{replay['requests']:,} requests, {replay['offered_probe_rate']:,.0f} probes/s offered, "
        f"errors {replay['errors']}, 503s {replay['rejected']}, wrong "
        f"{replay['wrong_answers']}/{replay['mated_checked']}, sender lag p99 "
        f"{'-' if lag is None else f'{lag:.3f}'} ms ({'valid' if replay['valid'] else 'INVALID'})"
    )
    comparison = replay.get("comparison")
    if not comparison:
        return
    print(f"{'latency per probe, ms':<38} {'p50':>7} {'p90':>7} {'p99':>7} {'p99.9':>7} {'max':>7}")
    for label, key in (
        ("simulated, real-time load", "simulated_at_1x_ms"),
        ("simulated, replayed load", "simulated_ms"),
        ("simulated, batching as the service", "simulated_as_service_ms"),
        ("real service, replayed load", "real_ms"),
    ):
        row = comparison[key]
        print(
            f"{label:<38} "
            + " ".join(f"{_ms(row[k]):>7}" for k in ("p50", "p90", "p99", "p999", "max"))
        )
    for line in comparison["explanation"]:
        print(f"- {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--rates", default=None, help="rates to sweep (default: the load tester's)")
    parser.add_argument("--step-s", type=float, default=10.0, help="seconds per rate")
    parser.add_argument("--window", default=None, help="also replay this window, HH:MM-HH:MM")
    parser.add_argument("--speed", type=float, default=10.0, help="replay compression")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and sender")
    args = parser.parse_args()
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)


if __name__ == "__main__":
    main()
