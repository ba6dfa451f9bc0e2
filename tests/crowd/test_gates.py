"""A gate lets one walker through per headway, first come first served, like a SimPy resource
released by a timer after each passage, and a walker who finds it free makes no event."""

from __future__ import annotations

from collections.abc import Generator
from functools import partial

import numpy as np
import pytest
import simpy

from twin.crowd.gates import Gate


def _through_gate(
    arrivals_s: list[float], headway_s: float, *, one_call: bool = True
) -> tuple[list[float], list[int]]:
    """When each walker arriving at ``arrivals_s`` was let through, and how many were ahead: asked
    with one call (``Gate.arrive``, as the walk does) or with ``ahead`` and then ``pass_free``."""
    env = simpy.Environment()
    gate = Gate(env, headway_s)
    through = [0.0] * len(arrivals_s)
    ahead = [0] * len(arrivals_s)

    def walker(index: int) -> Generator[simpy.Event, object, None]:
        yield env.timeout(arrivals_s[index])
        if one_call:
            ahead[index] = gate.arrive()
            if ahead[index]:
                yield gate.request()
        else:
            ahead[index] = gate.ahead
            if not gate.pass_free():
                yield gate.request()
        through[index] = env.now

    for index in range(len(arrivals_s)):
        env.process(walker(index))
    env.run()
    return through, ahead


def _through_timed_resource(arrivals_s: list[float], headway_s: float) -> list[float]:
    """The same with a plain SimPy resource that each walker's timer releases after the headway."""
    env = simpy.Environment()
    resource = simpy.Resource(env, capacity=1)
    through = [0.0] * len(arrivals_s)

    def release(request: simpy.Event, _: simpy.Event) -> None:
        resource.release(request)

    def walker(index: int) -> Generator[simpy.Event, object, None]:
        yield env.timeout(arrivals_s[index])
        request = resource.request()
        yield request
        env.timeout(headway_s).callbacks.append(partial(release, request))
        through[index] = env.now

    for index in range(len(arrivals_s)):
        env.process(walker(index))
    env.run()
    return through


def test_a_crowd_at_once_goes_through_at_capacity_in_order() -> None:
    headway_s = 0.5  # 2 ped/s
    through, ahead = _through_gate([10.0] * 8, headway_s)
    assert through == pytest.approx([10.0 + headway_s * n for n in range(8)])
    assert ahead == list(range(8))


def test_walkers_further_apart_than_the_headway_never_wait() -> None:
    arrivals = [1.0, 2.5, 4.0, 4.6]
    through, ahead = _through_gate(arrivals, headway_s=0.5)
    assert through == pytest.approx(arrivals)
    assert ahead == [0, 0, 0, 0]


def test_a_free_gate_makes_no_event_and_a_busy_one_queues() -> None:
    env = simpy.Environment()
    gate = Gate(env, headway_s=2.0)
    assert gate.pass_free()
    assert env.peek() == float("inf")  # nothing scheduled: the passage is a time, not an event
    assert gate.ahead == 1
    assert not gate.pass_free()
    request = gate.request()  # the head of the queue: scheduled for the end of the passage
    assert env.peek() == pytest.approx(2.0) and not request.processed
    behind = gate.request()  # the next waits its turn in the queue, with no event of its own
    assert len(gate.queue) == 1 and not behind.triggered
    assert gate.ahead == 3  # the one passing, the head, the one behind
    env.run(until=3.0)
    assert request.processed and gate.busy_until_s == pytest.approx(4.0)
    assert behind.triggered and not behind.processed  # now the head, scheduled for 4 s
    env.run()
    assert behind.processed and env.now == pytest.approx(4.0)
    assert gate.busy_until_s == pytest.approx(6.0)


def test_same_passages_as_a_resource_released_by_a_timer() -> None:
    rng = np.random.default_rng(7)
    # Bursts and lulls: queues form and clear many times.
    arrivals = np.sort(
        np.concatenate([rng.uniform(0, 200, 300), rng.uniform(50, 60, 80), [120.0] * 25])
    ).tolist()
    through, _ = _through_gate(arrivals, headway_s=0.8)
    assert through == pytest.approx(_through_timed_resource(arrivals, headway_s=0.8), abs=1e-9)
    gaps = np.diff(np.asarray(through))
    assert gaps.min() >= 0.8 - 1e-9  # never more than capacity a second


def test_arriving_in_one_call_is_asking_ahead_then_pass_free() -> None:
    rng = np.random.default_rng(11)
    arrivals = np.sort(np.concatenate([rng.uniform(0, 100, 200), [40.0] * 12])).tolist()
    one_call = _through_gate(arrivals, headway_s=0.6)
    assert one_call == _through_gate(arrivals, headway_s=0.6, one_call=False)
    assert max(one_call[1]) >= 12  # the burst queued


@pytest.mark.parametrize("headway_s", [0.0, -1.0, float("inf"), float("nan")])
def test_a_gate_needs_a_finite_positive_headway(headway_s: float) -> None:
    with pytest.raises(ValueError, match="headway"):
        Gate(simpy.Environment(), headway_s)
