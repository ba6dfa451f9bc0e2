"""The run's random-stream layout: one child of the seed per stage, in a fixed order."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from twin.streams import STREAMS, streams_for


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
