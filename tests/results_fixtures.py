"""A small, valid manifest (every section a run writes) for tests that publish or break one."""

from __future__ import annotations

from typing import Any

_GROUP = {
    "searches": 10, "mated_searches": 1, "alerts": 1, "true_alerts": 1, "false_alerts": 0,
    "missed": 0, "fpir": 0.0, "fnir": 0.0, "precision": 1.0,
}  # fmt: skip


def manifest_sections(seed: int = 1) -> dict[str, Any]:
    """A run's manifest without ``status``, ``schema_version`` and ``tables`` (the writer adds them)."""
    return {
        "scenario": {"name": "tiny", "source": None, "sha256": "0" * 64, "resolved": {}},
        "seed": seed,
        "started_utc": "2026-01-01T00:00:00+00:00",
        "wall_seconds": 1.0,
        "stage_seconds": {"site": 0.1},
        "environment": {"twin_version": "0", "python": "3", "machine": "x86_64"},
        "window": {"start_s": 0.0, "end_s": 60.0},
        "site": {"name": "tiny", "area_ha": 1.0, "cameras": 1, "recognition_cameras": 1},
        "counts": {
            "pedestrians": 5,
            "passes": 10,
            "captures": 10,
            "searches": 10,
            "alerts": 1,
            "true_alerts": 1,
            "false_alerts": 0,
            "mated_searches": 1,
            "missed": 0,
            "watchlisted_pedestrians": 1,
            "watchlisted_unseen": 0,
        },
        "outcomes": {
            "fpir": 0.0,
            "fnir": 0.0,
            "precision": 1.0,
            "threshold_cosine": 0.3,
            "fmr_per_comparison": 1e-6,
            "by_group": {"all": dict(_GROUP)},
        },
        "latency_ms": {"p50": 1.0, "p90": 1.0, "p99": 1.0, "p999": 1.0, "max": 1.0, "mean": 1.0},
        "throughput": {
            "peak_captures_per_s": 1,
            "peak_minute_captures": 5,
            "peak_minute_start_s": 0.0,
            "searches_per_wall_s": 10.0,
            "matcher_searches_per_s": 100.0,
            "simulated_over_wall": 60.0,
        },
        "matcher": {
            "backend": "flat",
            "gallery_size": 10,
            "dim": 8,
            "top_k": 1,
            "service_time": "table",
            "max_batch": 4,
            "max_wait_ms": 5.0,
            "frames_per_track": 1,
            "fusion": "best_shot",
            "batches": 10,
            "busy_fraction": 0.1,
            "service_time_ms": {"1": 1.0},
            "kernel": {},
        },
    }
