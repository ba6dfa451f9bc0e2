"""The run's random-stream layout: one child of the seed per stage, in a fixed order."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from twin.streams import PERIOD_STREAMS, STREAMS, streams_for


def test_each_stage_draws_from_its_own_child_of_the_seed() -> None:
    streams = streams_for(7)
    children = np.random.SeedSequence(7).spawn(len(STREAMS))
    for name, child in zip(STREAMS, children, strict=True):
        expected = np.random.default_rng(child).random(4)
        assert np.array_equal(getattr(streams, name).random(4), expected), name


def test_the_same_seed_gives_the_same_draws_and_another_seed_others() -> None:
    first, again, other = streams_for(3), streams_for(3), streams_for(4)
    for field in fields(first):
        draws = getattr(first, field.name).random(8)
        assert np.array_equal(draws, getattr(again, field.name).random(8))
        assert not np.array_equal(draws, getattr(other, field.name).random(8))


def test_the_stages_streams_are_not_one_stream() -> None:
    streams = streams_for(11)
    draws = {name: getattr(streams, name).random(8).tobytes() for name in STREAMS}
    assert len(set(draws.values())) == len(STREAMS)


def test_day_zero_of_a_period_is_the_run_of_its_seed() -> None:
    run, day0 = streams_for(5), streams_for(5, day=0)
    for name in STREAMS:
        assert np.array_equal(getattr(run, name).random(4), getattr(day0, name).random(4)), name


def test_later_days_draw_their_own_walkers_but_search_the_same_enrolment_images() -> None:
    day0, day1, day2 = streams_for(5), streams_for(5, day=1), streams_for(5, day=2)
    for name in STREAMS:
        first, second, third = (getattr(s, name).random(6) for s in (day0, day1, day2))
        if name in PERIOD_STREAMS:
            assert np.array_equal(first, second) and np.array_equal(first, third), name
        else:
            assert not np.array_equal(first, second), name
            assert not np.array_equal(second, third), name


def test_a_negative_day_is_refused() -> None:
    with pytest.raises(ValueError, match="day must be at least 0"):
        streams_for(5, day=-1)
