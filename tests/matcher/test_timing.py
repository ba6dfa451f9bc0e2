"""Service times: measured from real searches, drawn and interpolated for the simulation."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.matcher import Matcher, MatcherInputError, ServiceTimeTable, measure_service_times
from twin.matcher.timing import MAX_BLOCK, ServiceTimeDraws


def _table() -> ServiceTimeTable:
    return ServiceTimeTable(
        batch_sizes=(1, 4, 16),
        samples_s=((0.003, 0.001, 0.002), (0.004, 0.006, 0.005), (0.020, 0.010, 0.030)),
        metadata={"backend": "flat"},
    )


class _CountingMatcher:
    """Stands in for a matcher and records the batch sizes it was asked to search."""

    dim = 8

    def __init__(self) -> None:
        self.calls: list[int] = []

    def search(self, probes: np.ndarray, k: int = 1) -> None:
        assert probes.dtype == np.float32 and probes.flags.c_contiguous
        np.testing.assert_allclose(np.linalg.norm(probes, axis=1), 1.0, rtol=1e-5)
        self.calls.append(probes.shape[0])
        time.sleep(0.01 * probes.shape[0])


def test_measures_real_searches_at_every_batch_size() -> None:
    rng = np.random.default_rng(1)
    gallery = rng.standard_normal((10_000, 512), dtype=np.float32)
    matcher = Matcher(512)
    matcher.add(np.arange(10_000, dtype=np.int64), gallery)
    began = time.perf_counter()
    table = measure_service_times(matcher, repeats=3, rng=rng)
    elapsed_s = time.perf_counter() - began
    assert table.batch_sizes == (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
    assert all(len(s) == 3 and min(s) > 0 for s in table.samples_s)
    assert table.metadata == {"k": 1, "repeats": 3, "backend": "flat", "gallery_size": 10_000}
    # 1,024 probes x 10,000 x 512 dims is 10 GFLOP: far slower than one probe on any machine.
    assert table.median_s(1024) > 5 * table.median_s(1)
    # The issue budgets ~2 s on an idle machine; this bound only catches hangs on a shared one.
    assert elapsed_s < 20


def test_each_size_is_searched_once_to_warm_up_then_repeats_times() -> None:
    matcher = _CountingMatcher()
    table = measure_service_times(matcher, (4, 1, 4, 2), repeats=3, rng=np.random.default_rng(0))
    assert table.batch_sizes == (1, 2, 4)
    assert sorted(matcher.calls) == sorted([1, 2, 4] * 4)
    assert table.median_s(4) > table.median_s(1)


def test_sample_at_a_measured_size_is_one_of_its_measurements() -> None:
    table = _table()
    rng = np.random.default_rng(3)
    draws = {table.sample_s(4, rng) for _ in range(200)}
    assert draws == {0.004, 0.005, 0.006}


def test_sample_between_sizes_interpolates_between_neighbours() -> None:
    table = _table()
    rng = np.random.default_rng(4)
    draws = [table.sample_s(10, rng) for _ in range(500)]
    assert min(draws) >= 0.004 and max(draws) <= 0.030
    # halfway from 4 to 16: the median is halfway between the medians 0.005 and 0.020
    assert table.median_s(10) == pytest.approx(0.0125)


def test_sizes_beyond_the_table_scale_or_clamp() -> None:
    table = _table()
    assert table.median_s(32) == pytest.approx(2 * 0.020)
    assert table.median_s(1) == pytest.approx(0.002)


def test_round_trips_through_json() -> None:
    table = _table()
    again = ServiceTimeTable.from_dict(json.loads(json.dumps(table.to_dict())))
    assert again == table


@pytest.mark.parametrize(
    "data",
    [
        {"batch_sizes": [1, 2], "samples_s": [[0.1]]},
        {"batch_sizes": [2, 1], "samples_s": [[0.1], [0.2]]},
        {"batch_sizes": [1], "samples_s": [[]]},
        {"samples_s": [[0.1]]},
    ],
)
def test_malformed_tables_are_refused(data) -> None:
    with pytest.raises(MatcherInputError):
        ServiceTimeTable.from_dict(data)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(MatcherInputError, match="repeats"):
        measure_service_times(_CountingMatcher(), repeats=0, rng=np.random.default_rng(0))
    with pytest.raises(MatcherInputError, match="batch sizes"):
        measure_service_times(_CountingMatcher(), (0, 4), repeats=1, rng=np.random.default_rng(0))
    with pytest.raises(MatcherInputError, match="at least 1"):
        _table().median_s(0)


@given(st.integers(1, 64), st.integers(0, 2**32 - 1))
def test_draws_are_reproducible_and_bounded(batch_size, seed) -> None:
    table = _table()
    first = [table.sample_s(batch_size, np.random.default_rng(seed)) for _ in range(3)]
    second = [table.sample_s(batch_size, np.random.default_rng(seed)) for _ in range(3)]
    assert first == second
    low = 0.001
    high = 0.030 * max(1.0, batch_size / 16)
    assert all(low <= t <= high + 1e-12 for t in first)


class _FixedUniform:
    """Stands in for a generator whose next uniform is ``quantile``."""

    def __init__(self, quantile: float) -> None:
        self.quantile = quantile

    def random(self) -> float:
        return self.quantile


def _read_off(table: ServiceTimeTable, batch_size: int, quantile: float) -> float:
    """The module docstring's rule, read off the table step by step."""

    def at(samples: tuple[float, ...]) -> float:
        return samples[min(int(quantile * len(samples)), len(samples) - 1)]

    sizes = table.batch_sizes
    if batch_size >= sizes[-1]:
        return at(table.samples_s[-1]) * batch_size / sizes[-1]
    if batch_size <= sizes[0]:
        return at(table.samples_s[0])
    if batch_size in sizes:
        return at(table.samples_s[sizes.index(batch_size)])
    hi = next(i for i, size in enumerate(sizes) if size > batch_size)
    weight = (batch_size - sizes[hi - 1]) / (sizes[hi] - sizes[hi - 1])
    low, high = at(table.samples_s[hi - 1]), at(table.samples_s[hi])
    return low + weight * (high - low)


