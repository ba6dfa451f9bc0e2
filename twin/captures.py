"""Capture opportunities: each pass through a camera's view, and whether it yields a face to search.

A pass becomes a search when the camera runs recognition (the scenario chooses which), the face is
resolved at ``min_face_px_per_m`` or better, and the head is turned less than ``max_head_yaw_deg`` from
the camera. Head yaw is the angle between walking direction and the camera, plus where the person
happens to be looking (normal, ``head_yaw_sd_deg``). Counting follows deployments: one search per
track, that is one per person passing one camera (Metropolitan Police reporting; facts.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.crowd import Passes
from twin.quality import capture_quality
from twin.scenario import CamerasConfig
from twin.site import Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def recognition_cameras(site: Site, config: CamerasConfig) -> BoolArray:
    """Which of the site's cameras run recognition under the scenario (one flag per camera)."""
    cameras = site.cameras
    if config.recognition == "capable":
        flags = [camera.recognition_capable for camera in cameras]
    elif config.recognition == "tagged":
        wanted = set(config.recognition_tags)
        flags = [bool(wanted & set(camera.tags)) for camera in cameras]
    elif config.recognition == "listed":
        known = {camera.camera_id for camera in cameras}
        unknown = sorted(set(config.recognition_ids) - known)
        if unknown:
            from twin.errors import ScenarioError

            raise ScenarioError(
                f"cameras.recognition_ids: no camera {', '.join(unknown)} on this site map"
            )
        wanted = set(config.recognition_ids)
        flags = [camera.camera_id in wanted for camera in cameras]
    else:
        flags = [False] * len(cameras)
    return np.asarray(flags, dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class Captures:
    """Every capture opportunity (one per pass) with its quality and whether it was searched."""

    passes: Passes
    head_yaw_deg: FloatArray
    quality: FloatArray
    in_view: (
        IntArray  # pedestrians inside the same camera's view at that moment (this one included)
    )
    searched: BoolArray

    def __len__(self) -> int:
        return len(self.passes)


def people_in_view(passes: Passes, n_cameras: int) -> IntArray:
    """For each pass, how many pedestrians were inside that camera's view at its best moment."""
    counts = np.zeros(len(passes), dtype=np.int64)
    for camera in range(n_cameras):
        rows = np.flatnonzero(passes.camera == camera)
        if rows.size == 0:
            continue
        enters = np.sort(passes.enter_s[rows])
        exits = np.sort(passes.exit_s[rows])
        at = passes.best_s[rows]
        counts[rows] = np.searchsorted(enters, at, side="right") - np.searchsorted(
            exits, at, side="left"
        )
    return counts


def capture_opportunities(
    site: Site, passes: Passes, config: CamerasConfig, rng: np.random.Generator
) -> Captures:
    """Score every pass and decide which ones are searched."""
    recognition = recognition_cameras(site, config)
    head_yaw = passes.facing_deg + rng.normal(0.0, config.head_yaw_sd_deg, len(passes))
    head_yaw = np.abs((head_yaw + 180.0) % 360.0 - 180.0)
    quality = capture_quality(
        passes.px_per_m,
        head_yaw,
        min_px_per_m=config.min_face_px_per_m,
        max_head_yaw_deg=config.max_head_yaw_deg,
    )
    searched = (
        recognition[passes.camera]
        & (passes.px_per_m >= config.min_face_px_per_m)
        & (head_yaw <= config.max_head_yaw_deg)
    )
    return Captures(
        passes=passes,
        head_yaw_deg=head_yaw,
        quality=quality,
        in_view=people_in_view(passes, len(site.cameras)),
        searched=searched,
    )
