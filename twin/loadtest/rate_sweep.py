"""The rate sweep's rules: which step meets the target, where the knee is, what to try next.

The **service kept up** in a step when the step is complete, its p99 is under the SLO, and nothing
failed: no errors, no rejections, no wrong or missing answers. A step **meets the target** when,
besides, it is valid (the sender kept to its schedule), so that its figures can be trusted.

The **knee** is the highest offered rate that meets the target with every valid lower rate meeting
it too: going up the rates, invalid steps are passed over (they cannot vouch for the service) and
the first valid step that misses ends the search. ``None`` when the lowest valid rate misses.

A step where the service did **not** keep up brackets the knee from above even if it is invalid:
a late sender adds its lag to latencies of milliseconds, not the queue of a saturated service. So
after the given rates, **refinement** steps halve the gap between the knee and the first rate over it
where the service did not keep up (or, with no knee, try half the lowest such rate), while the gap
is over 10%. The ladder **stops early** once the service did not keep up in two steps in a row:
higher rates would only pile up more queue. Steps that are merely invalid (a noisy machine delaying
the sender while the service keeps up) neither stop the ladder nor bracket the knee.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from twin.loadtest.recorder import StepStats

MIN_REFINE_RATIO: Final = 1.1  # refine only while the failing rate exceeds the knee by this much
MISSES_TO_STOP: Final = 2


def service_kept_up(step: StepStats, slo_ms: float) -> bool:
    """Complete, p99 under the SLO, and nothing failed or answered wrongly (validity aside)."""
    return (
        step.complete
        and step.p99_ms is not None
        and step.p99_ms < slo_ms
        and step.errors == 0
        and step.rejected == 0
        and step.wrong_answers == 0
        and step.missing_answers == 0
    )


def meets_target(step: StepStats, slo_ms: float) -> bool:
    """Valid, and the service kept up."""
    return step.valid and service_kept_up(step, slo_ms)


def knee_rate(steps: Sequence[StepStats], slo_ms: float) -> float | None:
    """The highest offered rate meeting the target with every valid lower rate meeting it too."""
    knee = None
    for step in sorted(steps, key=lambda s: s.offered_rate):
        if not step.valid:
            continue
        if not meets_target(step, slo_ms):
            break
        knee = step.offered_rate
    return knee


def first_miss_above(
    steps: Sequence[StepStats], slo_ms: float, rate: float | None
) -> StepStats | None:
    """The lowest step over ``rate`` (any rate if None) where the service did not keep up."""
    misses = [
        s
        for s in steps
        if (rate is None or s.offered_rate > rate) and not service_kept_up(s, slo_ms)
    ]
    return min(misses, key=lambda s: s.offered_rate, default=None)


def refinement_rate(
    steps: Sequence[StepStats], slo_ms: float, planned: Sequence[float]
) -> float | None:
    """The next rate to try between the knee and the first miss above it, if worth trying.

    ``planned`` are the rates already run or queued (never repeated).
    """
    knee = knee_rate(steps, slo_ms)
    miss = first_miss_above(steps, slo_ms, knee)
    if miss is None:
        return None
    if knee is None:
        candidate = round(miss.offered_rate / 2.0)
    else:
        if miss.offered_rate <= knee * MIN_REFINE_RATIO:
            return None
        candidate = round((knee + miss.offered_rate) / 2.0)
    if candidate < 1 or any(abs(candidate - rate) < 0.5 for rate in planned):
        return None
    return float(candidate)


def stop_early(executed: Sequence[StepStats], slo_ms: float) -> bool:
    """Whether the service did not keep up in each of the last `MISSES_TO_STOP` steps run."""
    recent = executed[-MISSES_TO_STOP:]
    return len(recent) == MISSES_TO_STOP and not any(service_kept_up(s, slo_ms) for s in recent)


def sender_limited(steps: Sequence[StepStats], slo_ms: float) -> bool:
    """Whether the first step above the knee was invalid: the knee may be higher than found."""
    knee = knee_rate(steps, slo_ms)
    above = sorted(
        (s for s in steps if knee is None or s.offered_rate > knee), key=lambda s: s.offered_rate
    )
    return bool(above) and not above[0].valid