@given(st.integers(1, 40), st.floats(0.0, 1.0, exclude_max=True))
def test_a_draw_reads_the_table_at_its_uniform(batch_size: int, quantile: float) -> None:
    table = ServiceTimeTable(
        batch_sizes=(2, 4, 16, 24),
        samples_s=((0.002, 0.001), (0.004, 0.006, 0.005), (0.02, 0.01, 0.03, 0.04), (0.05,)),
    )
    for _ in range(2):  # the second read comes from the table's kept plan
        drawn = table.sample_s(batch_size, _FixedUniform(quantile))  # type: ignore[arg-type]
        assert drawn == _read_off(table, batch_size, quantile)


@pytest.mark.parametrize(
    ("sizes", "max_batch"),
    [
        ([1] * 50, 4),  # the bound is loose: many short blocks
        ([4] * 50, 4),  # every batch full: one exact block
        ([1, 3, 16, 2, 40, 1, 1, 7, 33, 9] * 20, 40),  # beyond the table, between its sizes
        ([1] * (MAX_BLOCK + 10), 1),  # longer than one block
    ],
)
def test_block_draws_are_the_per_call_draws(sizes: list[int], max_batch: int) -> None:
    table = _table()
    per_call_rng, block_rng = np.random.default_rng(11), np.random.default_rng(11)
    per_call = [table.sample_s(size, per_call_rng) for size in sizes]
    draws = table.draws(block_rng, searches=sum(sizes), max_batch=max_batch)
    assert [draws(np.zeros(size)) for size in sizes] == per_call
    # never drawn ahead of the batches that came: the generator is where per-call draws left it
    assert block_rng.bit_generator.state == per_call_rng.bit_generator.state
    assert block_rng.random() == per_call_rng.random()


def test_block_draws_run_no_further_ahead_than_the_batches_certain_to_come() -> None:
    rng, reference = np.random.default_rng(5), np.random.default_rng(5)
    draws = ServiceTimeDraws(_table(), rng, searches=10, max_batch=4)
    draws(np.zeros(1))
    reference.random(3)  # 10 searches in batches of at most 4: at least 3 batches
    assert rng.bit_generator.state == reference.bit_generator.state


def test_block_draws_refuse_an_empty_batch_limit() -> None:
    with pytest.raises(MatcherInputError, match="max_batch"):
        ServiceTimeDraws(_table(), np.random.default_rng(0), searches=1, max_batch=0)
