"""Passes: walkers crossing camera views, and the moment each one is best seen.

A route (a LineString in projected metres) is cut by the camera views it crosses; each contiguous
stretch of one route inside one view is a :class:`ViewPass`. Its best moment is where the face is
in frame (no closer than the camera's ``near_m``) at the highest pixel density; its facing angle is
between the walker's direction of arrival there and the direction to the camera (0 = walking
straight at it, 180 = walking away). Everything is vectorised over cameras and pieces: a handful of
GEOS calls per route whatever the number of cameras.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Polygon

from twin.site.optics import face_px_per_m

__all__ = ["ViewPass", "ViewPieces", "cut_by_views", "passes_from_pieces", "passes_through"]


class Camera(Protocol):
    """What passes need of a camera (`twin.site.cameras.Camera` has it): where it is, its optics and
    its view. A protocol, so that this module does not import the cameras module, which imports it."""

    @property
    def camera_id(self) -> str: ...
    @property
    def x_m(self) -> float: ...
    @property
    def y_m(self) -> float: ...
    @property
    def hfov_deg(self) -> float: ...
    @property
    def width_px(self) -> int: ...
    @property
    def mount_height_m(self) -> float: ...
    @property
    def near_m(self) -> float: ...
    @property
    def view(self) -> Polygon: ...


# Length of route just before a point that gives the walking direction there, m.
_HEADING_SPAN_M: Final = 1.0
# Stretches of route inside a view closer than this are one pass, m.
_JOIN_GAP_M: Final = 0.01


@dataclass(frozen=True, slots=True)
class ViewPass:
    """One walk through one camera's view along a route; distances in metres along the route."""

    camera_id: str
    #: Where the route enters the view polygon, m along the route.
    enter_m: float
    #: Where the route leaves the view polygon, m along the route.
    exit_m: float
    #: Where the face is seen at the highest pixel density (face in frame), m along the route.
    best_m: float
    #: Horizontal ground distance from the camera to the walker at ``best_m``, m.
    distance_m: float
    #: Horizontal pixel density on the face at ``best_m`` (slant range), px/m.
    px_per_m: float
    #: Angle between walking direction and the direction to the camera at ``best_m``, degrees in
    #: [0, 180]: 0 walking straight at the camera, 180 walking directly away.
    facing_deg: float


@dataclass(frozen=True)
class ViewPieces:
    """The pieces of a line inside camera views: whose, and where along the line (metres)."""

    length_m: float
    #: LineStrings, each a contiguous piece of the line inside one view.
    pieces: NDArray[Any]
    #: Index of each piece's camera in the sequence of cameras the line was cut by.
    camera: NDArray[np.int64]
    start_m: NDArray[np.float64]
    end_m: NDArray[np.float64]


def cut_by_views(line: LineString, cameras: Sequence[Camera]) -> ViewPieces:
    """Cut ``line`` by the views of ``cameras`` (one vectorised GEOS call for all of them)."""
    views = np.array([camera.view for camera in cameras], dtype=object)
    pieces, owner = shapely.get_parts(shapely.intersection(line, views), return_index=True)
    keep = (shapely.get_type_id(pieces) == shapely.GeometryType.LINESTRING) & (
        shapely.length(pieces) > 0
    )
    pieces, owner = pieces[keep], owner[keep].astype(np.int64)
    along_a = shapely.line_locate_point(line, shapely.get_point(pieces, 0))
    along_b = shapely.line_locate_point(line, shapely.get_point(pieces, -1))
    return ViewPieces(
        float(line.length),
        pieces,
        owner,
        np.minimum(along_a, along_b),
        np.maximum(along_a, along_b),
    )


