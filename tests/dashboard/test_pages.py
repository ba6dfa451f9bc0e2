"""Every dashboard page, rendered by Streamlit's AppTest on real runs of the small plaza: it renders
without an exception, one widget set by its key changes what is shown, and bad results directories give
one clear error instead of a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from twin.dashboard.loading import RUNS_ENV
from twin.results.reader import read_results

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit, DashboardRuns

pytest_plugins = ["tests.dashboard_fixtures"]

RUN_PAGES = ("overview", "site_map", "throughput", "outcomes", "oversight")


def _no_exception(app: object) -> None:
    exceptions = app.exception  # type: ignore[attr-defined]
    assert not exceptions, [e.value for e in exceptions]


@pytest.mark.parametrize("page", RUN_PAGES)
def test_run_pages_render_with_the_scenario_and_seed(
    kit: DashboardKit, runs_folder: Path, page: str
) -> None:
    app = kit.app_on(None if page == "overview" else page, run="plaza")
    _no_exception(app)
    assert not app.error, [e.value for e in app.error]
    shown = kit.page_text(app)
    assert "Small plaza" in shown and "seed" in shown and "7" in shown
    assert app.get("plotly_chart"), "no chart drawn"


def test_overview_shows_the_headline_and_follows_the_chosen_run(
    kit: DashboardKit, runs_folder: Path, dashboard_runs: DashboardRuns
) -> None:
    app = kit.app_on(None, run="plaza")
    counts = read_results(dashboard_runs.plaza).manifest["counts"]
    shown = kit.page_text(app)
    assert f"{counts['pedestrians']:,} people walked through" in shown
    assert "FPIR" in shown and "FNIR" in shown and "precision" in shown and "p99" in shown

    app.selectbox(key="run").set_value("plaza-seed8").run()
    _no_exception(app)
    other = read_results(dashboard_runs.plaza_seed8).manifest["counts"]
    assert other["pedestrians"] != counts["pedestrians"]
    assert f"{other['pedestrians']:,} people walked through" in kit.page_text(app)
    assert "seed** 8" in kit.page_text(app)


def test_site_map_colours_views_by_recognition_when_asked(
    kit: DashboardKit, runs_folder: Path
) -> None:
    app = kit.app_on("site_map", run="plaza")
    assert "how sharply it sees a face" in kit.page_text(app)
    app.segmented_control(key="site_view_colour").set_value("recognition").run()
    _no_exception(app)
    assert "in red if it ran face recognition" in kit.page_text(app)


def test_throughput_averages_over_the_chosen_period(kit: DashboardKit, runs_folder: Path) -> None:
    app = kit.app_on("throughput", run="plaza")
    app.segmented_control(key="throughput_bin").set_value(60).run()
    _no_exception(app)
    assert "averaged over 1 minute" in kit.page_text(app)
    app.segmented_control(key="throughput_bin").set_value(900).run()
    _no_exception(app)
    assert "averaged over 15 minutes" in kit.page_text(app)


def test_outcomes_rejudges_at_the_chosen_threshold(
    kit: DashboardKit, runs_folder: Path, dashboard_runs: DashboardRuns
) -> None:
    app = kit.app_on("outcomes", run="plaza")
    manifest = read_results(dashboard_runs.plaza).manifest
    recorded = manifest["outcomes"]["threshold_cosine"]
    assert f"At the run's threshold **{recorded:.3f}**" in kit.page_text(app)
    assert app.metric[1].value == f"{manifest['counts']['false_alerts']:,}"

    app.slider(key="threshold").set_value(app.slider(key="threshold").min).run()
    _no_exception(app)
    shown = kit.page_text(app)
    assert "instead of the run's" in shown
    # At the lowest threshold every search alerts: wrong alerts jump far above the run's.
    assert int(app.metric[1].value.replace(",", "")) > manifest["counts"]["false_alerts"]


def test_whatif_runs_a_window_beside_its_baseline(
    kit: DashboardKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    app = kit.app_on("whatif")
    _no_exception(app)
    app.selectbox(key="whatif.scenario").set_value(kit.plaza).run()
    app.selectbox(key="whatif.crowd.window_start").set_value("08:00")
    app.selectbox(key="whatif.crowd.window_end").set_value("08:15")
    app.number_input(key="whatif.watchlist.size").set_value(5000).run()
    _no_exception(app)
    assert "Set the knobs" in kit.page_text(app)
    assert "watchlist.size=5000" in kit.page_text(app)

    app.button(key="whatif_run").click().run()
    _no_exception(app)
    assert not app.error, [e.value for e in app.error]
    shown = kit.page_text(app)
    assert "Baseline beside the what-if" in shown
    assert "against a watchlist of 1,000" in shown and "against a watchlist of 5,000" in shown
    made = sorted(p.name for p in tmp_path.iterdir())
    assert len(made) == 2 and all(name.startswith("whatif-small_plaza-") for name in made)
    for name in made:
        assert read_results(tmp_path / name).manifest["window"] == {
            "start_s": 8 * 3600.0,
            "end_s": 8.25 * 3600.0,
        }

    app.button(key="whatif_run").click().run()  # asked again: both runs are reused
    _no_exception(app)
    assert kit.page_text(app).count("already run, reusing") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == made


def test_whatif_refuses_a_window_that_ends_before_it_starts(
    kit: DashboardKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    app = kit.app_on("whatif")
    app.selectbox(key="whatif.scenario").set_value(kit.plaza).run()
    app.selectbox(key="whatif.crowd.window_start").set_value("10:00")
    app.selectbox(key="whatif.crowd.window_end").set_value("09:00").run()
    _no_exception(app)
    assert any("must end after it starts" in e.value for e in app.error)
    assert app.button(key="whatif_run").disabled


@pytest.mark.parametrize(
    ("page", "absent"),
    [("loadtests", "No load tests yet"), ("sweeps", "No sweeps yet")],
)
def test_loadtest_and_sweep_pages_say_when_there_are_none(
    kit: DashboardKit, runs_folder: Path, page: str, absent: str
) -> None:
    app = kit.app_on(page)
    _no_exception(app)
    assert absent in kit.page_text(app)


def test_loadtests_page_shows_the_knee_and_switches_scale(
    kit: DashboardKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit.write_loadtest(tmp_path / "loadtest-peak")
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    app = kit.app_on("loadtests")
    _no_exception(app)
    assert "400 /s" in kit.page_text(app)
    assert len(app.get("plotly_chart")) == 2
    before = app.get("plotly_chart")[0].proto.spec
    app.toggle(key="loadtest_log").set_value(True).run()
    _no_exception(app)
    assert app.get("plotly_chart")[0].proto.spec != before


def test_sweeps_page_draws_the_chosen_metric(
    kit: DashboardKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit.write_sweep(tmp_path / "sweep-watchlist")
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    app = kit.app_on("sweeps")
    _no_exception(app)
    assert "as watchlist.size changes" in kit.page_text(app)
    assert "FPIR" in kit.page_text(app)
    app.selectbox(key="sweep_metric").set_value("latency_ms.p99").run()
    _no_exception(app)
    assert "Latency p99 (ms) as watchlist.size changes" in kit.page_text(app)


@pytest.mark.parametrize(
    ("run", "says"),
    [
        ("unfinished", "the run is not complete (status: 'running')"),
        ("older-schema", "results schema version 0"),
        ("missing-table", "table 'decisions': decisions.parquet is missing"),
        ("lacking-column", "lacks column(s) recognition"),
    ],
)
@pytest.mark.parametrize("page", RUN_PAGES)
def test_bad_results_directories_give_one_clear_error(
    kit: DashboardKit,
    dashboard_runs: DashboardRuns,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    run: str,
    says: str,
) -> None:
    monkeypatch.setenv(RUNS_ENV, str(dashboard_runs.bad))
    app = kit.app_on(None if page == "overview" else page, run=run)
    _no_exception(app)
    if run == "lacking-column" and page != "site_map":
        return  # only the site map reads the cameras' recognition column
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and says in errors[0], errors
    assert run in errors[0]  # the message names the directory


def test_a_missing_results_folder_says_how_to_make_runs(
    kit: DashboardKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_ENV, str(tmp_path / "nowhere"))
    app = kit.app_on(None)
    _no_exception(app)
    shown = kit.page_text(app)
    assert "does not exist" in shown and "twin run" in shown


def test_a_run_directory_deleted_under_the_app_gives_an_error(
    kit: DashboardKit,
    dashboard_runs: DashboardRuns,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copytree(dashboard_runs.plaza, tmp_path / "plaza")
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    app = kit.app_on(None, run="plaza")
    (tmp_path / "plaza" / "manifest.json").unlink()
    app.run()
    _no_exception(app)
    assert any("no manifest.json" in e.value for e in app.error)


def test_site_map_shows_the_identification_probability_when_a_run_has_it(
    kit: DashboardKit,
    dashboard_runs: DashboardRuns,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = tmp_path / "with-probability"
    shutil.copytree(dashboard_runs.plaza, run)
    x, y = np.meshgrid(np.arange(530_000.0, 530_100.0, 5.0), np.arange(183_000.0, 183_100.0, 5.0))
    probability = np.clip(1.0 - np.hypot(x - 530_050.0, y - 183_050.0) / 60.0, 0.0, 1.0)
    cells = pa.table({"x_m": x.ravel(), "y_m": y.ravel(), "probability": probability.ravel()})
    pq.write_table(cells, run / "id_probability.parquet")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["tables"]["id_probability"] = {
        "file": "id_probability.parquet",
        "rows": cells.num_rows,
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))

    app = kit.app_on("site_map", run="with-probability")
    _no_exception(app)
    assert "Where a face would be caught" in [tab.label for tab in app.tabs]
    assert len(app.get("plotly_chart")) == 4  # with the crowding map
    assert "chance that a person walking past it is captured" in kit.page_text(app)


def test_site_map_shows_crowding_through_the_day(kit: DashboardKit, runs_folder: Path) -> None:
    app = kit.app_on("site_map", run="plaza")
    _no_exception(app)
    assert "Crowding through the day" in [tab.label for tab in app.tabs]
    assert app.select_slider(key="site_crowding_minute").value is not None
    assert "levels of service" in kit.page_text(app)


def test_oversight_shows_the_funnel_the_ledger_and_the_full_report(
    kit: DashboardKit, runs_folder: Path, dashboard_runs: DashboardRuns
) -> None:
    app = kit.app_on("oversight", run="plaza")
    _no_exception(app)
    shown = kit.page_text(app)
    counts = read_results(dashboard_runs.plaza).manifest["counts"]
    assert f"{counts['captures']:,}" in shown
    assert "ledger" in shown and "intact" in shown
    assert not app.get("iframe")
    app.toggle(key="oversight_full_report").set_value(True).run()
    _no_exception(app)
    assert "The full oversight report" in kit.page_text(app)


def test_oversight_names_a_broken_ledger(
    kit: DashboardKit, runs_folder: Path, dashboard_runs: DashboardRuns, tmp_path: Path
) -> None:
    ledger = dashboard_runs.plaza / "ledger.jsonl"
    original = ledger.read_bytes()
    try:
        lines = original.decode().splitlines()
        lines[1] = lines[1].replace('"', "'", 2)
        ledger.write_text("\n".join(lines) + "\n")
        app = kit.app_on("oversight", run="plaza")
        _no_exception(app)
        assert "The ledger is broken" in kit.page_text(app)
    finally:
        ledger.write_bytes(original)
