"""Plain names and axis titles, with units, for the figures a sweep carries (``outcomes.fpir``, ...).

Shared by the sweep chart here and the dashboard's metric picker.
"""

from __future__ import annotations

from typing import Final

#: Plain names (with units) for the metrics a sweep is likely to carry.
METRIC_LABELS: Final[dict[str, str]] = {
    "outcomes.fpir": "FPIR (share of non-watchlisted faces that raise an alert)",
    "outcomes.fnir": "FNIR (share of watchlisted faces missed)",
    "outcomes.precision": "precision (share of alerts that are right)",
    "counts.alerts": "alerts (count)",
    "counts.true_alerts": "right alerts (count)",
    "counts.false_alerts": "wrong alerts (count)",
    "counts.missed": "watchlisted faces missed (count)",
    "counts.searches": "faces searched (count)",
    "counts.watchlisted_unseen": "watchlisted people unseen (count)",
    "latency_ms.p50": "latency p50 (ms)",
    "latency_ms.p99": "latency p99 (ms)",
    "throughput.peak_captures_per_s": "busiest second (faces per second)",
    "wall_seconds": "wall time of a run (s)",
}
#: Short axis titles (with units) for the metrics in METRIC_LABELS.
METRIC_AXES: Final[dict[str, str]] = {
    "outcomes.fpir": "FPIR (share, 0 to 1)",
    "outcomes.fnir": "FNIR (share, 0 to 1)",
    "outcomes.precision": "precision (share, 0 to 1)",
    "throughput.peak_captures_per_s": "busiest second (faces/s)",
}


def metric_axis(metric: str) -> str:
    """A short axis title with the metric's unit."""
    return METRIC_AXES.get(metric, metric_label(metric))


def metric_label(metric: str) -> str:
    """A metric's plain name with its unit; for an unknown key, the key with the unit its name implies."""
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    if metric.startswith("latency_ms.") or metric.endswith("_ms"):
        unit = "ms"
    elif metric.endswith(("_s", "_seconds")):
        unit = "s"
    elif metric.startswith("counts."):
        unit = "count"
    elif metric.rsplit(".", 1)[-1] in ("fpir", "fnir", "precision") or "fraction" in metric:
        unit = "share, 0 to 1"
    else:
        unit = "as recorded in the runs"
    return f"{metric} ({unit})"
