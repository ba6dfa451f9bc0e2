"""The measured drain rate behind Retry-After."""

from __future__ import annotations

from twin.matcher.drain import MAX_RETRY_S, MIN_RETRY_S, DrainRate


class Clock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def test_retry_after_is_the_queue_over_the_measured_rate() -> None:
    clock = Clock()
    drain = DrainRate(clock)
    for _ in range(11):  # 100 probes every 0.1 s: 1,000 probes/s
        drain.observe(100)
        clock.now_s += 0.1
    rate = drain.probes_per_s()
    assert rate is not None and 900 < rate < 1200
    assert drain.retry_after_s(7_500) in range(7, 9)  # 7.5 s of queue, not 98


def test_retry_after_stays_within_its_bounds_and_forgets_old_batches() -> None:
    clock = Clock()
    drain = DrainRate(clock)
    assert drain.retry_after_s(10_000) == MIN_RETRY_S  # nothing measured yet
    drain.observe(1)
    clock.now_s += 1.0
    drain.observe(1)
    assert drain.retry_after_s(10**9) == MAX_RETRY_S
    clock.now_s += 60.0
    assert drain.probes_per_s() is None
