"""Decisions: every search of a run and what came of it.

One row per searched track (one person passing one recognition camera), in time order: the capture
it came from, whose face it was (the ground truth), the matcher's answer, the micro-batch pipeline's
timings, and the outcome (`twin.recognition.outcomes`). This is the record the later stages read
(the response's alert feed, the results tables, a year's counts), instead of the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.recognition.captures import Captures
from twin.recognition.matching import MatchResult
from twin.recognition.outcomes import FALSE_ALERT, OUTCOMES, TRUE_ALERT, classify
from twin.recognition.pipeline import PipelineResult

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Decisions:
    """A run's searches (row i is the i-th searched capture) and their outcomes."""

    captures: Captures  # every capture opportunity of the run, searched or not
    rows: IntArray  # per search: its row in ``captures``, in time order
    subject: IntArray  # per search: the watchlist row of the person captured, or NOT_ON_WATCHLIST
    group: IntArray  # per search: the captured person's group index
    matches: MatchResult
    pipeline: PipelineResult  # per search: the micro-batch it went in, its queue and service times
    threshold_cosine: float  # the alert threshold the outcomes were decided at
    outcome: npt.NDArray[np.int8]  # per search: an index into twin.recognition.outcomes.OUTCOMES

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def pedestrian(self) -> IntArray:
        """Per search: the pedestrian (person-trip) captured."""
        return self.captures.passes.pedestrian[self.rows]

    @property
    def time_s(self) -> FloatArray:
        """Per search: the capture's best moment, simulated seconds since midnight."""
        return self.captures.passes.best_s[self.rows]

    @property
    def alert(self) -> BoolArray:
        """Per search: whether it raised an alert (right or wrong)."""
        return np.isin(self.outcome, (OUTCOMES.index(TRUE_ALERT), OUTCOMES.index(FALSE_ALERT)))


def decide(
    captures: Captures,
    rows: IntArray,
    *,
    subject: IntArray,
    group: IntArray,
    matches: MatchResult,
    pipeline: PipelineResult,
    threshold_cosine: float,
) -> Decisions:
    """The run's decisions, each search's outcome classified from its truth and its answer."""
    return Decisions(
        captures=captures,
        rows=rows,
        subject=subject,
        group=group,
        matches=matches,
        pipeline=pipeline,
        threshold_cosine=threshold_cosine,
        outcome=classify(subject, matches.top1_id, matches.top1_score, threshold_cosine),
    )
