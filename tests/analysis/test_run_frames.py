"""The dashboard's analysis on a real plaza run: re-judging at another threshold agrees with the run
where it should, and the per-bin and per-category frames add up."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from twin.analysis import run_frames
from twin.figures import palette
from twin.recognition import outcomes
from twin.results.reader import read_results

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardRuns

pytest_plugins = ["tests.dashboard_fixtures"]


@pytest.fixture(scope="module")
def plaza(dashboard_runs: DashboardRuns) -> dict[str, object]:
    results = read_results(dashboard_runs.plaza)
    return {
        "manifest": results.manifest,
        "decisions": results.table("decisions").to_pandas(),
        "timeseries": results.table("timeseries").to_pandas(),
        "pedestrians": results.table("pedestrians").to_pandas(),
    }


def test_every_outcome_has_a_colour_and_a_label() -> None:
    assert set(palette.OUTCOME_COLOURS) == set(outcomes.OUTCOMES) == set(palette.OUTCOME_LABELS)


def test_rejudging_at_the_recorded_threshold_reproduces_the_run(plaza: dict[str, object]) -> None:
    decisions = plaza["decisions"]
    manifest = plaza["manifest"]
    assert isinstance(decisions, pd.DataFrame) and isinstance(manifest, dict)
    threshold = manifest["outcomes"]["threshold_cosine"]
    judged = run_frames.rejudge(decisions, threshold)
    assert (judged == decisions["outcome"].astype(str)).all()
    summary = run_frames.outcome_summary(decisions, threshold)
    for key in ("alerts", "true_alerts", "false_alerts", "missed"):
        assert summary[key] == manifest["counts"][key]
    pedestrians = plaza["pedestrians"]
    assert isinstance(pedestrians, pd.DataFrame)
    assert run_frames.unseen_watchlisted(decisions, pedestrians, judged) == (
        manifest["counts"]["watchlisted_pedestrians"],
        manifest["counts"]["watchlisted_unseen"],
    )


def test_raising_the_threshold_never_adds_alerts(plaza: dict[str, object]) -> None:
    decisions = plaza["decisions"]
    assert isinstance(decisions, pd.DataFrame)
    curve = run_frames.threshold_curve(decisions, np.linspace(-0.2, 0.9, 45))
    assert (np.diff(curve["alerts"]) <= 0).all()
    assert (np.diff(curve["missed"]) >= 0).all()
    assert curve["alerts"].iloc[0] == len(decisions)


def test_outcomes_by_category_add_up(plaza: dict[str, object]) -> None:
    decisions = plaza["decisions"]
    assert isinstance(decisions, pd.DataFrame)
    judged = run_frames.rejudge(decisions, 0.1)
    totals = judged.value_counts()
    for split in run_frames.SPLITS:
        table = run_frames.outcomes_by(decisions, judged, split)
        assert list(table.columns) == list(run_frames.NOTABLE_OUTCOMES)
        for outcome in run_frames.NOTABLE_OUTCOMES:
            assert table[outcome].sum() == totals.get(outcome, 0)


@pytest.mark.parametrize("bin_s", list(run_frames.TIME_BINS_S))
def test_binning_keeps_every_search(plaza: dict[str, object], bin_s: int) -> None:
    timeseries = plaza["timeseries"]
    assert isinstance(timeseries, pd.DataFrame)
    frame = run_frames.throughput_by_bin(timeseries, bin_s)
    assert frame["searches"].sum() == timeseries["searches"].sum()
    assert (frame["searches_per_s"] <= frame["searches"]).all()
    decisions = plaza["decisions"]
    assert isinstance(decisions, pd.DataFrame)
    latency = run_frames.latency_by_bin(
        decisions, start_s=float(timeseries["start_s"].min()), bin_s=bin_s
    )
    assert latency["searches"].sum() == len(decisions)
    assert (latency["p99_ms"] >= latency["p50_ms"]).all()


def test_peak_minute_matches_the_manifest(plaza: dict[str, object]) -> None:
    timeseries, manifest = plaza["timeseries"], plaza["manifest"]
    assert isinstance(timeseries, pd.DataFrame) and isinstance(manifest, dict)
    start_s, searches = run_frames.peak_minute(timeseries)
    assert searches == manifest["throughput"]["peak_minute_captures"]
    assert start_s == manifest["throughput"]["peak_minute_start_s"]


def test_precision_falls_with_the_base_rate() -> None:
    curve = run_frames.precision_by_base_rate(
        tpir=0.9, fpir=1e-4, base_rates=np.logspace(-7, -1, 7)
    )
    assert (np.diff(curve["precision"]) > 0).all()
    assert curve["precision"].iloc[0] < 0.01 < 0.99 < curve["precision"].iloc[-1]


def test_expected_fpir_follows_nist() -> None:
    # NPL 2023: FMR 1.67e-8 per comparison gives about 1 in 6,000 at a 10,000-image watchlist.
    assert run_frames.expected_fpir(1.67e-8, 10_000) == pytest.approx(1 / 6000, rel=0.01)


def test_threshold_range_spans_the_scores(plaza: dict[str, object]) -> None:
    decisions, manifest = plaza["decisions"], plaza["manifest"]
    assert isinstance(decisions, pd.DataFrame) and isinstance(manifest, dict)
    recorded = manifest["outcomes"]["threshold_cosine"]
    low, high = run_frames.threshold_range(decisions, recorded)
    assert low < decisions["top1_score"].min() and high > decisions["top1_score"].max()
    assert low < recorded < high


def test_camera_table_uses_plain_names(dashboard_runs: DashboardRuns) -> None:
    cameras = pq.read_table(dashboard_runs.plaza / "cameras.parquet").to_pandas()
    table = run_frames.camera_table(cameras)
    assert list(table.columns)[:3] == ["camera", "where", "runs recognition"]
    assert table["faces searched"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("period_s", "labels"),
    [
        (3600.0, ["07:30–08:00", "08:00–09:00"]),
        (
            900.0,
            [
                "07:30–07:45",
                "07:45–08:00",
                "08:00–08:15",
                "08:15–08:30",
                "08:30–08:45",
                "08:45–09:00",
            ],
        ),
    ],
)
def test_people_by_period_follows_the_window(
    plaza: dict[str, object], period_s: float, labels: list[str]
) -> None:
    timeseries, manifest = plaza["timeseries"], plaza["manifest"]
    assert isinstance(timeseries, pd.DataFrame) and isinstance(manifest, dict)
    window = manifest["window"]
    frame = run_frames.people_by_period(
        timeseries,
        window_start_s=window["start_s"],
        window_end_s=window["end_s"],
        period_s=period_s,
    )
    assert frame["label"].tolist() == labels
    assert frame["people"].sum() == timeseries["pedestrians_departed"].sum()
    assert frame["searches"].sum() == manifest["counts"]["searches"]
    assert run_frames.overview_period_s(window["start_s"], window["end_s"]) == 900.0
    assert run_frames.overview_period_s(0.0, 86_400.0) == 3600.0
