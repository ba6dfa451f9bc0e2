"""A period's figures: per day with intervals, and per person over the whole period.

**Per day.** Each simulated day's counts (faces, alerts, incidents, stops) give a mean per day with its
95% interval, the wider of two (scipy.stats): the Student-t interval of the daily mean, which follows
the spread the days show; and the exact Poisson (Garwood) interval of the rate behind the total, which
stays honest when counts are small (days that all saw zero give a t interval of zero width). The
expected count in a year is the mean times the days a year the calendar runs (365 x days named / 7).

**Per person.** The same people come back on many days with the same face (`twin.recognition.persons`),
so an innocent person who looks like someone on the watchlist is flagged again on day after day. Each
day's ``people`` table is summed per person (by global person id) over the period: innocent people
flagged at least once, on two days or more, the most-flagged innocent person, the share of false alerts
on the most-flagged 1% of flagged people, innocent people stopped and stopped twice or more. Their 95%
intervals come from resampling the period's **people** with replacement, each with all of their days
(`scipy.stats.bootstrap`, percentile method, 999 resamples, seeded from the run's ``period`` stream).
Resampling by person rather than by search or by day is the subsets bootstrap biometric evaluation
uses, because one person's searches are not independent (Bolle, Ratha and Pankanti, "Error analysis
of pattern recognition systems: the subsets bootstrap", Computer Vision and Image Understanding
93(1), 2004; ISO/IEC 19795-1 recommends resampling by subject): "another crowd of people like these,
over these days". It does not cover other days' draws of the same people (run another seed for that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy import stats

from twin.sweeps.stats import CONFIDENCE, mean_ci

DAYS_PER_YEAR: Final = 365
DAYS_PER_WEEK: Final = 7
#: Resamples of the period's days behind each per-person interval.
BOOTSTRAP_RESAMPLES: Final = 999
#: Per-day counts (integers: t and Poisson intervals), as read from each day's manifest.
DAY_COUNTS: Final = (
    "pedestrians",
    "people",
    "people_scanned",
    "captures",
    "searches",
    "alerts",
    "true_alerts",
    "false_alerts",
    "innocent_people_flagged",
    "watchlisted_people_alerted",
    "incidents",
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
DAY_AMOUNTS: Final = ("operator_busy_h", "officer_busy_h", "cost_gbp")
#: The columns of a day's people table the period sums per person.
SUMMED: Final = (
    "visits",
    "captures",
    "searches",
    "true_alerts",
    "false_alerts",
    "stops",
    "wrong_stops",
)
#: The per-person figures that carry a bootstrap interval.
PERSON_FIGURES: Final = (
    "innocent_people_flagged",
    "innocent_people_flagged_on_two_days_or_more",
    "most_false_alerts_on_one_innocent_person",
    "share_of_false_alerts_on_top_1pct_flagged",
    "innocent_people_stopped",
    "innocent_people_stopped_twice_or_more",
    "watchlisted_people_alerted",
)

IntArray = npt.NDArray[np.int64]


def day_figures(manifest: Mapping[str, Any]) -> dict[str, float]:
    """One simulated day's counts and amounts for the period, from its manifest."""
    counts = manifest["counts"]
    figures = {name: float(counts[name]) for name in DAY_COUNTS if name in counts}
    response = manifest.get("response")
    if response is not None:
        funnel, staff = response["funnel"], response["staff"]
        figures.update({name: float(funnel[name]) for name in DAY_COUNTS if name in funnel})
        figures["operator_busy_h"] = float(staff["operator_busy_s"]) / 3600.0
        figures["officer_busy_h"] = float(staff["officer_busy_s"]) / 3600.0
        figures["cost_gbp"] = float(staff["cost_gbp"])
    return figures


