"""Cameras: where each one stands and looks, the ground it sees, and the walkers who pass through.

A camera is a point on the site map with a compass heading, a lens (horizontal field of view, or
focal length and sensor width), a sensor resolution, a mount height and a tilt. `twin.site.optics`
turns those into pixel density on a face, DORI and face-recognition grades, near and far limits,
and the view polygon with building shadows; :func:`camera_from_properties` validates a camera
feature's properties once, at the border, and builds its frozen :class:`Camera`.

The **view** of a camera is the ground footprint where it can have a walker's face in frame, drawn
from the camera's own position; close to the mast a face falls below the bottom of the frame
(``near_m``), which the pass finder takes into account when it picks the best moment.

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
from twin.site.optics import (
    DORI_GRADES,
    DORI_PX_PER_M,
    FACE_HEIGHT_M,
    FACE_MIN_PX_PER_M,
    FACE_RECOMMENDED_PX_PER_M,
    camera_view,
    dori_grade,
    face_px_per_m,
    far_limit_m,
    hfov_from_focal_deg,
    near_limit_m,
    pitch_deg,
    vfov_deg,
)
from twin.site.passes import ViewPass, ViewPieces, cut_by_views, passes_from_pieces, passes_through

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

# Defaults and limits of the site-map profile (docs/site_map_profile.md).
DEFAULT_MOUNT_HEIGHT_M: Final = 4.0
DEFAULT_TILT_DEG: Final = 10.0
DEFAULT_FPS: Final = 25.0
DEFAULT_RANGE_M: Final = 40.0
MAX_MOUNT_HEIGHT_M: Final = 30.0


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
        return vfov_deg(self.hfov_deg, self.width_px, self.height_px)

    @cached_property
    def near_m(self) -> float:
        """Ground distance, m, inside which a face falls below the bottom of the frame."""
        return near_limit_m(self.mount_height_m, self.tilt_deg, self.vfov_deg)

    @cached_property
    def reach_m(self) -> float:
        """How far the view polygon reaches, m: ``range_m``, or less where faces leave the top."""
        return far_limit_m(self.mount_height_m, self.tilt_deg, self.vfov_deg, self.range_m)

    @overload
    def px_per_m_at(self, distance_m: float) -> float: ...

    @overload
    def px_per_m_at(self, distance_m: NDArray[np.float64]) -> NDArray[np.float64]: ...

    def px_per_m_at(self, distance_m: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
        """Horizontal pixel density, px/m, on a face at a horizontal ground distance (m).

        ``width_px / (2 * slant_m * tan(hfov / 2))`` with ``slant_m`` the range from the lens down
        (or up) to a face :data:`FACE_HEIGHT_M` above the ground.
        """
        density = face_px_per_m(self.width_px, self.hfov_deg, self.mount_height_m, distance_m)
        if isinstance(distance_m, np.ndarray):
            return np.asarray(density, dtype=np.float64)
        return float(density)

    def distance_for_px_per_m(self, px_per_m: float) -> float:
        """Largest ground distance, m, at which a face gets at least ``px_per_m`` (0 if never)."""
        slant_m = self.width_px / (2.0 * px_per_m * math.tan(math.radians(self.hfov_deg) / 2))
        drop_m = abs(self.mount_height_m - FACE_HEIGHT_M)
        return math.sqrt(slant_m**2 - drop_m**2) if slant_m > drop_m else 0.0

    def pitch_deg_at(self, distance_m: float) -> float:
        """How far the camera looks down on a face at a ground distance (m), degrees."""
        return float(pitch_deg(self.mount_height_m, distance_m))

    def properties(self) -> dict[str, Any]:
        """The camera as site-map feature properties (docs/site_map_profile.md)."""
        return {
            "kind": "camera",
            "id": self.camera_id,
            "name": self.name,
            "heading_deg": self.heading_deg,
            "hfov_deg": self.hfov_deg,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "mount_height_m": self.mount_height_m,
            "tilt_deg": self.tilt_deg,
            "fps": self.fps,
            "range_m": self.range_m,
            "recognition_capable": self.recognition_capable,
            "tags": list(self.tags),
        }

    def passes(self, route: LineString) -> list[ViewPass]:
        """Every contiguous stretch of ``route`` inside this camera's view, in route order."""
        return passes_through(route, (self,))


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
    if "focal_length_mm" in props or "sensor_width_mm" in props:
        if "hfov_deg" in props:
            raise SiteMapError(
                f"{where}: both 'hfov_deg' and 'focal_length_mm'/'sensor_width_mm' given; "
                "allowed: one way of stating the lens",
                source=source,
            )
        focal_mm = open_low("focal_length_mm", None, math.inf, "millimetres > 0")
        sensor_mm = open_low("sensor_width_mm", None, math.inf, "millimetres > 0")
        hfov_deg = hfov_from_focal_deg(focal_mm, sensor_mm)
    else:
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
    view = camera_view(
        x_m,
        y_m,
        heading_deg=heading_deg % 360.0,
        hfov_deg=hfov_deg,
        reach_m=far_limit_m(
            mount_height_m, tilt_deg, vfov_deg(hfov_deg, width_px, height_px), range_m
        ),
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
