from __future__ import annotations

import numpy as np
import pytest
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
