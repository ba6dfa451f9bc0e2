"""Passes: walkers crossing camera views, and the moment each one is best seen.

A route (a LineString in projected metres) is cut by the camera views it crosses; each contiguous
stretch of one route inside one view is a :class:`ViewPass`. Its best moment is where the face is
in frame (no closer than the camera's ``near_m``) at the highest pixel density; its facing angle is
between the walker's direction of arrival there and the direction to the camera (0 = walking
straight at it, 180 = walking away). Everything is vectorised over cameras, pieces and routes: a
handful of GEOS calls for a whole batch of routes (:func:`passes_from_route_pieces`) whatever the
number of cameras, each route's passes exactly as if it were worked out alone.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Polygon

from twin.cycles import cycle_collection_paused
from twin.site.optics import face_px_per_m

__all__ = [
    "ViewPass",
    "ViewPieces",
    "cut_by_views",
    "passes_from_pieces",
    "passes_from_route_pieces",
    "passes_through",
]


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


# Each field's slot on a ViewPass, in order (for filling many at once, `_view_passes`).
_VIEW_PASS_SLOTS: Final = tuple(getattr(ViewPass, f.name) for f in dataclasses.fields(ViewPass))


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
    make one pass. A batch of one route (:func:`passes_from_route_pieces`).
    """
    route_of = np.zeros(pieces.size, dtype=np.int64)
    (passes,) = passes_from_route_pieces(
        [route], cameras, route_of, pieces, owner, starts_m, ends_m
    )
    return passes


@cycle_collection_paused()  # many short-lived geometries, none in a cycle: no rescans
def passes_from_route_pieces(
    routes: Sequence[LineString],
    cameras: Sequence[Camera],
    route_of: NDArray[np.int64],
    pieces: NDArray[Any],
    owner: NDArray[np.int64],
    starts_m: NDArray[np.float64],
    ends_m: NDArray[np.float64],
    piece_ids: NDArray[np.int64] | None = None,
) -> list[list[ViewPass]]:
    """Passes of many routes at once from their pieces inside views: one list per route, each
    sorted by ``(best_m, camera_id)``, exactly as :func:`passes_from_pieces` gives route by route.

    ``pieces[i]`` is a LineString of ``routes[route_of[i]]`` inside the view of
    ``cameras[owner[i]]``, running from ``starts_m[i]`` to ``ends_m[i]`` (>= ``starts_m[i]``)
    metres along that route. Every step runs once for the whole batch. ``piece_ids`` (small ints
    >= 0) may say which pieces are one: the same LineString in the same camera's view, such as an
    edge's piece on every route along that edge; each is then measured once.
    """
    if piece_ids is None:
        piece_ids = np.arange(pieces.size, dtype=np.int64)
    if pieces.size == 0:
        return [[] for _ in routes]
    involved, owner = np.unique(owner, return_inverse=True)
    cameras = [cameras[int(i)] for i in involved]
    # Sorted by route, camera, start; stable, so each route's pieces keep their relative order.
    order = np.lexsort((starts_m, route_of * involved.size + owner))
    pieces, owner, route_of, piece_ids = (
        pieces[order],
        owner[order],
        route_of[order],
        piece_ids[order],
    )
    starts, ends = starts_m[order], ends_m[order]
    stretch = _stretch_ids(route_of, owner, starts, ends)

    apex_xy = np.array([(c.x_m, c.y_m) for c in cameras])
    near_m = np.array([c.near_m for c in cameras])
    apexes = shapely.points(apex_xy)
    # A piece on many routes is measured once, at one of its places (`one`).
    one = np.full(int(piece_ids.max()) + 1, -1, dtype=np.int64)
    one[piece_ids] = np.arange(piece_ids.size)
    used = one[one >= 0]
    by_id_m = np.empty(one.size)
    by_id_m[piece_ids[used]] = shapely.distance(pieces[used], apexes[owner[used]])
    piece_distance_m = by_id_m[piece_ids]

    # Best moment of each stretch: the nearest point if the face is in frame there, else the
    # places where the route crosses the near_m rim (the frame's bottom edge).
    n_stretches = int(stretch[-1]) + 1
    stretch_owner = np.zeros(n_stretches, dtype=np.int64)
    stretch_owner[stretch] = owner
    stretch_route = np.zeros(n_stretches, dtype=np.int64)
    stretch_route[stretch] = route_of
    nearest_piece = _argmin_per_run(stretch, piece_distance_m)
    framed = piece_distance_m[nearest_piece] >= near_m[stretch_owner]
    direct = nearest_piece[framed]
    direct_pieces, direct_of = np.unique(piece_ids[direct], return_inverse=True)
    direct_lines, direct_apexes = pieces[one[direct_pieces]], apexes[owner[one[direct_pieces]]]
    direct_points = shapely.line_interpolate_point(
        direct_lines, shapely.line_locate_point(direct_lines, direct_apexes)
    )[direct_of]
    inside = np.flatnonzero(~framed[stretch] & (piece_distance_m < near_m[owner]))
    crossing_xy, crossing_of = _circle_crossings(
        pieces[inside], apex_xy[owner[inside]], near_m[owner[inside]]
    )
    points = np.concatenate([direct_points, shapely.points(crossing_xy)])
    point_stretch = np.concatenate([np.flatnonzero(framed), stretch[inside[crossing_of]]])
    if points.size == 0:
        return [[] for _ in routes]

    lines = np.asarray(routes, dtype=object)[stretch_route[point_stretch]]
    best_m = shapely.line_locate_point(lines, points)
    cam_xy = apex_xy[stretch_owner[point_stretch]]
    facing_deg, here_xy = _facing_deg(lines, best_m, cam_xy)
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

    # Each route's passes by (best_m, camera_id): a stable sort, as Python's sort of the passes.
    camera_ids = np.array([c.camera_id for c in cameras], dtype=object)
    id_rank = {camera_id: rank for rank, camera_id in enumerate(sorted(set(camera_ids)))}
    camera_rank = np.array([id_rank[camera_id] for camera_id in camera_ids], dtype=np.int64)
    best_chosen = best_m[chosen]
    route_found = stretch_route[found]
    by_route = np.lexsort((camera_rank[camera_of], best_chosen, route_found))
    passes = _view_passes(
        camera_ids[camera_of[by_route]].tolist(),
        enter_m[found][by_route].tolist(),
        exit_m[found][by_route].tolist(),
        best_chosen[by_route].tolist(),
        distance_m[by_route].tolist(),
        px_per_m[by_route].tolist(),
        facing_deg[chosen][by_route].tolist(),
    )
    bounds = np.searchsorted(route_found[by_route], np.arange(len(routes) + 1)).tolist()
    return [passes[a:b] for a, b in itertools.pairwise(bounds)]


