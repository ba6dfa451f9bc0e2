"""A run's random streams: one seed, one independent stream per stage.

The run's seed makes one `numpy.random.SeedSequence`; each stage gets its own child of it
(`SeedSequence.spawn`), in the fixed order of `STREAMS`, as a `numpy.random.Generator`. Changing one
stage's knobs (say the watchlist size) leaves the other stages' draws (the crowd) unchanged, so what-if
comparisons see the same people; the same seed gives the same draws.

Everything that must draw what a run draws (the crowd flows of the site commands, the load tester's
gallery, calibration) takes its stream from `streams_for` rather than re-deriving the layout.
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


assert tuple(f.name for f in fields(Streams)) == STREAMS


def streams_for(seed: int) -> Streams:
    """The run's streams for ``seed``: the children of ``SeedSequence(seed)``, in `STREAMS` order."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return Streams(*(np.random.default_rng(child) for child in children))