def passes_through(route: LineString, cameras: Sequence[Camera]) -> list[ViewPass]:
    """Every pass of ``route`` through the views of ``cameras``, sorted by ``best_m``.

    Vectorised over cameras and passes: a handful of GEOS calls per route whatever the number of
    cameras. A pass whose face never comes into frame (the whole stretch closer than the camera's
    ``near_m``) is left out.
    """
    if not cameras or route.is_empty:
        return []
    cut = cut_by_views(route, cameras)
    return passes_from_pieces(route, cameras, cut.pieces, cut.camera, cut.start_m, cut.end_m)


def passes_from_pieces(
    route: LineString,
    cameras: Sequence[Camera],
    pieces: NDArray[Any],
    owner: NDArray[np.int64],
    starts_m: NDArray[np.float64],
    ends_m: NDArray[np.float64],
) -> list[ViewPass]:
    """Passes from the pieces of ``route`` inside views, already cut (for callers that cache them).

    ``pieces[i]`` is a LineString of the route inside the view of ``cameras[owner[i]]``, running
    from ``starts_m[i]`` to ``ends_m[i]`` metres along the route. Pieces of one camera that touch
    make one pass.
    """
    if pieces.size == 0:
        return []
    involved, owner = np.unique(owner, return_inverse=True)
    cameras = [cameras[int(i)] for i in involved]
    order = np.lexsort((starts_m, owner))
    pieces, owner, starts, ends = pieces[order], owner[order], starts_m[order], ends_m[order]
    stretch = _stretch_ids(owner, starts, ends)

    apex_xy = np.array([(c.x_m, c.y_m) for c in cameras])
    near_m = np.array([c.near_m for c in cameras])
    apexes = shapely.points(apex_xy)
    piece_distance_m = shapely.distance(pieces, apexes[owner])

    # Best moment of each stretch: the nearest point if the face is in frame there, else the
    # places where the route crosses the near_m rim (the frame's bottom edge).
    n_stretches = int(stretch[-1]) + 1
    stretch_owner = np.zeros(n_stretches, dtype=np.int64)
    stretch_owner[stretch] = owner
    nearest_piece = _argmin_per_group(stretch, piece_distance_m)
    framed = piece_distance_m[nearest_piece] >= near_m[stretch_owner]
    direct = nearest_piece[framed]
    direct_points = shapely.line_interpolate_point(
        pieces[direct], shapely.line_locate_point(pieces[direct], apexes[owner[direct]])
    )
    inside = np.flatnonzero(~framed[stretch] & (piece_distance_m < near_m[owner]))
    crossing_xy, crossing_of = _circle_crossings(
        pieces[inside], apex_xy[owner[inside]], near_m[owner[inside]]
    )
    points = np.concatenate([direct_points, shapely.points(crossing_xy)])
    point_stretch = np.concatenate([np.flatnonzero(framed), stretch[inside[crossing_of]]])
    if points.size == 0:
        return []

    best_m = shapely.line_locate_point(route, points)
    cam_xy = apex_xy[stretch_owner[point_stretch]]
    facing_deg, here_xy = _facing_deg(route, best_m, cam_xy)
    # One moment per stretch: its only candidate when framed, else the most frontal crossing.
    chosen = _argmin_per_group(point_stretch, facing_deg)
    found = point_stretch[chosen]  # stretches whose face comes into frame, ascending
    enter_m = np.full(n_stretches, np.inf)
    exit_m = np.full(n_stretches, -np.inf)
    np.minimum.at(enter_m, stretch, starts)
    np.maximum.at(exit_m, stretch, ends)
    distance_m = np.hypot(*(cam_xy[chosen] - here_xy[chosen]).T)
    camera_of = stretch_owner[found]
    optics = np.array([(c.width_px, c.hfov_deg, c.mount_height_m) for c in cameras])[camera_of]
    px_per_m = face_px_per_m(optics[:, 0], optics[:, 1], optics[:, 2], distance_m)
    passes = [
        ViewPass(
            camera_id=cameras[cam].camera_id,
            enter_m=enter,
            exit_m=exit_,
            best_m=best,
            distance_m=distance,
            px_per_m=density,
            facing_deg=facing,
        )
        for cam, enter, exit_, best, distance, density, facing in zip(
            camera_of.tolist(),
            enter_m[found].tolist(),
            exit_m[found].tolist(),
            best_m[chosen].tolist(),
            distance_m.tolist(),
            px_per_m.tolist(),
            facing_deg[chosen].tolist(),
            strict=True,
        )
    ]
    passes.sort(key=lambda p: (p.best_m, p.camera_id))
    return passes


