"""Cameras: their optics, the ground each one sees, and how well it sees a face there.

A camera is a point on the site map with a compass heading, a horizontal field of view (HFOV), a
sensor resolution and a mount height. Three published rules turn those into what matters for face
recognition (see the project's reference facts):

- **Pixel density** on a subject is the sensor's horizontal pixels spread over the scene width at
  that range: "width = horizontal pixels / density; distance = width / (2 tan(HFOV/2))". Here the
  range is the *slant* range from the lens down to a face 1.6 m above the walking surface, so
  ``px_per_m = width_px / (2 * slant_m * tan(HFOV / 2))``. A 1080p camera (1920 px) with a
  30 degree lens "reaches 500 px/m at about 7 m".
- **EN 62676-4 (DORI)** grades a view by pixel density: detect 25 px/m, observe 62.5, recognise 125,
  identify 250.
- **Face recognition** needs more than DORI "identify": engines want 32 px between the eyes at
  minimum and 64 recommended (vendor SDK specifications, e.g. VeriLook); with an adult inter-pupil
  distance of about 63 mm (Dodgson 2004) that is "about 500 px/m minimum, about 1,000 px/m
  recommended (250 px/m identify gives only about 16 px between the eyes)".

The **view** of a camera is the ground footprint where it can have a walker's face in frame: the
sector heading ± HFOV/2 out to ``range_m`` (or less, where a steep tilt puts faces farther away
above the top of the frame), minus the *shadows* of buildings: everything behind a wall, as seen
from the lens, is hidden (real line of sight, not just the building footprints). The polygon is
drawn from the camera's own position; close to the mast a face falls below the bottom of the frame
(``near_m``), which :meth:`Camera.passes` takes into account when it picks the best moment.

A walker whose route crosses a view makes a :class:`ViewPass`: where the route enters and leaves
the view, where the face is seen at the highest pixel density, how far away that is, and how
squarely the walker faces the camera there (0 degrees: walking straight at it).

Coordinates are projected metres (x east, y north); headings are compass bearings (0 = grid north,
90 = east, clockwise).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final, overload

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Point, Polygon

from twin.errors import SiteMapError

__all__ = [
    "DEFAULT_FPS",
    "DEFAULT_MOUNT_HEIGHT_M",
    "DEFAULT_RANGE_M",
    "DEFAULT_TILT_DEG",
    "DORI_GRADES",
    "DORI_PX_PER_M",
    "FACE_HEIGHT_M",
    "FACE_MIN_PX_PER_M",
    "FACE_RECOMMENDED_PX_PER_M",
    "MAX_MOUNT_HEIGHT_M",
    "Camera",
    "ViewPass",
    "ViewPieces",
    "camera_from_properties",
    "camera_view",
    "cut_by_views",
    "dori_grade",
    "passes_from_pieces",
    "passes_through",
]

#: EN 62676-4 (DORI) minimum pixel densities on the subject, px/m.
DORI_PX_PER_M: Final[dict[str, float]] = {
    "detect": 25.0,
    "observe": 62.5,
    "recognise": 125.0,
    "identify": 250.0,
}
#: Face recognition minimum, px/m: 32 px between eyes 63 mm apart (vendor SDKs; Dodgson 2004).
FACE_MIN_PX_PER_M: Final = 500.0
#: Face recognition recommended, px/m: 64 px between the eyes.
FACE_RECOMMENDED_PX_PER_M: Final = 1000.0
#: Height of a walker's face above the walking surface, m.
FACE_HEIGHT_M: Final = 1.6

#: Grades returned by :func:`dori_grade`, best first, with the px/m each needs.
DORI_GRADES: Final[tuple[tuple[str, float], ...]] = (
    ("identify_face_recommended", FACE_RECOMMENDED_PX_PER_M),
    ("face_min", FACE_MIN_PX_PER_M),
    ("identify", DORI_PX_PER_M["identify"]),
    ("recognise", DORI_PX_PER_M["recognise"]),
    ("observe", DORI_PX_PER_M["observe"]),
    ("detect", DORI_PX_PER_M["detect"]),
)

# Defaults and limits of the site-map profile (docs/site_map_profile.md).
DEFAULT_MOUNT_HEIGHT_M: Final = 4.0
DEFAULT_TILT_DEG: Final = 10.0
DEFAULT_FPS: Final = 25.0
DEFAULT_RANGE_M: Final = 40.0
MAX_MOUNT_HEIGHT_M: Final = 30.0

# Shadows are cast out to this multiple of the view's reach (> 1/cos(45°), see _shadows).
_SHADOW_REACH_FACTOR: Final = 1.5
# Arc vertices of the view sector: one per this many degrees.
_ARC_STEP_DEG: Final = 2.0
# Length of route just before a point that gives the walking direction there, m.
_HEADING_SPAN_M: Final = 1.0
# Stretches of route inside a view closer than this are one pass, m.
_JOIN_GAP_M: Final = 0.01


def dori_grade(px_per_m: float) -> str:
    """The best grade a pixel density (px/m) reaches: one of the names in :data:`DORI_GRADES`.

    ``"identify_face_recommended"`` (>= 1,000 px/m), ``"face_min"`` (>= 500), ``"identify"``
    (>= 250), ``"recognise"`` (>= 125), ``"observe"`` (>= 62.5), ``"detect"`` (>= 25), else
    ``"none"``.
    """
    for name, threshold in DORI_GRADES:
        if px_per_m >= threshold:
            return name
    return "none"


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
class Camera:
    """One camera: where it is, where it looks, its optics, and the ground it sees (metres)."""

    camera_id: str
    name: str
    x_m: float
    y_m: float
    #: Compass bearing of the optical axis, degrees (0 = grid north, 90 = east).
    heading_deg: float
    #: Horizontal field of view, degrees.
    hfov_deg: float
    width_px: int
    height_px: int
    #: Lens height above the walking surface, m.
    mount_height_m: float
    #: Optical axis below horizontal, degrees.
    tilt_deg: float
    fps: float
    #: Farthest ground distance the view polygon reaches, m.
    range_m: float
    #: Optics and feed good enough to run face recognition.
    recognition_capable: bool
    tags: tuple[str, ...]
    #: Ground footprint where a face can be in frame, minus building shadows (see module doc).
    view: Polygon = field(repr=False)

    def __post_init__(self) -> None:
        shapely.prepare(self.view)

    @cached_property
    def position(self) -> Point:
        """The camera's position on the map."""
        return Point(self.x_m, self.y_m)

    @cached_property
    def vfov_deg(self) -> float:
        """Vertical field of view, degrees (square pixels: from HFOV and the aspect ratio)."""
        half = math.atan(math.tan(math.radians(self.hfov_deg) / 2) * self.height_px / self.width_px)
        return math.degrees(2 * half)

    @cached_property
    def near_m(self) -> float:
        """Ground distance, m, inside which a face falls below the bottom of the frame."""
        return _near_m(self.mount_height_m, self.tilt_deg, self.vfov_deg)

    @cached_property
    def reach_m(self) -> float:
        """How far the view polygon reaches, m: ``range_m``, or less where faces leave the top."""
        return _reach_m(self.mount_height_m, self.tilt_deg, self.vfov_deg, self.range_m)

    @overload
    def px_per_m_at(self, distance_m: float) -> float: ...

    @overload
    def px_per_m_at(self, distance_m: NDArray[np.float64]) -> NDArray[np.float64]: ...

    def px_per_m_at(self, distance_m: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
        """Horizontal pixel density, px/m, on a face at a horizontal ground distance (m).

        ``width_px / (2 * slant_m * tan(hfov / 2))`` with ``slant_m`` the range from the lens down
        (or up) to a face :data:`FACE_HEIGHT_M` above the ground.
        """
        density = _face_px_per_m(self.width_px, self.hfov_deg, self.mount_height_m, distance_m)
        if isinstance(distance_m, np.ndarray):
            return np.asarray(density, dtype=np.float64)
        return float(density)

    def distance_for_px_per_m(self, px_per_m: float) -> float:
        """Largest ground distance, m, at which a face gets at least ``px_per_m`` (0 if never)."""
        slant_m = self.width_px / (2.0 * px_per_m * math.tan(math.radians(self.hfov_deg) / 2))
        drop_m = abs(self.mount_height_m - FACE_HEIGHT_M)
        return math.sqrt(slant_m**2 - drop_m**2) if slant_m > drop_m else 0.0

    def passes(self, route: LineString) -> list[ViewPass]:
        """Every contiguous stretch of ``route`` inside this camera's view, in route order."""
        return passes_through(route, (self,))


def camera_view(
    x_m: float,
    y_m: float,
    *,
    heading_deg: float,
    hfov_deg: float,
    reach_m: float,
    buildings: Sequence[Polygon],
) -> Polygon:
    """The ground a camera at (x_m, y_m) sees: its sector out to ``reach_m`` minus building shadows.

    A building hides its own footprint and everything behind it as seen from the lens. The result
    is star-shaped around the camera, hence one polygon.
    """
    sector = _sector(x_m, y_m, heading_deg, hfov_deg, reach_m)
    if len(buildings) == 0:
        return sector
    candidates = np.asarray(buildings, dtype=object)
    candidates = candidates[shapely.intersects(candidates, sector)]
    if candidates.size == 0:
        return sector
    clipped = shapely.get_parts(shapely.intersection(candidates, sector))
    clipped = clipped[shapely.get_type_id(clipped) == shapely.GeometryType.POLYGON]
    if clipped.size == 0:
        return sector
    shadows = _shadows(x_m, y_m, clipped, _SHADOW_REACH_FACTOR * reach_m + 1.0)
    hidden = shapely.union_all(np.concatenate([clipped, shadows]))
    visible = shapely.make_valid(shapely.difference(sector, hidden))
    parts = shapely.get_parts(visible)
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    if parts.size == 0:
        return Polygon()
    # Star-shaped: the part touching the camera is the view; others are rounding slivers.
    apex = Point(x_m, y_m)
    return parts[int(np.argmin(shapely.distance(parts, apex)))]


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
    px_per_m = _face_px_per_m(optics[:, 0], optics[:, 1], optics[:, 2], distance_m)
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


def camera_from_properties(
    props: Mapping[str, Any],
    xy: tuple[float, float],
    buildings: Sequence[Polygon],
    *,
    source: str | Path,
    index: int | None = None,
) -> Camera:
    """Validate a camera feature's properties (profile units) and build its :class:`Camera`.

    Raises :class:`~twin.errors.SiteMapError` naming the file, the camera (id, or feature index
    when the id is missing) and what is allowed.
    """
    where = f"feature {index}" if index is not None else "camera"
    camera_id = props.get("id")
    if not isinstance(camera_id, str) or not camera_id.strip():
        raise SiteMapError(f"{where}: camera 'id' must be a non-empty string", source=source)
    where = f"camera '{camera_id}'"

    def number(key: str, default: float | None, low: float, high: float, allowed: str) -> float:
        value = props.get(key, default)
        if value is None:
            raise SiteMapError(f"{where}: '{key}' is required; allowed: {allowed}", source=source)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise SiteMapError(f"{where}: '{key}' is {value!r}; allowed: {allowed}", source=source)
        return float(value)

    def open_low(key: str, default: float | None, high: float, allowed: str) -> float:
        value = number(key, default, -math.inf, high, allowed)
        if value <= 0:
            raise SiteMapError(f"{where}: '{key}' is {value!r}; allowed: {allowed}", source=source)
        return value

    def pixels(key: str) -> int:
        value = props.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise SiteMapError(
                f"{where}: '{key}' is {value!r}; allowed: a whole number of pixels > 0",
                source=source,
            )
        return value

    heading_deg = number("heading_deg", None, -math.inf, math.inf, "a finite compass bearing")
    hfov_deg = open_low("hfov_deg", None, math.inf, "degrees in (0, 180)")
    if hfov_deg >= 180:
        raise SiteMapError(
            f"{where}: 'hfov_deg' is {hfov_deg!r}; allowed: degrees in (0, 180)", source=source
        )
    width_px, height_px = pixels("width_px"), pixels("height_px")
    mount_height_m = open_low(
        "mount_height_m", DEFAULT_MOUNT_HEIGHT_M, MAX_MOUNT_HEIGHT_M, "metres in (0, 30]"
    )
    tilt_deg = number("tilt_deg", DEFAULT_TILT_DEG, 0.0, math.inf, "degrees in [0, 90)")
    if tilt_deg >= 90:
        raise SiteMapError(
            f"{where}: 'tilt_deg' is {tilt_deg!r}; allowed: degrees in [0, 90)", source=source
        )
    fps = open_low("fps", DEFAULT_FPS, math.inf, "frames per second > 0")
    range_m = open_low("range_m", DEFAULT_RANGE_M, math.inf, "metres > 0")
    recognition_capable = props.get("recognition_capable", False)
    if not isinstance(recognition_capable, bool):
        raise SiteMapError(
            f"{where}: 'recognition_capable' is {recognition_capable!r}; allowed: true or false",
            source=source,
        )
    tags = props.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise SiteMapError(
            f"{where}: 'tags' is {tags!r}; allowed: a list of strings", source=source
        )
    name = props.get("name", camera_id)
    if not isinstance(name, str):
        raise SiteMapError(f"{where}: 'name' is {name!r}; allowed: a string", source=source)

    x_m, y_m = float(xy[0]), float(xy[1])
    position = Point(x_m, y_m)
    if len(buildings) and shapely.contains(np.asarray(buildings, dtype=object), position).any():
        raise SiteMapError(
            f"{where}: at ({x_m:.1f}, {y_m:.1f}) inside a building; "
            "allowed: outside every building",
            source=source,
        )
    vfov_deg = math.degrees(
        2 * math.atan(math.tan(math.radians(hfov_deg) / 2) * height_px / width_px)
    )
    view = camera_view(
        x_m,
        y_m,
        heading_deg=heading_deg % 360.0,
        hfov_deg=hfov_deg,
        reach_m=_reach_m(mount_height_m, tilt_deg, vfov_deg, range_m),
        buildings=buildings,
    )
    return Camera(
        camera_id=camera_id,
        name=name,
        x_m=x_m,
        y_m=y_m,
        heading_deg=heading_deg % 360.0,
        hfov_deg=hfov_deg,
        width_px=width_px,
        height_px=height_px,
        mount_height_m=mount_height_m,
        tilt_deg=tilt_deg,
        fps=fps,
        range_m=range_m,
        recognition_capable=recognition_capable,
        tags=tuple(tags),
        view=view,
    )


# --- geometry helpers -------------------------------------------------------------------------


def _face_px_per_m(
    width_px: Any, hfov_deg: Any, mount_height_m: Any, distance_m: Any
) -> NDArray[np.float64]:
    """Horizontal px/m on a face at ground distance(s), over the slant range (broadcasts)."""
    slant_m = np.hypot(distance_m, np.subtract(mount_height_m, FACE_HEIGHT_M))
    return np.asarray(width_px / (2.0 * slant_m * np.tan(np.radians(hfov_deg) / 2)))


def _near_m(mount_height_m: float, tilt_deg: float, vfov_deg: float) -> float:
    """Ground distance inside which a face is below the bottom edge of the frame, m."""
    drop_m = mount_height_m - FACE_HEIGHT_M
    lowest_deg = tilt_deg + vfov_deg / 2
    if drop_m <= 0 or lowest_deg >= 90:
        return 0.0
    return drop_m / math.tan(math.radians(lowest_deg))


def _reach_m(mount_height_m: float, tilt_deg: float, vfov_deg: float, range_m: float) -> float:
    """``range_m``, shortened where a face farther away would be above the top of the frame, m."""
    drop_m = mount_height_m - FACE_HEIGHT_M
    highest_deg = tilt_deg - vfov_deg / 2
    if drop_m <= 0 or highest_deg <= 0:
        return range_m
    return min(range_m, drop_m / math.tan(math.radians(highest_deg)))


def _sector(x_m: float, y_m: float, heading_deg: float, hfov_deg: float, reach_m: float) -> Polygon:
    """The circular sector heading ± hfov/2 out to ``reach_m`` around (x_m, y_m)."""
    steps = max(2, math.ceil(hfov_deg / _ARC_STEP_DEG))
    bearings = np.radians(
        np.linspace(heading_deg - hfov_deg / 2, heading_deg + hfov_deg / 2, steps)
    )
    arc = np.column_stack((x_m + reach_m * np.sin(bearings), y_m + reach_m * np.cos(bearings)))
    return Polygon(np.vstack(([x_m, y_m], arc)))


def _shadows(x_m: float, y_m: float, polygons: NDArray[Any], far_m: float) -> NDArray[Any]:
    """The shadow of every exterior edge of ``polygons`` cast from a light at (x_m, y_m).

    Each edge p1-p2 casts the region between the rays through its ends, out to ``far_m``: the
    polygon p1, p2, far(p2), far(bisector), far(p1). With the bisector vertex each chord spans at
    most 90 degrees, so a reach of 1.5x the view's keeps the chords outside the view.
    """
    rings = shapely.get_exterior_ring(polygons)
    coords, ring_index = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_index[:-1] == ring_index[1:]
    p1 = coords[:-1][same_ring] - (x_m, y_m)
    p2 = coords[1:][same_ring] - (x_m, y_m)
    r1, r2 = np.hypot(*p1.T), np.hypot(*p2.T)
    cross = p1[:, 0] * p2[:, 1] - p1[:, 1] * p2[:, 0]
    # Edges through the lens or seen edge-on cast no shadow of their own.
    keep = (r1 > 1e-6) & (r2 > 1e-6) & (np.abs(cross) > 1e-9 * r1 * r2)
    p1, p2, r1, r2 = p1[keep], p2[keep], r1[keep], r2[keep]
    u1, u2 = p1 / r1[:, None], p2 / r2[:, None]
    bisector = u1 + u2
    bisector /= np.hypot(*bisector.T)[:, None]
    lens = np.array([x_m, y_m])
    outline = np.stack((p1, p2, far_m * u2, far_m * bisector, far_m * u1), axis=1) + lens
    return shapely.polygons(outline)  # type: ignore[no-any-return]


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
