"""Schedules: Poisson arrivals at a rate, and the site's captures replayed as each camera sends them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.loadtest.schedule import NO_CAMERA, poisson_schedule, replay_schedule


def test_poisson_arrivals_have_the_rate_asked_for() -> None:
    schedule = poisson_schedule(500.0, 20.0, pool_size=64, rng=np.random.default_rng(1))
    assert schedule.requests == pytest.approx(10_000, rel=0.05)
    assert np.all(np.diff(schedule.intended_s) >= 0)
    assert schedule.intended_s.min() >= 0 and schedule.intended_s.max() < 20.0
    gaps = np.diff(schedule.intended_s)
    assert gaps.mean() == pytest.approx(1 / 500, rel=0.05)
    assert gaps.std() == pytest.approx(gaps.mean(), rel=0.1)  # exponential: sd = mean
    assert schedule.probes == schedule.requests and set(schedule.camera) == {NO_CAMERA}
    assert schedule.probe_rows.min() >= 0 and schedule.probe_rows.max() < 64


def _captures(seed: int, n: int, cameras: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(8 * 3600, 8 * 3600 + 600, size=n))
    return times, rng.integers(0, cameras, size=n)


def test_replay_per_capture_compresses_time() -> None:
    times, cameras = _captures(2, 50, 3)
    rows = np.arange(100, dtype=np.int64)  # two frames per capture
    schedule = replay_schedule(
        times, cameras, rows, frames=2, window_start_s=8 * 3600, window_end_s=8 * 3600 + 600,
        speed=10, edge_batching="per_capture", edge_max_batch_probes=8, edge_max_wait_s=0.1,
    )  # fmt: skip
    assert schedule.span_s == pytest.approx(60.0)
    np.testing.assert_allclose(schedule.intended_s, (times - 8 * 3600) / 10)
    assert schedule.requests == 50 and schedule.probes == 100
    assert list(schedule.probe_rows[:4]) == [0, 1, 2, 3]  # a capture's frames travel together
    np.testing.assert_array_equal(schedule.camera, cameras)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 200),
    cameras=st.integers(1, 5),
    frames=st.integers(1, 3),
    max_probes=st.integers(1, 12),
    max_wait_s=st.floats(0.0, 5.0),
)
def test_edge_micro_batches_keep_every_capture_once_and_respect_the_limits(
    seed: int, n: int, cameras: int, frames: int, max_probes: int, max_wait_s: float
) -> None:
    times, camera = _captures(seed, n, cameras)
    rows = np.arange(n * frames, dtype=np.int64)
    at_s = (times - 8 * 3600) / 10
    schedule = replay_schedule(
        times, camera, rows, frames=frames, window_start_s=8 * 3600, window_end_s=8 * 3600 + 600,
        speed=10, edge_batching="micro_batch", edge_max_batch_probes=max_probes,
        edge_max_wait_s=max_wait_s,
    )  # fmt: skip
    assert sorted(schedule.probe_rows.tolist()) == rows.tolist()  # each probe exactly once
    assert np.all(np.diff(schedule.intended_s) >= 0)
    sizes = schedule.probes_per_request
    assert np.all(sizes <= max(max_probes, frames)) and np.all(sizes % frames == 0)
    for r in range(schedule.requests):
        members = schedule.probe_rows[schedule.probe_offsets[r] : schedule.probe_offsets[r + 1]]
        captures = np.unique(members // frames)
        assert set(camera[captures]) == {schedule.camera[r]}  # one camera per batch
        first, last = at_s[captures].min(), at_s[captures].max()
        assert last - 1e-9 <= schedule.intended_s[r] <= first + max_wait_s + 1e-9


def test_a_lone_capture_waits_the_edge_maximum() -> None:
    schedule = replay_schedule(
        np.array([100.0]), np.array([0]), np.array([0]), frames=1, window_start_s=0.0,
        window_end_s=200.0, speed=1.0, edge_batching="micro_batch", edge_max_batch_probes=4,
        edge_max_wait_s=0.25,
    )  # fmt: skip
    assert schedule.intended_s.tolist() == [100.25]
