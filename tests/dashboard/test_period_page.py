"""The oversight page on a day of a period (`twin year`): who was flagged over the whole period, and
how often the same innocent person was, from the period's own files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from twin.dashboard.loading import RUNS_ENV
from twin.scenario import load_scenario
from twin.sweeps.year import PEOPLE_TABLE, plan_year, run_year

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit

pytest_plugins = ["tests.dashboard_fixtures"]

#: A quarter of an hour of the plaza on three weekdays, with a permissive threshold so that a few
#: lookalikes are flagged whenever they come.
PERIOD_OVERRIDES = (
    "crowd.window_start='07:00'",
    "crowd.window_end='07:15'",
    "pipeline.timing_repeats=3",
    "matcher.threshold_vendor=0.33",
    "watchlist.size=50",
)


@pytest.fixture(scope="module")
def period_runs(tmp_path_factory: pytest.TempPathFactory, kit: DashboardKit) -> Path:
    """A results folder holding one three-day period."""
    folder = tmp_path_factory.mktemp("period-runs")
    scenario = load_scenario(kit.plaza, overrides=list(PERIOD_OVERRIDES))
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        plan = plan_year(scenario, days=3, seed=5, out=folder / "week")
        assert not run_year(plan, client=client).failed
    return folder


def test_oversight_of_a_day_shows_the_period_and_the_repeat_flags(
    kit: DashboardKit, period_runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_ENV, str(period_runs))
    app = kit.app_on("oversight", run="week/days/day-001")
    assert not app.exception, [e.value for e in app.exception]
    shown = kit.page_text(app)
    assert "Over the period: 3 simulated days of 3" in shown
    people = pq.read_table(period_runs / "week" / PEOPLE_TABLE).to_pandas()
    flagged = int(((people["false_alerts"] > 0) & ~people["watchlisted"]).sum())
    assert flagged > 0
    assert f"Innocent people flagged: {flagged:,}" in shown
    assert "The same people came back" in shown
    charts = app.get("plotly_chart")
    assert len(charts) == 2  # the funnel, and the innocent people by how often they were flagged
