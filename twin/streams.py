"""A run's random streams: one seed, one independent stream per stage.

The run's seed makes one `numpy.random.SeedSequence`; each stage gets its own child of it
(`SeedSequence.spawn`), in the fixed order of `STREAMS`, as a `numpy.random.Generator`. Changing one
stage's knobs (say the watchlist size) leaves the other stages' draws (the crowd) unchanged, so what-if
comparisons see the same people; the same seed gives the same draws.

Everything that must draw what a run draws (the crowd flows of the site commands, the load tester's
gallery, calibration) takes its stream from `streams_for` rather than re-deriving the layout.

A period of days (`twin year`) runs day ``d`` of one seed: day 0 is exactly the run of that seed, and
every later day draws its own walkers, captures and responses from a child of ``SeedSequence(seed)``
keyed by the day (``spawn_key=(DAY_SPAWN_KEY, d)``, which no run's own children use). The watchlist's
enrolment images are the period's, not the day's: every day takes day 0's ``watchlist`` stream, so
the same seven photographs are searched all year. Faces and groups are keyed by the seed and the
person's id (`twin.recognition.persons`), so the same person has the same face on every day.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np

#: The streams a run spawns, in spawn order (the order fixes each stream's draws: append, never insert).
STREAMS: Final = (
    "demand",
    "captures",
    "population",
    "watchlist",
    "probes",
    "timing",
    "service",
    "response",
    "period",
)


@dataclass(frozen=True)
class Streams:
    """One generator per stage of a run (names as `STREAMS`)."""

    demand: np.random.Generator  # who walks where and when (twin.crowd.demand)
    captures: np.random.Generator  # head yaw per pass (twin.recognition.captures)
    population: np.random.Generator  # watchlist groups, then who is whom
    watchlist: np.random.Generator  # enrolled faces
    probes: np.random.Generator  # captured faces
    timing: np.random.Generator  # matcher timing probes
    service: np.random.Generator  # service times drawn from the timing table
    response: np.random.Generator  # operators and officers
    period: np.random.Generator  # a period's resampling of its days (twin.sweeps.period)


assert tuple(f.name for f in fields(Streams)) == STREAMS


#: First element of the spawn key of a later day's streams (far above any run's own child index).
DAY_SPAWN_KEY: Final = 1 << 20
#: The streams every day of a period shares with day 0 (the watchlist's enrolment images).
PERIOD_STREAMS: Final = ("watchlist",)


def streams_for(seed: int, *, day: int = 0) -> Streams:
    """The run's streams for ``seed``: the children of ``SeedSequence(seed)``, in `STREAMS` order;
    for ``day`` > 0 of a period, the day's own children, but day 0's `PERIOD_STREAMS` (module docstring)."""
    if day < 0:
        raise ValueError(f"day must be at least 0, got {day}")
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    if day:
        own = np.random.SeedSequence(seed, spawn_key=(DAY_SPAWN_KEY, day)).spawn(len(STREAMS))
        children = [
            base if name in PERIOD_STREAMS else mine
            for name, base, mine in zip(STREAMS, children, own, strict=True)
        ]
    return Streams(*(np.random.default_rng(child) for child in children))
