"""Recording: a run's flat arrays become Parquet tables and the manifest's figures.

The simulation emits flat, typed columns; this is the edge where they become tables (pyarrow) and
summary figures (outcomes, latency percentiles from HdrHistogram, throughput). Column names are defined
once here and documented in docs/results.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from hdrh.histogram import HdrHistogram

from twin.analysis.coverage import coverage_report
from twin.crowd.demand import TRIP_KINDS, Trips
from twin.crowd.flows import flows_from_walk
from twin.crowd.walking import CrowdResult
from twin.matcher.timing import ServiceTimeTable
from twin.recognition.decisions import Decisions
from twin.recognition.deployment import Deployment
from twin.recognition.faces import NOT_ON_WATCHLIST, FaceModel
from twin.recognition.outcomes import OUTCOMES, TRUE_ALERT, summarise
from twin.recognition.population import Population
from twin.response.simulation import ResponseResult
from twin.results.crowd_tables import (
    bottleneck_queues_table,
    crowd_section,
    walkway_density_table,
)
from twin.results.people_tables import people_counts, people_figures, people_outcomes, people_table
from twin.results.schema import (
    ALERTS,
    BOTTLENECK_QUEUES,
    CAMERAS,
    DECISIONS,
    ID_PROBABILITY,
    PEDESTRIANS,
    PEOPLE,
    SITE_MAP_FILE,
    TIMESERIES,
    WALKWAY_DENSITY,
)
from twin.scenario import Scenario

FloatArray = npt.NDArray[np.float64]

SECONDS_PER_MINUTE = 60.0
# The crowd's tables (docs/results.md).
# HdrHistogram range for latencies, in microseconds: 1 us to 1 hour, 3 significant digits.
LATENCY_HIST_MAX_US = 3_600_000_000
LATENCY_HIST_DIGITS = 3


def latency_percentiles_ms(latency_s: FloatArray) -> dict[str, float | None]:
    """p50, p90, p99, p99.9 and max of latencies (seconds in, milliseconds out), via HdrHistogram."""
    if latency_s.size == 0:
        return {"p50": None, "p90": None, "p99": None, "p999": None, "max": None, "mean": None}
    histogram = HdrHistogram(1, LATENCY_HIST_MAX_US, LATENCY_HIST_DIGITS)
    micros = np.clip(np.rint(latency_s * 1e6), 1, LATENCY_HIST_MAX_US).astype(np.int64)
    values, counts = np.unique(micros, return_counts=True)
    for value, count in zip(values.tolist(), counts.tolist(), strict=True):
        histogram.record_value(value, count)
    return {
        "p50": histogram.get_value_at_percentile(50.0) / 1000.0,
        "p90": histogram.get_value_at_percentile(90.0) / 1000.0,
        "p99": histogram.get_value_at_percentile(99.0) / 1000.0,
        "p999": histogram.get_value_at_percentile(99.9) / 1000.0,
        "max": histogram.get_max_value() / 1000.0,
        # HdrHistogram's own mean walks every bucket (tenths of a second); numpy's is exact and quick
        "mean": float(np.mean(latency_s)) * 1000.0,
    }


def decisions_table(
    deployment: Deployment, population: Population, decisions: Decisions
) -> pa.Table:
    """One row per matcher search, with its ground truth, decision and timings."""
    rows = decisions.rows
    passes = decisions.captures.passes
    pedestrians = passes.pedestrian[rows]
    subjects = population.pedestrian_subject[pedestrians]
    camera_ids = np.array([camera.camera_id for camera in deployment.site.cameras], dtype=object)
    groups = np.array(population.group_names, dtype=object)
    pipeline = decisions.pipeline
    codes = decisions.outcome
    return pa.table(
        {
            "search_id": np.arange(len(rows), dtype=np.int64),
            "time_s": passes.best_s[rows],
            "camera_id": pa.array(camera_ids[passes.camera[rows]], pa.string()).dictionary_encode(),
            "pedestrian": pedestrians,
            "person": population.trip_person[pedestrians],
            "subject": subjects,
            "group": pa.array(
                groups[population.pedestrian_group[pedestrians]], pa.string()
            ).dictionary_encode(),
            "mated": subjects != NOT_ON_WATCHLIST,
            "px_per_m": passes.px_per_m[rows].astype(np.float32),
            "distance_m": passes.distance_m[rows].astype(np.float32),
            "head_yaw_deg": decisions.captures.head_yaw_deg[rows].astype(np.float32),
            "quality": decisions.captures.quality[rows].astype(np.float32),
            "in_view": decisions.captures.in_view[rows].astype(np.int32),
            **{
                name: np.asarray(values).astype(np.float32)
                for name, values in decisions.captures.factor_columns(rows).items()
            },
            "top1_id": decisions.matches.top1_id,
            "top1_score": decisions.matches.top1_score.astype(np.float32),
            "mate_score": pa.array(
                decisions.matches.mate_score.astype(np.float32),
                mask=np.isnan(decisions.matches.mate_score),
            ),
            "outcome": pa.array(
                np.array(OUTCOMES, dtype=object)[codes], pa.string()
            ).dictionary_encode(),
            "batch_id": pipeline.batch_id,
            "batch_size": pipeline.batch_size.astype(np.int32),
            "queue_ms": ((pipeline.start_s - pipeline.arrival_s) * 1000.0).astype(np.float32),
            "service_ms": (pipeline.service_s * 1000.0).astype(np.float32),
            "latency_ms": (pipeline.latency_s * 1000.0).astype(np.float32),
        }
    )


def timeseries_table(
    scenario: Scenario,
    trips: Trips,
    crowd: CrowdResult,
    decisions: Decisions,
    table: pd.DataFrame,
) -> pa.Table:
    """One row per simulated minute: demand, captures, alerts, queue depth, latency, matcher load."""
    start_s = scenario.crowd.window_start_s
    last_s = max(
        scenario.crowd.window_end_s,
        float(crowd.end_s.max()) if len(trips) else start_s,
        float(decisions.pipeline.done_s.max()) if len(decisions.pipeline.done_s) else start_s,
    )
    n_minutes = int(np.ceil((last_s - start_s) / SECONDS_PER_MINUTE)) or 1

    def per_minute(times_s: FloatArray, weights: FloatArray | None = None) -> FloatArray:
        index = np.clip(
            ((times_s - start_s) // SECONDS_PER_MINUTE).astype(np.int64), 0, n_minutes - 1
        )
        return np.bincount(index, weights=weights, minlength=n_minutes).astype(np.float64)

    minute = np.arange(n_minutes)
    frame = pd.DataFrame({"minute": minute, "start_s": start_s + minute * SECONDS_PER_MINUTE})
    frame["pedestrians_departed"] = per_minute(trips.start_s).astype(np.int64)
    frame["passes"] = per_minute(crowd.passes.best_s).astype(np.int64)
    frame["captures"] = per_minute(table["time_s"].to_numpy()).astype(np.int64)
    frame["searches"] = frame["captures"] * decisions.matches.frames
    for outcome in ("true_alert", "false_alert"):
        mask = (table["outcome"] == outcome).to_numpy()
        frame[f"{outcome}s"] = per_minute(table["time_s"].to_numpy()[mask]).astype(np.int64)
    frame["alerts"] = frame["true_alerts"] + frame["false_alerts"]
    depth_minute = np.clip(
        ((decisions.pipeline.depth_time_s - start_s) // SECONDS_PER_MINUTE).astype(np.int64),
        0,
        n_minutes - 1,
    )
    depth_max = np.zeros(n_minutes, dtype=np.int64)
    np.maximum.at(depth_max, depth_minute, decisions.pipeline.depth)
    frame["queue_depth_max"] = depth_max
    latency = table.groupby((table["time_s"] - start_s) // SECONDS_PER_MINUTE)["latency_ms"]
    quantiles = latency.quantile(np.array([0.5, 0.99])).unstack()
    frame["latency_p50_ms"] = np.nan
    frame["latency_p99_ms"] = np.nan
    if not quantiles.empty:
        index = np.clip(quantiles.index.to_numpy().astype(np.int64), 0, n_minutes - 1)
        frame.loc[index, "latency_p50_ms"] = quantiles[0.5].to_numpy()
        frame.loc[index, "latency_p99_ms"] = quantiles[0.99].to_numpy()
    batches = pd.DataFrame(
        {
            "batch": decisions.pipeline.batch_id,
            "start": decisions.pipeline.start_s,
            "service": decisions.pipeline.service_s,
        }
    ).drop_duplicates("batch")
    frame["matcher_busy_fraction"] = (
        per_minute(batches["start"].to_numpy(), batches["service"].to_numpy()) / SECONDS_PER_MINUTE
    )
    return pa.Table.from_pandas(frame, preserve_index=False)


def cameras_table(
    deployment: Deployment, crowd: CrowdResult, decisions: Decisions, table: pd.DataFrame
) -> pa.Table:
    """One row per camera: optics, whether it ran recognition, passes, searches and alerts."""
    site = deployment.site
    passes = np.bincount(crowd.passes.camera, minlength=len(site.cameras))
    by_camera = (
        table.groupby("camera_id", observed=True)["outcome"].value_counts().unstack(fill_value=0)
    )
    captures = table.groupby("camera_id", observed=True).size()

    def count(camera_id: str, column: str) -> int:
        if column not in by_camera.columns or camera_id not in by_camera.index:
            return 0
        return int(by_camera.at[camera_id, column])  # type: ignore[arg-type]

    ids = [camera.camera_id for camera in site.cameras]
    return pa.table(
        {
            "camera_id": ids,
            "name": [camera.name for camera in site.cameras],
            "x_m": [camera.x_m for camera in site.cameras],
            "y_m": [camera.y_m for camera in site.cameras],
            "heading_deg": [camera.heading_deg for camera in site.cameras],
            "hfov_deg": [camera.hfov_deg for camera in site.cameras],
            "width_px": [camera.width_px for camera in site.cameras],
            "mount_height_m": [camera.mount_height_m for camera in site.cameras],
            "recognition_capable": [camera.recognition_capable for camera in site.cameras],
            "recognition": deployment.recognition,
            "tags": [",".join(camera.tags) for camera in site.cameras],
            "passes": passes.astype(np.int64),
            "captures": [int(captures.get(camera_id, 0)) for camera_id in ids],
            "searches": [
                int(captures.get(camera_id, 0)) * decisions.matches.frames for camera_id in ids
            ],
            "true_alerts": [count(camera_id, "true_alert") for camera_id in ids],
            "false_alerts": [count(camera_id, "false_alert") for camera_id in ids],
        }
    )


def pedestrians_table(
    deployment: Deployment,
    trips: Trips,
    crowd: CrowdResult,
    population: Population,
    decisions: Decisions,
    table: pd.DataFrame,
) -> pa.Table:
    """One row per pedestrian (person-trip): when, where from and to, who, and how often searched."""
    trips = trips
    n = len(trips)
    entrance_ids = np.array(
        [entrance.entrance_id for entrance in deployment.site.entrances], dtype=object
    )
    kinds = np.array(TRIP_KINDS, dtype=object)
    groups = np.array(population.group_names, dtype=object)
    searched = table["pedestrian"].to_numpy()
    true_mask = (table["outcome"] == TRUE_ALERT).to_numpy()
    return pa.table(
        {
            "pedestrian": np.arange(n, dtype=np.int64),
            "person": population.trip_person,
            "start_s": trips.start_s,
            "end_s": crowd.end_s,
            "origin": pa.array(entrance_ids[trips.origin], pa.string()).dictionary_encode(),
            "destination": pa.array(
                entrance_ids[trips.destination], pa.string()
            ).dictionary_encode(),
            "kind": pa.array(kinds[trips.kind], pa.string()).dictionary_encode(),
            "speed_m_s": trips.speed_m_s.astype(np.float32),
            "route_length_m": crowd.route_length_m.astype(np.float32),
            "group": pa.array(groups[population.pedestrian_group], pa.string()).dictionary_encode(),
            "subject": population.pedestrian_subject,
            "passes": np.bincount(crowd.passes.pedestrian, minlength=n).astype(np.int32),
            "captures": np.bincount(searched, minlength=n).astype(np.int32),
            "searches": (np.bincount(searched, minlength=n) * decisions.matches.frames).astype(
                np.int32
            ),
            "true_alerts": np.bincount(searched[true_mask], minlength=n).astype(np.int32),
        }
    )


def id_probability_table(
    scenario: Scenario, deployment: Deployment, crowd: CrowdResult
) -> pa.Table:
    """A grid over the site: the chance that a person passing each cell is captured at recognition
    grade, given the cameras that ran and the routes the day's walkers took (twin.analysis.coverage)."""
    report = coverage_report(
        deployment.site,
        config=scenario.cameras,
        flows=flows_from_walk(crowd.routes, crowd.route),
        recognition=deployment.recognition,
    )
    return pa.table(report.grid.columns())


