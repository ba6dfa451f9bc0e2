"""Capture quality: one score in [0, 1] for how well a passing face was seen.

The score feeds the faces model: the genuine similarity of a capture to its owner's template grows
with it. This is the spine's documented model, built from two published figures (facts.md):

- resolution: face recognition engines need about 32 px between the eyes (about 500 px/m at an adult
  inter-pupil distance of 63 mm) and recommend 64 px (about 1,000 px/m). Below ``min_px_per_m`` no
  face is searched at all. The resolution term rises with the logarithm of pixel density from 0 at
  ``min_px_per_m`` to 1 at ``FULL_QUALITY_PX_PER_M``;
- pose: frontal faces match best (ISO/IEC 19794-5). The pose term is the cosine of head yaw, and no
  face is searched beyond ``max_head_yaw_deg``.

quality = resolution term x pose term.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FULL_QUALITY_PX_PER_M = 1000.0  # the engines' recommended 64 px between the eyes (facts.md)

FloatArray = npt.NDArray[np.float64]


def resolution_term(px_per_m: FloatArray, *, min_px_per_m: float) -> FloatArray:
    """0 at ``min_px_per_m``, 1 at ``FULL_QUALITY_PX_PER_M`` or more, log-linear between."""
    span = float(np.log(FULL_QUALITY_PX_PER_M / min_px_per_m))
    if span <= 0:
        return np.where(px_per_m >= min_px_per_m, 1.0, 0.0).astype(np.float64)
    scaled: FloatArray = np.log(np.maximum(px_per_m, 1e-9) / min_px_per_m) / span
    return np.clip(scaled, 0.0, 1.0).astype(np.float64)


def pose_term(head_yaw_deg: FloatArray, *, max_head_yaw_deg: float) -> FloatArray:
    """cos(yaw) for a head turned ``head_yaw_deg`` from the camera, 0 beyond ``max_head_yaw_deg``."""
    yaw = np.abs(head_yaw_deg)
    return np.where(yaw <= max_head_yaw_deg, np.cos(np.radians(yaw)), 0.0).astype(np.float64)


def capture_quality(
    px_per_m: FloatArray,
    head_yaw_deg: FloatArray,
    *,
    min_px_per_m: float,
    max_head_yaw_deg: float,
) -> FloatArray:
    """Quality score in [0, 1] of each capture; 0 means no usable face."""
    return resolution_term(px_per_m, min_px_per_m=min_px_per_m) * pose_term(
        head_yaw_deg, max_head_yaw_deg=max_head_yaw_deg
    )
