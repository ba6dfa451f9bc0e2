"""A period's figures from its days' people tables, on small synthetic days whose answers are known."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from twin.sweeps.period import (
    PeriodPeople,
    daily_figure,
    day_figures,
    period_summary,
    person_figures,
    poisson_rate_ci,
)


def _day(rows: list[tuple[int, str, bool, int, int, int]]) -> pa.Table:
    """(person id, group, watchlisted, false alerts, true alerts, wrong stops) per person of a day."""
    ids, groups, listed, false, true, wrong = zip(*rows, strict=True)
    n = len(rows)
    return pa.table(
        {
            "person_id": np.array(ids, dtype=np.int64),
            "kind": ["regular_visitor"] * n,
            "group": list(groups),
            "watchlisted": list(listed),
            "visits": np.ones(n, dtype=np.int32),
            "captures": np.full(n, 2, dtype=np.int32),
            "searches": np.full(n, 4, dtype=np.int32),
            "true_alerts": np.array(true, dtype=np.int32),
            "false_alerts": np.array(false, dtype=np.int32),
            "stops": np.array(wrong, dtype=np.int32),
            "wrong_stops": np.array(wrong, dtype=np.int32),
        }
    )


# Person 1 looks like someone on the list: flagged on every day, stopped on two of them. Person 2 is
# flagged once. Person 9 is on the watchlist and alerted on day 2. Persons 3-5 are never flagged.
DAYS = [
    _day([(1, "a", False, 2, 0, 1), (2, "b", False, 1, 0, 0), (3, "a", False, 0, 0, 0)]),
    _day([(1, "a", False, 3, 0, 0), (4, "b", False, 0, 0, 0)]),
    _day([(1, "a", False, 1, 0, 1), (5, "a", False, 0, 0, 0), (9, "b", True, 0, 2, 0)]),
]


def test_people_are_joined_across_days_by_their_id() -> None:
    people = PeriodPeople.from_days(DAYS)
    table = people.table().to_pandas().set_index("person_id")
    assert list(table.index) == [1, 2, 3, 4, 5, 9]
    assert table.loc[1, "days_on_site"] == 3 and table.loc[1, "days_flagged"] == 3
    assert table.loc[1, "false_alerts"] == 6 and table.loc[1, "wrong_stops"] == 2
    assert table.loc[2, "days_flagged"] == 1 and table.loc[9, "true_alerts"] == 2
    assert table.loc[1, "searches"] == 12


def test_the_per_person_figures_of_the_period() -> None:
    figures = person_figures(PeriodPeople.from_days(DAYS), np.random.default_rng(0))
    value = {k: v["value"] for k, v in figures.items() if isinstance(v, dict) and "value" in v}
    assert value["innocent_people_flagged"] == 2
    assert value["innocent_people_flagged_on_two_days_or_more"] == 1
    assert value["most_false_alerts_on_one_innocent_person"] == 6
    assert value["share_of_false_alerts_on_top_1pct_flagged"] == pytest.approx(6 / 7)
    assert value["innocent_people_stopped"] == 1
    assert value["innocent_people_stopped_twice_or_more"] == 1
    assert value["watchlisted_people_alerted"] == 1
    assert figures["people"] == 6 and figures["people_on_site_two_days_or_more"] == 1
    assert figures["by_group"]["a"] == {
        "innocent_people": 3,
        "innocent_people_flagged": 1,
        "share_flagged": pytest.approx(1 / 3),
    }


def test_resampled_people_keep_their_days_together() -> None:
    figures = person_figures(PeriodPeople.from_days(DAYS), np.random.default_rng(1))
    # Six people drawn again with replacement: the lookalike (six wrong alerts over three days) comes
    # with all of them, so no resample splits him into someone flagged once.
    low, high = figures["most_false_alerts_on_one_innocent_person"]["ci95"]
    assert low in (0.0, 1.0, 6.0) and high == 6.0
    low, high = figures["innocent_people_flagged_on_two_days_or_more"]["ci95"]
    assert low == 0.0 and 1.0 <= high <= 6.0 and float(high).is_integer()
    low, high = figures["innocent_people_flagged"]["ci95"]
    assert low <= 2.0 <= high <= 6.0
    again = person_figures(PeriodPeople.from_days(DAYS), np.random.default_rng(1))
    assert again == figures  # seeded


def test_one_person_has_figures_but_no_resampling_interval() -> None:
    alone = [_day([(1, "a", False, 2, 0, 1)])]
    figures = person_figures(PeriodPeople.from_days(alone), np.random.default_rng(0))
    assert figures["innocent_people_flagged"] == {"value": 1.0, "ci95": None}


def test_daily_figures_take_the_wider_of_the_t_and_poisson_intervals() -> None:
    zeros = daily_figure([0, 0, 0, 0], count=True, run_days_per_year=260)
    low, high = poisson_rate_ci(0, 4)
    assert zeros["ci95_per_day"] == [0.0, pytest.approx(high)] and low == 0.0
    assert zeros["ci95_per_year"][1] == pytest.approx(high * 260)
    spread = daily_figure([1, 9, 2, 8], count=True, run_days_per_year=260)
    assert spread["per_day"] == 5 and spread["period_total"] == 20
    assert spread["ci95_per_day"][0] < 5 < spread["ci95_per_day"][1]


def test_day_figures_and_the_summary_from_manifests() -> None:
    manifest = {
        "counts": {"pedestrians": 10, "alerts": 3, "false_alerts": 2, "innocent_people_flagged": 2},
        "response": {
            "funnel": {"incidents": 2, "intercepted": 1, "wrong_person": 1},
            "staff": {"operator_busy_s": 7200, "officer_busy_s": 3600, "cost_gbp": 50.0},
        },
    }
    day = day_figures(manifest)
    assert day["alerts"] == 3 and day["intercepted"] == 1 and day["operator_busy_h"] == 2.0
    summary = period_summary(
        [day, day, day], PeriodPeople.from_days(DAYS), np.random.default_rng(0), run_days_per_week=5
    )
    assert summary["run_days_per_year"] == pytest.approx(365 * 5 / 7)
    assert summary["per_day"]["alerts"]["period_total"] == 9
    assert "captures" not in summary["per_day"]  # only figures every day has
