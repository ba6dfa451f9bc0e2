"""Schedules: when each request is meant to leave, and which probes it carries.

Two kinds:

- **replay**: the site's own captures for a window, in simulated time, compressed by ``speed``
  (10 replays an hour in six minutes, at ten times the load). Each camera's edge device sends either
  one request per capture (a track's frames together, at its best moment) or per-camera
  micro-batches (`twin.scenario.LoadtestConfig`): a batch opens with its first capture and leaves
  when it holds ``edge_max_batch_probes`` probes or its first capture has waited
  ``edge_max_wait_ms``. The device's wait is wall time, so it applies after compression;
- **constant rate**: Poisson arrivals at a rate (exponential gaps), one probe per request.

Times are seconds after the start of the step; the sender adds its own start. A schedule is what the
sender is asked to do, whatever the server makes of it: it is open loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NO_CAMERA = -1


@dataclass(frozen=True)
class Schedule:
    """Requests in intended-send order; request ``r`` carries pool rows
    ``probe_rows[probe_offsets[r]:probe_offsets[r + 1]]``."""

    intended_s: FloatArray  # seconds after the step starts, sorted
    probe_offsets: IntArray  # (requests + 1,)
    probe_rows: IntArray  # rows of the probe pool
    camera: IntArray  # the sending camera's index, NO_CAMERA for constant-rate steps
    span_s: float  # the stretch of time the schedule covers (s), from 0

    def __post_init__(self) -> None:
        if len(self.probe_offsets) != len(self.intended_s) + 1 or len(self.camera) != len(
            self.intended_s
        ):
            raise ValueError("a schedule needs one offset per request plus one, one camera each")
        if len(self.intended_s) and np.any(np.diff(self.intended_s) < 0):
            raise ValueError("intended send times must be sorted")

    @property
    def requests(self) -> int:
        """Requests to send."""
        return len(self.intended_s)

    @property
    def probes(self) -> int:
        """Probes they carry."""
        return int(self.probe_offsets[-1])

    @property
    def probes_per_request(self) -> IntArray:
        """Probes in each request."""
        return np.diff(self.probe_offsets)

    @property
    def request_rate_per_s(self) -> float:
        """Mean offered rate over the span (requests per second)."""
        return self.requests / self.span_s if self.span_s > 0 else 0.0

    @property
    def probe_rate_per_s(self) -> float:
        """Mean offered rate over the span (probes per second)."""
        return self.probes / self.span_s if self.span_s > 0 else 0.0

    def probe_arrival_s(self) -> FloatArray:
        """Each probe's request's intended send time (s): when it reaches the matcher's queue."""
        return np.repeat(self.intended_s, self.probes_per_request)


def poisson_schedule(
    rate_per_s: float, duration_s: float, *, pool_size: int, rng: np.random.Generator
) -> Schedule:
    """Single-probe requests at Poisson arrivals of ``rate_per_s`` for ``duration_s`` seconds,
    each probe drawn from a pool of ``pool_size`` rows."""
    if rate_per_s <= 0 or duration_s <= 0 or pool_size < 1:
        raise ValueError("rate, duration and pool size must be positive")
    expected = rate_per_s * duration_s
    draws = int(expected + 6.0 * np.sqrt(expected) + 16)
    times = np.cumsum(rng.exponential(1.0 / rate_per_s, size=draws))
    while times[-1] < duration_s:  # vanishingly rare: more arrivals than six sigma
        extra = np.cumsum(rng.exponential(1.0 / rate_per_s, size=draws)) + times[-1]
        times = np.concatenate([times, extra])
    times = times[times < duration_s]
    n = len(times)
    return Schedule(
        intended_s=times.astype(np.float64),
        probe_offsets=np.arange(n + 1, dtype=np.int64),
        probe_rows=rng.integers(0, pool_size, size=n).astype(np.int64),
        camera=np.full(n, NO_CAMERA, dtype=np.int64),
        span_s=float(duration_s),
    )


def replay_schedule(
    capture_s: FloatArray,
    camera: IntArray,
    probe_rows: IntArray,
    *,
    frames: int,
    window_start_s: float,
    window_end_s: float,
    speed: float,
    edge_batching: str,
    edge_max_batch_probes: int,
    edge_max_wait_s: float,
) -> Schedule:
    """The window's captures as requests.

    ``capture_s`` (seconds after midnight, sorted) and ``camera`` per capture; ``probe_rows`` holds
    ``frames`` consecutive pool rows per capture. Times are compressed by ``speed``; then each
    camera's edge device sends per capture, or in micro-batches of at most
    ``edge_max_batch_probes`` probes waiting at most ``edge_max_wait_s`` (wall seconds).
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    n = len(capture_s)
    if len(camera) != n or len(probe_rows) != n * frames:
        raise ValueError("one camera per capture and `frames` probe rows per capture")
    at_s = (np.asarray(capture_s, dtype=np.float64) - window_start_s) / speed
    span_s = (window_end_s - window_start_s) / speed
    rows = np.asarray(probe_rows, dtype=np.int64).reshape(n, frames)
    if edge_batching == "per_capture":
        order = np.argsort(at_s, kind="stable")
        return Schedule(
            intended_s=at_s[order],
            probe_offsets=np.arange(0, (n + 1) * frames, frames, dtype=np.int64)[: n + 1],
            probe_rows=rows[order].ravel(),
            camera=np.asarray(camera, dtype=np.int64)[order],
            span_s=span_s,
        )
    if edge_batching != "micro_batch":
        raise ValueError(f"unknown edge batching {edge_batching!r}")
    send_s, members = _edge_batches(
        at_s, np.asarray(camera), frames, edge_max_batch_probes, edge_max_wait_s
    )
    order = np.argsort(send_s, kind="stable")
    counts = np.array([len(members[i]) * frames for i in order], dtype=np.int64)
    chosen = [rows[members[i]].ravel() for i in order]
    return Schedule(
        intended_s=np.asarray(send_s, dtype=np.float64)[order],
        probe_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        probe_rows=np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64),
        camera=np.array([camera[members[i][0]] for i in order], dtype=np.int64),
        span_s=span_s,
    )


def _edge_batches(
    at_s: FloatArray, camera: IntArray, frames: int, max_probes: int, max_wait_s: float
) -> tuple[list[float], list[IntArray]]:
    """Per camera, captures merged into batches: each batch's send time and its capture indices."""
    per_batch = max(1, max_probes // frames)  # captures per batch (a capture is never split)
    send_s: list[float] = []
    members: list[IntArray] = []
    order = np.lexsort((at_s, camera))
    for cam in np.unique(camera):
        mine = order[camera[order] == cam]
        times = at_s[mine]
        start = 0
        while start < len(mine):
            deadline_s = times[start] + max_wait_s
            stop = int(np.searchsorted(times, deadline_s, side="right"))
            stop = min(stop, start + per_batch, len(mine))
            full = stop - start == per_batch
            send_s.append(float(times[stop - 1]) if full else float(deadline_s))
            members.append(mine[start:stop])
            start = stop
    return send_s, members
