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
    PeopleOutcomes,
    classify,
    concentration,
    per_person,
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


def test_concentration_counts_flagged_people_and_the_most_flagged_share() -> None:
    per_person = np.array([0, 0, 6, 1, 1, 0, 2] + [1] * 93 + [0] * 50)
    spread = concentration(per_person)
    assert spread["people_flagged"] == 97
    assert spread["false_alerts"] == 6 + 1 + 1 + 2 + 93
    assert spread["max_per_flagged"] == 6
    assert spread["flagged_twice_or_more"] == 2
    assert spread["top_1pct_people"] == 1  # 1% of 97, at least one person
    assert spread["top_1pct_share"] == pytest.approx(6 / 103)
    assert concentration(np.zeros(5, dtype=np.int64))["top_1pct_share"] is None


def test_per_person_figures_count_innocent_people_and_visits_by_group() -> None:
    # Three people: 0 innocent (group a, two trips), 1 innocent (group b), 2 watchlisted (group b).
    trip_person = np.array([0, 0, 1, 2], dtype=np.int64)
    search_trip = np.array([0, 0, 1, 2, 3], dtype=np.int64)
    fa, ta, cn = (OUTCOMES.index(x) for x in ("false_alert", "true_alert", "correct_non_alert"))
    codes = np.array([fa, fa, cn, cn, ta], dtype=np.int8)
    outcomes = PeopleOutcomes.count(
        trip_person=trip_person, people=3, search_trip=search_trip, codes=codes
    )
    assert outcomes.visits.tolist() == [2, 1, 1]
    assert outcomes.false_alerts.tolist() == [2, 0, 0]
    assert outcomes.true_alerts.tolist() == [0, 0, 1]
    figures = per_person(
        outcomes,
        trip_person=trip_person,
        person_subject=np.array([NOT_ON_WATCHLIST, NOT_ON_WATCHLIST, 4]),
        person_group=np.array([0, 1, 1]),
        group_names=("a", "b"),
    )
    assert figures["innocent_people"] == 2
    assert figures["people_flagged"] == 1
    assert figures["max_per_flagged"] == 2
    assert figures["chance_innocent_visit_alerted"] == pytest.approx(1 / 3)
    by_group = figures["by_group"]
    assert isinstance(by_group, dict)
    assert by_group["a"]["chance_innocent_visit_alerted"] == pytest.approx(1 / 2)
    assert by_group["b"]["people_flagged"] == 0
