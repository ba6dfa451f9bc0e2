"""The dashboard's load-test page on a real `twin loadtest` directory: the knee, the replay's
comparison, and the warnings for invalid steps and a stopped test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from twin.cli.loadtest import app as loadtest_app
from twin.dashboard.loading import RUNS_ENV
from twin.loadtest.reader import read_loadtest

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit

pytest_plugins = ["tests.dashboard_fixtures"]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real in-process load test of the plaza: a short replay and one rate."""
    folder = tmp_path_factory.mktemp("loadtests")
    args = [
        str(ROOT / "scenarios" / "small_plaza.toml"), "--set", "pipeline.timing_repeats=2",
        "--target", "inprocess", "--window", "08:00-08:05", "--speed", "300", "--rates", "100",
        "--step-s", "1", "--refine", "0", "--out", str(folder / "loadtest-plaza"),
    ]  # fmt: skip
    result = CliRunner().invoke(loadtest_app, args)
    assert result.exit_code == 0, result.output
    return folder


def test_the_reader_keeps_validity_and_the_replay(measured: Path) -> None:
    test = read_loadtest(measured / "loadtest-plaza")
    assert test.steps["valid"].isin([0.0, 1.0]).all() and "kind" not in test.steps
    assert test.replay is not None and test.replay["comparison"]["real_ms"]["p50"] is not None
    assert not test.interrupted and test.details["target"] == "inprocess"


def test_the_page_shows_the_knee_and_the_replay(
    kit: DashboardKit, measured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_ENV, str(measured))
    page = kit.app_on("loadtests")
    assert not page.exception, [e.value for e in page.exception]
    shown = kit.page_text(page)
    assert "The site's own traffic, replayed" in shown and "08:00-08:05" in shown
    assert "simulated pipeline" in shown  # the explanation, from measured figures
    assert len(page.get("plotly_chart")) == 2


def test_invalid_steps_and_a_stopped_test_are_flagged(
    kit: DashboardKit, measured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "stopped"
    shutil.copytree(measured / "loadtest-plaza", folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["steps"][0]["valid"] = False
    summary["interrupted"], summary["stopped_reason"] = True, "interrupted (Ctrl-C or SIGTERM)"
    (folder / "summary.json").write_text(json.dumps(summary))
    monkeypatch.setenv(RUNS_ENV, str(tmp_path))
    page = kit.app_on("loadtests")
    assert not page.exception, [e.value for e in page.exception]
    warnings = " ".join(str(w.value) for w in page.warning)
    assert "stopped early" in warnings and "Invalid steps (100/s)" in warnings