def build_tables(
    *,
    scenario: Scenario,
    deployment: Deployment,
    trips: Trips,
    crowd: CrowdResult,
    population: Population,
    decisions: Decisions,
    response: ResponseResult | None,
) -> dict[str, pa.Table]:
    """Every table of a results directory, by name."""
    table = decisions_table(deployment, population, decisions)
    frame = table.select(["time_s", "camera_id", "pedestrian", "outcome", "latency_ms"]).to_pandas()
    frame["outcome"] = frame["outcome"].astype(str)
    alerts_mask = pa.compute.is_in(
        table["outcome"].cast(pa.string()), value_set=pa.array(["true_alert", "false_alert"])
    )
    return {
        DECISIONS: table,
        ID_PROBABILITY: id_probability_table(scenario, deployment, crowd),
        ALERTS: table.filter(alerts_mask),
        TIMESERIES: timeseries_table(scenario, trips, crowd, decisions, frame),
        CAMERAS: cameras_table(deployment, crowd, decisions, frame),
        PEDESTRIANS: pedestrians_table(deployment, trips, crowd, population, decisions, frame),
        PEOPLE: people_table(
            population, trips, decisions, response, people_outcomes(population, decisions)
        ),
        WALKWAY_DENSITY: walkway_density_table(scenario, crowd),
        BOTTLENECK_QUEUES: bottleneck_queues_table(scenario, crowd),
    }


