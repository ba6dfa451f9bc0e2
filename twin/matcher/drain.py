"""How fast the search queue drains, measured: the basis of an honest ``Retry-After``.

The worker reports every search call it makes (probes answered and the seconds the call took); this
keeps the calls that ended in the last `WINDOW_S` seconds of wall-clock time and turns them into
probes answered per second of search. A queue is full only while the worker searches back to back,
so that is the rate at which it drains; a wall-clock rate would count the gaps of a quieter moment
before the queue filled, or the seconds inside one long call, and overstate the wait. A client told
"queue full" is asked to come back after the time the queue now waiting takes to drain at that rate,
rounded up to whole seconds and kept within [`MIN_RETRY_S`, `MAX_RETRY_S`].
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

WINDOW_S: Final = (
    2.0  # wall-clock window: long enough for a few batches, short enough to follow load
)
MIN_RETRY_S: Final = 1  # Retry-After is whole seconds (RFC 9110 10.2.3), at least 1
MAX_RETRY_S: Final = 60  # beyond a minute the estimate says little; clients should back off anyway


class DrainRate:
    """Probes answered per second over the last `WINDOW_S` seconds (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._batches: deque[tuple[float, int, float]] = deque()  # (ended at, probes, search s)
        self._probes_in_window = 0
        self._search_s_in_window = 0.0

    def observe(self, probes: int, search_s: float) -> None:
        """Record one search call that just answered ``probes`` probes in ``search_s`` seconds."""
        now_s = self._clock()
        with self._lock:
            self._batches.append((now_s, probes, search_s))
            self._probes_in_window += probes
            self._search_s_in_window += search_s
            self._forget(now_s)

    def probes_per_s(self) -> float | None:
        """Measured drain rate, or None before any search in the window."""
        now_s = self._clock()
        with self._lock:
            self._forget(now_s)
            if not self._batches or self._search_s_in_window <= 0:
                return None
            return self._probes_in_window / self._search_s_in_window

    def retry_after_s(self, queued_probes: int) -> int:
        """Whole seconds until ``queued_probes`` drain at the measured rate."""
        rate = self.probes_per_s()
        if rate is None or rate <= 0:
            return MIN_RETRY_S
        return int(min(MAX_RETRY_S, max(MIN_RETRY_S, math.ceil(queued_probes / rate))))

    def _forget(self, now_s: float) -> None:
        while self._batches and now_s - self._batches[0][0] > WINDOW_S:
            _, probes, search_s = self._batches.popleft()
            self._probes_in_window -= probes
            self._search_s_in_window -= search_s
