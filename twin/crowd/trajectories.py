"""Trajectories: the walk replayed frame by frame, in the text format PedPy's ``load_trajectory``
reads (id, frame, x, y in metres; the frame rate in the header).

Positions are interpolated from the simulation's records (`twin.crowd.walking.Visits`): along each
stretch at the speed it was walked, standing still while queued between stretches and while
dwelling at the destination. Each walker keeps its lateral offset across the walkway
(``Trips.lateral_u`` times the half-width less a shoulder margin, group members side by side).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

from twin.crowd.demand import Trips
from twin.crowd.records import points_and_directions
from twin.crowd.walking import CrowdResult
from twin.site.model import Route

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: A walker keeps this far from a walkway's edge, m: *assumption* (half a shoulder width, 0.2-0.3).
EDGE_MARGIN_M: Final = 0.25
#: Members of a group walk this far apart side by side, m: *assumption*, 0.5-0.8.
GROUP_SPACING_M: Final = 0.6


@dataclass(frozen=True, slots=True)
class Trajectories:
    """Positions of walkers, one row per walker and frame; metres, frames at ``fps``."""

    pedestrian: IntArray
    frame: IntArray
    x_m: FloatArray
    y_m: FloatArray
    fps: float

    def __len__(self) -> int:
        return len(self.pedestrian)


def _segments(
    trips: Trips, crowd: CrowdResult
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray, IntArray]:
    """Every piece of every walk: (pedestrian, from s, to s, from m, to m, cell) for walking, for
    waiting between stretches and for dwelling at the destination."""
    v = crowd.visits
    end_m = v.start_m + v.length_m
    same = np.zeros(len(v), dtype=bool)
    same[:-1] = v.pedestrian[1:] == v.pedestrian[:-1]
    waits = np.flatnonzero(
        same & (v.enter_s[np.minimum(np.arange(len(v)) + 1, len(v) - 1)] > v.exit_s)
    )
    dwellers = np.flatnonzero(crowd.end_s > crowd.arrive_s)
    return (
        np.concatenate([v.pedestrian, v.pedestrian[waits], dwellers]),
        np.concatenate([v.enter_s, v.exit_s[waits], crowd.arrive_s[dwellers]]),
        np.concatenate([v.exit_s, v.enter_s[waits + 1], crowd.end_s[dwellers]]),
        np.concatenate([v.start_m, end_m[waits], crowd.route_length_m[dwellers]]),
        np.concatenate([end_m, end_m[waits], crowd.route_length_m[dwellers]]),
        np.concatenate([v.cell, v.cell[waits], np.full(dwellers.size, -1)]),
    )


@dataclass(frozen=True)
class WalkWhereabouts:
    """Where each walker really is at any moment, from the walk as it happened: along the route it
    chose, at the speed each stretch was walked, standing while queued or held and while dwelling
    (the same pieces as the trajectories, on the route's centre line)."""

    routes: tuple[Route, ...]
    route: IntArray  # per pedestrian: index into routes
    start_s: FloatArray  # per pedestrian: departure
    end_s: FloatArray  # per pedestrian: when they left the site (after any dwell)
    first: IntArray  # per pedestrian: first row of its pieces (pieces sorted by pedestrian, time)
    times_s: FloatArray  # per piece row: knots (from s, to s) as rows x 2
    along_m: FloatArray  # per piece row: (from m, to m) as rows x 2

    @classmethod
    def of(cls, trips: Trips, crowd: CrowdResult) -> WalkWhereabouts:
        """The walkers of ``crowd`` (who made ``trips``)."""
        who, t0, t1, m0, m1, _ = _segments(trips, crowd)
        order = np.lexsort((t0, who))
        first = np.searchsorted(who[order], np.arange(len(trips) + 1))
        return cls(
            routes=crowd.routes,
            route=crowd.route,
            start_s=trips.start_s,
            end_s=crowd.end_s,
            first=first.astype(np.int64),
            times_s=np.stack([t0[order], t1[order]], axis=1),
            along_m=np.stack([m0[order], m1[order]], axis=1),
        )

    def track(
        self, pedestrian: int, times_s: FloatArray
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Positions (n, 2) in metres at ``times_s``; on site between departure and leaving."""
        rows = slice(int(self.first[pedestrian]), int(self.first[pedestrian + 1]))
        knots_s = self.times_s[rows].ravel()
        knots_m = self.along_m[rows].ravel()
        line = self.routes[int(self.route[pedestrian])].line
        if knots_s.size == 0:  # walked nothing in the records: at its origin
            along = np.zeros(len(times_s))
        else:
            along = np.interp(times_s, knots_s, knots_m)
        points = shapely.line_interpolate_point(line, along)
        on_site = (times_s >= self.start_s[pedestrian]) & (times_s <= self.end_s[pedestrian])
        return shapely.get_coordinates(points), on_site


def trajectories(
    trips: Trips,
    crowd: CrowdResult,
    *,
    from_s: float,
    to_s: float,
    fps: float,
    area: tuple[float, float, float, float] | None = None,
) -> Trajectories:
    """Every walker's position at every frame from ``from_s`` to ``to_s`` (s after midnight) at
    ``fps`` frames per second, inside ``area`` (x0, y0, x1, y1 in metres) when given."""
    who, t0, t1, m0, m1, cell = _segments(trips, crowd)
    first = np.ceil(np.maximum(t0, from_s) * fps).astype(np.int64)
    last = np.ceil(np.minimum(t1, to_s) * fps).astype(np.int64)  # exclusive
    count = np.maximum(last - first, 0)
    rows = np.repeat(np.arange(who.size), count)
    frame = np.repeat(first, count) + (
        np.arange(rows.size) - np.repeat(np.cumsum(count) - count, count)
    )
    time_s = frame / fps
    span = np.maximum(t1 - t0, 1e-9)[rows]
    along = m0[rows] + (m1 - m0)[rows] * np.clip((time_s - t0[rows]) / span, 0.0, 1.0)
    pedestrian = who[rows]
    width = np.where(
        cell[rows] >= 0,
        crowd.walkways.width_m[crowd.walkways.cell_edge[np.maximum(cell[rows], 0)]],
        0.0,
    )
    half = np.maximum(width / 2.0 - EDGE_MARGIN_M, 0.0)
    u = trips.lateral_u[pedestrian]
    inward = np.where(u > 0, -1.0, 1.0)
    offset = np.clip(
        u * half + inward * trips.group_rank[pedestrian] * GROUP_SPACING_M, -half, half
    )
    x = np.empty(rows.size)
    y = np.empty(rows.size)
    route = crowd.route[pedestrian]
    order = np.argsort(route, kind="stable")
    bounds = np.searchsorted(route[order], np.arange(len(crowd.routes) + 1))
    for r in range(len(crowd.routes)):
        chosen = order[bounds[r] : bounds[r + 1]]
        if chosen.size == 0:
            continue
        line = crowd.routes[r].line
        m = along[chosen]
        xy, tangent = points_and_directions(np.full(m.size, line, dtype=object), m)
        norm = np.hypot(*tangent.T)
        normal = (
            np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
            / np.where(norm > 0, norm, 1.0)[:, None]
        )
        x[chosen] = xy[:, 0] + normal[:, 0] * offset[chosen]
        y[chosen] = xy[:, 1] + normal[:, 1] * offset[chosen]
    keep = np.ones(rows.size, dtype=bool)
    if area is not None:
        x0, y0, x1, y1 = area
        keep = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    order = np.lexsort((pedestrian[keep], frame[keep]))
    return Trajectories(
        pedestrian=pedestrian[keep][order],
        frame=frame[keep][order],
        x_m=x[keep][order],
        y_m=y[keep][order],
        fps=fps,
    )


def write_pedpy_text(found: Trajectories, out: Path) -> None:
    """Write trajectories as PedPy's text format (atomically: a temporary file, then a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(f"# framerate: {found.fps:g}\n")
            stream.write("# id frame x/m y/m\n")
            np.savetxt(
                stream,
                np.column_stack([found.pedestrian, found.frame, found.x_m, found.y_m]),
                fmt=["%d", "%d", "%.3f", "%.3f"],
                delimiter="\t",
            )
        Path(temporary).replace(out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
