"""The recognition pipeline, in simulated time (SimPy): capture queue, micro-batches, one matcher worker.

Captured faces join a queue as they are captured. One matcher worker takes them in micro-batches: when
it is free and a face is waiting, it waits until either ``max_batch`` faces are queued or the oldest
has waited ``max_wait_s``, then searches the batch (at most ``max_batch``). While it works, the queue
grows. Each batch's service time is real: either the measured wall time of that batch's own matcher
call, or a time drawn from the real matcher's timings measured on this machine at that batch size
(`twin.matcher.timing`); see `ServiceTime`. So a face's latency is queueing plus real compute, and the
queue's depth is a real consequence of the site's load.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import simpy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROGRESS_STEP_S = 600.0


class ServiceTime(Protocol):
    """How long the matcher takes for one micro-batch (seconds). ``batch`` holds search indices."""

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


@dataclass
class _WorkerState:
    """The worker's pending wake-up, what it waits for ("first" face or a "fill"ed batch), busy time."""

    wake: simpy.Event | None = None
    waiting_for: str | None = None
    busy_s: float = 0.0

    def wait(self, env: simpy.Environment, waiting_for: str) -> simpy.Event:
        """A fresh event the worker sleeps on until a face arrives or a batch fills."""
        self.wake = env.event()
        self.waiting_for = waiting_for
        return self.wake


def _wake(event: simpy.Event, _: simpy.Event) -> None:
    """Wake the worker sleeping on ``event`` unless something woke it already."""
    if not event.triggered:
        event.succeed()


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
    # Per search, as plain lists: most batches hold a face or two, which numpy would index slower.
    start = [0.0] * n
    done = [0.0] * n
    batch_of = [0] * n
    size_of = [0] * n
    depth_time: list[float] = []
    depth: list[int] = []
    arrivals = arrival_s.tolist()
    env = simpy.Environment(initial_time=arrivals[0] if n else 0.0)
    queue: deque[int] = deque()
    worker_state = _WorkerState()

    def wake_worker() -> None:
        event = worker_state.wake
        if event is not None and not event.triggered:
            event.succeed()

    def captures() -> Generator[simpy.Event, object, None]:
        for index, at in enumerate(arrivals):
            yield env.timeout(max(0.0, at - env.now))
            queue.append(index)
            depth_time.append(env.now)
            depth.append(len(queue))
            waiting_for = worker_state.waiting_for
            if waiting_for == "first" or (waiting_for == "fill" and len(queue) >= max_batch):
                wake_worker()

    def worker() -> Generator[simpy.Event, object, None]:
        batch_id = 0
        while True:
            if not queue:
                yield worker_state.wait(env, "first")
            deadline = arrivals[queue[0]] + max_wait_s
            if len(queue) < max_batch and env.now < deadline:
                # Woken by a full batch or by the oldest face's deadline, whichever comes first.
                filled = worker_state.wait(env, "fill")
                env.timeout(deadline - env.now).callbacks.append(partial(_wake, filled))
                yield filled
            worker_state.waiting_for = None
            members = [queue.popleft() for _ in range(min(max_batch, len(queue)))]
            depth_time.append(env.now)
            depth.append(len(queue))
            began = env.now
            took_s = float(service_time(np.array(members, dtype=np.int64)))
            yield env.timeout(took_s)
            worker_state.busy_s += took_s
            finished, size = env.now, len(members)
            for index in members:
                start[index] = began
                done[index] = finished
                batch_of[index] = batch_id
                size_of[index] = size
            batch_id += 1

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
    return PipelineResult(
        arrival_s=np.asarray(arrival_s, dtype=np.float64),
        start_s=np.asarray(start, dtype=np.float64),
        done_s=np.asarray(done, dtype=np.float64),
        batch_id=np.asarray(batch_of, dtype=np.int64),
        batch_size=np.asarray(size_of, dtype=np.int64),
        depth_time_s=np.asarray(depth_time, dtype=np.float64),
        depth=np.asarray(depth, dtype=np.int64),
        busy_s=worker_state.busy_s,
    )
