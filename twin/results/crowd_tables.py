"""The crowd's tables and the manifest's ``crowd`` figures: how dense each walkway was, minute by minute,
where queues formed at bottlenecks, and the day's trips and speeds (docs/results.md, docs/crowd.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from twin.crowd.demand import Trips
from twin.crowd.density import minute_density, minute_queues
from twin.crowd.walking import CrowdResult
from twin.recognition.quality import fruin_density_ped_m2, level_of_service
from twin.scenario import Scenario

FloatArray = npt.NDArray[np.float64]


def walkway_density_table(scenario: Scenario, crowd: CrowdResult) -> pa.Table:
    """One row per walkway (walk-graph edge) and minute with anyone on it: density and level of
    service."""
    window = scenario.crowd
    minutes = minute_density(crowd, from_s=window.window_start_s, to_s=window.window_end_s)
    walkways = crowd.walkways
    names = np.array(walkways.name, dtype=object)
    kinds = np.array(walkways.kind, dtype=object)
    edge_a = np.array([key[0] for key in walkways.edge_key], dtype=np.int64)
    edge_b = np.array([key[1] for key in walkways.edge_key], dtype=np.int64)
    return pa.table(
        {
            "walkway": minutes.walkway,
            "node_a": edge_a[minutes.walkway],
            "node_b": edge_b[minutes.walkway],
            "name": pa.array(names[minutes.walkway], pa.string()).dictionary_encode(),
            "kind": pa.array(kinds[minutes.walkway], pa.string()).dictionary_encode(),
            "width_m": walkways.width_m[minutes.walkway].astype(np.float32),
            "minute_s": minutes.minute_s,
            "density_ped_m2": minutes.density_ped_m2.astype(np.float32),
            "entered": minutes.entered.astype(np.int32),
            "held_back": minutes.held_back.astype(np.int32),
            "mean_hold_s": minutes.mean_hold_s.astype(np.float32),
            "level_of_service": pa.array(
                _levels(minutes.density_ped_m2), pa.string()
            ).dictionary_encode(),
        }
    )


def _levels(density_ped_m2: FloatArray) -> npt.NDArray[np.object_]:
    """Fruin's level of service of each density (twin.recognition.quality.level_of_service)."""
    levels = fruin_density_ped_m2()
    edges = np.array([edge for _, edge in levels])
    names = np.array([level for level, _ in levels] + ["F"], dtype=object)
    return names[np.searchsorted(edges, density_ped_m2, side="right")]


def bottleneck_queues_table(scenario: Scenario, crowd: CrowdResult) -> pa.Table:
    """One row per bottleneck and minute with anyone passing: passages, longest queue, mean wait."""
    minutes = minute_queues(crowd, from_s=scenario.crowd.window_start_s)
    names = np.array(crowd.bottleneck_names, dtype=object)
    return pa.table(
        {
            "bottleneck": minutes.bottleneck,
            "name": pa.array(names[minutes.bottleneck], pa.string()).dictionary_encode(),
            "x_m": crowd.bottleneck_xy_m[minutes.bottleneck, 0],
            "y_m": crowd.bottleneck_xy_m[minutes.bottleneck, 1],
            "minute_s": minutes.minute_s,
            "passed": minutes.passed.astype(np.int32),
            "max_queue": minutes.max_queue.astype(np.int32),
            "mean_wait_s": minutes.mean_wait_s.astype(np.float32),
        }
    )


def crowd_section(scenario: Scenario, trips: Trips, crowd: CrowdResult) -> dict[str, Any]:
    """The manifest's ``crowd`` figures: trips, speeds, the densest walkway-minute, the longest
    queue, and Fruin's level of service reached on the busiest walkway."""
    walk_s = crowd.arrive_s - trips.start_s
    moving = walk_s > 0
    queues = crowd.queues
    window = scenario.crowd
    in_window = queues.joined_s >= window.window_start_s
    density = minute_density(crowd, from_s=window.window_start_s, to_s=window.window_end_s)
    # The busiest walkway is the one with the densest minute; its level of service is that minute's.
    peak = float(density.density_ped_m2.max()) if len(density) else 0.0
    return {
        "mean_trip_s": float(walk_s[moving].mean()) if moving.any() else None,
        "mean_speed_m_s": float((crowd.route_length_m[moving] / walk_s[moving]).mean())
        if moving.any()
        else None,
        "peak_density_ped_m2": peak,
        "max_queue": int(queues.ahead[in_window].max()) if in_window.any() else 0,
        "held_back": int(density.held_back.sum()),
        "busiest_walkway_level_of_service": level_of_service(peak),
    }
