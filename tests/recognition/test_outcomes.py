from __future__ import annotations

import numpy as np
import pytest

from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.outcomes import (
    CORRECT_NON_ALERT,
    FALSE_ALERT,
    MISSED,
    OUTCOMES,
    TRUE_ALERT,
    classify,
    summarise,
)

N = NOT_ON_WATCHLIST


def test_each_outcome_is_recognised() -> None:
    subject = np.array([3, 3, 3, N, N])
    top1_id = np.array([3, 3, 5, 1, 1])
    score = np.array([0.5, 0.1, 0.5, 0.5, 0.1])
    codes = classify(subject, top1_id, score, threshold=0.3)
    names = [OUTCOMES[c] for c in codes]
    assert names == [TRUE_ALERT, MISSED, FALSE_ALERT, FALSE_ALERT, CORRECT_NON_ALERT]


def test_rates_follow_nist_definitions() -> None:
    subject = np.array([3, 3, 3, 4, N, N, N, N])
    top1_id = np.array([3, 3, 5, 4, 1, 1, 2, 2])
    score = np.array([0.5, 0.1, 0.5, 0.9, 0.5, 0.1, 0.1, 0.1])
    summary = summarise(subject, top1_id, score, threshold=0.3)
    assert summary.searches == 8
    assert summary.mated_searches == 4
    assert summary.alerts == 4
    assert summary.true_alerts == 2
    assert summary.false_alerts == 2
    assert summary.missed == 1
    assert summary.fpir == pytest.approx(1 / 4)  # one of four non-mated searches alerted
    assert summary.fnir == pytest.approx(2 / 4)  # a miss and a wrong-identity alert
    assert summary.precision == pytest.approx(2 / 4)


def test_rates_without_denominators_are_none() -> None:
    summary = summarise(np.array([N]), np.array([0]), np.array([0.0]), threshold=0.5)
    assert summary.fnir is None
    assert summary.precision is None
    assert summary.fpir == 0.0