def _view_passes(*columns: list[Any]) -> list[ViewPass]:
    """``[ViewPass(*row) for row in zip(*columns)]``, filled a field at a time: the frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field) would take most of the time of
    a batch's tens of thousands of passes. ViewPass has no ``__post_init__`` to skip."""
    made = list(map(object.__new__, itertools.repeat(ViewPass, len(columns[0]))))
    for field, column in zip(_VIEW_PASS_SLOTS, columns, strict=True):
        collections.deque(map(field.__set__, made, column), maxlen=0)
    return made


def _argmin_per_group(groups: NDArray[np.int64], keys: NDArray[np.float64]) -> NDArray[np.int64]:
    """For each distinct value of ``groups`` (ascending), the index of its smallest ``key``."""
    order = np.lexsort((keys, groups))
    first = np.ones(order.size, dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    return order[first]


def _argmin_per_run(runs: NDArray[np.int64], keys: NDArray[np.float64]) -> NDArray[np.int64]:
    """:func:`_argmin_per_group` for ``runs`` already sorted, without sorting: the index of the
    first smallest ``key`` of each run (NaN counts as largest)."""
    new = np.ones(runs.size, dtype=bool)
    new[1:] = runs[1:] != runs[:-1]
    smallest = np.minimum.reduceat(keys, np.flatnonzero(new))
    if np.isnan(smallest).any():  # minimum would take a NaN
        return _argmin_per_group(runs, keys)
    hits = np.flatnonzero(keys == smallest[np.cumsum(new) - 1])
    first = np.ones(hits.size, dtype=bool)
    first[1:] = runs[hits[1:]] != runs[hits[:-1]]
    return hits[first]


def _stretch_ids(
    route_of: NDArray[np.int64],
    owner: NDArray[np.int64],
    starts: NDArray[np.float64],
    ends: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Number contiguous stretches (0, 1, ...): pieces, sorted by route, camera and start, of one
    camera on one route that touch (start within the join gap of the farthest end before them).

    The farthest end is a running maximum over the route's pieces of that camera: the same as one
    restarted at each stretch, since a stretch starts beyond everything before it (ends >= starts).
    """
    group_start = np.ones(owner.size, dtype=bool)
    group_start[1:] = (route_of[1:] != route_of[:-1]) | (owner[1:] != owner[:-1])
    group = np.cumsum(group_start) - 1
    # A running maximum per group, exactly, over the ends' ranks lifted by group (group · n + rank):
    # everything in a group is above everything in the groups before it.
    by_end = np.argsort(ends)
    rank = np.empty(owner.size, dtype=np.int64)
    rank[by_end] = np.arange(owner.size)
    lift = group * owner.size
    reach_m = ends[by_end][np.maximum.accumulate(lift + rank) - lift]
    new = group_start
    new[1:] |= starts[1:] > reach_m[:-1] + _JOIN_GAP_M
    return np.cumsum(new) - 1


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
    routes: NDArray[Any], at_m: NDArray[np.float64], camera_xy: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Facing angles, degrees in [0, 180], at distances ``at_m`` (m) along ``routes`` (one route
    LineString per distance), and the points there.

    The walking direction is the one the walker arrives with (over the last metre), so a best
    moment on a corner counts the way they came; at the very start, the way they leave.
    """
    arriving = at_m > 0.0
    leaving = ~arriving
    start_m = np.where(arriving, np.maximum(0.0, at_m - _HEADING_SPAN_M), 0.0)
    # The walk ends where the walker is, unless at the start (then a metre on, or the route's end).
    leave_m = np.minimum(shapely.length(routes[leaving]), _HEADING_SPAN_M)
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(
            np.concatenate([routes, routes, routes[leaving]]),
            np.concatenate([start_m, at_m, leave_m]),
        )
    )
    start_xy, here_xy = xy[: at_m.size], xy[at_m.size : 2 * at_m.size]
    end_xy = here_xy.copy()
    end_xy[leaving] = xy[2 * at_m.size :]
    walk = end_xy - start_xy
    to_camera = camera_xy - here_xy
    norms = np.hypot(*walk.T) * np.hypot(*to_camera.T)
    cosine = np.einsum("ij,ij->i", walk, to_camera) / np.where(norms > 0, norms, 1.0)
    facing = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    return np.where(norms > 0, facing, 90.0), here_xy
