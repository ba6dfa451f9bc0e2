"""What a load test's ``summary.json`` says: the steps and knee the dashboard reads, and the rest.

The keys and their units are listed in docs/loadtest.md; ``steps`` and ``knee_rate`` follow the
load-test directory format the dashboard reads (docs/dashboard.md).
"""

from __future__ import annotations

import os
import platform
from typing import Any

from twin import __version__
from twin.loadtest import prediction, rate_sweep, recorder
from twin.loadtest.plan import LoadtestRequest
from twin.loadtest.target import Target


def clock(seconds: float) -> str:
    """Seconds after midnight as HH:MM."""
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


def build_summary(
    request: LoadtestRequest,
    target: Target,
    measured: recorder.Measured,
    *,
    comparison: prediction.Comparison | None,
    skipped: list[float],
    interrupted: bool,
    stopped_reason: str | None,
    scheduling: str,
    started_utc: str,
    wall_s: float,
    load_s: float,
    load_before: tuple[float, float, float],
) -> dict[str, Any]:
    """summary.json: the steps and knee the dashboard reads, and the rest of the story."""
    plan, scenario = request.plan, request.scenario
    rate_steps = sorted(
        (s for s in measured.stats if s.kind == "rate"), key=lambda s: s.offered_rate
    )
    knee = rate_sweep.knee_rate(rate_steps, plan.slo_ms)
    at_knee = next((s for s in rate_steps if s.offered_rate == knee), None)
    replay_stats = next((s for s in measured.stats if s.kind == "replay"), None)
    replay: dict[str, Any] | None = None
    if replay_stats is not None:
        assert plan.window_s is not None
        edge = scenario.loadtest
        replay = {
            "window": f"{clock(plan.window_s[0])}-{clock(plan.window_s[1])}",
            "speed": plan.speed,
            "edge_batching": edge.edge_batching,
            "edge_max_batch_probes": edge.edge_max_batch_probes,
            "edge_max_wait_ms": edge.edge_max_wait_ms,
            **replay_stats.to_dict(),
            "comparison": comparison.to_dict() if comparison is not None else None,
        }
    return {
        "kind": "loadtest",
        "scenario": scenario.name,
        "seed": request.seed,
        "target": target.label,
        "backend": target.backend,
        "gallery_size": target.gallery_size,
        "slo_ms": plan.slo_ms,
        "knee_rate": knee,
        "knee_sender_lag_p99_ms": at_knee.sender_lag_p99_ms if at_knee else None,
        "knee_limited_by_sender": rate_sweep.sender_limited(rate_steps, plan.slo_ms),
        "sender_lag_limit_ms": recorder.MAX_SENDER_LAG_MS,
        "valid": all(s.valid for s in measured.stats),
        "interrupted": interrupted,
        "stopped_reason": stopped_reason,
        "steps": [s.to_dict() for s in rate_steps],
        "skipped_rates": skipped,
        "replay": replay,
        "step_s": plan.step_s,
        "rates_asked": list(plan.rates_per_s),
        "mated_share": scenario.loadtest.mated_share,
        "scenario_sha256": scenario.sha256(),
        "sender": {
            "scheduling": scheduling,
            "cpu": request.sender_cpu,
            "max_connections": request.max_connections,
            "request_timeout_s": request.request_timeout_s,
        },
        "started_utc": started_utc,
        "wall_seconds": wall_s,
        "load_seconds": load_s,
        "environment": {
            "twin_version": __version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": len(os.sched_getaffinity(0)),
            "load_average_before": list(load_before),
            "load_average_after": list(os.getloadavg()),
        },
    }
