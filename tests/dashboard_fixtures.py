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


def _write_loadtest(folder: Path, **extra: object) -> Path:
    """A small load-test directory as `twin loadtest` is to write it (docs/dashboard.md)."""
    folder.mkdir(parents=True, exist_ok=True)
    steps = [
        {
            "offered_rate": rate,
            "achieved_rate": min(rate, 800),
            "p50_ms": 5 + rate / 200,
            "p99_ms": 9 + (rate / 120) ** 2,
            "errors": 0,
            "rejected": 0 if rate <= 800 else 40,
        }
        for rate in (100, 200, 400, 800, 1600)
    ]
    summary = {"steps": steps, "knee_rate": 400, "slo_ms": 100, **extra}
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
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


def _write_sweep(folder: Path, *, summary: bool = True) -> Path:
    """A small sweep directory: sweep.parquet, and summary.json (means, 95% CIs) unless told not."""
    import pandas as pd
    from scipy import stats

    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(sweep_rows())
    table.to_parquet(folder / "sweep.parquet")
    if summary:
        points = []
        for (size, threshold), part in table.groupby(
            ["watchlist.size", "matcher.threshold_cosine"]
        ):
            metrics = {}
            for metric in ("outcomes.fpir", "latency_ms.p99", "counts.alerts"):
                values = part[metric]
                half = stats.t.ppf(0.975, len(values) - 1) * values.std() / len(values) ** 0.5
                metrics[metric] = {
                    "mean": values.mean(),
                    "ci_low": values.mean() - half,
                    "ci_high": values.mean() + half,
                }
            points.append(
                {
                    "params": {"watchlist.size": int(size), "matcher.threshold_cosine": threshold},
                    "replications": len(part),
                    "metrics": metrics,
                }
            )
        (folder / "summary.json").write_text(json.dumps({"points": points}), encoding="utf-8")
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


@pytest.fixture(scope="session")
def kit() -> DashboardKit:
    """The dashboard tests' helpers."""
    return DashboardKit()
