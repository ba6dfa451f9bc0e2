"""Bottlenecks as SimPy resources: a gate lets one walker through per headway (1 / capacity, s).

A :class:`Gate` is a :class:`simpy.Resource` of one slot that each walker holds for the gate's
headway from the moment it is let through, so no more than the capacity (ped/s) pass a second and a
queue forms, first come first served, whenever walkers arrive faster than that. The slot is released
by the clock, not by the walker, so the gate keeps the end of the current passage (``busy_until_s``)
instead of a user: a walker that finds the gate free and nobody queueing goes straight through
(:meth:`Gate.arrive`, no event), and only a walker that has to wait makes a request. The request at
the head of the queue is scheduled for the moment the passage ahead of it ends (it is its own timer),
and when it fires the next in line is scheduled in turn. The queue, its order and the times walkers
are let through are those of a resource released by a timer after each passage.
"""

from __future__ import annotations

import math
from typing import cast

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
        # The request let through when the passage under way ends (scheduled for then), if any.
        self._next: Request | None = None

    @property
    def ahead(self) -> int:
        """Walkers ahead of one arriving now: those queueing and the one passing, if any."""
        return (
            len(self.queue)
            + (self._next is not None)
            + (self.busy_until_s > self._env.now + _CLOCK_TOLERANCE_S)
        )

    def pass_free(self) -> bool:
        """Go through now if the gate is free and nobody queues (True), else False: request."""
        return self.arrive() == 0

    def arrive(self) -> int:
        """Walkers ahead of one arriving now (as :attr:`ahead`); when none, it is let through at
        once, else it must yield :meth:`request` and wait its turn."""
        now = self._env.now
        if self.busy_until_s > now + _CLOCK_TOLERANCE_S:
            return len(self.queue) + (self._next is not None) + 1
        if self.queue or self._next is not None:
            return len(self.queue) + (self._next is not None)
        self.busy_until_s = now + self.headway_s
        return 0

    def _do_put(self, event: Request) -> None:
        """Let the head of the queue (``event``: simpy asks for the head only, as this returns
        nothing) through now if the gate is free, else schedule it for when the passage ahead ends
        (unless one is already scheduled: then it waits its turn)."""
        if self._next is not None:
            return
        env = self._env
        now = env.now
        if self.busy_until_s <= now + _CLOCK_TOLERANCE_S:
            self.busy_until_s = now + self.headway_s
            event.usage_since = now
            event.succeed()
            return
        event._ok = True  # triggered now, processed when the passage ahead ends (as a Timeout)
        event._value = None
        env.schedule(event, delay=max(0.0, self.busy_until_s - now))
        event.callbacks.append(self._let_through)
        self._next = event

    def _let_through(self, event: simpy.Event) -> None:
        """The scheduled head's passage begins: the gate is busy for a headway, and the next in
        line (if any) is scheduled for its end."""
        now = self._env.now
        self.busy_until_s = now + self.headway_s
        self._next = None
        cast(Request, event).usage_since = now
        self._trigger_put(None)
