"""The load test's plan: rates, window, speed, steps and the duration cap, refused with one line."""

from __future__ import annotations

import pytest

from twin.errors import TwinInputError
from twin.loadtest.plan import (
    DEFAULT_RATES_PER_S,
    MAX_DURATION_CAP_S,
    make_plan,
    parse_rates,
    parse_window,
)


def test_rates_are_sorted_without_repeats() -> None:
    assert parse_rates("400, 100,200,100") == (100.0, 200.0, 400.0)
    assert parse_rates("2.5") == (2.5,)


@pytest.mark.parametrize("text", ["0", "-5", "100,-1", "abc", "", ",", "nan", "inf", "1e9"])
def test_rates_that_are_not_positive_numbers_are_refused(text: str) -> None:
    with pytest.raises(TwinInputError, match="--rates"):
        parse_rates(text)


def test_window_in_seconds_after_midnight() -> None:
    assert parse_window("07:30-09:30") == (27_000.0, 34_200.0)
    assert parse_window("23:00-24:00") == (82_800.0, 86_400.0)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("09:30-07:30", "the end must come after the start"),
        ("08:00-08:00", "the end must come after the start"),
        ("07:30", "HH:MM-HH:MM"),
        ("25:00-26:00", "HH:MM-HH:MM"),
        ("07:61-08:00", "HH:MM-HH:MM"),
        ("seven-eight", "HH:MM-HH:MM"),
    ],
)
def test_bad_windows_are_refused(text: str, says: str) -> None:
    with pytest.raises(TwinInputError, match=says):
        parse_window(text)


def test_neither_rates_nor_window_sweeps_the_default_rates() -> None:
    plan = make_plan(rates=None, window=None)
    assert plan.rates_per_s == DEFAULT_RATES_PER_S and plan.window_s is None


def test_a_window_alone_only_replays() -> None:
    plan = make_plan(rates=None, window="08:00-08:30", speed=30, step_s=5)
    assert plan.rates_per_s == () and plan.replay_s == pytest.approx(60.0)
    assert plan.planned_s == pytest.approx(60.0)


def test_planned_load_counts_replay_steps_and_refinements() -> None:
    plan = make_plan(rates="100,200", window="08:00-08:10", speed=60, step_s=5, refine_steps=2)
    assert plan.planned_s == pytest.approx(10.0 + 4 * 5.0)


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"rates": "100", "step_s": 10, "duration_cap_s": 5}, "--duration-cap-s"),
        ({"window": "07:30-09:30", "speed": 1, "rates": None}, "--duration-cap-s"),
        ({"rates": "100", "duration_cap_s": MAX_DURATION_CAP_S + 1}, "--duration-cap-s"),
        ({"rates": "100", "speed": 0}, "--speed"),
        ({"rates": "100", "step_s": -1}, "--step-s"),
        ({"rates": "100", "slo_ms": 0}, "--slo-ms"),
        ({"rates": "100", "refine_steps": -1}, "--refine"),
        ({"rates": "100000", "step_s": 600, "duration_cap_s": 3600}, "--rates/--step-s"),
    ],
)
def test_impossible_plans_name_the_option(kwargs: dict[str, object], option: str) -> None:
    arguments: dict[str, object] = {"rates": None, "window": None, **kwargs}
    with pytest.raises(TwinInputError, match=option):
        make_plan(**arguments)  # type: ignore[arg-type]
