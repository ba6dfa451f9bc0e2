"""Bottlenecks as SimPy resources: a gate lets one walker through per headway (1 / capacity, s).

A :class:`Gate` is a :class:`simpy.Resource` of one slot that each walker holds for the gate's
headway from the moment it is let through, so no more than the capacity (ped/s) pass a second and a
queue forms, first come first served, whenever walkers arrive faster than that. The slot is released
by the clock, not by the walker, so the gate keeps the end of the current passage (``busy_until_s``)
instead of a user: a walker that finds the gate free and nobody queueing goes straight through
(:meth:`Gate.pass_free`, no event), and only a walker that has to wait makes a request, granted when
the passage ahead of it ends. Most passages of a day find their gate free; the queue, its order and
the times walkers are let through are the same as a resource released by a timer after each
passage.
"""

from __future__ import annotations

import math

import simpy
from simpy.resources.resource import Request

__all__ = ["Gate"]

# Times compared with this slack, s: a timer set for the end of a passage fires at the clock's
# sum of now and the delay, which may differ from the stored end in the last bit.
_CLOCK_TOLERANCE_S = 1e-9


class Gate(simpy.Resource):
    """A bottleneck that lets one walker through per ``headway_s`` (s, finite and above 0).

    Walkers call :meth:`pass_free` and, when it says no, yield :meth:`request` (simpy's request
    event), which succeeds when it is their turn. Nothing is ever released by the walker.
    """

    def __init__(self, env: simpy.Environment, headway_s: float) -> None:
        if not 0.0 < headway_s < math.inf:
            raise ValueError(f"a gate's headway must be finite and above 0 s, not {headway_s}")
        super().__init__(env, capacity=1)
        self.headway_s = headway_s
        #: When the passage under way ends (s, simulated clock); the gate is free from then.
        self.busy_until_s = -math.inf
        self._timer_set = False

    @property
    def ahead(self) -> int:
        """Walkers ahead of one arriving now: those queueing and the one passing, if any."""
        return len(self.queue) + (self.busy_until_s > self._env.now + _CLOCK_TOLERANCE_S)

    def pass_free(self) -> bool:
        """Go through now if the gate is free and nobody queues (True), else False: request."""
        now = self._env.now
        if self.queue or self.busy_until_s > now + _CLOCK_TOLERANCE_S:
            return False
        self.busy_until_s = now + self.headway_s
        return True

    def arrive(self) -> int:
        """Walkers ahead of one arriving now (as :attr:`ahead`); when none, it is let through at
        once (as :meth:`pass_free`), else it must yield :meth:`request` and wait its turn."""
        now = self._env.now
        if self.busy_until_s > now + _CLOCK_TOLERANCE_S:
            return len(self.queue) + 1
        if self.queue:
            return len(self.queue)
        self.busy_until_s = now + self.headway_s
        return 0

    def _do_put(self, event: Request) -> None:
        """Let the head of the queue (``event``: simpy asks for the head only, as this returns
        nothing) through if the passage ahead has ended, else wake up when it ends."""
        now = self._env.now
        if self.busy_until_s <= now + _CLOCK_TOLERANCE_S:
            self.busy_until_s = now + self.headway_s
            event.usage_since = now
            event.succeed()
            if len(self.queue) > 1:  # the next in line is let through when this passage ends
                self._set_timer()
            return
        self._set_timer()

    def _set_timer(self) -> None:
        if self._timer_set:
            return
        self._timer_set = True
        delay = max(0.0, self.busy_until_s - self._env.now)
        self._env.timeout(delay).callbacks.append(self._passage_ended)

    def _passage_ended(self, _: simpy.Event) -> None:
        self._timer_set = False
        self._trigger_put(None)
