"""The spine end to end on the small plaza: real crowd, real faces, real FAISS matcher."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from twin.recognition.outcomes import summarise
from twin.results.publish import run_scenario
from twin.results.reader import read_results
from twin.run.runner import run_simulation, timing_batch_sizes
from twin.scenario import Scenario

# Columns that hold wall-clock measurements: they differ between runs by design.
TIMING_COLUMNS = {"batch_id", "batch_size", "queue_ms", "service_ms", "latency_ms"}
TIMESERIES_TIMING = {"queue_depth_max", "latency_p50_ms", "latency_p99_ms", "matcher_busy_fraction"}


@pytest.fixture(scope="module")
def plaza_run(plaza_scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "plaza"
    run_scenario(plaza_scenario, out=out, seed=16)  # a seed whose window sees watchlisted people
    return out


def _without(table: pa.Table, columns: set[str]) -> pa.Table:
    return table.drop_columns([c for c in table.column_names if c in columns])


def test_run_publishes_a_complete_consistent_directory(plaza_run: Path) -> None:
    results = read_results(plaza_run)
    manifest = results.manifest
    counts = manifest["counts"]
    decisions = results.table("decisions").to_pandas()
    assert manifest["status"] == "complete"
    assert counts["pedestrians"] == results.manifest["tables"]["pedestrians"]["rows"] > 100
    assert counts["searches"] == len(decisions) > 100
    assert counts["alerts"] == counts["true_alerts"] + counts["false_alerts"]
    assert counts["alerts"] == results.manifest["tables"]["alerts"]["rows"]
    assert counts["true_alerts"] == int((decisions["outcome"] == "true_alert").sum())
    assert counts["mated_searches"] == int(decisions["mated"].sum()) > 0
    threshold = manifest["outcomes"]["threshold_cosine"]
    alerted = decisions["outcome"].isin(["true_alert", "false_alert"])
    assert (alerted == (decisions["top1_score"] >= np.float32(threshold))).all()
    assert np.all(np.diff(decisions["time_s"].to_numpy()) >= 0)
    assert (decisions["latency_ms"] >= decisions["service_ms"] - 1e-3).all()
    assert manifest["latency_ms"]["p99"] >= manifest["latency_ms"]["p50"] > 0
    assert manifest["throughput"]["peak_captures_per_s"] >= 1
    assert set(manifest["stage_seconds"]) >= {
        "site",
        "crowd",
        "faces",
        "matching",
        "pipeline",
        "recording",
    }
    assert manifest["matcher"]["gallery_size"] == 1000


def test_recorded_scores_reproduce_the_decisions_at_any_threshold(plaza_run: Path) -> None:
    results = read_results(plaza_run)
    decisions = results.table("decisions").to_pandas()
    summary = summarise(
        decisions["subject"].to_numpy(),
        decisions["top1_id"].to_numpy(),
        decisions["top1_score"].to_numpy(),
        results.manifest["outcomes"]["threshold_cosine"],
    )
    assert summary.fpir == pytest.approx(results.manifest["outcomes"]["fpir"])
    assert summary.true_alerts == results.manifest["counts"]["true_alerts"]
    # a lower threshold can only raise more alerts
    lower = summarise(
        decisions["subject"].to_numpy(),
        decisions["top1_id"].to_numpy(),
        decisions["top1_score"].to_numpy(),
        results.manifest["outcomes"]["threshold_cosine"] - 0.05,
    )
    assert lower.alerts >= summary.alerts
    assert lower.true_alerts >= summary.true_alerts


def test_same_scenario_and_seed_give_identical_tables(
    plaza_run: Path, plaza_scenario: Scenario, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    run_scenario(plaza_scenario, out=again, seed=16)
    first, second = read_results(plaza_run), read_results(again)
    for name in ("decisions", "pedestrians", "cameras", "alerts"):
        assert _without(first.table(name), TIMING_COLUMNS).equals(
            _without(second.table(name), TIMING_COLUMNS)
        ), name
    assert _without(first.table("timeseries"), TIMESERIES_TIMING).equals(
        _without(second.table("timeseries"), TIMESERIES_TIMING)
    )
    assert first.manifest["scenario"]["sha256"] == second.manifest["scenario"]["sha256"]


def test_another_seed_gives_another_day(
    plaza_run: Path, plaza_scenario: Scenario, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    run_scenario(plaza_scenario, out=other, seed=12)
    first = read_results(plaza_run).table("pedestrians")
    second = read_results(other).table("pedestrians")
    assert not first.equals(second)


def test_measured_service_times_give_the_same_decisions(plaza_scenario: Scenario) -> None:
    table_mode = run_simulation(plaza_scenario, seed=5)
    measured = run_simulation(
        plaza_scenario.model_copy(
            update={
                "pipeline": plaza_scenario.pipeline.model_copy(update={"service_time": "measured"})
            }
        ),
        seed=5,
    )
    np.testing.assert_array_equal(
        table_mode.decisions.matches.top1_id, measured.decisions.matches.top1_id
    )
    np.testing.assert_array_equal(
        table_mode.decisions.matches.top1_score, measured.decisions.matches.top1_score
    )
    assert measured.decisions.pipeline.busy_s > 0
    # every batch's service time is its own measured call: positive and not drawn from the table
    assert np.all(measured.decisions.pipeline.service_s > 0)


def test_changing_the_watchlist_leaves_the_crowd_alone(plaza_scenario: Scenario) -> None:
    base = run_simulation(plaza_scenario, seed=3)
    bigger = run_simulation(
        plaza_scenario.model_copy(
            update={"watchlist": plaza_scenario.watchlist.model_copy(update={"size": 2000})}
        ),
        seed=3,
    )
    np.testing.assert_array_equal(base.trips.start_s, bigger.trips.start_s)
    np.testing.assert_array_equal(base.decisions.rows, bigger.decisions.rows)


def test_timing_batch_sizes_cover_the_largest_batch() -> None:
    assert timing_batch_sizes(64) == (1, 2, 4, 8, 16, 32, 64)
    assert timing_batch_sizes(48) == (1, 2, 4, 8, 16, 32, 48)
    assert timing_batch_sizes(1) == (1,)


@pytest.mark.parametrize("fusion", ["max", "top_n_mean"])
def test_multi_frame_tracks_search_every_frame_and_decide_once(
    plaza_scenario: Scenario, fusion: str
) -> None:
    faces = plaza_scenario.faces.model_copy(update={"frames_per_track": 3, "fusion": fusion})
    # Enough watchlisted people in the window to compare genuine matches (one in twenty people).
    listed = plaza_scenario.watchlist.model_copy(update={"prevalence": 0.05})
    scenario = plaza_scenario.model_copy(update={"watchlist": listed})
    single = run_simulation(scenario, seed=9)
    multi = run_simulation(scenario.model_copy(update={"faces": faces}), seed=9)
    np.testing.assert_array_equal(single.decisions.rows, multi.decisions.rows)  # same tracks
    assert multi.decisions.matches.frames == 3
    assert len(multi.decisions.matches.top1_id) == len(multi.decisions.rows)
    assert len(multi.decisions.pipeline.done_s) == len(multi.decisions.rows)
    mated = ~np.isnan(multi.decisions.matches.mate_score)
    threshold = multi.face_model.threshold_cosine
    if fusion == "max":
        # more chances to match: a genuine face passes the threshold at least as often
        assert np.mean(multi.decisions.matches.mate_score[mated] >= threshold) >= np.mean(
            single.decisions.matches.mate_score[mated] >= threshold
        )
