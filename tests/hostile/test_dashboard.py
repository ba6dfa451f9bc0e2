"""Hostile input to the dashboard: one bad directory in the results folder shows one error for that
directory, on every page that shows it, and never breaks another run or page; nothing outside the
results folder is shown (AppTest on real plaza runs)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from twin.dashboard.loading import RUNS_ENV
from twin.results.schema import MANIFEST, SITE_MAP_FILE

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit, DashboardRuns

pytest_plugins = ["tests.dashboard_fixtures"]

DEEP = 100_000
SECRET = "decoy-secret-never-to-be-shown"
PAGES = ("overview", "site_map", "oversight")


def _edit(run: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    change(data)
    (run / MANIFEST).write_text(json.dumps(data), encoding="utf-8")


def _null_counts(run: Path, outside: Path) -> None:
    _edit(run, lambda m: m.update(counts=None))


def _many(run: Path, outside: Path) -> None:
    _edit(run, lambda m: m["counts"].update(captures="many"))


def _deep(run: Path, outside: Path) -> None:
    (run / MANIFEST).write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")


def _ledger_elsewhere(run: Path, outside: Path) -> None:
    ledger = str(outside / "elsewhere" / "ledger.jsonl")
    _edit(run, lambda m: m["response"]["ledger"].update(file=ledger))


def _site_map_symlink(run: Path, outside: Path) -> None:
    (run / SITE_MAP_FILE).unlink()
    (run / SITE_MAP_FILE).symlink_to(outside / "secrets.txt")


def _table_outside(run: Path, outside: Path) -> None:
    path = str(outside / "elsewhere" / "decisions.parquet")
    _edit(run, lambda m: m["tables"]["decisions"].update(file=path))


CASES: dict[str, Callable[[Path, Path], None]] = {
    "null counts": _null_counts,
    "faces scanned: many": _many,
    "manifest nested 100,000 deep": _deep,
    "ledger of another run": _ledger_elsewhere,
    "site map symlinked to secrets": _site_map_symlink,
    "table path absolute": _table_outside,
}


@pytest.fixture
def folder(dashboard_runs: DashboardRuns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A results folder with a good run and (made by each test) a bad one; decoys outside it."""
    runs, outside = tmp_path / "runs", tmp_path / "outside"
    shutil.copytree(dashboard_runs.plaza, runs / "good")
    shutil.copytree(dashboard_runs.plaza_seed8, outside / "elsewhere")
    (outside / "secrets.txt").write_text(SECRET, encoding="utf-8")
    monkeypatch.setenv(RUNS_ENV, str(runs))
    return runs


def _no_exception(app: Any) -> None:
    assert not app.exception, [e.value for e in app.exception]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_run_shows_one_error_and_spares_the_good_one(
    kit: DashboardKit, folder: Path, case: str, page: str
) -> None:
    shutil.copytree(folder / "good", folder / "bad")
    CASES[case](folder / "bad", folder.parent / "outside")
    app = kit.app_on(None if page == "overview" else page, run="bad")
    _no_exception(app)
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "bad" in errors[0] and "\n" not in errors[0], errors
    assert SECRET not in kit.page_text(app) and "intact" not in kit.page_text(app)
    app.selectbox(key="run").set_value("good").run()
    _no_exception(app)
    assert not app.error, [e.value for e in app.error]


def test_a_run_folder_symlinked_out_of_the_results_folder_is_refused(
    kit: DashboardKit, folder: Path
) -> None:
    (folder / "linked").symlink_to(folder.parent / "outside" / "elsewhere")
    app = kit.app_on(None, run="linked")
    _no_exception(app)
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "outside the results folder" in errors[0], errors
    assert "seed 8" not in kit.page_text(app)  # the run outside is never shown


@pytest.mark.parametrize(
    ("page", "write", "breaks"),
    [
        ("loadtests", "write_loadtest", {"knee_rate": "400"}),
        ("loadtests", "write_loadtest", {"steps": None}),
        ("sweeps", "write_sweep", {"points": [{"parameters": {"watchlist.size": 7}}]}),
        ("sweeps", "write_sweep", {"replications": "four"}),
    ],
)
def test_a_bad_load_test_or_sweep_shows_one_error_and_spares_the_good_one(
    kit: DashboardKit, folder: Path, page: str, write: str, breaks: dict[str, Any]
) -> None:
    getattr(kit, write)(folder / "a-good")
    bad = getattr(kit, write)(folder / "b-bad")
    summary = json.loads((bad / "summary.json").read_text(encoding="utf-8"))
    summary.update(breaks)
    (bad / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    key = "loadtest_dir" if page == "loadtests" else "sweep_dir"
    app = kit.app_on(page)
    app.selectbox(key=key).set_value("b-bad").run()
    _no_exception(app)
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "summary.json" in errors[0], errors
    app.selectbox(key=key).set_value("a-good").run()
    _no_exception(app)
    assert not app.error, [e.value for e in app.error]


def test_a_summary_nested_deep_does_not_break_the_catalogue(
    kit: DashboardKit, folder: Path
) -> None:
    (folder / "deep").mkdir()
    (folder / "deep" / "summary.json").write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")
    app = kit.app_on(None, run="good")
    _no_exception(app)
    assert not app.error, [e.value for e in app.error]
    app = kit.app_on("loadtests")
    app.selectbox(key="loadtest_dir").set_value("deep").run()
    _no_exception(app)
    assert len(app.error) == 1
