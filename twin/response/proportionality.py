"""Proportionality: how many faces a deployment scans for each right alert and each person it stops.

- **faces processed per true alert**: every face scanned, divided by the alerts that were right;
- **bystander faces per intervention**: faces of people *not* on the watchlist scanned, divided by
  the people stopped;
- **bystander faces per wrong intervention**: the same, divided by the people stopped who were not
  the person on the watchlist.

Worked out when a run's response is recorded (`twin.results.response_tables`) and shown by the
oversight report (`twin.oversight`).
"""

from __future__ import annotations


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def proportionality(
    *,
    faces: int,
    bystander_faces: int,
    true_alerts: int,
    interventions: int,
    wrong_interventions: int,
) -> dict[str, float | None]:
    """Faces processed per true alert, bystander faces per intervention and per wrong one (None
    where nothing was in the denominator)."""
    return {
        "faces_per_true_alert": _ratio(faces, true_alerts),
        "bystander_faces_per_intervention": _ratio(bystander_faces, interventions),
        "bystander_faces_per_wrong_intervention": _ratio(bystander_faces, wrong_interventions),
    }
