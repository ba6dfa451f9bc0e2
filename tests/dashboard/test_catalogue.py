"""The catalogue of a results folder: which runs, load tests and sweeps it holds, and where it is."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from twin.dashboard.catalogue import scan
from twin.dashboard.loading import default_runs_folder

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit, DashboardRuns

pytest_plugins = ["tests.dashboard_fixtures"]


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
    period = tmp_path / "year"  # a period of days: its days are runs, its own tables are not a run
    shutil.copytree(dashboard_runs.plaza, period / "days" / "day-000")
    (period / "year.json").write_text("{}")
    (period / "people.parquet").write_bytes(b"")
    os.utime(tmp_path / "old" / "manifest.json", (1, 1))
    os.utime(period / "days" / "day-000" / "manifest.json", (2, 2))
    found = scan(tmp_path)
    assert [found.label(p) for p in found.runs] == [
        "nested/new",
        "year/days/day-000",
        "old",
        "whatif-small_plaza-abc",
    ]
    assert [found.label(p) for p in found.periods] == ["year"]
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
