"""The walk's compiled build: installed, current, and walking exactly as its Python source does."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import twin.crowd.compiled as compiled
import twin.crowd.walkers as walkers
import twin.crowd.walking as walking
from twin.crowd.records import Holds, Queues, Visits
from twin.crowd.validation import corridor_site, corridor_trips
from twin.crowd.walking import CrowdResult, simulate_crowd
from twin.scenario import CrowdConfig


def test_the_walk_runs_the_compiled_build_of_the_current_source() -> None:
    assert compiled.COMPILED, (
        "twin.crowd.walkers_compiled is missing or older than twin/crowd/walkers.py: "
        "build it with `pip install -e .` (a C compiler is needed)"
    )
    built = importlib.import_module("twin.crowd.walkers_compiled")
    assert compiled.source_sha256() == built.SOURCE_SHA256
    assert compiled.walk is built.walk


def test_a_build_of_another_source_or_one_switched_off_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = importlib.import_module("twin.crowd.walkers_compiled")
    monkeypatch.setattr(built, "SOURCE_SHA256", "0" * 64)  # as if walkers.py were edited since
    assert compiled._current_build() is walkers
    monkeypatch.undo()
    assert compiled._current_build() is built
    monkeypatch.setenv("TWIN_COMPILED", "0")
    assert compiled._current_build() is walkers


def _crowd_at_steps() -> CrowdResult:
    """A corridor fed faster than its steps let through: queues, spillback and walkers held."""
    site = corridor_site(120.0, 3.0, steps_from_m=80.0, steps_width_m=0.6)
    n = 900
    speed = np.random.default_rng(1).normal(1.34, 0.26, n).clip(0.5, 2.5)
    return simulate_crowd(site, corridor_trips(np.arange(n) * 0.25, speed), CrowdConfig())


def test_compiled_and_source_walks_record_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    built = _crowd_at_steps()
    monkeypatch.setattr(walking, "walk", walkers.walk)
    monkeypatch.setattr(walking, "walk_plan", walkers.walk_plan)
    source = _crowd_at_steps()
    assert len(built.holds) > 100 and built.queues.wait_s.max() > 60.0  # every path was walked
    for name in Visits.__slots__:
        assert np.array_equal(getattr(built.visits, name), getattr(source.visits, name)), name
    for name in Queues.__slots__:
        assert np.array_equal(getattr(built.queues, name), getattr(source.queues, name)), name
    for name in Holds.__slots__:
        assert np.array_equal(getattr(built.holds, name), getattr(source.holds, name)), name
    assert np.array_equal(built.arrive_s, source.arrive_s)
