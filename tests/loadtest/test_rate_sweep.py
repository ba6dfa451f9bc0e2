"""The sweep's rules: which steps meet the target, the knee, refinement and stopping early."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from twin.loadtest import rate_sweep
from twin.loadtest.recorder import StepStats

SLO_MS = 100.0


def step(rate: float, p99_ms: float, *, valid: bool = True, **changes: Any) -> StepStats:
    base = StepStats(
        kind="rate", offered_rate=rate, sent_rate=rate, achieved_rate=rate,
        offered_probe_rate=rate, achieved_probe_rate=rate, requests=100, probes=100,
        answered=100, errors=0, rejected=0, timeouts=0, connection_errors=0, not_sent=0,
        mated_checked=10, wrong_answers=0, missing_answers=0, p50_ms=p99_ms / 4, p90_ms=p99_ms / 2,
        p99_ms=p99_ms, p999_ms=p99_ms * 2, max_ms=p99_ms * 3, mean_ms=p99_ms / 4,
        sender_lag_p50_ms=0.05, sender_lag_p99_ms=0.2 if valid else 3.0, sender_lag_max_ms=1.0,
        valid=valid, complete=True, duration_s=10.0, backlogged=0, max_in_flight=4,
    )  # fmt: skip
    return replace(base, **changes)


def test_the_knee_is_the_last_rate_before_the_first_miss() -> None:
    steps = [step(100, 5), step(200, 8), step(400, 60), step(800, 900), step(1600, 50)]
    assert rate_sweep.knee_rate(steps, SLO_MS) == 400  # 1600's lucky p99 does not count


@pytest.mark.parametrize(
    "failure",
    [
        {"errors": 1},
        {"rejected": 3},
        {"wrong_answers": 1},
        {"missing_answers": 1},
        {"complete": False},
    ],
)
def test_any_failure_misses_the_target(failure: dict[str, Any]) -> None:
    steps = [step(100, 5), step(200, 8, **failure)]
    assert rate_sweep.knee_rate(steps, SLO_MS) == 100


def test_invalid_steps_are_passed_over_for_the_knee() -> None:
    steps = [step(100, 5, valid=False), step(200, 8), step(400, 500, valid=False)]
    assert rate_sweep.knee_rate(steps, SLO_MS) == 200
    assert rate_sweep.sender_limited(steps, SLO_MS)  # the step above the knee could not be trusted


def test_no_knee_when_the_lowest_valid_rate_misses() -> None:
    assert rate_sweep.knee_rate([step(100, 150), step(200, 50)], SLO_MS) is None


def test_refinement_halves_the_bracket_until_it_is_narrow() -> None:
    steps = [step(1000, 20), step(2000, 300)]
    assert rate_sweep.refinement_rate(steps, SLO_MS, [1000, 2000]) == 1500
    steps.append(step(1500, 40))
    assert rate_sweep.refinement_rate(steps, SLO_MS, [1000, 2000, 1500]) == 1750
    narrow = [step(1000, 20), step(1050, 300)]
    assert rate_sweep.refinement_rate(narrow, SLO_MS, [1000, 1050]) is None
    # an invalid step above the knee still brackets it from above
    assert (
        rate_sweep.refinement_rate([step(1000, 20), step(2000, 3000, valid=False)], SLO_MS, [])
        == 1500
    )
    # no knee: try half the lowest rate that missed
    assert rate_sweep.refinement_rate([step(400, 500)], SLO_MS, [400]) == 200
    # nothing missed: nothing to refine
    assert rate_sweep.refinement_rate([step(100, 5)], SLO_MS, [100]) is None


def test_the_service_falling_behind_twice_in_a_row_stops_the_ladder() -> None:
    assert not rate_sweep.stop_early([step(100, 5), step(200, 500)], SLO_MS)
    assert rate_sweep.stop_early(
        [step(100, 5), step(200, 500), step(400, 900, valid=False)], SLO_MS
    )
    assert rate_sweep.stop_early(
        [step(100, 5), step(200, 8, errors=2), step(400, 9, rejected=1)], SLO_MS
    )
    # a noisy sender while the service keeps up does not stop it
    assert not rate_sweep.stop_early([step(100, 5, valid=False), step(200, 8, valid=False)], SLO_MS)
