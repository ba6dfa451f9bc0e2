"""A year of a deployment, estimated from a sample of independent simulated days.

Simulating 365 whole days is too slow to be useful (a King's Cross day's crowd alone takes about ten
seconds here), and most of them would say the same thing. Instead the scenario's day is simulated on
``days`` independent seeds (the children of ``numpy.random.SeedSequence(seed).spawn``, as sweeps
replicate), every stage for real, and each day's counts (faces, alerts, incidents, interventions) are
scaled to a year of 365 such days.

The expected yearly count of a figure is 365 × its mean per sampled day. Its 95% interval is the
wider of two, both from scipy.stats:

- the **Student-t interval** of the mean daily count, which follows whatever spread the days show
  (a few heavy days with one watchlisted regular, or none); and
- the **exact Poisson (Garwood) interval** of the rate behind the sampled days' total count, which
  stays honest when the counts are small (a t interval on days that all saw zero has zero width).

What the sample cannot show, it does not claim: every sampled day is the scenario's day (the shipped
profiles are weekdays), so weekends, holidays, seasons and events are not in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa
from scipy import stats

from twin.crowd.demand import Trips
from twin.recognition.decisions import Decisions
from twin.response.simulation import ResponseResult
from twin.results.response_tables import funnel_counts, staff_figures
from twin.run.runner import RunOutput, run_simulation
from twin.scenario import Scenario
from twin.sweeps.plan import replication_seeds
from twin.sweeps.stats import CONFIDENCE, mean_ci

DAYS_PER_YEAR: Final = 365
DAYS: Final = "days"
#: Per-day counts the year is estimated for (integer counts: Poisson and t intervals).
COUNT_FIGURES: Final = (
    "pedestrians",
    "faces",
    "alerts",
    "true_alerts",
    "false_alerts",
    "incidents",
    "expired",
    "reviewed",
    "dismissed",
    "credible",
    "dispatched",
    "intercepted",
    "right_person",
    "wrong_person",
    "lost",
)
#: Per-day amounts that are not counts (t interval only).
AMOUNT_FIGURES: Final = ("operator_busy_h", "officer_busy_h", "cost_gbp")


def day_counts(trips: Trips, decisions: Decisions, response: ResponseResult) -> dict[str, float]:
    """One simulated day's figures for the year: counts, busy staff hours and cost (GBP)."""
    funnel = funnel_counts(response)
    staff = staff_figures(response)
    counts: dict[str, float] = {
        "pedestrians": float(len(trips)),
        "faces": float(len(decisions)),
    }
    counts.update({name: float(funnel[name]) for name in COUNT_FIGURES if name in funnel})
    counts["operator_busy_h"] = staff["operator_busy_s"] / 3600.0
    counts["officer_busy_h"] = staff["officer_busy_s"] / 3600.0
    counts["cost_gbp"] = float(staff["cost_gbp"])
    return counts


def poisson_rate_ci(
    total: int, days: int, *, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Exact (Garwood) interval of a daily Poisson rate from ``total`` events in ``days`` days."""
    alpha = 1.0 - confidence
    low = 0.0 if total == 0 else float(stats.chi2.ppf(alpha / 2.0, 2 * total)) / 2.0
    high = float(stats.chi2.ppf(1.0 - alpha / 2.0, 2 * total + 2)) / 2.0
    return low / days, high / days


def yearly_figure(
    daily: Sequence[float],
    *,
    count: bool,
    days_per_year: int = DAYS_PER_YEAR,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """Expected yearly total of a daily figure with its interval (module docstring)."""
    sample = np.asarray(daily, dtype=np.float64)
    n = int(sample.size)
    estimate = mean_ci(sample, confidence=confidence)
    mean = estimate.mean if estimate.mean is not None else 0.0
    t_low, t_high = estimate.ci_low, estimate.ci_high
    lows, highs = [], []
    if t_low is not None and t_high is not None:
        lows.append(max(0.0, t_low))
        highs.append(t_high)
    poisson = None
    if count and n:
        poisson = poisson_rate_ci(round(float(sample.sum())), n, confidence=confidence)
        lows.append(poisson[0])
        highs.append(poisson[1])
    interval = [min(lows) * days_per_year, max(highs) * days_per_year] if lows else None
    return {
        "per_day": mean,
        "per_year": mean * days_per_year,
        "ci95_per_year": interval,
        "t_ci95_per_year": [max(0.0, t_low) * days_per_year, t_high * days_per_year]
        if t_low is not None and t_high is not None
        else None,
        "poisson_ci95_per_year": [poisson[0] * days_per_year, poisson[1] * days_per_year]
        if poisson is not None
        else None,
        "sampled_total": float(sample.sum()),
    }


def _share(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def year_estimate(
    days: Sequence[Mapping[str, float]],
    *,
    seeds: Sequence[int],
    days_per_year: int = DAYS_PER_YEAR,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """The manifest's ``year`` section: yearly figures with intervals and the funnel's conversions."""
    figures = {
        name: yearly_figure(
            [day[name] for day in days],
            count=name in COUNT_FIGURES,
            days_per_year=days_per_year,
            confidence=confidence,
        )
        for name in (*COUNT_FIGURES, *AMOUNT_FIGURES)
        if all(name in day for day in days)
    }
    total = {name: figure["sampled_total"] for name, figure in figures.items()}
    return {
        "days_sampled": len(days),
        "seeds": list(seeds),
        "days_per_year": days_per_year,
        "confidence": confidence,
        "figures": figures,
        "conversion": {
            "alerts_per_incident": _share(total["alerts"], total["incidents"]),
            "incidents_reviewed": _share(total["reviewed"], total["incidents"]),
            "reviewed_judged_credible": _share(total["credible"], total["reviewed"]),
            "credible_intercepted": _share(total["intercepted"], total["credible"]),
            "alerts_to_interventions": _share(total["intercepted"], total["alerts"]),
            "interventions_right_person": _share(total["right_person"], total["intercepted"]),
        },
        "method": (
            f"{len(days)} independent simulated days (seeds from numpy SeedSequence.spawn), each "
            f"the scenario's day, scaled to {days_per_year} such days; the 95% interval of each "
            "yearly count is the wider of the Student-t interval of the daily mean and the exact "
            "Poisson interval of the daily rate (scipy.stats). Weekends, holidays, seasons and "
            "events are not sampled."
        ),
    }


def days_table(days: Sequence[Mapping[str, float]], seeds: Sequence[int]) -> pa.Table:
    """One row per sampled day: its seed and figures."""
    columns: dict[str, Any] = {"day": np.arange(len(days), dtype=np.int32), "seed": list(seeds)}
    for name in (*COUNT_FIGURES, *AMOUNT_FIGURES):
        columns[name] = [day.get(name, np.nan) for day in days]
    return pa.table(columns)


def simulate_days(
    scenario: Scenario,
    *,
    days: int,
    seed: int,
    on_day: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[RunOutput, list[dict[str, float]], tuple[int, ...]]:
    """Run the scenario's day on ``days`` independent seeds; return the first day's whole output
    (to publish), every day's figures and the seeds."""
    if days < 2:
        raise ValueError("a year needs at least two sampled days for an interval")
    seeds = replication_seeds(seed, days)
    first: RunOutput | None = None
    figures = []
    for index, day_seed in enumerate(seeds):
        output = run_simulation(scenario, seed=day_seed)
        if output.response is None:
            raise ValueError("the run has no response stage")
        counts = day_counts(output.trips, output.decisions, output.response)
        figures.append(counts)
        if first is None:
            first = output
        if on_day is not None:
            on_day(index, counts)
        del output
    assert first is not None
    return first, figures, seeds
