"""A sweep's index: sweep.parquet and summary.json, from run records, read back by the dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.sweep_fixtures import fake_records, plaza_plan
from twin.errors import ResultsError
from twin.sweeps.plan import SweepPlan
from twin.sweeps.reader import read_sweep
from twin.sweeps.stats import mean_ci
from twin.sweeps.tables import (
    SUMMARY,
    SWEEP_TABLE,
    RunRecord,
    manifest_figures,
    sweep_summary,
    sweep_table,
    write_index,
)

ALERTS = {(0, 0): 1, (0, 1): 2, (0, 2): 4, (1, 0): 10, (1, 1): 12}


@pytest.fixture
def plan(tmp_path: Path) -> SweepPlan:
    return plaza_plan(tmp_path / "sweep", replications=3)


def _figures(alerts: int) -> dict[str, object]:
    return {
        "counts__alerts": alerts,
        "outcomes__fpir": alerts / 1000,
        "outcomes__precision": None,
        "latency_ms__p99": 20.0 + alerts,
        "wall_seconds": 1.5,
    }


@pytest.fixture
def records(plan: SweepPlan) -> list[RunRecord]:
    figures: dict[tuple[int, int], dict[str, object] | None] = {
        index: _figures(alerts) for index, alerts in ALERTS.items()
    }
    figures[1, 2] = None  # the third replication of the second point failed
    return fake_records(plan, figures)


def test_manifest_figures_are_every_number_by_dotted_name() -> None:
    manifest = {
        "status": "complete",
        "seed": 5,
        "schema_version": 1,
        "wall_seconds": 2.5,
        "counts": {"alerts": 3, "searches": 100},
        "outcomes": {"fpir": 0.01, "precision": None, "by_group": {"women": {"fnir": 0.2}}},
        "matcher": {"backend": "flat", "top_k": 1, "busy_fraction": 0.1, "kernel": {"threads": 2}},
        "environment": {"python": "3.11"},
        "tables": {"decisions": {"rows": 100}},
        "flag": True,
    }
    assert manifest_figures(manifest) == {
        "wall_seconds": 2.5,
        "counts.alerts": 3,
        "counts.searches": 100,
        "outcomes.fpir": 0.01,
        "outcomes.by_group.women.fnir": 0.2,
        "matcher.busy_fraction": 0.1,  # matcher.top_k echoes a scenario field: not a result
    }


def test_the_table_has_a_typed_row_per_run_in_grid_order(
    plan: SweepPlan, records: list[RunRecord]
) -> None:
    table = sweep_table(plan, reversed(records))
    assert table.num_rows == 6
    assert table.column_names[:7] == [
        "point",
        "replication",
        "seed",
        "status",
        "error",
        "path",
        "watchlist.size",
    ]
    assert table.schema.field("watchlist.size").type == pa.int64()
    assert table.schema.field("counts.alerts").type == pa.int64()
    assert table.schema.field("outcomes.fpir").type == pa.float64()
    rows = table.to_pylist()
    assert [(r["watchlist.size"], r["replication"]) for r in rows] == [
        (7, 0),
        (7, 1),
        (7, 2),
        (100, 0),
        (100, 1),
        (100, 2),
    ]
    failed = rows[-1]
    assert (failed["status"], failed["error"], failed["counts.alerts"]) == (
        "failed",
        "ValueError: boom",
        None,
    )
    assert rows[0]["path"] == f"points/{rows[0]['point']}/rep-0"
    assert rows[0]["seed"] == rows[3]["seed"] != rows[1]["seed"]


def test_the_summary_gives_each_point_its_mean_and_interval(
    plan: SweepPlan, records: list[RunRecord]
) -> None:
    summary = sweep_summary(plan, records[:-1])  # the failed run not yet reported: pending
    assert summary["status"] == "incomplete"
    assert (summary["runs_total"], summary["runs_complete"], summary["runs_pending"]) == (6, 5, 1)
    summary = sweep_summary(plan, records)
    first, second = summary["points"]
    assert first["params"] == {"watchlist.size": 7}
    assert (first["replications"], second["replications"], second["failed"]) == (3, 2, 1)
    assert first["metrics"]["counts.alerts"] == mean_ci([1, 2, 4]).as_dict()
    assert second["metrics"]["latency_ms.p99"] == mean_ci([30.0, 32.0]).as_dict()
    assert "outcomes.precision" not in first["metrics"]  # null in every run
    assert summary["failed"] == [
        f"watchlist.size=100, rep 2 (seed {plan.runs[-1].seed}): ValueError: boom"
    ]
    assert summary["failures"][0]["params"] == {"watchlist.size": 100}
    assert summary["vary"] == {"watchlist.size": [7, 100]}
    json.dumps(summary, allow_nan=False)


def test_the_index_is_written_whole_and_the_dashboard_reads_it(
    plan: SweepPlan,
    records: list[RunRecord],
) -> None:
    write_index(plan, records)
    assert sorted(p.name for p in plan.out.iterdir()) == [SUMMARY, SWEEP_TABLE]  # no temporaries
    ours = read_sweep(plan.out)
    assert ours.parameters == ("watchlist.size",)
    assert len(ours.complete_runs()) == 5
    assert pq.read_table(plan.out / SWEEP_TABLE).num_rows == 6
    dashboard = ours  # the dashboard reads it through the same reader
    assert dashboard.parameters == ("watchlist.size",)
    assert {"counts.alerts", "outcomes.fpir", "latency_ms.p99"} <= set(dashboard.metrics)
    row = dashboard.points.query("metric == 'counts.alerts' and `watchlist.size` == 7").iloc[0]
    expected = mean_ci([1, 2, 4])
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (expected.mean, expected.ci_low, expected.ci_high)
    )
    assert dashboard.failed == (ours.summary["failed"][0],)


def test_reading_refuses_what_is_not_a_sweep(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"not a sweep: no summary\.json"):
        read_sweep(tmp_path)
    (tmp_path / SUMMARY).write_text('{"schema_version": 99}', encoding="utf-8")
    pq.write_table(pa.table({"point": ["x"]}), tmp_path / SWEEP_TABLE)
    with pytest.raises(ResultsError, match="schema version 1"):
        read_sweep(tmp_path)
