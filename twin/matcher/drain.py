"""How fast the search queue drains, measured: the basis of an honest ``Retry-After``.

The worker reports every search call it makes (probes answered); this keeps those reports for the
last `WINDOW_S` seconds of wall-clock time and turns them into probes answered per second. A client
told "queue full" is asked to come back after the time the queue now waiting takes to drain at that
rate, rounded up to whole seconds and kept within [`MIN_RETRY_S`, `MAX_RETRY_S`].
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

WINDOW_S: Final = 5.0  # wall-clock window over which the drain rate is measured
MIN_RETRY_S: Final = 1  # Retry-After is whole seconds (RFC 9110 10.2.3), at least 1
MAX_RETRY_S: Final = 60  # beyond a minute the estimate says little; clients should back off anyway


class DrainRate:
    """Probes answered per second over the last `WINDOW_S` seconds (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._batches: deque[tuple[float, int]] = deque()  # (finished at, probes answered)
        self._probes_in_window = 0

    def observe(self, probes: int) -> None:
        """Record one search call that answered ``probes`` probes just now."""
        now_s = self._clock()
        with self._lock:
            self._batches.append((now_s, probes))
            self._probes_in_window += probes
            self._forget(now_s)

    def probes_per_s(self) -> float | None:
        """Measured drain rate, or None before any search in the window."""
        now_s = self._clock()
        with self._lock:
            self._forget(now_s)
            if not self._batches:
                return None
            span_s = max(now_s - self._batches[0][0], 0.05)
            return self._probes_in_window / span_s if len(self._batches) > 1 else None

    def retry_after_s(self, queued_probes: int) -> int:
        """Whole seconds until ``queued_probes`` drain at the measured rate."""
        rate = self.probes_per_s()
        if rate is None or rate <= 0:
            return MIN_RETRY_S
        return int(min(MAX_RETRY_S, max(MIN_RETRY_S, math.ceil(queued_probes / rate))))

    def _forget(self, now_s: float) -> None:
        while self._batches and now_s - self._batches[0][0] > WINDOW_S:
            _, probes = self._batches.popleft()
            self._probes_in_window -= probes
