"""Crowding as it happened: density per walkway and minute, queues per bottleneck and minute.

Walkers held back at a full walkway (`twin.crowd.walking`: they wait at the end of their own, or at
their origin, until there is room) are counted against the walkway they waited to enter, in the
minute their wait began.

A walkway's density in a minute is the time its walkers spent on it during that minute over the
minute and its area (ped/m², a time average), counted as the walk counts it: a walker on a stretch
of several cells counts on each for the cell's share of the stretch, for as long as it is on the
stretch; its level of service follows Fruin (1971) through
Weidmann's diagram (`twin.recognition.quality.level_of_service`, used where results are recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.crowd.walking import CrowdResult

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class MinuteDensity:
    """Walkway-minutes with anyone on them: walkway (edge index), minute start (s after midnight),
    mean density (ped/m²), walkers who entered, walkers who found it full and began waiting to enter
    (held back) and their mean wait (s; 0 when none)."""

    walkway: IntArray
    minute_s: FloatArray
    density_ped_m2: FloatArray
    entered: IntArray
    held_back: IntArray
    mean_hold_s: FloatArray

    def __len__(self) -> int:
        return len(self.walkway)


@dataclass(frozen=True, slots=True)
class MinuteQueues:
    """Bottleneck-minutes with anyone passing: bottleneck, minute start (s), passed, longest queue
    met on joining (walkers ahead) and mean wait (s)."""

    bottleneck: IntArray
    minute_s: FloatArray
    passed: IntArray
    max_queue: IntArray
    mean_wait_s: FloatArray

    def __len__(self) -> int:
        return len(self.bottleneck)


def minute_density(crowd: CrowdResult, *, from_s: float, to_s: float) -> MinuteDensity:
    """Time-averaged density per walkway and minute between ``from_s`` and ``to_s`` (s)."""
    visits = crowd.visits
    on_graph = visits.cell >= 0
    edge = crowd.walkways.cell_edge[visits.cell[on_graph]]
    # The walk counts a walker on each cell of its stretch for the cell's share of the stretch's
    # length, for as long as it is on the stretch (held at its end included): so do densities.
    stretch_in, stretch_out = visits.stretch_enter_s[on_graph], visits.stretch_exit_s[on_graph]
    span = stretch_out - stretch_in
    share = np.divide(
        visits.exit_s[on_graph] - visits.enter_s[on_graph],
        span,
        out=np.zeros(span.size),
        where=span > 0,
    )
    enter = np.clip(stretch_in, from_s, to_s)
    leave = np.clip(stretch_out, from_s, to_s)
    first = np.floor((enter - from_s) / SECONDS_PER_MINUTE).astype(np.int64)
    last = np.floor((np.maximum(leave, enter) - from_s - 1e-9) / SECONDS_PER_MINUTE).astype(
        np.int64
    )
    last = np.maximum(last, first)
    pieces = last - first + 1
    rows = np.repeat(np.arange(edge.size), pieces)
    minute = np.repeat(first, pieces) + (
        np.arange(rows.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    )
    lo = np.maximum(enter[rows], from_s + minute * SECONDS_PER_MINUTE)
    hi = np.minimum(leave[rows], from_s + (minute + 1) * SECONDS_PER_MINUTE)
    n_minutes = max(1, int(np.ceil((to_s - from_s) / SECONDS_PER_MINUTE)))
    key = edge[rows] * n_minutes + np.clip(minute, 0, n_minutes - 1)
    seconds = np.bincount(
        key,
        weights=share[rows] * np.maximum(hi - lo, 0.0),
        minlength=len(crowd.walkways) * n_minutes,
    )
    first = np.floor(
        (np.clip(visits.enter_s[on_graph], from_s, to_s) - from_s) / SECONDS_PER_MINUTE
    )
    first = first.astype(np.int64)
    entered_key = edge * n_minutes + np.clip(first, 0, n_minutes - 1)
    inside = visits.enter_s[on_graph] >= from_s
    entered = np.bincount(entered_key[inside], minlength=seconds.size)
    holds = crowd.holds
    held = (holds.joined_s >= from_s) & (holds.joined_s < to_s)
    held_minute = np.floor((holds.joined_s[held] - from_s) / SECONDS_PER_MINUTE).astype(np.int64)
    held_key = holds.walkway[held] * n_minutes + held_minute
    held_back = np.bincount(held_key, minlength=seconds.size)
    held_s = np.bincount(held_key, weights=holds.wait_s[held], minlength=seconds.size)
    cells = np.flatnonzero((seconds > 0) | (held_back > 0))
    walkway, minute_index = np.divmod(cells, n_minutes)
    area = crowd.walkways.area_m2[walkway]
    return MinuteDensity(
        walkway=walkway.astype(np.int64),
        minute_s=from_s + minute_index * SECONDS_PER_MINUTE,
        density_ped_m2=seconds[cells] / SECONDS_PER_MINUTE / area,
        entered=entered[cells].astype(np.int64),
        held_back=held_back[cells].astype(np.int64),
        mean_hold_s=held_s[cells] / np.maximum(held_back[cells], 1),
    )


def minute_queues(crowd: CrowdResult, *, from_s: float) -> MinuteQueues:
    """Passages, longest queue and mean wait per bottleneck and minute from ``from_s`` (s)."""
    queues = crowd.queues
    keep = queues.joined_s >= from_s
    minute = np.floor((queues.joined_s[keep] - from_s) / SECONDS_PER_MINUTE).astype(np.int64)
    bottleneck = queues.bottleneck[keep]
    if minute.size == 0:
        ints, floats = np.empty(0, np.int64), np.empty(0)
        return MinuteQueues(ints, floats, ints, ints, floats)
    n_minutes = int(minute.max()) + 1
    key = bottleneck * n_minutes + minute
    size = (int(bottleneck.max()) + 1) * n_minutes
    passed = np.bincount(key, minlength=size)
    waits = np.bincount(key, weights=queues.wait_s[keep], minlength=size)
    longest = np.zeros(size, dtype=np.int64)
    np.maximum.at(longest, key, queues.ahead[keep])
    cells = np.flatnonzero(passed > 0)
    which, minute_index = np.divmod(cells, n_minutes)
    return MinuteQueues(
        bottleneck=which.astype(np.int64),
        minute_s=from_s + minute_index * SECONDS_PER_MINUTE,
        passed=passed[cells].astype(np.int64),
        max_queue=longest[cells],
        mean_wait_s=waits[cells] / passed[cells],
    )
