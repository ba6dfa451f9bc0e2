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
    for _ in range(11):  # 100 probes in 0.1 s of search, back to back: 1,000 probes/s
        clock.now_s += 0.1
        drain.observe(100, 0.1)
    rate = drain.probes_per_s()
    assert rate is not None and abs(rate - 1000) < 1
    assert drain.retry_after_s(7_500) in range(7, 9)  # 7.5 s of queue, not 98


def test_retry_after_stays_within_its_bounds_and_forgets_old_batches() -> None:
    clock = Clock()
    drain = DrainRate(clock)
    assert drain.retry_after_s(10_000) == MIN_RETRY_S  # nothing measured yet
    drain.observe(1, 1.0)
    assert drain.retry_after_s(10**9) == MAX_RETRY_S
    clock.now_s += 60.0
    assert drain.probes_per_s() is None


def test_a_quiet_spell_before_the_queue_filled_does_not_inflate_the_wait() -> None:
    clock = Clock()
    drain = DrainRate(clock)
    drain.observe(1, 0.001)  # a lone probe, then four quiet seconds
    clock.now_s += 4.0
    for _ in range(5):  # then saturated: 1,000 probes per 0.5 s call
        clock.now_s += 0.5
        drain.observe(1000, 0.5)
    assert drain.retry_after_s(2048) in (1, 2, 3)
