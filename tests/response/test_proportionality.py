"""Proportionality figures: faces per right alert and per person stopped."""

from __future__ import annotations

from twin.response.proportionality import proportionality


def test_proportionality_has_no_figure_without_a_denominator() -> None:
    figures = proportionality(
        faces=1000, bystander_faces=990, true_alerts=4, interventions=0, wrong_interventions=0
    )
    assert figures["faces_per_true_alert"] == 250.0
    assert figures["bystander_faces_per_intervention"] is None