def _rate_figures(population: Population, decisions: Decisions) -> dict[str, Any]:
    subjects = decisions.subject
    matches = decisions.matches
    threshold = decisions.threshold_cosine
    overall = summarise(subjects, matches.top1_id, matches.top1_score, threshold)
    groups = population.pedestrian_group[decisions.captures.passes.pedestrian[decisions.rows]]
    by_group = {}
    for index, name in enumerate(population.group_names):
        mask = groups == index
        by_group[name] = summarise(
            subjects[mask], matches.top1_id[mask], matches.top1_score[mask], threshold
        ).as_dict()
    return {"overall": overall, "by_group": by_group}


def build_manifest(
    *,
    scenario: Scenario,
    seed: int,
    deployment: Deployment,
    trips: Trips,
    crowd: CrowdResult,
    population: Population,
    decisions: Decisions,
    face_model: FaceModel,
    service_table: ServiceTimeTable,
    kernel: dict[str, Any],
    stage_seconds: dict[str, float],
    wall_seconds: float,
    started_utc: str,
    environment: dict[str, str],
    response: ResponseResult | None,
) -> dict[str, Any]:
    """The run's manifest (docs/results.md), all but the status and table list."""
    rates = _rate_figures(population, decisions)
    overall = rates["overall"]
    search_times = decisions.captures.passes.best_s[decisions.rows]
    window_s = scenario.crowd.window_end_s - scenario.crowd.window_start_s
    per_second = (
        np.bincount(np.floor(search_times - search_times.min()).astype(np.int64))
        if search_times.size
        else np.zeros(1)
    )
    # A walker under way at the window's start may be seen at its best frame a moment before it
    # (the warm start): such captures count in the window's first minute, as in the timeseries.
    minute_index = np.floor((search_times - scenario.crowd.window_start_s) / SECONDS_PER_MINUTE)
    per_minute = (
        np.bincount(np.maximum(minute_index, 0).astype(np.int64))
        if search_times.size
        else np.zeros(1)
    )
    peak_minute = int(np.argmax(per_minute))
    watchlisted = np.flatnonzero(population.watchlisted)
    searched_pedestrians = decisions.captures.passes.pedestrian[decisions.rows]
    true_alert_rows = (decisions.matches.top1_id == decisions.subject) & (
        decisions.matches.top1_score >= face_model.threshold_cosine
    )
    seen = np.isin(watchlisted, searched_pedestrians[true_alert_rows])
    matching_s = stage_seconds.get("matching", 0.0)
    captures = len(decisions.rows)
    searches = captures * decisions.matches.frames
    people = people_outcomes(population, decisions)
    return {
        "crowd": crowd_section(scenario, trips, crowd),
        "scenario": {
            "name": scenario.name,
            "source": str(scenario.source) if scenario.source else None,
            "sha256": scenario.sha256(),
            "resolved": scenario.resolved(),
        },
        "seed": seed,
        "started_utc": started_utc,
        "wall_seconds": wall_seconds,
        "stage_seconds": stage_seconds,
        "environment": environment,
        "window": {"start_s": scenario.crowd.window_start_s, "end_s": scenario.crowd.window_end_s},
        "site": {
            "name": deployment.site.name,
            "area_ha": deployment.site.area_ha,
            "cameras": len(deployment.site.cameras),
            "recognition_cameras": int(deployment.recognition.sum()),
            "attribution": deployment.site.attribution,
            "map": SITE_MAP_FILE,
        },
        "counts": {
            "pedestrians": len(trips),
            "passes": len(crowd.passes),
            "captures": captures,
            "searches": searches,
            "alerts": overall.alerts,
            "true_alerts": overall.true_alerts,
            "false_alerts": overall.false_alerts,
            "mated_searches": overall.mated_searches,
            "missed": overall.missed,
            "watchlisted_pedestrians": int(watchlisted.size),
            "watchlisted_unseen": int((~seen).sum()),
            **people_counts(population, people),
        },
        "outcomes": {
            "fpir": overall.fpir,
            "fnir": overall.fnir,
            "precision": overall.precision,
            "threshold_cosine": face_model.threshold_cosine,
            "fmr_per_comparison": face_model.fmr,
            "by_group": rates["by_group"],
            "per_person": people_figures(population, response, people),
        },
        "latency_ms": latency_percentiles_ms(decisions.pipeline.latency_s),
        "throughput": {
            "peak_captures_per_s": int(per_second.max()),
            "peak_minute_captures": int(per_minute[peak_minute]),
            "peak_minute_start_s": scenario.crowd.window_start_s + peak_minute * SECONDS_PER_MINUTE,
            "searches_per_wall_s": searches / wall_seconds if wall_seconds > 0 else None,
            "matcher_searches_per_s": searches / matching_s if matching_s > 0 else None,
            "simulated_over_wall": window_s / wall_seconds if wall_seconds > 0 else None,
        },
        "matcher": {
            "backend": scenario.matcher.backend,
            "gallery_size": scenario.watchlist.size,
            "dim": scenario.faces.embedding_dim,
            "top_k": scenario.matcher.top_k,
            "service_time": scenario.pipeline.service_time,
            "max_batch": scenario.pipeline.max_batch,
            "max_wait_ms": scenario.pipeline.max_wait_ms,
            "frames_per_track": decisions.matches.frames,
            "fusion": scenario.faces.fusion if decisions.matches.frames > 1 else "best_shot",
            "batches": int(decisions.pipeline.batch_id.max() + 1) if searches else 0,
            "busy_fraction": decisions.pipeline.busy_s / window_s if window_s > 0 else None,
            "service_time_ms": {
                str(size): round(service_table.median_s(size) * 1000.0, 4)
                for size in service_table.batch_sizes
            },
            "kernel": kernel,
        },
    }
