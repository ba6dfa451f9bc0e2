"""The recognition pipeline, in simulated time (SimPy): capture queue, micro-batches, one matcher worker.

Captured faces join a queue as they are captured. One matcher worker takes them in micro-batches: when
it is free and a face is waiting, it waits until either ``max_batch`` faces are queued or the oldest
has waited ``max_wait_s``, then searches the batch (at most ``max_batch``). While it works, the queue
grows. Each batch's service time is real: either the measured wall time of that batch's own matcher
call, or a time drawn from the real matcher's timings measured on this machine at that batch size
(`twin.matcher.timing`); see `ServiceTime`. So a face's latency is queueing plus real compute, and the
queue's depth is a real consequence of the site's load.

Events: a capture process holds one timeout per face; the worker holds one timeout per batch's
service and sleeps on one event per batch, scheduled for the batch's deadline (the oldest face's
arrival plus ``max_wait_s``) so that it is its own timer. A face that comes to an idle worker arms
that deadline from the capture process; the worker arms it when a face is already waiting as it
finishes a batch. If the batch fills first, the capture process resumes the worker now through a
fresh event that takes over the sleeping event's callbacks (which is then processed with none).
Faces captured at the very instant of a deadline are ordered as a deadline timeout that succeeds a
separate wake-up event would order them: the capture timeout pending when the deadline falls is
processed before the worker takes its batch, and so is, when a face's arrival armed the deadline,
the one pending since then (`let_deadline_arrivals_in`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
import simpy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROGRESS_STEP_S = 600.0


class ServiceTime(Protocol):
    """How long the matcher takes for one micro-batch (seconds). ``batch`` holds search indices
    (a read-only view)."""

    def __call__(self, batch: IntArray) -> float: ...


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """Per search: when its batch started and finished; per batch: size; the queue's depth over time."""

    arrival_s: FloatArray
    start_s: FloatArray  # when its batch went to the matcher
    done_s: FloatArray  # when its batch's answer came back
    batch_id: IntArray
    batch_size: IntArray
    depth_time_s: FloatArray  # queue depth samples: time ...
    depth: IntArray  # ... and faces waiting (not yet in the matcher) just after that time
    busy_s: float  # total time the worker spent searching

    def per_track(self, frames: int) -> PipelineResult:
        """Reduce per-probe rows to per-track rows (``frames`` consecutive probes per track): a track
        is decided when its last frame is answered."""
        if frames == 1:
            return self

        def by_track(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return values.reshape(-1, frames)

        return PipelineResult(
            arrival_s=by_track(self.arrival_s).min(axis=1),
            start_s=by_track(self.start_s).min(axis=1),
            done_s=by_track(self.done_s).max(axis=1),
            batch_id=by_track(self.batch_id).max(axis=1),
            batch_size=by_track(self.batch_size).max(axis=1),
            depth_time_s=self.depth_time_s,
            depth=self.depth,
            busy_s=self.busy_s,
        )

    @property
    def latency_s(self) -> FloatArray:
        """Capture to decision: queueing plus service (seconds)."""
        return self.done_s - self.arrival_s

    @property
    def service_s(self) -> FloatArray:
        """Each search's batch service time (seconds)."""
        return self.done_s - self.start_s


#: Why the sleeping worker was resumed: its batch's deadline came (its wake-up event, scheduled for
#: the deadline, was processed), or it is to take a batch now (a face came to an idle worker that
#: need not wait, or the batch filled before the deadline).
_DEADLINE: Final = "deadline"
_NOW: Final = "now"


def run_pipeline(
    arrival_s: FloatArray,
    *,
    max_batch: int,
    max_wait_s: float,
    service_time: ServiceTime,
    on_progress: Callable[[float], None] | None = None,
) -> PipelineResult:
    """Push searches arriving at ``arrival_s`` (sorted, seconds) through the queue and the worker."""
    n = len(arrival_s)
    if n and np.any(np.diff(arrival_s) < 0):
        raise ValueError("arrival_s must be sorted")
    arrivals = arrival_s.tolist()
    searches = np.arange(n, dtype=np.int64)
    searches.flags.writeable = False  # each batch is handed a view of its slice
    env = simpy.Environment(initial_time=arrivals[0] if n else 0.0)
    # The queue is first come, first served over search indices: searches [taken, arrived) wait.
    arrived = 0
    taken = 0
    depth_time: list[float] = []
    depth: list[int] = []
    # Per batch, in order (batches cover the searches in index order).
    batch_start: list[float] = []
    batch_done: list[float] = []
    batch_sizes: list[int] = []
    busy_s = 0.0
    # The event the worker sleeps on, and whether the capture process may resume it: "idle" (queue
    # empty: the next face arms its deadline or resumes it now), "filling" (scheduled for the
    # deadline: a full batch resumes it now) or None (nothing to do for the capture process).
    wake = env.event()
    waiting: str | None = None
    armed_at_arrived = -1  # ``arrived`` when a face armed the deadline; -1 when the worker did
    next_capture_s = math.inf  # when the capture process's pending timeout is due

    def arm(event: simpy.Event, deadline_s: float, now: float) -> None:
        """Schedule the worker's ``event`` for ``deadline_s``: triggered now, processed then (its
        own timer, as a Timeout is)."""
        event._ok = True
        event._value = _DEADLINE
        env.schedule(event, delay=deadline_s - now)

    def resume_now() -> None:
        """Resume the worker sleeping on ``wake`` (scheduled for its deadline) now: a fresh event
        takes over its callbacks; ``wake`` stays scheduled, with none."""
        nonlocal waiting
        at_once = env.event()
        at_once.callbacks, wake.callbacks = wake.callbacks, []
        at_once.succeed(_NOW)
        waiting = None

    def captures() -> Generator[simpy.Event, object, None]:
        nonlocal arrived, waiting, armed_at_arrived, next_capture_s
        timeout = env.timeout
        for at in arrivals:
            now = env.now
            delay = max(0.0, at - now)
            next_capture_s = now + delay  # the time Environment.schedule gives the timeout
            yield timeout(delay)
            now = env.now
            arrived += 1
            depth_time.append(now)
            depth.append(arrived - taken)
            if waiting == "filling":
                if arrived - taken >= max_batch:
                    resume_now()
            elif waiting == "idle":
                # The first face: the worker waits until its deadline unless the batch is already full.
                deadline_s = at + max_wait_s
                if max_batch > 1 and now < deadline_s:
                    arm(wake, deadline_s, now)
                    waiting = "filling"
                    armed_at_arrived = arrived
                else:
                    waiting = None
                    wake.succeed(_NOW)
        next_capture_s = math.inf

    def worker() -> Generator[simpy.Event, object, None]:
        nonlocal taken, wake, waiting, armed_at_arrived, busy_s
        timeout, event = env.timeout, env.event
        while True:
            if taken == arrived:
                wake = event()
                waiting = "idle"
                woken_by = yield wake
            else:
                now = env.now
                deadline_s = arrivals[taken] + max_wait_s
                if arrived - taken < max_batch and now < deadline_s:
                    wake = event()
                    arm(wake, deadline_s, now)
                    waiting = "filling"
                    armed_at_arrived = -1
                    woken_by = yield wake
                else:
                    woken_by = _NOW
            if woken_by == _DEADLINE:
                waiting = None
                if next_capture_s == env.now:  # a face arrives at the deadline's very instant
                    yield from let_deadline_arrivals_in()
            began = env.now
            size = min(max_batch, arrived - taken)
            first = taken
            taken += size
            depth_time.append(began)
            depth.append(arrived - taken)
            took_s = float(service_time(searches[first:taken]))
            yield timeout(took_s)
            busy_s += took_s
            batch_start.append(began)
            batch_done.append(env.now)
            batch_sizes.append(size)

    def let_deadline_arrivals_in() -> Generator[simpy.Event, object, None]:
        """At a deadline that a face's capture timeout shares, let the capture process run first as
        far as a deadline timeout followed by a wake-up event would (module docstring)."""
        now = env.now
        if armed_at_arrived == arrived:
            # The capture's timeout pending since this deadline was armed comes before it.
            yield env.event().succeed()
            if arrived - taken >= max_batch:
                return
        if next_capture_s == now:
            yield env.event().succeed()

    env.process(captures())
    env.process(worker())
    if on_progress is not None and n:
        clock = env.now
        while clock < arrivals[-1]:
            clock = min(clock + PROGRESS_STEP_S, arrivals[-1])
            env.run(until=clock)
            on_progress(clock)
    env.run()
    if on_progress is not None:
        on_progress(env.now)
    sizes = np.asarray(batch_sizes, dtype=np.int64)
    return PipelineResult(
        arrival_s=np.asarray(arrival_s, dtype=np.float64),
        start_s=np.repeat(np.asarray(batch_start, dtype=np.float64), sizes),
        done_s=np.repeat(np.asarray(batch_done, dtype=np.float64), sizes),
        batch_id=np.repeat(np.arange(len(sizes), dtype=np.int64), sizes),
        batch_size=np.repeat(sizes, sizes),
        depth_time_s=np.asarray(depth_time, dtype=np.float64),
        depth=np.asarray(depth, dtype=np.int64),
        busy_s=busy_s,
    )
