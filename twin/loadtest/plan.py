"""The plan of a load test: what to send and for how long, validated once at the border.

A plan replays a window of the site's day (``--window``, compressed by ``--speed``), sweeps constant
rates (``--rates``, each held ``--step-s`` seconds, then up to ``--refine`` steps between the knee and
the first rate over it), or both; with neither, it sweeps `DEFAULT_RATES_PER_S`. Every plan has a
duration cap: the load it would send, in seconds, must fit under ``--duration-cap-s`` (itself at most
`MAX_DURATION_CAP_S`); draining answers after a step (at most the request timeout) comes on top.
A `LoadtestRequest` is the plan with everything else a load test needs (scenario, seed, target).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from twin.errors import TwinInputError
from twin.scenario import Scenario

DEFAULT_RATES_PER_S: Final = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
MAX_RATE_PER_S: Final = 100_000.0  # requests per second one sender process is asked to issue
MAX_REQUESTS: Final = 5_000_000  # requests in one plan (memory for the per-request records)
DEFAULT_STEP_S: Final = 10.0
MAX_STEP_S: Final = 600.0
DEFAULT_SLO_MS: Final = 100.0
DEFAULT_SPEED: Final = 10.0
MAX_SPEED: Final = 10_000.0
DEFAULT_DURATION_CAP_S: Final = 900.0
MAX_DURATION_CAP_S: Final = 3600.0
DEFAULT_REFINE_STEPS: Final = 2
MAX_REFINE_STEPS: Final = 8
SECONDS_PER_DAY: Final = 86_400.0


@dataclass(frozen=True)
class LoadtestPlan:
    """What a load test sends: the replay window (seconds after midnight) and the swept rates."""

    rates_per_s: tuple[float, ...]  # constant offered rates, rising (requests per second)
    step_s: float  # how long each rate is held (s)
    window_s: tuple[float, float] | None  # replayed window, seconds after midnight
    speed: float  # replay compression (simulated seconds per wall second)
    slo_ms: float  # the p99 latency target (ms)
    duration_cap_s: float  # most load the plan may send (s)
    refine_steps: int  # extra steps between the knee and the first rate over it

    @property
    def replay_s(self) -> float:
        """Wall seconds the replay takes (0 without a window)."""
        if self.window_s is None:
            return 0.0
        return (self.window_s[1] - self.window_s[0]) / self.speed

    @property
    def planned_s(self) -> float:
        """Wall seconds of load at most: the replay and every step, refinements included."""
        steps = len(self.rates_per_s) + (self.refine_steps if self.rates_per_s else 0)
        return self.replay_s + steps * self.step_s


def parse_rates(text: str) -> tuple[float, ...]:
    """'100,200,400' -> (100.0, 200.0, 400.0): positive finite rates, rising, without repeats."""
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise TwinInputError(
            f"--rates: comma-separated positive numbers (requests per second), got {text!r}"
        ) from exc
    if not rates or any(not math.isfinite(r) or r <= 0 for r in rates):
        raise TwinInputError(
            f"--rates: comma-separated positive numbers (requests per second), got {text!r}"
        )
    if max(rates) > MAX_RATE_PER_S:
        raise TwinInputError(f"--rates: at most {MAX_RATE_PER_S:,.0f} per second, got {text!r}")
    return tuple(sorted(set(rates)))


def _clock_s(text: str, whole: str) -> float:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes < 60 and (hours < 24 or (hours == 24 and minutes == 0)):
            return float(hours * 3600 + minutes * 60)
    raise TwinInputError(f"--window: HH:MM-HH:MM between 00:00 and 24:00, got {whole!r}")


def parse_window(text: str) -> tuple[float, float]:
    """'07:30-09:30' -> (27000.0, 34200.0) seconds after midnight; the end must follow the start."""
    start, sep, end = text.partition("-")
    if not sep:
        raise TwinInputError(f"--window: HH:MM-HH:MM between 00:00 and 24:00, got {text!r}")
    start_s, end_s = _clock_s(start, text), _clock_s(end, text)
    if end_s <= start_s:
        raise TwinInputError(f"--window: the end must come after the start, got {text!r}")
    return start_s, end_s


def _positive(value: float, option: str, limit: float, unit: str) -> float:
    if not math.isfinite(value) or value <= 0 or value > limit:
        raise TwinInputError(
            f"{option}: a number above 0 and at most {limit:,g} {unit}, got {value}"
        )
    return float(value)


def make_plan(
    *,
    rates: str | None,
    window: str | None,
    speed: float = DEFAULT_SPEED,
    step_s: float = DEFAULT_STEP_S,
    slo_ms: float = DEFAULT_SLO_MS,
    duration_cap_s: float = DEFAULT_DURATION_CAP_S,
    refine_steps: int = DEFAULT_REFINE_STEPS,
) -> LoadtestPlan:
    """Validate the command line's choices into a plan (`TwinInputError` naming the option)."""
    window_s = parse_window(window) if window is not None else None
    if rates is not None:
        rates_per_s = parse_rates(rates)
    else:
        rates_per_s = () if window_s is not None else DEFAULT_RATES_PER_S
    if not 0 <= refine_steps <= MAX_REFINE_STEPS:
        raise TwinInputError(f"--refine: 0 to {MAX_REFINE_STEPS} steps, got {refine_steps}")
    plan = LoadtestPlan(
        rates_per_s=rates_per_s,
        step_s=_positive(step_s, "--step-s", MAX_STEP_S, "s"),
        window_s=window_s,
        speed=_positive(speed, "--speed", MAX_SPEED, "x"),
        slo_ms=_positive(slo_ms, "--slo-ms", 60_000, "ms"),
        duration_cap_s=_positive(duration_cap_s, "--duration-cap-s", MAX_DURATION_CAP_S, "s"),
        refine_steps=refine_steps,
    )
    if plan.planned_s > plan.duration_cap_s:
        parts = []
        if plan.replay_s:
            parts.append(f"replay {plan.replay_s:,.0f} s")
        if plan.rates_per_s:
            steps = len(plan.rates_per_s) + plan.refine_steps
            parts.append(f"{steps} steps of {plan.step_s:g} s")
        raise TwinInputError(
            f"--duration-cap-s: the plan sends load for {plan.planned_s:,.0f} s "
            f"({', '.join(parts)}), over the cap of {plan.duration_cap_s:,.0f} s"
        )
    requests = sum(rate * plan.step_s for rate in plan.rates_per_s)
    if plan.rates_per_s:
        requests += max(plan.rates_per_s) * plan.step_s * plan.refine_steps
    if requests > MAX_REQUESTS:
        raise TwinInputError(
            f"--rates/--step-s: the sweep would send {requests:,.0f} requests, over "
            f"{MAX_REQUESTS:,} (shorten the steps)"
        )
    return plan


@dataclass(frozen=True)
class LoadtestRequest:
    """Everything a load test needs, validated."""

    scenario: Scenario
    seed: int
    plan: LoadtestPlan
    target: str  # a matcher URL, or INPROCESS
    out: Path
    token: str | None = None
    allow_remote: bool = False
    sender_cpu: int | None = None
    realtime: bool = True
    max_connections: int = 512
    request_timeout_s: float = 10.0
    search_threads: int | None = None  # this process's FAISS threads (simulation, in-process)
