"""A period of days with the same people (`twin year`): its calendar, its people coming back with the
same faces, its index files, resuming, and its refusals. Real runs of the small plaza on a short
window, on an in-process Dask cluster."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from twin.cli.app import app
from twin.results.publish import run_scenario
from twin.results.reader import read_results
from twin.scenario import Scenario, load_scenario
from twin.sweeps.year import (
    COMPLETE,
    DAYS_TABLE,
    NOT_RUN,
    PEOPLE_TABLE,
    YEAR_SUMMARY,
    YearPlan,
    day_dir,
    day_scenario,
    plan_year,
    run_year,
)

ROOT = Path(__file__).resolve().parents[2]
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
#: A quarter of an hour with a permissive threshold and a watchlist of fifty: a handful of the
#: morning's regulars look enough like someone on the list to be flagged whenever they come.
SHORT = (
    "crowd.window_start='07:00'",
    "crowd.window_end='07:15'",
    "pipeline.timing_repeats=3",
    "matcher.threshold_vendor=0.33",
    "watchlist.size=50",
    "calendar.first_day='fri'",
    "calendar.days=['mon','tue','wed','thu','fri']",
)
runner = CliRunner()


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """One in-process worker thread: the days run one after another, without new processes."""
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster, set_as_default=False) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(PLAZA, overrides=SHORT)


@pytest.fixture(scope="module")
def period(
    tmp_path_factory: pytest.TempPathFactory, scenario: Scenario, client: Client
) -> YearPlan:
    """Five calendar days from a Friday: Friday, Monday and Tuesday are simulated."""
    plan = plan_year(scenario, days=5, seed=11, out=tmp_path_factory.mktemp("year") / "period")
    outcome = run_year(plan, client=client)
    assert outcome.ran == 3 and outcome.reused == 0 and not outcome.failed
    return plan


def test_the_calendar_simulates_only_the_days_it_names(period: YearPlan) -> None:
    assert [(run.index, run.weekday) for run in period.runs] == [(0, "fri"), (3, "mon"), (4, "tue")]
    days = pq.read_table(period.out / DAYS_TABLE).to_pylist()
    assert [d["weekday"] for d in days] == ["fri", "sat", "sun", "mon", "tue"]
    assert [d["status"] for d in days] == [COMPLETE, NOT_RUN, NOT_RUN, COMPLETE, COMPLETE]
    assert days[1]["path"] is None and days[3]["path"] == "days/day-003"
    assert days[0]["false_alerts"] >= 0 and np.isnan(days[1]["false_alerts"])
    for run in period.runs:
        typed = read_results(run.out).typed
        assert typed.period_day is not None
        assert (typed.period_day.index, typed.period_day.weekday) == (run.index, run.weekday)


def test_day_zero_is_the_run_of_the_seed(
    period: YearPlan, scenario: Scenario, tmp_path: Path
) -> None:
    alone = run_scenario(scenario, out=tmp_path / "alone", seed=period.seed)
    first = read_results(day_dir(period.out, 0)).manifest
    assert first["counts"] == alone["counts"]
    assert first["outcomes"]["per_person"] == alone["outcomes"]["per_person"]


def test_the_same_people_come_back_with_the_same_group_and_are_flagged_again(
    period: YearPlan,
) -> None:
    tables = [read_results(run.out).table("people").to_pandas() for run in period.runs]
    ids = [set(t["person_id"]) for t in tables]
    again = ids[0] & ids[1]
    assert len(again) > 0.2 * len(ids[0])  # commuters and regulars return on Monday
    merged = tables[0].merge(tables[1], on="person_id", suffixes=("_fri", "_mon"))
    assert (merged["group_fri"] == merged["group_mon"]).all()
    # The later days saw different walkers: not the same trips again.
    assert tables[0]["first_start_s"].tolist() != tables[1]["first_start_s"].tolist()
    # A persistent lookalike is flagged on more than one day.
    people = pq.read_table(period.out / PEOPLE_TABLE).to_pandas()
    innocent = people[~people["watchlisted"]]
    assert (innocent["false_alerts"] > 0).sum() > 0
    assert (innocent["days_flagged"] >= 2).sum() > 0
    assert innocent["days_on_site"].max() == 3
    assert int(people["false_alerts"].sum()) == sum(int(t["false_alerts"].sum()) for t in tables)


def test_the_summary_counts_people_over_the_period_with_intervals(period: YearPlan) -> None:
    summary = json.loads((period.out / YEAR_SUMMARY).read_text())
    people = pq.read_table(period.out / PEOPLE_TABLE).to_pandas()
    innocent = people[~people["watchlisted"]]
    figures = summary["per_person"]
    assert summary["complete"] and summary["days_complete"] == 3 and summary["days"] == 5
    assert figures["people"] == len(people)
    assert figures["innocent_people_flagged"]["value"] == (innocent["false_alerts"] > 0).sum()
    assert (
        figures["innocent_people_flagged_on_two_days_or_more"]["value"]
        == (innocent["days_flagged"] >= 2).sum()
    )
    most = figures["most_false_alerts_on_one_innocent_person"]
    assert most["value"] == innocent["false_alerts"].max()
    for name, figure in figures.items():
        if isinstance(figure, dict) and "ci95" in figure:
            low, high = figure["ci95"]
            assert low <= high, name
    daily = summary["per_day"]["false_alerts"]
    assert daily["period_total"] == people["false_alerts"].sum()
    assert daily["ci95_per_day"][0] <= daily["per_day"] <= daily["ci95_per_day"][1]


def test_a_rerun_reuses_finished_days_and_redoes_only_what_is_missing(
    period: YearPlan, client: Client
) -> None:
    before = json.loads((period.out / YEAR_SUMMARY).read_text())
    again = run_year(period, client=client)
    assert (again.ran, again.reused) == (0, 3)
    shutil.rmtree(day_dir(period.out, 3))
    (day_dir(period.out, 4) / "manifest.json").unlink()  # a day killed before it was published
    resumed = run_year(period, client=client)
    assert (resumed.ran, resumed.reused) == (2, 1)
    after = json.loads((period.out / YEAR_SUMMARY).read_text())
    assert after["per_person"] == before["per_person"]


def test_a_weekend_has_the_calendars_footfall_and_no_weekday_only_people(
    scenario: Scenario,
) -> None:
    saturday = day_scenario(scenario, "sat")
    assert saturday.crowd.daily_pedestrians == round(
        scenario.crowd.daily_pedestrians * scenario.calendar.weekend_footfall
    )
    for name, kind in saturday.population.kinds.items():
        if kind.weekdays_only:
            assert kind.share == 0.0, name
    assert sum(k.share for k in saturday.population.kinds.values()) == pytest.approx(1.0)
    assert day_scenario(scenario, "wed") is scenario


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--days", "0"], "--days: must be from 1 to 3650, got 0"),
        (["--days", "2", "--set", "calendar.days=[]"], "calendar.days"),
        (["--days", "2", "--set", "calendar.days=['sun']"], "none of which falls in the 2 day(s)"),
        (["--days", "2", "--set", "calendar.days=['mon','mon']"], "names a day of the week twice"),
        (["--days", "2", "--set", "calendar.first_day='someday'"], "calendar.first_day"),
        (["--days", "2", "--set", "calendar.weekend_footfall=0"], "calendar.weekend_footfall"),
        (["--days", "2", "--workers", "0"], "--workers: must be at least 1"),
    ],
)
def test_bad_periods_are_refused_in_one_line_before_anything_is_written(
    tmp_path: Path, extra: list[str], words: str
) -> None:
    out = tmp_path / "refused"
    result = runner.invoke(app, ["year", str(PLAZA), "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.output
    assert not out.exists()


def test_a_weekend_with_only_weekday_people_is_refused(tmp_path: Path) -> None:
    only_weekdays = [
        "population.kinds.commuter={share=1.0, visits_per_week=5, weekdays_only=true}",
        *(
            f"population.kinds.{name}={{share=0.0}}"
            for name in ("resident", "regular_visitor", "one_off_visitor")
        ),
        "calendar.first_day='sat'",
    ]
    args = ["year", str(PLAZA), "--days", "1", "--out", str(tmp_path / "p")]
    for override in only_weekdays:
        args += ["--set", override]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "every kind of person in population.kinds comes on weekdays only" in result.output
