"""Fixtures for the dashboard tests: a results folder made by running the real twin on the small plaza.

Loaded by the dashboard test modules through ``pytest_plugins`` (and never imported by them, except
for type names under TYPE_CHECKING). The session's results folder holds two real runs of the plaza's
morning (seeds 7 and 8, a few seconds each) and, beside them, broken copies a reader may meet: an
unfinished run, one from an older schema, one with a table missing, one whose table lacks a column.
The ``kit`` fixture hands tests the helpers: the app on a page, the page's text, small load-test and
sweep directories.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from twin.dashboard.loading import RUNS_ENV
from twin.results.publish import run_scenario
from twin.results.schema import MANIFEST
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PAGES = "twin/dashboard/pages"
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
# A short, seeded window of the plaza's morning: a few hundred searches, a second or two to run.
PLAZA_OVERRIDES = (
    "crowd.window_start='07:30'",
    "crowd.window_end='09:00'",
    "pipeline.timing_repeats=3",
)
#: AppTest's timeout per script run, s: generous, as other work may share the machine.
APP_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class DashboardRuns:
    """The session's results folders: ``good`` (two real runs), ``bad`` (one broken copy each)."""

    good: Path
    bad: Path
    plaza: Path  # the seed-7 run
    plaza_seed8: Path


def _break(source: Path, target: Path, **changes: object) -> Path:
    shutil.copytree(source, target)
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(changes)
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def dashboard_runs(tmp_path_factory: pytest.TempPathFactory) -> DashboardRuns:
    """Two real plaza runs, and a folder of broken copies of one."""
    good = tmp_path_factory.mktemp("runs")
    scenario = load_scenario(PLAZA, overrides=list(PLAZA_OVERRIDES))
    plaza = good / "plaza"
    run_scenario(scenario, out=plaza, seed=7)
    plaza_seed8 = good / "plaza-seed8"
    run_scenario(scenario, out=plaza_seed8, seed=8)

    bad = tmp_path_factory.mktemp("bad-runs")
    _break(plaza, bad / "unfinished", status="running")
    _break(plaza, bad / "older-schema", schema_version=0)
    (_break(plaza, bad / "missing-table") / "decisions.parquet").unlink()
    lacking = _break(plaza, bad / "lacking-column")
    cameras = pq.read_table(lacking / "cameras.parquet")
    pq.write_table(cameras.drop_columns(["recognition"]), lacking / "cameras.parquet")
    return DashboardRuns(good=good, bad=bad, plaza=plaza, plaza_seed8=plaza_seed8)


