"""Cameras: where each one stands and looks, the ground it sees, and the walkers who pass through.

A camera is a point on the site map with a compass heading, a lens (horizontal field of view, or
focal length and sensor width), a sensor resolution, a mount height and a tilt. `twin.site.optics`
turns those into pixel density on a face, DORI and face-recognition grades, near and far limits,
and the view polygon with building shadows; :func:`camera_from_properties` validates a camera
feature's properties once, at the border (`twin.site.properties.CameraProperties`), and builds its
frozen :class:`Camera`.

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
from typing import Any, overload

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
from twin.site.properties import (
    DEFAULT_FPS,
    DEFAULT_MOUNT_HEIGHT_M,
    DEFAULT_RANGE_M,
    DEFAULT_TILT_DEG,
    MAX_MOUNT_HEIGHT_M,
    CameraProperties,
    validate_properties,
)

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
    props: Mapping[str, Any] | CameraProperties,
    xy: tuple[float, float],
    buildings: Sequence[Polygon],
    *,
    source: str | Path,
    index: int | None = None,
) -> Camera:
    """Validate a camera feature's properties (:class:`CameraProperties`, profile units) and build
    its :class:`Camera` standing at ``xy`` (m), its view cut by ``buildings``.

    Raises :class:`~twin.errors.SiteMapError` naming the file, the camera (id, or feature index
    when the id is missing), the property and what is allowed.
    """
    checked = (
        props
        if isinstance(props, CameraProperties)
        else validate_properties(CameraProperties, props, source=source, index=index)
    )
    if checked.hfov_deg is not None:
        hfov_deg = checked.hfov_deg
    else:
        assert checked.focal_length_mm is not None and checked.sensor_width_mm is not None
        hfov_deg = hfov_from_focal_deg(checked.focal_length_mm, checked.sensor_width_mm)
    heading_deg = checked.heading_deg % 360.0
    x_m, y_m = float(xy[0]), float(xy[1])
    position = Point(x_m, y_m)
    if len(buildings) and shapely.contains(np.asarray(buildings, dtype=object), position).any():
        raise SiteMapError(
            f"camera {checked.id!r}: at ({x_m:.1f}, {y_m:.1f}) inside a building; "
            "allowed: outside every building",
            source=source,
        )
    vfov = vfov_deg(hfov_deg, checked.width_px, checked.height_px)
    view = camera_view(
        x_m,
        y_m,
        heading_deg=heading_deg,
        hfov_deg=hfov_deg,
        reach_m=far_limit_m(checked.mount_height_m, checked.tilt_deg, vfov, checked.range_m),
        buildings=buildings,
    )
    return Camera(
        camera_id=checked.id,
        name=checked.name if checked.name is not None else checked.id,
        x_m=x_m,
        y_m=y_m,
        heading_deg=heading_deg,
        hfov_deg=hfov_deg,
        width_px=checked.width_px,
        height_px=checked.height_px,
        mount_height_m=checked.mount_height_m,
        tilt_deg=checked.tilt_deg,
        fps=checked.fps,
        range_m=checked.range_m,
        recognition_capable=checked.recognition_capable,
        tags=tuple(checked.tags),
        view=view,
    )
