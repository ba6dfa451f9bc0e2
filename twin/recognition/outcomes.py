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
