"""The response on the record: its tables, its manifest section and its ledger entries.

The response stage (`twin.response.simulation`) emits flat records; this is the edge where they become Parquet
tables (``incidents``, ``interventions``, ``funnel``), the manifest's ``response`` section and the
oversight ledger (`twin.response.ledger`). Column names are defined once here and documented in
docs/results.md. Nothing here writes a face: no embedding, only scores, times and decisions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from twin.recognition.decisions import Decisions
from twin.recognition.deployment import Deployment
from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.population import Population
from twin.response.ledger import LEDGER_FILE, Ledger
from twin.response.proportionality import proportionality
from twin.response.simulation import (
    DISMISSED,
    EXPIRED,
    INTERCEPTED,
    LOST,
    LOST_REASONS,
    SECONDS_PER_HOUR,
    ResponseResult,
)
from twin.results.schema import FUNNEL, INCIDENTS, INTERVENTIONS
from twin.scenario import Scenario

if TYPE_CHECKING:
    from twin.results.writer import ResultsWriter

FloatArray = npt.NDArray[np.float64]

# Above this many watchlist entries the ledger records each entry only once it raises an alert.
LEDGER_WATCHLIST_ENTRIES_MAX: Final = 10_000


def _opt(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def incidents_table(result: ResponseResult) -> pa.Table:
    """One row per incident: its alerts and its way through the funnel."""
    feed, truth, incidents = result.feed, result.truth, result.incidents
    members = [np.flatnonzero(incidents.alert_incident == k) for k in range(len(incidents))]
    records = result.records
    return pa.table(
        {
            "incident": pa.array([r.incident for r in records], pa.int64()),
            "watchlist_id": pa.array([r.watchlist_id for r in records], pa.int64()),
            "first_s": incidents.first_s,
            "last_s": incidents.last_s,
            "alerts": incidents.alerts,
            "true_alerts": pa.array(
                [int(truth.right_person[m].sum()) for m in members], pa.int64()
            ),
            "search_ids": pa.array(
                [feed.search_id[m].tolist() for m in members], pa.list_(pa.int64())
            ),
            "cameras": pa.array(
                [sorted({feed.camera_id[i] for i in m}) for m in members], pa.list_(pa.string())
            ),
            "queued_s": pa.array([r.queued_s for r in records], pa.float64()),
            "outcome": pa.array([r.outcome for r in records], pa.string()).dictionary_encode(),
            "lost_reason": pa.array([r.lost_reason or None for r in records], pa.string()),
            "review_start_s": pa.array([_opt(r.review_start_s) for r in records], pa.float64()),
            "review_end_s": pa.array([_opt(r.review_end_s) for r in records], pa.float64()),
            "credible_p": pa.array([_opt(r.credible_p) for r in records], pa.float64()),
            "judged_credible": pa.array([r.judged_credible for r in records], pa.bool_()),
            "closed_s": pa.array([_opt(r.closed_s) for r in records], pa.float64()),
            "right_person": pa.array([r.right_person for r in records], pa.bool_()),
        }
    )


def interventions_table(result: ResponseResult, group_names: tuple[str, ...]) -> pa.Table:
    """One row per officer dispatched: where from, how far, and whom they stopped (if anyone)."""
    sent = [r for r in result.records if not math.isnan(r.dispatched_s)]
    feed, truth = result.feed, result.truth
    return pa.table(
        {
            "incident": pa.array([r.incident for r in sent], pa.int64()),
            "watchlist_id": pa.array([r.watchlist_id for r in sent], pa.int64()),
            "officer": pa.array([r.officer for r in sent], pa.int32()),
            "post": pa.array([r.post for r in sent], pa.string()),
            "target_search_id": pa.array(
                [int(feed.search_id[r.target_alert]) for r in sent], pa.int64()
            ),
            "target_camera_id": pa.array(
                [feed.camera_id[r.target_alert] for r in sent], pa.string()
            ),
            "dispatched_s": pa.array([r.dispatched_s for r in sent], pa.float64()),
            "arrival_s": pa.array([r.arrival_s for r in sent], pa.float64()),
            "travel_m": pa.array([r.travel_m for r in sent], pa.float32()),
            "outcome": pa.array([r.outcome for r in sent], pa.string()),
            "lost_reason": pa.array([r.lost_reason or None for r in sent], pa.string()),
            "intercepted_s": pa.array([_opt(r.intercepted_s) for r in sent], pa.float64()),
            "pedestrian": pa.array(
                [r.pedestrian if r.pedestrian >= 0 else None for r in sent], pa.int64()
            ),
            "group": pa.array(
                [group_names[int(truth.group[r.target_alert])] for r in sent], pa.string()
            ),
            "right_person": pa.array([r.right_person for r in sent], pa.bool_()),
        }
    )


def _busy_per_hour(
    intervals: tuple[tuple[float, float], ...], first_hour: int, hours: int
) -> FloatArray:
    """Seconds of each hour covered by the intervals (s after midnight)."""
    busy = np.zeros(hours)
    for start, end in intervals:
        for hour in range(int(start // SECONDS_PER_HOUR), int(end // SECONDS_PER_HOUR) + 1):
            low, high = hour * SECONDS_PER_HOUR, (hour + 1) * SECONDS_PER_HOUR
            if first_hour <= hour < first_hour + hours:
                busy[hour - first_hour] += max(0.0, min(end, high) - max(start, low))
    return busy


def funnel_table(result: ResponseResult) -> pa.Table:
    """One row per hour of the day: alerts in, and what became of the incidents that hour opened."""
    first_hour = int(result.window_start_s // SECONDS_PER_HOUR)
    last_s = max(result.window_end_s, result.duty_end_s, float(result.feed.time_s.max(initial=0.0)))
    hours = max(1, math.ceil(last_s / SECONDS_PER_HOUR) - first_hour)

    def per_hour(times_s: FloatArray | list[float], mask: Any = None) -> npt.NDArray[np.int64]:
        times = np.asarray(times_s, dtype=np.float64)
        if mask is not None:
            times = times[np.asarray(mask, dtype=bool)]
        index = np.clip((times // SECONDS_PER_HOUR).astype(np.int64) - first_hour, 0, hours - 1)
        return np.bincount(index, minlength=hours).astype(np.int64)

    records = result.records
    queued = [r.queued_s for r in records]
    outcome = np.array([r.outcome for r in records], dtype=object)
    right = np.array([r.right_person is True for r in records], dtype=bool)
    wrong = np.array([r.right_person is False for r in records], dtype=bool)
    reviewed = np.array([not math.isnan(r.review_end_s) for r in records], dtype=bool)
    dispatched = np.array([not math.isnan(r.dispatched_s) for r in records], dtype=bool)
    busy_s = _busy_per_hour(result.reviews_s, first_hour, hours)
    hour = np.arange(first_hour, first_hour + hours)
    # Seconds of each hour inside the staffed span (the window, stretched to the last activity).
    staffed_s = np.clip(
        np.minimum((hour + 1) * SECONDS_PER_HOUR, result.window_start_s + result.duty_s)
        - np.maximum(hour * SECONDS_PER_HOUR, result.window_start_s),
        0.0,
        SECONDS_PER_HOUR,
    )
    capacity_s = staffed_s * result.config.operators
    return pa.table(
        {
            "hour": hour.astype(np.int32),
            "start_s": hour * SECONDS_PER_HOUR,
            "alerts": per_hour(result.feed.time_s),
            "true_alerts": per_hour(result.feed.time_s, result.truth.right_person),
            "false_alerts": per_hour(result.feed.time_s, ~result.truth.right_person),
            "incidents": per_hour(queued),
            "expired": per_hour(queued, outcome == EXPIRED),
            "reviewed": per_hour(queued, reviewed),
            "dismissed": per_hour(queued, outcome == DISMISSED),
            "credible": per_hour(queued, reviewed & (outcome != DISMISSED)),
            "dispatched": per_hour(queued, dispatched),
            "intercepted": per_hour(queued, outcome == INTERCEPTED),
            "right_person": per_hour(queued, right),
            "wrong_person": per_hour(queued, wrong),
            "lost": per_hour(queued, outcome == LOST),
            "operator_busy_s": busy_s,
            "operator_utilisation": np.divide(
                busy_s, capacity_s, out=np.full(hours, np.nan), where=capacity_s > 0
            ),
        }
    )


def funnel_counts(result: ResponseResult) -> dict[str, Any]:
    """The whole run's funnel: incidents and what became of them."""
    records = result.records
    outcomes = [r.outcome for r in records]
    reviewed = sum(not math.isnan(r.review_end_s) for r in records)
    dismissed = outcomes.count(DISMISSED)
    return {
        "alerts": len(result.feed),
        "true_alerts": int(result.truth.right_person.sum()),
        "false_alerts": int((~result.truth.right_person).sum()),
        "incidents": len(records),
        "true_incidents": int(
            np.bincount(
                result.incidents.alert_incident[result.truth.right_person],
                minlength=len(records),
            )
            .astype(bool)
            .sum()
        )
        if len(records)
        else 0,
        "impossible_repeats": result.incidents.impossible_repeats,
        "expired": outcomes.count(EXPIRED),
        "reviewed": reviewed,
        "dismissed": dismissed,
        "credible": reviewed - dismissed,
        "dispatched": sum(not math.isnan(r.dispatched_s) for r in records),
        "intercepted": outcomes.count(INTERCEPTED),
        "right_person": sum(r.right_person is True for r in records),
        "wrong_person": sum(r.right_person is False for r in records),
        "lost": outcomes.count(LOST),
        "lost_reasons": {
            reason: sum(r.lost_reason == reason for r in records) for reason in LOST_REASONS
        },
    }