def _argmin_per_group(groups: NDArray[np.int64], keys: NDArray[np.float64]) -> NDArray[np.int64]:
    """For each distinct value of ``groups`` (ascending), the index of its smallest ``key``."""
    order = np.lexsort((keys, groups))
    first = np.ones(order.size, dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    return order[first]


def _stretch_ids(
    owner: NDArray[np.int64], starts: NDArray[np.float64], ends: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Number contiguous stretches: pieces (sorted by owner, start) of one camera that touch."""
    ids = np.zeros(owner.size, dtype=np.int64)
    reach_m = ends[0]
    for i in range(1, owner.size):
        same = owner[i] == owner[i - 1] and starts[i] <= reach_m + _JOIN_GAP_M
        ids[i] = ids[i - 1] + (0 if same else 1)
        reach_m = max(reach_m, ends[i]) if same else ends[i]
    return ids


# --- geometry helpers -------------------------------------------------------------------------


def _circle_crossings(
    lines: NDArray[Any], centre_xy: NDArray[np.float64], radius_m: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Where each line crosses its circle: (points' xy, index of the line), exactly.

    Each segment p + t·d (t in [0, 1]) meets the circle where |p + t·d - c|² = r².
    """
    coords, index = shapely.get_coordinates(lines, return_index=True)
    same = index[1:] == index[:-1]
    p, d, owner = coords[:-1][same], np.diff(coords, axis=0)[same], index[1:][same]
    f = p - centre_xy[owner]
    a = np.einsum("ij,ij->i", d, d)
    b = 2.0 * np.einsum("ij,ij->i", f, d)
    c = np.einsum("ij,ij->i", f, f) - radius_m[owner] ** 2
    disc = b * b - 4.0 * a * c
    ok = (disc >= 0) & (a > 0)
    root = np.sqrt(np.where(ok, disc, 0.0))
    safe_a = np.where(a > 0, a, 1.0)
    t = np.concatenate([(-b - root) / (2 * safe_a), (-b + root) / (2 * safe_a)])
    hit = np.concatenate([ok, ok]) & (t >= 0.0) & (t <= 1.0)
    p2, d2, owner2 = np.concatenate([p, p]), np.concatenate([d, d]), np.concatenate([owner, owner])
    return p2[hit] + t[hit, None] * d2[hit], owner2[hit]


def _facing_deg(
    route: LineString, at_m: NDArray[np.float64], camera_xy: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Facing angles, degrees in [0, 180], at distances ``at_m`` along ``route``, and the points.

    The walking direction is the one the walker arrives with (over the last metre), so a best
    moment on a corner counts the way they came; at the very start, the way they leave.
    """
    arriving = at_m > 0.0
    start_m = np.where(arriving, np.maximum(0.0, at_m - _HEADING_SPAN_M), 0.0)
    end_m = np.where(arriving, at_m, np.minimum(route.length, _HEADING_SPAN_M))
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(route, np.concatenate([start_m, end_m, at_m]))
    )
    start_xy, end_xy, here_xy = np.split(xy, 3)
    walk = end_xy - start_xy
    to_camera = camera_xy - here_xy
    norms = np.hypot(*walk.T) * np.hypot(*to_camera.T)
    cosine = np.einsum("ij,ij->i", walk, to_camera) / np.where(norms > 0, norms, 1.0)
    facing = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    return np.where(norms > 0, facing, 90.0), here_xy
