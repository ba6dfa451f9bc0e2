"""The dashboard's plain words: headline sentences and numbers a stakeholder reads."""

from __future__ import annotations

from typing import Any

import pytest

from twin.dashboard import text


def _manifest(**counts: int) -> dict[str, Any]:
    base = {
        "pedestrians": 118_234,
        "searches": 61_020,
        "alerts": 14,
        "true_alerts": 9,
        "false_alerts": 5,
        "watchlisted_pedestrians": 12,
        "watchlisted_unseen": 3,
    }
    return {
        "counts": {**base, **counts},
        "window": {"start_s": 0.0, "end_s": 86_400.0},
        "site": {"name": "King's Cross estate"},
        "matcher": {"gallery_size": 10_000},
        "scenario": {"name": "King's Cross estate, a weekday"},
        "seed": 20190902,
    }


def test_the_headline_reads_like_the_issue_asks() -> None:
    assert text.headline(_manifest()) == (
        "In one whole day (00:00–24:00), about 118,000 people walked through King's Cross estate; "
        "the cameras searched about 61,000 faces against a watchlist of 10,000. 14 alerts were "
        "raised: 9 were right and 5 were wrong. 3 of the 12 watchlisted people who came by passed "
        "unseen."
    )


@pytest.mark.parametrize(
    ("alerts", "right", "wrong", "sentence"),
    [
        (0, 0, 0, "No alert was raised."),
        (1, 1, 0, "1 alert was raised: it was right."),
        (1, 0, 1, "1 alert was raised: it was wrong."),
        (2, 1, 1, "2 alerts were raised: 1 was right and 1 was wrong."),
    ],
)
def test_alert_sentences_agree_in_number(
    alerts: int, right: int, wrong: int, sentence: str
) -> None:
    assert text.alerts_sentence(alerts, right, wrong) == sentence


@pytest.mark.parametrize(
    ("watchlisted", "unseen", "sentence"),
    [
        (0, 0, "Nobody on the watchlist came by."),
        (1, 1, "The one watchlisted person who came by passed unseen."),
        (1, 0, "The one watchlisted person who came by raised a right alert."),
        (3, 0, "Every one of the 3 watchlisted people who came by raised a right alert."),
        (4, 3, "3 of the 4 watchlisted people who came by passed unseen."),
    ],
)
def test_unseen_sentences(watchlisted: int, unseen: int, sentence: str) -> None:
    assert text.unseen_sentence(watchlisted, unseen) == sentence


def test_a_window_is_named_with_its_length() -> None:
    assert text.window_phrase({"start_s": 7 * 3600, "end_s": 10 * 3600}) == (
        "Between 07:00 and 10:00 (3 hours)"
    )
    assert text.window_phrase({"start_s": 8 * 3600, "end_s": 8.5 * 3600}) == (
        "Between 08:00 and 08:30 (30 minutes)"
    )


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(None, "not measured"), (0.0, "none"), (1 / 6000, "1 in 6,000"), (0.75, "75%")],
)
def test_small_rates_read_as_one_in_n(rate: float | None, shown: str) -> None:
    assert text.one_in(rate) == shown


def test_rounding_only_for_large_counts() -> None:
    assert text.about(9_999) == "9,999"
    assert text.about(118_234) == "about 118,000"
    assert text.about(1_234_567) == "about 1,230,000"


def test_the_run_label_names_scenario_seed_and_window() -> None:
    assert (
        text.run_label(_manifest())
        == "King's Cross estate, a weekday · seed 20190902 · 00:00–24:00"
    )


def test_latency_sentence_and_its_absence() -> None:
    assert "within 35 ms and 99 in 100 within 101 ms" in text.latency_sentence(
        {"p50": 35.0, "p99": 100.9}
    )
    assert "nothing to answer" in text.latency_sentence({"p50": None, "p99": None})
