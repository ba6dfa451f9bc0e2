"""Outcomes: every matcher decision judged against the ground truth the simulation knows.

Definitions follow NIST's 1:N evaluations (FRTE; facts.md):

- a **mated** search is a capture of someone on the watchlist; a **non-mated** search is anyone else;
- **true alert**: a mated search whose top candidate is the right identity, at or above the threshold;
- **false alert**: a top candidate at or above the threshold that is the wrong identity (for a
  non-mated search, any candidate; for a mated one, somebody else);
- **missed**: a mated search with no candidate above the threshold;
- **correct non-alert**: a non-mated search with no candidate above the threshold;
- **FPIR**: share of non-mated searches that raise an alert;
- **FNIR**: share of mated searches that do not return their mate above the threshold;
- **precision**: share of alerts that are true.

Per person (`PeopleOutcomes`, `per_person`): a person is **innocent** when not on the watchlist; an
innocent person is **flagged** by each false alert on one of their captures. A person who looks like
someone on the watchlist is flagged again and again, so these figures, not FPIR alone, say how many
people bear the errors and how often.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.outcome_names import CORRECT_NON_ALERT as CORRECT_NON_ALERT
from twin.recognition.outcome_names import FALSE_ALERT as FALSE_ALERT
from twin.recognition.outcome_names import MISSED as MISSED
from twin.recognition.outcome_names import OUTCOMES as OUTCOMES
from twin.recognition.outcome_names import TRUE_ALERT as TRUE_ALERT

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def classify(
    subject: IntArray, top1_id: IntArray, top1_score: FloatArray, threshold: float
) -> npt.NDArray[np.int8]:
    """Outcome code per search: an index into OUTCOMES."""
    mated = subject != NOT_ON_WATCHLIST
    alert = top1_score >= threshold
    right = mated & (top1_id == subject)
    codes = np.full(len(subject), OUTCOMES.index(CORRECT_NON_ALERT), dtype=np.int8)
    codes[mated & ~alert] = OUTCOMES.index(MISSED)
    codes[alert & ~right] = OUTCOMES.index(FALSE_ALERT)
    codes[alert & right] = OUTCOMES.index(TRUE_ALERT)
    return codes


@dataclass(frozen=True, slots=True)
class OutcomeSummary:
    """Counts and rates for a set of searches. Rates are None where their denominator is zero."""

    searches: int
    mated_searches: int
    alerts: int
    true_alerts: int
    false_alerts: int
    missed: int  # mated searches with no candidate above the threshold
    fpir: float | None
    fnir: float | None
    precision: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        """Plain dict for JSON and tables."""
        return asdict(self)


def summarise(
    subject: IntArray, top1_id: IntArray, top1_score: FloatArray, threshold: float
) -> OutcomeSummary:
    """Counts, FPIR, FNIR and precision for a set of searches at a threshold."""
    mated = subject != NOT_ON_WATCHLIST
    alert = top1_score >= threshold
    right = mated & (top1_id == subject) & alert
    non_mated = int((~mated).sum())
    n_mated = int(mated.sum())
    alerts = int(alert.sum())
    true_alerts = int(right.sum())
    false_on_non_mated = int((alert & ~mated).sum())
    return OutcomeSummary(
        searches=len(subject),
        mated_searches=n_mated,
        alerts=alerts,
        true_alerts=true_alerts,
        false_alerts=alerts - true_alerts,
        missed=int((mated & ~alert).sum()),
        fpir=false_on_non_mated / non_mated if non_mated else None,
        fnir=(n_mated - true_alerts) / n_mated if n_mated else None,
        precision=true_alerts / alerts if alerts else None,
    )


def concentration(
    per_person: IntArray, *, top_share: float = 0.01
) -> dict[str, float | int | None]:
    """How false alerts fall on people: ``per_person`` holds each person's false alerts (zeros
    allowed). Flagged people (at least one), false alerts per flagged person (mean, max), people
    flagged twice or more, and the share of all false alerts on the most-flagged ``top_share`` of
    flagged people (at least one person; ties broken by order)."""
    counts = np.asarray(per_person, dtype=np.int64)
    flagged = np.sort(counts[counts > 0])[::-1]
    total = int(flagged.sum())
    top = max(1, int(np.ceil(top_share * flagged.size))) if flagged.size else 0
    return {
        "people_flagged": int(flagged.size),
        "false_alerts": total,
        "mean_per_flagged": float(flagged.mean()) if flagged.size else None,
        "max_per_flagged": int(flagged[0]) if flagged.size else 0,
        "flagged_twice_or_more": int((flagged >= 2).sum()),
        "top_1pct_people": top,
        "top_1pct_share": float(flagged[:top].sum() / total) if total else None,
    }


@dataclass(frozen=True, slots=True)
class PeopleOutcomes:
    """Per person of the day: visits (trips), captures searched, and alerts right and wrong; per trip:
    whether it raised a false alert."""

    visits: IntArray
    captures: IntArray
    true_alerts: IntArray
    false_alerts: IntArray
    trip_false_alerted: BoolArray

    @classmethod
    def count(
        cls,
        *,
        trip_person: IntArray,
        people: int,
        search_trip: IntArray,
        codes: npt.NDArray[np.int8],
    ) -> PeopleOutcomes:
        """Count from each trip's person and each search's trip and outcome code (OUTCOMES)."""
        search_person = trip_person[search_trip]
        false = codes == OUTCOMES.index(FALSE_ALERT)
        true = codes == OUTCOMES.index(TRUE_ALERT)
        return cls(
            visits=np.bincount(trip_person, minlength=people).astype(np.int64),
            captures=np.bincount(search_person, minlength=people).astype(np.int64),
            true_alerts=np.bincount(search_person[true], minlength=people).astype(np.int64),
            false_alerts=np.bincount(search_person[false], minlength=people).astype(np.int64),
            trip_false_alerted=np.bincount(search_trip[false], minlength=len(trip_person)) > 0,
        )


def _people_figures(
    outcomes: PeopleOutcomes, innocent: BoolArray, trip_innocent: BoolArray
) -> dict[str, float | int | None]:
    visits = int(trip_innocent.sum())
    alerted = int((outcomes.trip_false_alerted & trip_innocent).sum())
    return {
        "innocent_people": int(innocent.sum()),
        "innocent_people_scanned": int((innocent & (outcomes.captures > 0)).sum()),
        **concentration(outcomes.false_alerts[innocent]),
        "innocent_visits": visits,
        "innocent_visits_alerted": alerted,
        "chance_innocent_visit_alerted": alerted / visits if visits else None,
    }


def per_person(
    outcomes: PeopleOutcomes,
    *,
    trip_person: IntArray,
    person_subject: IntArray,
    person_group: IntArray,
    group_names: tuple[str, ...],
) -> dict[str, object]:
    """The manifest's ``outcomes.per_person``: for innocent people (not on the watchlist), overall and
    by group, how false alerts fall on them (`concentration`) and the chance that one of their visits
    (a trip through the site) raises a false alert."""
    innocent = person_subject == NOT_ON_WATCHLIST
    trip_innocent = innocent[trip_person]
    trip_group = person_group[trip_person]
    return {
        **_people_figures(outcomes, innocent, trip_innocent),
        "by_group": {
            name: _people_figures(
                outcomes, innocent & (person_group == g), trip_innocent & (trip_group == g)
            )
            for g, name in enumerate(group_names)
        },
    }
