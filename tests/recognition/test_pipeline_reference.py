"""The pipeline against a plainer SimPy model of the same queue: a deadline timeout whose callback
succeeds a separate wake-up event. Arrivals and service times on a grid of powers of two make ties
exact (several faces at one instant, faces at a deadline or at a batch's end), where event order
decides the batches."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from functools import partial

import numpy as np
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.recognition.pipeline import run_pipeline

Service = Callable[[int], float]  # the service time (s) of the batch with this id


def counted(service: Service) -> Callable[[object], float]:
    """``service`` as the pipeline calls it: once per batch, in order."""
    calls = iter(range(1 << 30))
    return lambda _batch: service(next(calls))


def two_event_pipeline(
    arrivals: list[float], max_batch: int, max_wait_s: float, service: Service
) -> tuple[list[int], list[float], list[float], list[int]]:
    """Each face's batch and batch start (s), and the depth samples (times, depths), of the
    two-event model."""
    env = simpy.Environment(initial_time=arrivals[0])
    queue: deque[int] = deque()
    batch_of = [0] * len(arrivals)
    start = [0.0] * len(arrivals)
    depth_time: list[float] = []
    depth: list[int] = []
    wake: list[simpy.Event] = []
    waiting_for: list[str | None] = [None]

    def wait(kind: str) -> simpy.Event:
        wake[:] = [env.event()]
        waiting_for[0] = kind
        return wake[0]

    def succeed(event: simpy.Event, _: object = None) -> None:
        if not event.triggered:
            event.succeed()

    def captures() -> Generator[simpy.Event, object, None]:
        for index, at in enumerate(arrivals):
            yield env.timeout(max(0.0, at - env.now))
            queue.append(index)
            depth_time.append(env.now)
            depth.append(len(queue))
            kind = waiting_for[0]
            if kind == "first" or (kind == "fill" and len(queue) >= max_batch):
                succeed(wake[0])

    def worker() -> Generator[simpy.Event, object, None]:
        batch_id = 0
        while True:
            if not queue:
                yield wait("first")
            deadline = arrivals[queue[0]] + max_wait_s
            if len(queue) < max_batch and env.now < deadline:
                filled = wait("fill")
                env.timeout(deadline - env.now).callbacks.append(partial(succeed, filled))
                yield filled
            waiting_for[0] = None
            members = [queue.popleft() for _ in range(min(max_batch, len(queue)))]
            depth_time.append(env.now)
            depth.append(len(queue))
            began = env.now
            yield env.timeout(service(batch_id))
            for index in members:
                batch_of[index] = batch_id
                start[index] = began
            batch_id += 1

    env.process(captures())
    env.process(worker())
    env.run()
    return batch_of, start, depth_time, depth


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.sampled_from([0, 0, 1, 1, 2, 3, 8]), min_size=1, max_size=60),
    max_batch=st.integers(1, 5),
    wait_steps=st.integers(0, 4),
    service_steps=st.lists(st.sampled_from([1, 2, 3, 4, 6]), min_size=1, max_size=8),
)
def test_batches_and_depths_match_the_two_event_model(
    steps: list[int], max_batch: int, wait_steps: int, service_steps: list[int]
) -> None:
    grid_s = 1 / 64
    arrivals = (np.cumsum(steps) * grid_s).tolist()
    max_wait_s = wait_steps * grid_s

    def service(batch_id: int) -> float:
        return service_steps[batch_id % len(service_steps)] * grid_s

    batch_of, start, depth_time, depth = two_event_pipeline(
        arrivals, max_batch, max_wait_s, service
    )
    result = run_pipeline(
        np.array(arrivals),
        max_batch=max_batch,
        max_wait_s=max_wait_s,
        service_time=counted(service),
    )
    np.testing.assert_array_equal(result.batch_id, batch_of)
    np.testing.assert_array_equal(result.start_s, start)
    np.testing.assert_array_equal(result.depth_time_s, depth_time)
    np.testing.assert_array_equal(result.depth, depth)