def staff_figures(result: ResponseResult) -> dict[str, Any]:
    """Staff time (h), utilisation and cost (GBP) of the operators and officers on duty."""
    config = result.config
    duty_h = result.duty_s / SECONDS_PER_HOUR
    operator_hours = config.operators * duty_h
    officer_hours = result.officers * duty_h
    review_s = sum(end - start for start, end in result.reviews_s)
    operator_cost = operator_hours * config.operator_cost_gbp_per_h
    officer_cost = officer_hours * config.officer_cost_gbp_per_h
    return {
        "duty_h": duty_h,
        "operators": config.operators,
        "officers": result.officers,
        "operator_hours": operator_hours,
        "officer_hours": officer_hours,
        "operator_busy_s": review_s,
        "officer_busy_s": result.officer_busy_s,
        "operator_utilisation": review_s / (operator_hours * SECONDS_PER_HOUR)
        if operator_hours
        else None,
        "officer_utilisation": result.officer_busy_s / (officer_hours * SECONDS_PER_HOUR)
        if officer_hours
        else None,
        "operator_cost_gbp": operator_cost,
        "officer_cost_gbp": officer_cost,
        "cost_gbp": operator_cost + officer_cost,
    }


def group_figures(
    population: Population, decisions: Decisions, result: ResponseResult
) -> dict[str, dict[str, Any]]:
    """Per group: passers-by whose faces were scanned, false alerts, interventions, wrong ones."""
    scanned = decisions.captures.passes.pedestrian[decisions.rows]
    scanned_people = np.unique(scanned)
    stopped = [r for r in result.records if r.outcome == INTERCEPTED]
    figures = {}
    for index, name in enumerate(population.group_names):
        in_group = population.pedestrian_group[scanned] == index
        people = int((population.pedestrian_group[scanned_people] == index).sum())
        wrong = {
            r.pedestrian
            for r in stopped
            if r.right_person is False and population.pedestrian_group[r.pedestrian] == index
        }
        figures[name] = {
            "scanned_passers_by": people,
            "faces_processed": int(in_group.sum()),
            "false_alerts": int(((result.truth.group == index) & ~result.truth.right_person).sum()),
            "interventions": sum(
                int(population.pedestrian_group[r.pedestrian] == index) for r in stopped
            ),
            "wrong_interventions": len(wrong),
            "wrong_intervention_share": len(wrong) / people if people else None,
        }
    return figures