@pytest.fixture
def runs_folder(dashboard_runs: DashboardRuns, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The good results folder, named to the app through its environment variable."""
    monkeypatch.setenv(RUNS_ENV, str(dashboard_runs.good))
    yield dashboard_runs.good


def _app_on(page: str | None, *, run: str | None = None) -> AppTest:
    """The app, run once on ``page`` (a file in twin/dashboard/pages, None: the first page)."""
    app = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S)
    if run is not None:
        app.session_state["run"] = run
    app.run()
    if page is not None:
        app.switch_page(f"{PAGES}/{page}.py").run()
    return app


def _page_text(app: AppTest) -> str:
    """Everything written on the page (markdown, captions, titles, alerts, metrics), as one string."""
    parts: list[str] = []
    for kind in (
        "title",
        "subheader",
        "markdown",
        "caption",
        "info",
        "success",
        "error",
        "warning",
    ):
        parts.extend(str(element.value) for element in getattr(app, kind))
    parts.extend(f"{m.label}: {m.value}" for m in app.metric)
    return "\n".join(parts)


def loadtest_step(rate: float, **changes: object) -> dict[str, object]:
    """One rate step as `twin loadtest` writes it (twin/loadtest/recorder.py, StepStats)."""
    achieved = float(min(rate, 800))
    step: dict[str, object] = {
        "kind": "rate", "offered_rate": float(rate), "sent_rate": float(rate),
        "achieved_rate": achieved, "offered_probe_rate": float(rate),
        "achieved_probe_rate": achieved, "requests": int(rate * 10), "probes": int(rate * 10),
        "answered": int(achieved * 10), "errors": 0, "rejected": 0 if rate <= 800 else 40,
        "timeouts": 0, "connection_errors": 0, "not_sent": 0, "mated_checked": 10,
        "wrong_answers": 0, "missing_answers": 0, "p50_ms": 5 + rate / 200, "p90_ms": 8.0,
        "p99_ms": 9 + (rate / 120) ** 2, "p999_ms": 12.0, "max_ms": 20.0, "mean_ms": 6.0,
        "sender_lag_p50_ms": 0.1, "sender_lag_p99_ms": 0.5, "sender_lag_max_ms": 1.0,
        "valid": True, "complete": True, "duration_s": 10.0, "backlogged": 0,
        "max_in_flight": 4,
    }  # fmt: skip
    step.update(changes)
    return step


def loadtest_summary(**changes: object) -> dict[str, object]:
    """A load test's summary.json as `twin loadtest` writes it (docs/loadtest.md)."""
    summary: dict[str, object] = {
        "kind": "loadtest", "scenario": "Small plaza", "seed": 1, "target": "inprocess",
        "backend": "flat", "gallery_size": 1000, "slo_ms": 100.0, "knee_rate": 400.0,
        "knee_sender_lag_p99_ms": 0.5, "knee_limited_by_sender": False,
        "sender_lag_limit_ms": 1.0, "valid": True, "interrupted": False, "stopped_reason": None,
        "steps": [loadtest_step(rate) for rate in (100, 200, 400, 800, 1600)],
        "skipped_rates": [], "replay": None, "step_s": 10.0,
        "rates_asked": [100.0, 200.0, 400.0, 800.0, 1600.0], "mated_share": 0.1,
        "scenario_sha256": "0" * 64,
        "sender": {"scheduling": "fifo", "cpu": None, "max_connections": 64,
                   "request_timeout_s": 5.0},
        "started_utc": "2026-01-01T00:00:00+00:00", "wall_seconds": 60.0,
        "load_seconds": 50.0, "environment": {"twin_version": "0"},
        "tables": {"requests": "requests.parquet", "seconds": "seconds.parquet"},
        "plot": "latency_vs_throughput.html",
    }  # fmt: skip
    summary.update(changes)
    return summary


def _write_loadtest(folder: Path, **changes: object) -> Path:
    """A small load-test directory as `twin loadtest` writes it (its summary.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(loadtest_summary(**changes))
    (folder / "summary.json").write_text(text, encoding="utf-8")
    return folder


SWEEP_SIZES = (7, 100, 1000, 10000)
SWEEP_REPLICATIONS = 4


def sweep_rows() -> list[dict[str, object]]:
    """Rows of a small synthetic sweep: watchlist size x threshold, four replications each."""
    rows: list[dict[str, object]] = []
    for size in SWEEP_SIZES:
        for threshold in (0.24, 0.3):
            for replication in range(SWEEP_REPLICATIONS):
                noise = (replication - 1.5) * 1e-6
                rows.append(
                    {
                        "watchlist.size": size,
                        "matcher.threshold_cosine": threshold,
                        "replication": replication,
                        "seed": 1000 + replication,
                        "outcomes.fpir": size * 1.67e-8 * (0.3 / threshold) + noise,
                        "latency_ms.p99": 20.0 + size / 1000 + replication,
                        "counts.alerts": size // 10 + replication,
                    }
                )
    return rows


def _write_sweep(folder: Path) -> Path:
    """A small sweep directory as `twin sweep` writes it: sweep.parquet and summary.json."""
    import pandas as pd

    from twin.sweeps.stats import mean_ci

    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(sweep_rows())
    keys = ["watchlist.size", "matcher.threshold_cosine"]
    table["point"] = [
        f"p{size}-{t}" for size, t in zip(table[keys[0]], table[keys[1]], strict=True)
    ]
    table["status"] = "complete"
    table["error"] = None
    table["path"] = [
        f"points/{p}/rep{r}" for p, r in zip(table["point"], table["replication"], strict=True)
    ]
    table.to_parquet(folder / "sweep.parquet")
    points = []
    for (size, threshold), part in table.groupby(keys):
        metrics = {
            metric: mean_ci(part[metric].tolist()).as_dict()
            for metric in ("outcomes.fpir", "latency_ms.p99", "counts.alerts")
        }
        points.append(
            {
                "point": str(part["point"].iloc[0]),
                "params": {keys[0]: int(size), keys[1]: float(threshold)},
                "replications": len(part),
                "failed": 0,
                "metrics": metrics,
            }
        )
    summary = {
        "schema_version": 1, "status": "complete", "scenario": "small_plaza.toml",
        "scenario_name": "Small plaza", "base_seed": 1000, "replications": SWEEP_REPLICATIONS,
        "vary": {keys[0]: list(SWEEP_SIZES), keys[1]: [0.24, 0.3]}, "fixed": [],
        "confidence": 0.95, "runs_total": len(table), "runs_complete": len(table),
        "runs_failed": 0, "runs_pending": 0, "updated_utc": "2026-01-01T00:00:00+00:00",
        "points": points, "failed": [], "failures": [],
    }  # fmt: skip
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


class DashboardKit:
    """Helpers for dashboard tests, handed out by the ``kit`` fixture."""

    root = ROOT
    plaza = PLAZA
    sweep_sizes = SWEEP_SIZES
    sweep_replications = SWEEP_REPLICATIONS
    app_on = staticmethod(_app_on)
    page_text = staticmethod(_page_text)
    write_loadtest = staticmethod(_write_loadtest)
    write_sweep = staticmethod(_write_sweep)
    sweep_rows = staticmethod(sweep_rows)
    loadtest_summary = staticmethod(loadtest_summary)
    loadtest_step = staticmethod(loadtest_step)


@pytest.fixture(scope="session")
def kit() -> DashboardKit:
    """The dashboard tests' helpers."""
    return DashboardKit()
