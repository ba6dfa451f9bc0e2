"""Capture quality: one score in [0, 1] for how well a passing face was seen, and its factors.

The score feeds the faces model: the genuine similarity of a capture to its owner's template grows
with it. It is the product of six factors, each 1 for an ideal capture (a well-lit, still, frontal,
unobstructed face at 1,000 px/m or more), so a daytime frontal capture keeps the spine's score:

    quality = resolution x yaw x pitch x (1 - occlusion) x lighting x blur

- **resolution**: face recognition engines need about 32 px between the eyes (about 500 px/m at
  an adult inter-pupil distance of 63 mm: vendor SDK specifications, e.g. VeriLook; Dodgson 2004)
  and recommend 64 px (about 1,000 px/m). The term rises with the logarithm of pixel density from
  0 at the scenario's ``min_face_px_per_m`` to 1 at :data:`FULL_QUALITY_PX_PER_M`.
- **yaw** and **pitch**: frontal faces match best; yaw and pitch within a few degrees are ideal and
  engines tolerate more at a cost (ISO/IEC 19794-5; vendor specifications). Each term is the cosine
  of its angle, 0 beyond the scenario's limit (*assumption*: the cosine shape). Pitch is how far the
  camera looks down on the face (`twin.site.optics.pitch_deg`).
- **occlusion**: the chance that another walker's head is in the line of sight at that moment. The
  sight line drops from the lens to the face; someone standing within ``L = d h / (H - 1.6 m)`` in
  front of the face (ground distance d, lens height H, an occluder's head reaching h =
  :data:`HEAD_ABOVE_EYES_M` above the eye line) blocks it if they are within
  :data:`BLOCKING_WIDTH_M` of it sideways. Walkers stand at random at the density ρ (ped/m²) of
  the camera's view (people in view over its walkable area, capped at Weidmann's jam density of
  5.4 ped/m²), so occlusion = ``1 - exp(-ρ w L)`` (a Poisson count of blockers). Cameras mounted
  high see over heads; a camera at face height sees only the front row. See
  :func:`fruin_density_ped_m2` for what density means in Fruin's levels of service.
- **lighting**: 1 in daylight, ``night_lighting_factor`` in the dark hours (*assumption*: lit
  public realm, cameras on infrared or low-light), ramping linearly over ``twilight_h``.
- **blur**: a walker moving at v m/s for an exposure of t s smears the face across
  ``px_per_m * v * t * sin(angle between walking direction and the sight line)`` pixels. The
  exposure is ``exposure_day_s`` in daylight and ``exposure_night_s`` in the dark (at most one
  frame, 1/fps); the term is ``1 / (1 + (blur_px / blur_half_quality_px)^2)`` (*assumption*: the
  shape and the blur that halves quality).
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from twin.crowd.fundamental import JAM_DENSITY_PED_M2, specific_flow_ped_m_s
from twin.site.optics import FACE_HEIGHT_M

FloatArray = npt.NDArray[np.float64]

#: Pixel density at which the resolution term reaches 1, px/m: the engines' recommended 64 px
#: between the eyes (facts.md).
FULL_QUALITY_PX_PER_M: Final = 1000.0

#: Fruin's walkway levels of service, upper flow of A to E, ped per metre of width per minute
#: (Fruin 1971): A < 23, B 23-33, C 33-49, D 49-66, E 66-82, F > 82.
FRUIN_FLOW_PED_M_MIN: Final[tuple[tuple[str, float], ...]] = (
    ("A", 23.0),
    ("B", 33.0),
    ("C", 49.0),
    ("D", 66.0),
    ("E", 82.0),
)

#: How far an occluder's head reaches above the eye line of the face behind, m. *Assumption*:
#: crown to eyes of an adult is about 0.12 m and walkers are about as tall as one another.
HEAD_ABOVE_EYES_M: Final = 0.12
#: Side-to-side distance within which a head in the sight line covers part of the face, m.
#: *Assumption*: a head about 0.15 m wide in front of a face about 0.15 m wide.
BLOCKING_WIDTH_M: Final = 0.3

_SECONDS_PER_HOUR: Final = 3600.0
_HOURS_PER_DAY: Final = 24.0


def resolution_term(px_per_m: FloatArray, *, min_px_per_m: float) -> FloatArray:
    """0 at ``min_px_per_m``, 1 at :data:`FULL_QUALITY_PX_PER_M` or more, log-linear between."""
    span = float(np.log(FULL_QUALITY_PX_PER_M / min_px_per_m))
    if span <= 0:
        return np.where(px_per_m >= min_px_per_m, 1.0, 0.0).astype(np.float64)
    scaled: FloatArray = np.log(np.maximum(px_per_m, 1e-9) / min_px_per_m) / span
    return np.clip(scaled, 0.0, 1.0).astype(np.float64)


def pose_term(head_yaw_deg: FloatArray, *, max_head_yaw_deg: float) -> FloatArray:
    """cos(angle) for a face turned ``head_yaw_deg`` from the camera, 0 beyond ``max_head_yaw_deg``.

    Used for yaw and for pitch alike (degrees in, 0-1 out).
    """
    yaw = np.abs(head_yaw_deg)
    return np.where(yaw <= max_head_yaw_deg, np.cos(np.radians(yaw)), 0.0).astype(np.float64)


def occlusion(
    density_ped_m2: FloatArray, distance_m: FloatArray, mount_height_m: FloatArray
) -> FloatArray:
    """Chance, 0-1, that a walker's head blocks the sight line to a face at ground distance
    ``distance_m`` from a lens ``mount_height_m`` up, among walkers at ``density_ped_m2``."""
    drop_m = np.asarray(mount_height_m, dtype=np.float64) - FACE_HEIGHT_M
    distance = np.asarray(distance_m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach_m = np.where(drop_m > 0, distance * HEAD_ABOVE_EYES_M / drop_m, distance)
    reach_m = np.minimum(reach_m, distance)
    density = np.clip(np.asarray(density_ped_m2, dtype=np.float64), 0.0, JAM_DENSITY_PED_M2)
    return np.asarray(-np.expm1(-density * BLOCKING_WIDTH_M * reach_m), dtype=np.float64)


def darkness(
    time_s: FloatArray, *, dark_start_h: float, dark_end_h: float, twilight_h: float
) -> FloatArray:
    """How dark it is, 0 (daylight) to 1 (night), at clock times ``time_s`` (seconds after
    midnight; later days wrap). Dark from ``dark_start_h`` to ``dark_end_h`` (hours, across
    midnight when the start is later), ramping linearly over ``twilight_h`` centred on each."""
    hours = np.mod(np.asarray(time_s, dtype=np.float64) / _SECONDS_PER_HOUR, _HOURS_PER_DAY)
    dark_h = (dark_end_h - dark_start_h) % _HOURS_PER_DAY
    if dark_h == 0.0:
        return np.zeros_like(hours)
    since_dusk_h = np.mod(hours - dark_start_h, _HOURS_PER_DAY)
    inside = since_dusk_h < dark_h
    # Signed hours to the nearer edge of the dark period: positive inside it.
    depth_h = np.where(
        inside,
        np.minimum(since_dusk_h, dark_h - since_dusk_h),
        -np.minimum(since_dusk_h - dark_h, _HOURS_PER_DAY - since_dusk_h),
    )
    if twilight_h <= 0:
        return inside.astype(np.float64)
    return np.clip(depth_h / twilight_h + 0.5, 0.0, 1.0).astype(np.float64)


def lighting_term(darkness_0_1: FloatArray, *, night_lighting_factor: float) -> FloatArray:
    """1 in daylight, ``night_lighting_factor`` at night, linear in :func:`darkness` between."""
    return np.asarray(1.0 - darkness_0_1 * (1.0 - night_lighting_factor), dtype=np.float64)


def blur_px(
    speed_m_s: FloatArray,
    exposure_s: FloatArray,
    px_per_m: FloatArray,
    facing_deg: FloatArray,
    pitch_deg: FloatArray,
) -> FloatArray:
    """Motion blur, px: how far a face walking at ``speed_m_s`` moves across the image during an
    exposure of ``exposure_s`` at ``px_per_m``. Only motion across the sight line smears: walking
    at ``facing_deg`` to the camera seen from ``pitch_deg`` above."""
    along = np.cos(np.radians(facing_deg)) * np.cos(np.radians(pitch_deg))
    across = np.sqrt(np.clip(1.0 - along * along, 0.0, 1.0))
    return np.asarray(speed_m_s * exposure_s * px_per_m * across, dtype=np.float64)


def blur_term(blur: FloatArray, *, blur_half_quality_px: float) -> FloatArray:
    """``1 / (1 + (blur / blur_half_quality_px)^2)``: 1 for a still face, 0.5 at the half-quality
    blur (px in, 0-1 out)."""
    ratio = np.asarray(blur, dtype=np.float64) / blur_half_quality_px
    return np.asarray(1.0 / (1.0 + ratio * ratio), dtype=np.float64)


def capture_quality(
    px_per_m: FloatArray,
    head_yaw_deg: FloatArray,
    *,
    min_px_per_m: float,
    max_head_yaw_deg: float,
    pitch_deg: FloatArray | None = None,
    max_pitch_deg: float = 90.0,
    occlusion_0_1: FloatArray | None = None,
    lighting: FloatArray | None = None,
    blur: FloatArray | None = None,
    blur_half_quality_px: float = 1.0,
) -> FloatArray:
    """Quality score in [0, 1] of each capture; 0 means no usable face.

    The product of the factors in the module docstring; a factor left out (None) counts as 1.
    """
    quality = resolution_term(px_per_m, min_px_per_m=min_px_per_m) * pose_term(
        head_yaw_deg, max_head_yaw_deg=max_head_yaw_deg
    )
    if pitch_deg is not None:
        quality = quality * pose_term(pitch_deg, max_head_yaw_deg=max_pitch_deg)
    if occlusion_0_1 is not None:
        quality = quality * (1.0 - occlusion_0_1)
    if lighting is not None:
        quality = quality * lighting
    if blur is not None:
        quality = quality * blur_term(blur, blur_half_quality_px=blur_half_quality_px)
    return np.asarray(quality, dtype=np.float64)


def weidmann_flow_ped_m_s(density_ped_m2: float) -> float:
    """Specific flow, ped/(m s), at a density (ped/m²) on Weidmann's (1993) fundamental diagram
    (`twin.crowd.fundamental`); 0 when empty or at and beyond jam density."""
    if density_ped_m2 <= 0 or density_ped_m2 >= JAM_DENSITY_PED_M2:
        return 0.0
    return float(specific_flow_ped_m_s(density_ped_m2))


@functools.cache
def fruin_density_ped_m2() -> tuple[tuple[str, float], ...]:
    """The densities, ped/m², at which Fruin's walkway levels of service A to E end, derived from
    his flows (facts.md) on Weidmann's fundamental diagram (free-flow branch). A flow above the
    diagram's capacity (about 1.2 ped/(m s) at 1.75 ped/m²) ends at the capacity density."""
    capacity_density = float(
        brentq(_flow_slope, 0.5, 4.0, xtol=1e-9)  # where the flow stops rising
    )
    capacity = weidmann_flow_ped_m_s(capacity_density)
    edges = []
    for level, flow_ped_m_min in FRUIN_FLOW_PED_M_MIN:
        flow = flow_ped_m_min / 60.0
        if flow >= capacity:
            edges.append((level, capacity_density))
            continue
        edges.append(
            (
                level,
                float(
                    brentq(
                        lambda rho, f=flow: weidmann_flow_ped_m_s(rho) - f,
                        1e-6,
                        capacity_density,
                        xtol=1e-9,
                    )
                ),
            )
        )
    return tuple(edges)


def level_of_service(density_ped_m2: float) -> str:
    """Fruin's walkway level of service, "A" to "F", of a density in ped/m²."""
    for level, edge in fruin_density_ped_m2():
        if density_ped_m2 < edge:
            return level
    return "F"


def _flow_slope(density_ped_m2: float) -> float:
    step = 1e-6
    return (
        weidmann_flow_ped_m_s(density_ped_m2 + step) - weidmann_flow_ped_m_s(density_ped_m2 - step)
    ) / (2 * step)