def response_manifest(
    population: Population, decisions: Decisions, result: ResponseResult, ledger: Ledger
) -> dict[str, Any]:
    """The manifest's ``response`` section (docs/results.md)."""
    funnel = funnel_counts(result)
    scanned = decisions.captures.passes.pedestrian[decisions.rows]
    bystander_faces = int((population.pedestrian_subject[scanned] == NOT_ON_WATCHLIST).sum())
    return {
        "posts": [
            {"name": p.name, "node": p.node, "x_m": p.x_m, "y_m": p.y_m, "officers": p.officers}
            for p in result.posts
        ],
        "funnel": funnel,
        "staff": staff_figures(result),
        "by_group": group_figures(population, decisions, result),
        "proportionality": proportionality(
            faces=len(decisions.rows),
            bystander_faces=bystander_faces,
            true_alerts=funnel["true_alerts"],
            interventions=funnel["intercepted"],
            wrong_interventions=funnel["wrong_person"],
        ),
        "provenance": result.config.provenance.model_dump(mode="json"),
        "ledger": {
            "file": LEDGER_FILE,
            "entries": len(ledger.entries),
            "head_sha256": ledger.head_sha256,
        },
    }


def ledger_events(
    scenario: Scenario,
    seed: int,
    deployment: Deployment,
    decisions: Decisions,
    result: ResponseResult,
) -> list[tuple[float, str, Mapping[str, Any]]]:
    """Everything the oversight ledger records, as ``(time_s, kind, data)`` in the order it happened."""
    provenance = result.config.provenance
    start_s = result.window_start_s
    events: list[tuple[float, str, Mapping[str, Any]]] = [
        (
            start_s,
            "deployment",
            {
                "scenario": scenario.name,
                "scenario_sha256": scenario.sha256(),
                "seed": seed,
                "site": deployment.site.name,
                "recognition_cameras": sorted(
                    {*result.feed.camera_id, *deployment.recognition_ids}
                ),
                "threshold_cosine": round(decisions.threshold_cosine, 6),
                "watchlist_size": scenario.watchlist.size,
                "operators": result.config.operators,
                "officers": result.officers,
                "embeddings_kept": "none: faces that do not match are discarded at once",
            },
        )
    ]
    alerted = sorted(set(result.feed.watchlist_id.tolist()))
    every = scenario.watchlist.size <= LEDGER_WATCHLIST_ENTRIES_MAX
    for watchlist_id in range(scenario.watchlist.size) if every else alerted:
        events.append(
            (
                start_s,
                "watchlist_entry",
                {
                    "watchlist_id": watchlist_id,
                    "supplied_by": provenance.supplied_by,
                    "legal_basis": provenance.legal_basis,
                    "authorised_by": provenance.authorised_by,
                    "added": "start of deployment",
                    "expires_after_days": provenance.retention_days,
                },
            )
        )
    scanned_s = decisions.captures.passes.best_s[decisions.rows]
    if scanned_s.size:
        hours = (scanned_s // SECONDS_PER_HOUR).astype(np.int64)
        alert_hours = (result.feed.time_s // SECONDS_PER_HOUR).astype(np.int64)
        for hour, faces in zip(*np.unique(hours, return_counts=True), strict=True):
            events.append(
                (
                    float(min((hour + 1) * SECONDS_PER_HOUR, scanned_s.max())),
                    "faces_scanned",
                    {
                        "hour": int(hour),
                        "faces": int(faces),
                        "alerts": int((alert_hours == hour).sum()),
                        "discarded_without_trace": int(faces - (alert_hours == hour).sum()),
                    },
                )
            )
    feed = result.feed
    for row in range(len(feed)):
        events.append(
            (
                float(feed.decided_s[row]),
                "alert",
                {
                    "search_id": int(feed.search_id[row]),
                    "captured_s": round(float(feed.time_s[row]), 3),
                    "camera_id": feed.camera_id[row],
                    "watchlist_id": int(feed.watchlist_id[row]),
                    "score": round(float(feed.score[row]), 4),
                    "quality": round(float(feed.quality[row]), 3),
                    "incident": int(result.incidents.alert_incident[row]),
                },
            )
        )
    for r in result.records:
        if r.outcome == EXPIRED:
            events.append((r.closed_s, "expired_unreviewed", {"incident": r.incident}))
            continue
        events.append(
            (
                r.review_end_s,
                "review",
                {
                    "incident": r.incident,
                    "search_id": int(feed.search_id[r.shown_alert]),
                    "review_s": round(r.review_end_s - r.review_start_s, 3),
                    "judged": "credible" if r.judged_credible else "not credible",
                },
            )
        )
        if not math.isnan(r.dispatched_s):
            events.append(
                (
                    r.dispatched_s,
                    "dispatch",
                    {
                        "incident": r.incident,
                        "post": r.post,
                        "officer": r.officer,
                        "search_id": int(feed.search_id[r.target_alert]),
                        "camera_id": feed.camera_id[r.target_alert],
                        "travel_m": round(r.travel_m, 1),
                    },
                )
            )
        if r.outcome == INTERCEPTED:
            events.append(
                (
                    r.closed_s,
                    "intervention",
                    {
                        "incident": r.incident,
                        "person_stopped": "the watchlisted person"
                        if r.right_person
                        else "not the person on the watchlist",
                    },
                )
            )
        elif r.outcome == LOST:
            events.append((r.closed_s, "lost", {"incident": r.incident, "reason": r.lost_reason}))
    return events


def record_response(
    result: ResponseResult,
    writer: ResultsWriter,
    *,
    scenario: Scenario,
    seed: int,
    deployment: Deployment,
    population: Population,
    decisions: Decisions,
) -> dict[str, Any]:
    """Write the response tables and the ledger into a results folder; return the manifest section."""
    writer.write_table(INCIDENTS, incidents_table(result))
    writer.write_table(INTERVENTIONS, interventions_table(result, population.group_names))
    writer.write_table(FUNNEL, funnel_table(result))
    ledger = Ledger()
    ledger.extend(ledger_events(scenario, seed, deployment, decisions, result))
    writer.write_file(LEDGER_FILE, ledger.to_bytes())
    return response_manifest(population, decisions, result, ledger)
