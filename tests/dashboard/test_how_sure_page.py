"""The "How sure are we?" page, rendered by AppTest on a validation file and an uncertainty run made by
the real producers (with made-up measurements, so the test stays small)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from twin.dashboard.loading import RUNS_ENV
from twin.sweeps.catalogue import load_catalogue
from twin.sweeps.tables import write_index
from twin.sweeps.uncertainty import plan_uncertainty, summarise_uncertainty, write_report
from twin.sweeps.validation import plan_measurements, summarise, validation_rows

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit

pytest_plugins = ["tests.dashboard_fixtures"]

ROOT = Path(__file__).resolve().parents[2]


def _write_validation(folder: Path) -> None:
    catalogue = load_catalogue(ROOT / "scenarios" / "validation")
    tasks = plan_measurements(catalogue, samples=2, probes=100)
    results = [
        {
            "file": t.file,
            "sample": t.sample,
            "false_matches": 2,
            "comparisons": 10**8,
            "mated": 1000,
            "mates_found": 890,
        }
        for t in tasks
    ]
    rows = validation_rows(catalogue, tasks, results)
    document = {"rows": rows, "summary": summarise(rows, wall_seconds=1.0)}
    (folder / "validation.json").write_text(json.dumps(document), encoding="utf-8")


def _write_uncertainty(folder: Path) -> None:
    plan = plan_uncertainty(
        ROOT / "scenarios" / "small_plaza.toml", samples=9, out=folder, window="07:00-08:00"
    )
    figures = [
        {
            "counts.false_alerts": 1 + i % 3,
            "counts.pedestrians": 900,
            "outcomes.precision": run.params["watchlist.prevalence"] * 100,
            "outcomes.fnir": 0.4,
            "throughput.peak_captures_per_s": 2 + i,
        }
        for i, run in enumerate(plan.runs)
    ]
    write_index(plan, [])  # an (empty) sweep index, so the folder reads as a sweep
    write_report(folder, summarise_uncertainty(plan, figures))


def test_how_sure_page_says_what_to_run_when_there_is_nothing(
    kit: DashboardKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    app = kit.app_on("how_sure")
    assert not app.exception
    shown = kit.page_text(app)
    assert "twin validate" in shown and "twin uncertainty" in shown


def test_how_sure_page_shows_validation_and_the_chosen_tornado(
    kit: DashboardKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_validation(tmp_path)
    _write_uncertainty(tmp_path / "uncertainty-plaza")
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    app = kit.app_on("how_sure")
    assert not app.exception, [e.value for e in app.exception]
    shown = kit.page_text(app)
    assert "deployments the twin was never fitted to" in shown
    assert len(app.get("plotly_chart")) == 2
    before = app.get("plotly_chart")[1].proto.spec
    app.selectbox(key="how_sure_output").set_value("precision").run()
    assert not app.exception
    assert "share of alerts that are right" in kit.page_text(app)
    assert app.get("plotly_chart")[1].proto.spec != before
