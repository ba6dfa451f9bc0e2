from __future__ import annotations

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.recognition.pipeline import run_pipeline


def constant(seconds: float):  # type: ignore[no-untyped-def]
    return lambda batch: seconds


def test_lone_probe_waits_max_wait_then_is_served() -> None:
    result = run_pipeline(
        np.array([10.0]), max_batch=8, max_wait_s=0.02, service_time=constant(0.005)
    )
    assert result.start_s[0] == pytest.approx(10.02)
    assert result.latency_s[0] == pytest.approx(0.025)
    assert result.batch_size[0] == 1


def test_full_batch_goes_without_waiting() -> None:
    arrivals = np.full(4, 5.0)
    result = run_pipeline(arrivals, max_batch=4, max_wait_s=1.0, service_time=constant(0.01))
    assert np.all(result.start_s == 5.0)
    assert np.all(result.batch_size == 4)
    assert len(set(result.batch_id.tolist())) == 1


def test_backlog_builds_when_service_is_slower_than_arrivals() -> None:
    arrivals = np.arange(100) * 0.001  # 1,000 per second
    result = run_pipeline(arrivals, max_batch=1, max_wait_s=0.0, service_time=constant(0.002))
    # one at a time, 2 ms each: the last waits about 100 ms
    assert result.latency_s[-1] == pytest.approx(100 * 0.002 - 99 * 0.001, rel=1e-6)
    assert result.depth.max() >= 40
    assert result.busy_s == pytest.approx(0.2)


def test_batching_absorbs_the_same_load() -> None:
    arrivals = np.arange(100) * 0.001
    result = run_pipeline(arrivals, max_batch=32, max_wait_s=0.0, service_time=constant(0.002))
    assert result.latency_s.max() < 0.01
    assert result.batch_size.max() > 1


def test_service_time_sees_the_batch_it_serves() -> None:
    seen: list[int] = []

    def service(batch: np.ndarray) -> float:
        seen.extend(batch.tolist())
        return 0.001 * len(batch)

    arrivals = np.sort(np.random.default_rng(3).uniform(0, 1, 500))
    result = run_pipeline(arrivals, max_batch=16, max_wait_s=0.005, service_time=service)
    assert sorted(seen) == list(range(500))
    np.testing.assert_allclose(result.service_s, 0.001 * result.batch_size)


@settings(max_examples=30, deadline=None)
@given(
    gaps=st.lists(st.floats(0.0, 0.05), min_size=1, max_size=200),
    max_batch=st.integers(1, 64),
    max_wait_ms=st.floats(0.0, 50.0),
    service_ms=st.floats(0.01, 20.0),
)
def test_invariants(
    gaps: list[float], max_batch: int, max_wait_ms: float, service_ms: float
) -> None:
    arrivals = np.cumsum(gaps)
    result = run_pipeline(
        arrivals,
        max_batch=max_batch,
        max_wait_s=max_wait_ms / 1000,
        service_time=constant(service_ms / 1000),
    )
    assert np.all(result.start_s >= arrivals - 1e-12)
    assert np.all(result.done_s > result.start_s)
    assert np.all(result.batch_size <= max_batch)
    assert np.all(result.batch_size >= 1)
    # first come, first served: batches start in arrival order
    assert np.all(np.diff(result.start_s) >= -1e-12)
    # a batch starts no later than its oldest probe's max wait, or the moment the worker is free
    previous_done = -np.inf
    for batch in np.unique(result.batch_id):
        members = np.flatnonzero(result.batch_id == batch)
        oldest = arrivals[members].min()
        began = result.start_s[members[0]]
        assert began <= max(oldest + max_wait_ms / 1000, previous_done) + 1e-9
        previous_done = result.done_s[members[0]]


def test_unsorted_arrivals_are_refused() -> None:
    with pytest.raises(ValueError, match="sorted"):
        run_pipeline(
            np.array([2.0, 1.0]), max_batch=2, max_wait_s=0.0, service_time=constant(0.001)
        )


