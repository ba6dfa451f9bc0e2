"""Incidents: the repeat alerts of one person's visit merged into one.

Someone on the watchlist who walks past five recognition cameras raises five alerts, but an operator
should see one incident, not five. Merging may use only what the system itself knows about an alert:
the watchlist identity it matched, the camera and the capture time. Two alerts of the same identity
belong to one incident when the second camera could be reached from the first in the time between
them: no faster than the fastest plausible walk and no slower than the slowest (plus some slack for
lingering). The plausible transit times come from a :class:`TransitTimes`: the camera graph
(`twin.analysis.camera_graph`, :class:`CameraGraphTransit`), which stands for what an operator knows from a
survey of how people move between the cameras, and where it has never seen a walk between two
cameras, :class:`WalkGraphTransit`: distances along the site's walk graph at bounding walking speeds.

Two sightings of one identity too close in time for one person to walk between them cannot both be
right: the second opens a new incident and is counted as an *impossible repeat*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import networkx as nx
import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from twin.site.cameras import Camera

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: How far a camera's anchor on the walk graph may sit from where its faces are seen: the distance
#: between two anchors is trusted to this much either way, m (the reach of a face camera's view).
ANCHOR_TOLERANCE_M: Final = 40.0


class TransitTimes(Protocol):
    """Plausible walking times between recognition cameras, as the system knows them."""

    def bounds_s(self, from_camera: str, to_camera: str) -> tuple[float, float] | None:
        """(shortest, longest) plausible time for one person to be seen at ``from_camera`` and then
        at ``to_camera``, seconds; None if the cameras are not linked."""
        ...


def camera_anchors(graph: nx.Graph, cameras: Sequence[Camera]) -> dict[str, int]:
    """Each camera's anchor: the walk-graph node nearest the middle of its view."""
    nodes = list(graph.nodes)
    tree = cKDTree(np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes]))
    anchors = {}
    for camera in cameras:
        centre = camera.view.centroid if not camera.view.is_empty else camera.position
        _, index = tree.query([centre.x, centre.y])
        anchors[camera.camera_id] = int(nodes[int(index)])
    return anchors


@dataclass(frozen=True)
class WalkGraphTransit:
    """Transit bounds from walk-graph distances between camera anchors and bounding speeds.

    shortest = max(0, distance − 2 × tolerance) / fastest speed; longest = (distance + 2 ×
    tolerance) / slowest speed + slack. The same camera twice: (0, slack).
    """

    distances_m: dict[tuple[str, str], float]
    speed_min_m_s: float
    speed_max_m_s: float
    slack_s: float

    @classmethod
    def build(
        cls,
        graph: nx.Graph,
        cameras: Sequence[Camera],
        *,
        speed_min_m_s: float,
        speed_max_m_s: float,
        slack_s: float,
    ) -> WalkGraphTransit:
        """Shortest walk-graph distances between every pair of the given cameras' anchors."""
        anchors = camera_anchors(graph, cameras)
        distances: dict[tuple[str, str], float] = {}
        for source, node in anchors.items():
            lengths = nx.single_source_dijkstra_path_length(graph, node, weight="length_m")
            for target, other in anchors.items():
                if other in lengths:
                    distances[(source, target)] = float(lengths[other])
        return cls(distances, speed_min_m_s, speed_max_m_s, slack_s)

    def bounds_s(self, from_camera: str, to_camera: str) -> tuple[float, float] | None:
        """(shortest, longest) plausible transit time, s; None if unreachable."""
        if from_camera == to_camera:
            return 0.0, self.slack_s
        distance_m = self.distances_m.get((from_camera, to_camera))
        if distance_m is None:
            return None
        spread_m = 2.0 * ANCHOR_TOLERANCE_M
        shortest = max(0.0, distance_m - spread_m) / self.speed_max_m_s
        longest = (distance_m + spread_m) / self.speed_min_m_s + self.slack_s
        return shortest, longest


@dataclass(frozen=True)
class CameraGraphTransit:
    """Transit bounds from the camera graph (`twin.analysis.camera_graph`): the shortest and longest transit
    seen between two cameras, plus slack; a ``fallback`` for pairs the graph never saw."""

    graph: nx.DiGraph
    slack_s: float
    fallback: TransitTimes | None = None

    def bounds_s(self, from_camera: str, to_camera: str) -> tuple[float, float] | None:
        """(shortest, longest) transit seen from one camera to the other, s; else the fallback's."""
        if from_camera == to_camera:
            return 0.0, self.slack_s
        if self.graph.has_edge(from_camera, to_camera):
            edge = self.graph.edges[from_camera, to_camera]
            return float(edge["transit_min_s"]), float(edge["transit_max_s"]) + self.slack_s
        if self.fallback is None:
            return None
        return self.fallback.bounds_s(from_camera, to_camera)


@dataclass(frozen=True)
class Incidents:
    """Alerts merged into incidents. Alert arrays follow the input order (by capture time)."""

    #: Per alert: the incident it belongs to.
    alert_incident: IntArray
    #: Per incident: the watchlist identity, first and last capture time (s), alert count.
    watchlist_id: IntArray
    first_s: FloatArray
    last_s: FloatArray
    alerts: IntArray
    #: Alerts that came too soon after another of the same identity for one person to walk between.
    impossible_repeats: int

    def __len__(self) -> int:
        return len(self.watchlist_id)


def merge_alerts(
    *,
    watchlist_id: IntArray,
    camera_id: Sequence[str],
    time_s: FloatArray,
    transit: TransitTimes,
) -> Incidents:
    """Merge alerts (sorted by capture time ``time_s``, s) into incidents, using only system-side
    facts: the matched watchlist identity, the camera and the time.

    An alert joins the most recent open incident of its identity whose last sighting could have
    walked to this camera in the time between; otherwise it opens a new incident.
    """
    n = len(watchlist_id)
    if np.any(np.diff(time_s) < 0):
        raise ValueError("alerts must be sorted by capture time")
    alert_incident = np.empty(n, dtype=np.int64)
    # Per identity, its incidents' numbers; per incident, its last sighting (camera, time).
    by_identity: dict[int, list[int]] = {}
    last_camera: list[str] = []
    last_time: list[float] = []
    first_time: list[float] = []
    identity: list[int] = []
    counts: list[int] = []
    impossible = 0
    for i in range(n):
        who, camera, now = int(watchlist_id[i]), camera_id[i], float(time_s[i])
        joined = None
        too_soon = False
        for incident in reversed(by_identity.get(who, [])):
            bounds = transit.bounds_s(last_camera[incident], camera)
            if bounds is None:
                continue
            gap = now - last_time[incident]
            if bounds[0] <= gap <= bounds[1]:
                joined = incident
                break
            too_soon = too_soon or gap < bounds[0]
        if joined is None:
            impossible += int(too_soon)
            joined = len(identity)
            by_identity.setdefault(who, []).append(joined)
            identity.append(who)
            first_time.append(now)
            last_time.append(now)
            last_camera.append(camera)
            counts.append(1)
        else:
            last_time[joined] = now
            last_camera[joined] = camera
            counts[joined] += 1
        alert_incident[i] = joined
    return Incidents(
        alert_incident=alert_incident,
        watchlist_id=np.asarray(identity, dtype=np.int64),
        first_s=np.asarray(first_time, dtype=np.float64),
        last_s=np.asarray(last_time, dtype=np.float64),
        alerts=np.asarray(counts, dtype=np.int64),
        impossible_repeats=impossible,
    )
