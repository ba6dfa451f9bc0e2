"""Camera optics: how well a lens resolves a face at a distance, and the ground it can see.

Three published rules turn a camera's sensor, lens and mount into what matters for face
recognition (the project's reference facts):

- **Pixel density** on a subject is the sensor's horizontal pixels spread over the scene width at
  that range: "width = horizontal pixels / density; distance = width / (2 tan(HFOV/2))". Here the
  range is the *slant* range from the lens down to a face :data:`FACE_HEIGHT_M` above the walking
  surface, so ``px_per_m = width_px / (2 * slant_m * tan(HFOV / 2))``. A 1080p camera (1920 px)
  with a 30 degree lens "reaches 500 px/m at about 7 m".
- **EN 62676-4 (DORI)** grades a view by pixel density: detect 25 px/m, observe 62.5, recognise
  125, identify 250.
- **Face recognition** needs more than DORI "identify": engines want 32 px between the eyes at
  minimum and 64 recommended (vendor SDK specifications, e.g. VeriLook); with an adult inter-pupil
  distance of about 63 mm (Dodgson 2004) that is "about 500 px/m minimum, about 1,000 px/m
  recommended (250 px/m identify gives only about 16 px between the eyes)".

A lens is given by its horizontal field of view, or by its focal length and the sensor's width
(pinhole camera: ``HFOV = 2 atan(sensor_width / (2 focal_length))``). The vertical field of view
follows from the aspect ratio (square pixels). With the tilt it sets the **near limit** (closer,
a face falls below the bottom of the frame) and may shorten the **far limit** (farther, a face is
above the top of the frame). The **view** on the ground is the sector heading ± HFOV/2 out to the
far limit, minus everything a building hides from the lens: its footprint and its *shadow*.

Coordinates are projected metres (x east, y north); headings are compass bearings (0 = grid north,
90 = east, clockwise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point, Polygon

__all__ = [
    "DORI_GRADES",
    "DORI_PX_PER_M",
    "FACE_HEIGHT_M",
    "FACE_MIN_PX_PER_M",
    "FACE_RECOMMENDED_PX_PER_M",
    "GRADE_NAMES",
    "INTER_PUPIL_M",
    "camera_view",
    "dori_grade",
    "face_px_per_m",
    "far_limit_m",
    "hfov_from_focal_deg",
    "near_limit_m",
    "pitch_deg",
    "vfov_deg",
]

#: EN 62676-4 (DORI) minimum pixel densities on the subject, px/m.
DORI_PX_PER_M: Final[dict[str, float]] = {
    "detect": 25.0,
    "observe": 62.5,
    "recognise": 125.0,
    "identify": 250.0,
}
#: Adult inter-pupil distance, m (Dodgson 2004).
INTER_PUPIL_M: Final = 0.063
#: Face recognition minimum, px/m: 32 px between eyes 63 mm apart (vendor SDKs; Dodgson 2004).
FACE_MIN_PX_PER_M: Final = 500.0
#: Face recognition recommended, px/m: 64 px between the eyes.
FACE_RECOMMENDED_PX_PER_M: Final = 1000.0
#: Height of a walker's face (eyes) above the walking surface, m.
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
#: Grade names, best first.
GRADE_NAMES: Final[tuple[str, ...]] = tuple(name for name, _ in DORI_GRADES)

# Shadows are cast out to this multiple of the view's reach (> 1/cos(45°), see _shadows).
_SHADOW_REACH_FACTOR: Final = 1.5
# Arc vertices of the view sector: one per this many degrees.
_ARC_STEP_DEG: Final = 2.0


def dori_grade(px_per_m: float) -> str:
    """The best grade a pixel density (px/m) reaches: one of :data:`GRADE_NAMES`, or ``"none"``.

    ``"identify_face_recommended"`` (>= 1,000 px/m), ``"face_min"`` (>= 500), ``"identify"``
    (>= 250), ``"recognise"`` (>= 125), ``"observe"`` (>= 62.5), ``"detect"`` (>= 25).
    """
    for name, threshold in DORI_GRADES:
        if px_per_m >= threshold:
            return name
    return "none"


def hfov_from_focal_deg(focal_length_mm: float, sensor_width_mm: float) -> float:
    """Horizontal field of view, degrees, of a lens of ``focal_length_mm`` on a sensor
    ``sensor_width_mm`` wide (pinhole model)."""
    return math.degrees(2.0 * math.atan(sensor_width_mm / (2.0 * focal_length_mm)))


def vfov_deg(hfov_deg: float, width_px: int, height_px: int) -> float:
    """Vertical field of view, degrees, from the horizontal one and the aspect ratio."""
    half = math.atan(math.tan(math.radians(hfov_deg) / 2) * height_px / width_px)
    return math.degrees(2 * half)


def face_px_per_m(
    width_px: Any, hfov_deg: Any, mount_height_m: Any, distance_m: Any
) -> NDArray[np.float64]:
    """Horizontal px/m on a face at ground distance(s) ``distance_m``, over the slant range from a
    lens ``mount_height_m`` up (broadcasts over arrays)."""
    slant_m = np.hypot(distance_m, np.subtract(mount_height_m, FACE_HEIGHT_M))
    return np.asarray(width_px / (2.0 * slant_m * np.tan(np.radians(hfov_deg) / 2)))


def pitch_deg(mount_height_m: Any, distance_m: Any) -> NDArray[np.float64]:
    """How far the camera looks down on a face at ground distance(s) ``distance_m``, degrees
    (0 = level with the face; broadcasts over arrays)."""
    drop_m = np.subtract(mount_height_m, FACE_HEIGHT_M)
    return np.asarray(np.degrees(np.arctan2(drop_m, distance_m)), dtype=np.float64)


def near_limit_m(mount_height_m: float, tilt_deg: float, vfov: float) -> float:
    """Ground distance inside which a face is below the bottom edge of the frame, m."""
    drop_m = mount_height_m - FACE_HEIGHT_M
    lowest_deg = tilt_deg + vfov / 2
    if drop_m <= 0 or lowest_deg >= 90:
        return 0.0
    return drop_m / math.tan(math.radians(lowest_deg))


def far_limit_m(mount_height_m: float, tilt_deg: float, vfov: float, range_m: float) -> float:
    """``range_m``, shortened where a face farther away would be above the top of the frame, m."""
    drop_m = mount_height_m - FACE_HEIGHT_M
    highest_deg = tilt_deg - vfov / 2
    if drop_m <= 0 or highest_deg <= 0:
        return range_m
    return min(range_m, drop_m / math.tan(math.radians(highest_deg)))


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