def test_worker_waiting_for_a_deadline_wakes_as_soon_as_the_batch_fills() -> None:
    # The first two fill a batch long before the first's 1 s deadline; so do the next two, the
    # first of which came while the worker was busy.
    arrivals = np.array([0.0, 0.1, 0.55, 0.8, 3.0])
    result = run_pipeline(arrivals, max_batch=2, max_wait_s=1.0, service_time=constant(0.5))
    np.testing.assert_array_equal(result.start_s, [0.1, 0.1, 0.8, 0.8, 4.0])
    np.testing.assert_array_equal(result.batch_id, [0, 0, 1, 1, 2])


def test_an_early_fill_leaves_no_wake_up_behind() -> None:
    # The filled batch's deadline (1 s) passes while a later face waits for its own: the worker
    # must not be resumed by the first deadline.
    arrivals = np.array([0.0, 0.01, 0.9])
    result = run_pipeline(arrivals, max_batch=2, max_wait_s=1.0, service_time=constant(0.05))
    np.testing.assert_array_equal(result.start_s, [0.01, 0.01, 1.9])


@pytest.mark.parametrize(
    ("arrivals_64ths", "first_service_s", "batch_id"),
    [
        # The face after the one that armed the deadline arrives at the deadline: it joins.
        ([0, 2], 1.0, [0, 0]),
        # Several at the deadline: the one pending when the deadline falls joins, the rest wait.
        ([0, 1, 2, 2, 2], 1.0, [0, 0, 0, 1, 1]),
        # The face pending since the first armed the deadline joins, and so does the next one.
        ([0, 2, 2, 2, 2], 1.0, [0, 0, 0, 1, 1]),
        # A deadline the worker armed on finishing a batch: one pending at the deadline joins.
        ([0, 5, 7, 7, 7], 1 / 16, [0, 1, 1, 1, 2]),
    ],
)
def test_faces_captured_at_a_deadline_are_ordered_as_documented(
    arrivals_64ths: list[int], first_service_s: float, batch_id: list[int]
) -> None:
    arrivals = np.array(arrivals_64ths) / 64  # exact: ties are real ties

    def service(batch: np.ndarray) -> float:
        return first_service_s if batch[0] == 0 else 1.0

    result = run_pipeline(arrivals, max_batch=8, max_wait_s=1 / 32, service_time=service)
    np.testing.assert_array_equal(result.batch_id, batch_id)


def test_a_batch_filled_at_its_deadline_goes_before_the_next_face_at_that_instant() -> None:
    result = run_pipeline(
        np.array([0.0, 1 / 32, 1 / 32]), max_batch=2, max_wait_s=1 / 32, service_time=constant(1.0)
    )
    np.testing.assert_array_equal(result.batch_id, [0, 0, 1])
    # queued: the first, the second (batch full), the batch taken, the third; its batch taken
    np.testing.assert_array_equal(result.depth, [1, 2, 0, 1, 0])
    np.testing.assert_array_equal(result.depth_time_s, [0.0, 1 / 32, 1 / 32, 1 / 32, 1 + 1 / 32])


def test_a_lone_face_costs_three_events(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its capture, its batch's deadline (an event scheduled as its own timer) and its service.
    processed: list[simpy.Event] = []

    class Counting(simpy.Environment):
        def step(self) -> None:
            if self._queue:
                processed.append(self._queue[0][3])
            super().step()

    monkeypatch.setattr(simpy, "Environment", Counting)
    run_pipeline(np.array([10.0]), max_batch=8, max_wait_s=0.02, service_time=constant(0.005))
    steps = [event for event in processed if not isinstance(event, simpy.events.Initialize)]
    assert [type(event) for event in steps] == [
        simpy.Timeout,
        simpy.Process,  # the capture process ending: nothing waits for it
        simpy.Event,
        simpy.Timeout,
    ]


def test_batches_are_handed_read_only_index_views() -> None:
    def service(batch: np.ndarray) -> float:
        with pytest.raises(ValueError):
            batch[0] = -1
        return 0.001

    result = run_pipeline(np.arange(10.0), max_batch=4, max_wait_s=0.0, service_time=service)
    np.testing.assert_array_equal(result.batch_size, np.ones(10))
