"""Metric labels carry their units."""

from __future__ import annotations

from twin.figures.metrics import metric_axis, metric_label


def test_metric_labels_carry_units() -> None:
    assert metric_label("latency_ms.p99") == "latency p99 (ms)"
    assert metric_label("latency_ms.p90") == "latency_ms.p90 (ms)"
    assert (
        metric_label("outcomes.by_group.women.fpir")
        == "outcomes.by_group.women.fpir (share, 0 to 1)"
    )
    assert metric_label("something.new") == "something.new (as recorded in the runs)"
    assert metric_axis("outcomes.fpir") == "FPIR (share, 0 to 1)"