def poisson_rate_ci(
    total: int, days: int, *, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Exact (Garwood) interval of a daily Poisson rate from ``total`` events in ``days`` days."""
    alpha = 1.0 - confidence
    low = 0.0 if total == 0 else float(stats.chi2.ppf(alpha / 2.0, 2 * total)) / 2.0
    high = float(stats.chi2.ppf(1.0 - alpha / 2.0, 2 * total + 2)) / 2.0
    return low / days, high / days


def daily_figure(
    daily: Sequence[float], *, count: bool, run_days_per_year: float, confidence: float = CONFIDENCE
) -> dict[str, Any]:
    """Mean per day with its interval (module docstring), the period's total and a year's expectation."""
    sample = np.asarray(daily, dtype=np.float64)
    n = int(sample.size)
    estimate = mean_ci(sample, confidence=confidence)
    mean = estimate.mean if estimate.mean is not None else 0.0
    lows: list[float] = []
    highs: list[float] = []
    if estimate.ci_low is not None and estimate.ci_high is not None:
        lows.append(max(0.0, estimate.ci_low))
        highs.append(estimate.ci_high)
    if count and n:
        low, high = poisson_rate_ci(round(float(sample.sum())), n, confidence=confidence)
        lows.append(low)
        highs.append(high)
    interval = [min(lows), max(highs)] if lows else None
    return {
        "per_day": mean,
        "ci95_per_day": interval,
        "period_total": float(sample.sum()),
        "per_year": mean * run_days_per_year,
        "ci95_per_year": [v * run_days_per_year for v in interval] if interval else None,
    }


@dataclass(frozen=True)
class PeriodPeople:
    """Every person seen in the period: one row per (day, person) and the person each row is."""

    day: IntArray  # per row: index into the period's simulated days (0..days-1)
    person: IntArray  # per row: index into ``person_id``
    values: dict[str, IntArray]  # per row: SUMMED columns of the day's people table
    person_id: IntArray  # per person: global id
    kind: npt.NDArray[np.object_]  # per person
    group: npt.NDArray[np.object_]  # per person
    watchlisted: npt.NDArray[np.bool_]  # per person
    days: int  # simulated days in the period

    @classmethod
    def from_days(cls, tables: Sequence[pa.Table]) -> PeriodPeople:
        """Join the days' people tables (in day order) by global person id."""
        ids = [t.column("person_id").to_numpy() for t in tables]
        day = np.concatenate(
            [np.full(len(i), d, dtype=np.int64) for d, i in enumerate(ids)]
            or [np.empty(0, np.int64)]
        )
        all_ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
        person_id, first, person = np.unique(all_ids, return_index=True, return_inverse=True)

        def column(name: str) -> npt.NDArray[Any]:
            parts = [t.column(name).to_numpy(zero_copy_only=False) for t in tables]
            return np.concatenate(parts) if parts else np.empty(0)

        return cls(
            day=day,
            person=person.astype(np.int64),
            values={name: column(name).astype(np.int64) for name in SUMMED},
            person_id=person_id.astype(np.int64),
            kind=column("kind").astype(object)[first],
            group=column("group").astype(object)[first],
            watchlisted=column("watchlisted").astype(bool)[first],
            days=len(tables),
        )

    def totals(self, name: str) -> npt.NDArray[np.float64]:
        """Per person: the column summed over the period."""
        weights = self.values[name].astype(np.float64)
        totals = np.bincount(self.person, weights=weights, minlength=len(self.person_id))
        return totals.astype(np.float64)

    def table(self) -> pa.Table:
        """One row per person seen in the period: who, days on site and days flagged, and the sums."""
        days_on_site = np.bincount(self.person, minlength=len(self.person_id))
        flagged_rows = self.values["false_alerts"] > 0
        days_flagged = np.bincount(self.person[flagged_rows], minlength=len(self.person_id))
        columns: dict[str, Any] = {
            "person_id": self.person_id,
            "kind": pa.array(self.kind, pa.string()).dictionary_encode(),
            "group": pa.array(self.group, pa.string()).dictionary_encode(),
            "watchlisted": self.watchlisted,
            "days_on_site": days_on_site.astype(np.int32),
            "days_flagged": days_flagged.astype(np.int32),
        }
        for name in SUMMED:
            columns[name] = self.totals(name).astype(np.int64)
        return pa.table(columns)


@dataclass(frozen=True)
class _Histories:
    """The period's totals of the people who drew an alert or a stop (everyone else adds nothing)."""

    people: int  # everyone seen in the period
    rows: IntArray  # per history: the person's row in the period's people
    watchlisted: npt.NDArray[np.bool_]
    false_alerts: npt.NDArray[np.float64]
    true_alerts: npt.NDArray[np.float64]
    wrong_stops: npt.NDArray[np.float64]
    days_flagged: npt.NDArray[np.float64]

    @classmethod
    def of(cls, people: PeriodPeople) -> _Histories:
        false = people.totals("false_alerts")
        true = people.totals("true_alerts")
        wrong = people.totals("wrong_stops")
        flagged_rows = people.values["false_alerts"] > 0
        days_flagged = np.bincount(
            people.person[flagged_rows], minlength=len(people.person_id)
        ).astype(np.float64)
        rows = np.flatnonzero((false > 0) | (true > 0) | (wrong > 0))
        return cls(
            people=len(people.person_id),
            rows=rows,
            watchlisted=people.watchlisted[rows],
            false_alerts=false[rows],
            true_alerts=true[rows],
            wrong_stops=wrong[rows],
            days_flagged=days_flagged[rows],
        )

    def figures(self, copies: npt.NDArray[np.float64] | None = None) -> dict[str, float]:
        """The per-person figures, each person counted ``copies`` times (once each: None)."""
        weight = np.ones(len(self.rows)) if copies is None else copies
        innocent = ~self.watchlisted
        flagged = innocent & (self.false_alerts > 0) & (weight > 0)
        alerts = np.repeat(self.false_alerts[flagged], weight[flagged].astype(np.int64))
        alerts = np.sort(alerts)[::-1]
        top = int(np.ceil(0.01 * alerts.size)) if alerts.size else 0
        return {
            "innocent_people_flagged": float(weight[flagged].sum()),
            "innocent_people_flagged_on_two_days_or_more": float(
                weight[flagged & (self.days_flagged >= 2)].sum()
            ),
            "most_false_alerts_on_one_innocent_person": float(alerts[0]) if alerts.size else 0.0,
            "share_of_false_alerts_on_top_1pct_flagged": float(alerts[:top].sum() / alerts.sum())
            if alerts.size
            else 0.0,
            "innocent_people_stopped": float(weight[innocent & (self.wrong_stops > 0)].sum()),
            "innocent_people_stopped_twice_or_more": float(
                weight[innocent & (self.wrong_stops >= 2)].sum()
            ),
            "watchlisted_people_alerted": float(weight[~innocent & (self.true_alerts > 0)].sum()),
        }


def person_figures(
    people: PeriodPeople, rng: np.random.Generator, *, confidence: float = CONFIDENCE
) -> dict[str, Any]:
    """The period's per-person figures, each with its interval from resampling people (module
    docstring)."""
    histories = _Histories.of(people)
    observed = histories.figures()

    def statistic(sample: IntArray) -> npt.NDArray[np.float64]:
        copies = np.bincount(sample, minlength=histories.people)[histories.rows]
        figures = histories.figures(copies.astype(np.float64))
        return np.array([figures[name] for name in PERSON_FIGURES])

    intervals: dict[str, list[float] | None] = dict.fromkeys(PERSON_FIGURES)
    if histories.people >= 2:
        result = stats.bootstrap(
            (np.arange(histories.people),),
            statistic,
            n_resamples=BOOTSTRAP_RESAMPLES,
            vectorized=False,
            confidence_level=confidence,
            method="percentile",
            random_state=rng,
        )
        low, high = result.confidence_interval
        intervals = {name: [float(low[i]), float(high[i])] for i, name in enumerate(PERSON_FIGURES)}
    innocent = ~people.watchlisted
    seen_days = np.bincount(people.person, minlength=len(people.person_id))
    scanned = people.totals("captures") > 0
    figures: dict[str, Any] = {
        "people": len(people.person_id),
        "innocent_people": int(innocent.sum()),
        "people_scanned": int(scanned.sum()),
        "people_on_site_two_days_or_more": int((seen_days >= 2).sum()),
        "mean_days_on_site": float(seen_days.mean()) if seen_days.size else 0.0,
    }
    for name in PERSON_FIGURES:
        figures[name] = {"value": observed[name], "ci95": intervals[name]}
    figures["by_group"] = _by_group(people)
    return figures


def _by_group(people: PeriodPeople) -> dict[str, dict[str, float | None]]:
    """Per group: innocent people seen, and the share of them flagged at least once in the period."""
    innocent = ~people.watchlisted
    flagged = people.totals("false_alerts") > 0
    out: dict[str, dict[str, float | None]] = {}
    for name in sorted({str(g) for g in people.group}):
        mine = innocent & (people.group == name)
        seen = int(mine.sum())
        hit = int((mine & flagged).sum())
        out[name] = {
            "innocent_people": seen,
            "innocent_people_flagged": hit,
            "share_flagged": hit / seen if seen else None,
        }
    return out


def period_summary(
    days: Sequence[Mapping[str, float]],
    people: PeriodPeople,
    rng: np.random.Generator,
    *,
    run_days_per_week: int,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """The period's figures: per day (with intervals) and per person over the period."""
    run_days_per_year = DAYS_PER_YEAR * run_days_per_week / DAYS_PER_WEEK
    per_day = {
        name: daily_figure(
            [day[name] for day in days],
            count=name in DAY_COUNTS,
            run_days_per_year=run_days_per_year,
            confidence=confidence,
        )
        for name in (*DAY_COUNTS, *DAY_AMOUNTS)
        if days and all(name in day for day in days)
    }
    total = {name: figure["period_total"] for name, figure in per_day.items()}

    def share(numerator: str, denominator: str) -> float | None:
        if numerator not in total or not total.get(denominator):
            return None
        return float(total[numerator]) / float(total[denominator])

    return {
        "per_day": per_day,
        "per_person": person_figures(people, rng, confidence=confidence),
        "conversion": {
            "alerts_per_incident": share("alerts", "incidents"),
            "incidents_reviewed": share("reviewed", "incidents"),
            "reviewed_judged_credible": share("credible", "reviewed"),
            "credible_intercepted": share("intercepted", "credible"),
            "alerts_to_interventions": share("intercepted", "alerts"),
            "interventions_right_person": share("right_person", "intercepted"),
        },
        "run_days_per_year": run_days_per_year,
        "confidence": confidence,
    }
