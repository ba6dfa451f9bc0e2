"""Readers of the directories the dashboard shows: the catalogue of a results folder, load tests and
sweeps (tolerant of spelling, clear when unusable), tested on small synthetic files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from twin.dashboard.catalogue import scan
from twin.dashboard.loading import default_runs_folder
from twin.dashboard.loadtest_results import read_loadtest
from twin.dashboard.sweep_results import metric_label, points_from_summary, read_sweep
from twin.errors import ResultsError

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit, DashboardRuns

pytest_plugins = ["tests.dashboard_fixtures"]


def test_a_load_test_is_read_in_rate_order(kit: DashboardKit, tmp_path: Path) -> None:
    folder = kit.write_loadtest(tmp_path / "lt", target="inprocess")
    summary = json.loads((folder / "summary.json").read_text())
    summary["steps"].reverse()
    (folder / "summary.json").write_text(json.dumps(summary))
    test = read_loadtest(folder)
    assert test.knee_rate == 400 and test.slo_ms == 100
    assert test.steps["offered_rate"].is_monotonic_increasing
    assert list(test.steps.columns[:6]) == [
        "offered_rate",
        "achieved_rate",
        "p50_ms",
        "p99_ms",
        "errors",
        "rejected",
    ]
    assert test.details == {"target": "inprocess"}


def test_a_load_test_reader_is_tolerant(tmp_path: Path) -> None:
    summary = {
        "steps": [
            {"offered_rate": "200", "achieved_rate": 199.5, "p99_ms": 12, "p999_ms": 30},
            {"offered_rate": 100, "p50_ms": None},
            "not a step",
        ],
        "knee_rate": None,
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    test = read_loadtest(tmp_path)
    assert test.knee_rate is None and test.slo_ms is None
    assert test.steps["offered_rate"].tolist() == [100.0, 200.0]
    assert test.steps["achieved_rate"].tolist() == [100.0, 199.5]  # missing: as offered
    assert "p999_ms" in test.steps and test.steps["errors"].isna().all()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no summary.json"),
        ("{not json", "not readable JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"steps": []}', "no 'steps'"),
        ('{"steps": [{"p99_ms": 3}]}', "no step has an offered_rate"),
    ],
)
def test_an_unusable_load_test_says_why(tmp_path: Path, content: str | None, says: str) -> None:
    if content is not None:
        (tmp_path / "summary.json").write_text(content)
    with pytest.raises(ResultsError, match=says):
        read_loadtest(tmp_path)


def test_a_sweep_is_read_from_its_summary(kit: DashboardKit, tmp_path: Path) -> None:
    sweep = read_sweep(kit.write_sweep(tmp_path))
    assert sweep.source == "summary.json"
    assert sweep.parameters == ("watchlist.size", "matcher.threshold_cosine")
    assert set(sweep.metrics) == {"outcomes.fpir", "latency_ms.p99", "counts.alerts"}
    rows = sweep.points[sweep.points["metric"] == "latency_ms.p99"]
    assert len(rows) == len(kit.sweep_sizes) * 2
    assert (rows["ci_low"] < rows["mean"]).all() and (rows["mean"] < rows["ci_high"]).all()


def test_without_a_summary_the_sweep_table_gives_the_same_intervals(
    kit: DashboardKit, tmp_path: Path
) -> None:
    with_summary = read_sweep(kit.write_sweep(tmp_path / "a"))
    from_table = read_sweep(kit.write_sweep(tmp_path / "b", summary=False))
    assert from_table.source == "sweep.parquet"
    assert set(from_table.parameters) == set(with_summary.parameters)
    keys = ["watchlist.size", "matcher.threshold_cosine", "metric"]
    merged = with_summary.points.merge(from_table.points, on=keys, suffixes=("", "_table"))
    assert len(merged) == len(with_summary.points)
    for column in ("mean", "ci_low", "ci_high"):
        assert merged[column].to_numpy() == pytest.approx(merged[f"{column}_table"].to_numpy())
    assert (from_table.points["n"] == kit.sweep_replications).all()


@pytest.mark.parametrize(
    "entry",
    [
        {"mean": 2.0, "ci_low": 1.0, "ci_high": 3.0},
        {"mean": 2.0, "low": 1.0, "high": 3.0},
        {"mean": 2.0, "ci_lower": 1.0, "ci_upper": 3.0},
        {"mean": 2.0, "ci95": [1.0, 3.0]},
        {"mean": "2.0", "ci": ["1", "3"]},
    ],
)
def test_confidence_intervals_in_any_spelling(entry: dict[str, object]) -> None:
    points, parameters, _ = points_from_summary(
        [{"parameters": {"watchlist.size": 7}, "metrics": {"m": entry}}]
    )
    assert parameters == ("watchlist.size",)
    row = points.iloc[0]
    assert (row["mean"], row["ci_low"], row["ci_high"]) == (2.0, 1.0, 3.0)


def test_metrics_beside_the_parameters_and_bare_means() -> None:
    points, parameters, failed = points_from_summary(
        {
            "points": [{"overrides": {"crowd.daily_pedestrians": 1000}, "fpir": 0.001, "n": 3}],
            "failed": ["crowd.daily_pedestrians=0: refused"],
        }
    )
    assert parameters == ("crowd.daily_pedestrians",)
    assert points.iloc[0]["metric"] == "fpir" and pd.isna(points.iloc[0]["ci_low"])
    assert failed == ("crowd.daily_pedestrians=0: refused",)


def test_an_unusable_sweep_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text('{"points": []}')
    (tmp_path / "sweep.parquet").write_text("not parquet")
    with pytest.raises(ResultsError, match=r"summary.json unusable .* sweep.parquet unusable"):
        read_sweep(tmp_path)


def test_metric_labels_carry_units() -> None:
    assert metric_label("latency_ms.p99") == "latency p99 (ms)"
    assert metric_label("latency_ms.p90") == "latency_ms.p90 (ms)"
    assert (
        metric_label("outcomes.by_group.women.fpir")
        == "outcomes.by_group.women.fpir (share, 0 to 1)"
    )
    assert metric_label("something.new") == "something.new (as recorded in the runs)"


def test_the_catalogue_sorts_a_results_folder(
    dashboard_runs: DashboardRuns, kit: DashboardKit, tmp_path: Path
) -> None:
    import shutil

    shutil.copytree(dashboard_runs.plaza, tmp_path / "old")
    shutil.copytree(dashboard_runs.plaza, tmp_path / "whatif-small_plaza-abc")
    shutil.copytree(dashboard_runs.plaza, tmp_path / "nested" / "new")
    (tmp_path / ".new.partial-123").mkdir()
    (tmp_path / "empty").mkdir()
    kit.write_loadtest(tmp_path / "loadtests" / "peak")
    kit.write_sweep(tmp_path / "sweep")
    os.utime(tmp_path / "old" / "manifest.json", (1, 1))
    found = scan(tmp_path)
    assert [found.label(p) for p in found.runs] == [
        "nested/new",
        "old",
        "whatif-small_plaza-abc",
    ]
    assert [found.label(p) for p in found.loadtests] == ["loadtests/peak"]
    assert [found.label(p) for p in found.sweeps] == ["sweep"]
    assert scan(tmp_path / "absent").runs == ()
    alone = scan(dashboard_runs.plaza)  # a run directory chosen as the folder itself
    assert [alone.label(p) for p in alone.runs] == ["."]


def test_the_results_folder_comes_from_the_command_line_or_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TWIN_RUNS_DIR", raising=False)
    assert default_runs_folder([]) == "runs"
    monkeypatch.setenv("TWIN_RUNS_DIR", "/data/runs")
    assert default_runs_folder([]) == "/data/runs"
    assert default_runs_folder(["--runs", "elsewhere"]) == "elsewhere"
    assert default_runs_folder(["--runs=there"]) == "there"
