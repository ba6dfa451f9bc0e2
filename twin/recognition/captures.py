"""Capture opportunities: each pass through a camera's view, how well it shows the face, and whether
it yields a face to search.

A pass becomes a search when the camera runs recognition (the scenario chooses which), the face is
resolved at ``min_face_px_per_m`` or better, the head is turned less than ``max_head_yaw_deg`` from
the camera and the camera looks down on it by no more than ``max_pitch_deg``. Head yaw is the angle
between walking direction and the camera, plus where the person happens to be looking (normal,
``head_yaw_sd_deg``). Counting follows deployments: one search per track, that is one per person
passing one camera (Metropolitan Police reporting; facts.md).

Every pass also gets the factors of its quality score (`twin.recognition.quality`): pitch, the crowd density in
the camera's view and the occlusion it causes, lighting by time of day, and motion blur from the
walker's speed, the exposure and the pixel density; and ``frames_in_view``, how many frames show the
face: the time the walker is in the view with the face in frame, times the camera's frame rate.

Given the walk's samples across each pass (`twin.crowd.records.PassSamples`), the capture is the
pass's best frame by quality, at the walker's own place across the walkway (:func:`best_frames`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt

from twin.cores import on_cores, row_slices
from twin.crowd.walking import Passes, PassSamples
from twin.errors import ScenarioError
from twin.recognition.quality import blur_px, capture_quality, darkness, lighting_term, occlusion
from twin.scenario import CamerasConfig
from twin.site.model import Site
from twin.site.optics import face_px_per_m, pitch_deg

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The per-pass columns besides the pass itself, in the order results tables should record them.
FACTOR_COLUMNS: Final = (
    "frames_in_view",
    "pitch_deg",
    "density_ped_m2",
    "occlusion",
    "lighting",
    "blur_px",
)


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
    """Every capture opportunity (one per pass) with its quality, its factors, and whether it was
    searched. Row i describes ``passes`` row i."""

    passes: Passes
    #: Angle between where the face points and the direction to the camera, degrees in [0, 180].
    head_yaw_deg: FloatArray
    #: The documented quality score, 0-1 (`twin.recognition.quality`), that the faces model maps to similarity.
    quality: FloatArray
    #: Pedestrians inside the same camera's view at the best moment (this one included).
    in_view: IntArray
    searched: BoolArray
    #: Frames that show the face during the pass: in-frame dwell time x the camera's fps (>= 1).
    frames_in_view: IntArray
    #: How far the camera looks down on the face at the best moment, degrees.
    pitch_deg: FloatArray
    #: Other walkers per m² of walkable ground in the camera's view at the best moment.
    density_ped_m2: FloatArray
    #: Chance, 0-1, that another walker's head blocks the face at the best moment.
    occlusion: FloatArray
    #: Lighting term, 0-1: 1 in daylight, the scenario's night factor in the dark hours.
    lighting: FloatArray
    #: Motion blur across the face during the exposure, px.
    blur_px: FloatArray

    def __len__(self) -> int:
        return len(self.passes)

    def factor_columns(self, rows: IntArray | None = None) -> dict[str, npt.NDArray[np.generic]]:
        """The :data:`FACTOR_COLUMNS` by name, for ``rows`` (all rows when None)."""
        chosen = slice(None) if rows is None else rows
        return {name: getattr(self, name)[chosen] for name in FACTOR_COLUMNS}


def people_in_view(passes: Passes, n_cameras: int, *, threads: int | None = None) -> IntArray:
    """For each pass, how many pedestrians were inside that camera's view at its best moment
    (cameras ``0 .. n_cameras - 1``, counted on ``threads`` threads; default: the usable cores)."""
    counts = np.zeros(len(passes), dtype=np.int64)
    if not len(passes):
        return counts
    # The passes grouped by camera, each camera's in row order: a stable sort of the camera indices
    # as the narrowest integers that hold them (numpy sorts 8- and 16-bit integers by radix).
    narrow = np.min_scalar_type(max(int(passes.camera.max()), 0))
    by_camera = np.argsort(passes.camera.astype(narrow), kind="stable")
    bounds = np.searchsorted(passes.camera[by_camera], np.arange(n_cameras + 1))

    def count(camera: int) -> None:
        """Count the passes of ``camera``."""
        rows = by_camera[bounds[camera] : bounds[camera + 1]]
        if rows.size == 0:
            return
        enters = np.sort(passes.enter_s[rows])
        exits = np.sort(passes.exit_s[rows])
        at = passes.best_s[rows]
        counts[rows] = np.searchsorted(enters, at, side="right") - np.searchsorted(
            exits, at, side="left"
        )

    on_cores(count, range(n_cameras), threads)
    return counts


def frames_with_face(
    passes: Passes, speed_m_s: FloatArray, near_m: FloatArray, fps: FloatArray
) -> IntArray:
    """Frames showing the face during each pass (at least 1): the dwell in the view less the time
    spent closer than the camera's ``near_m`` (face below the frame), times ``fps``.

    A pass whose best moment is on the near rim crosses that rim; on a straight walk at facing
    angle f the chord inside it is ``2 near_m |cos f|`` long (an approximation on a bend).
    """
    dwell_s = passes.exit_s - passes.enter_s
    on_rim = passes.distance_m <= near_m * (1.0 + 1e-6)
    chord_m = np.where(on_rim, 2.0 * near_m * np.abs(np.cos(np.radians(passes.facing_deg))), 0.0)
    framed_s = np.maximum(dwell_s - chord_m / np.maximum(speed_m_s, 0.05), 0.0)
    return np.maximum(np.floor(framed_s * fps), 1.0).astype(np.int64)


def _wrapped_deg(angle_deg: FloatArray) -> FloatArray:
    return np.asarray(np.abs((angle_deg + 180.0) % 360.0 - 180.0), dtype=np.float64)


# Passes are scored this many at a time, a block per thread: small enough that a block's temporaries
# (about 1 MB each) stay in cache and bound the memory; the results do not depend on it.
_BLOCK_ROWS: Final = 20_000


def _best_in_block(
    optics: FloatArray,
    samples: PassSamples,
    config: CamerasConfig,
    head_noise_deg: FloatArray,
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """For one block of passes: the best sample, and each sample's distance, facing, px/m, and the
    share of samples with the face in frame."""
    width_px, hfov, mount, near, fps = (optics[:, i : i + 1] for i in range(5))
    facing = np.radians(samples.facing_deg)
    along = samples.distance_m * np.cos(facing)
    across = samples.distance_m * np.sin(facing) * samples.side - samples.lateral_m[:, None]
    distance = np.hypot(along, across)
    facing_deg = np.degrees(np.arctan2(np.abs(across), along))
    px = face_px_per_m(width_px, hfov, mount, distance)
    pitch = pitch_deg(mount, distance)
    exposure = np.minimum(config.exposure_day_s, 1.0 / fps)
    blur = blur_px(samples.speed_m_s, exposure, px, facing_deg, pitch)
    framed = distance >= near
    score = (
        capture_quality(
            px,
            _wrapped_deg(facing_deg + head_noise_deg[:, None]),
            min_px_per_m=config.min_face_px_per_m,
            max_head_yaw_deg=config.max_head_yaw_deg,
            pitch_deg=pitch,
            max_pitch_deg=config.max_pitch_deg,
            blur=blur,
            blur_half_quality_px=config.blur_half_quality_px,
        )
        * framed
    )
    # The nearest point (sample 0) unless another frame is better.
    best = np.argmax(score - 1e-9 * (np.arange(score.shape[1]) > 0), axis=1)
    return best, distance, facing_deg, px, framed[:, 1:].mean(axis=1)


def _sample_rows(samples: PassSamples, rows: slice) -> PassSamples:
    """The samples of the passes ``rows``, as views (no copy)."""
    return PassSamples(**{f.name: getattr(samples, f.name)[rows] for f in fields(samples)})


def _pass_rows(passes: Passes, rows: slice) -> Passes:
    """The passes ``rows``, as views (no copy)."""
    return Passes(**{f.name: getattr(passes, f.name)[rows] for f in fields(passes)})


def best_frames(
    site: Site,
    passes: Passes,
    samples: PassSamples,
    config: CamerasConfig,
    head_noise_deg: FloatArray,
    *,
    threads: int | None = None,
) -> tuple[Passes, FloatArray]:
    """Each pass's best frame among the moments sampled across it, by quality (resolution, pose,
    pitch, blur at the day's exposure), at the walker's own lateral offset; and the share of the
    pass with the face in frame. Returns the passes with the best frame's moment, distance, px/m,
    facing and speed.

    Passes are scored in blocks of rows, on ``threads`` threads (default: the usable cores; numpy
    lets go of the GIL), at most one block per thread at a time. Every row's arithmetic is the same
    whichever thread scores it, so the result does not depend on the number of threads."""
    optics = np.array(
        [(c.width_px, c.hfov_deg, c.mount_height_m, c.near_m, c.fps) for c in site.cameras],
        dtype=np.float64,
    ).reshape(-1, 5)[passes.camera]
    n = len(passes)
    picked = {name: np.empty(n) for name in ("time", "distance", "facing", "px", "speed", "framed")}

    def score(block: slice) -> None:
        """Pick the best frames of the passes ``block``."""
        part = _sample_rows(samples, block)
        best, distance, facing, px, framed = _best_in_block(
            optics[block], part, config, head_noise_deg[block]
        )
        rows = np.arange(best.size)
        picked["time"][block] = part.time_s[rows, best]
        picked["distance"][block] = distance[rows, best]
        picked["facing"][block] = facing[rows, best]
        picked["px"][block] = px[rows, best]
        picked["speed"][block] = part.speed_m_s[rows, best]
        picked["framed"][block] = framed

    # At most one block per thread at a time, which bounds the temporaries' memory.
    on_cores(score, row_slices(n, _BLOCK_ROWS), threads)
    chosen = Passes(
        pedestrian=passes.pedestrian,
        camera=passes.camera,
        enter_s=passes.enter_s,
        best_s=np.clip(picked["time"], passes.enter_s, passes.exit_s),
        exit_s=passes.exit_s,
        px_per_m=picked["px"],
        distance_m=picked["distance"],
        facing_deg=picked["facing"],
        speed_m_s=picked["speed"],
    )
    return chosen, picked["framed"]


def capture_opportunities(
    site: Site,
    passes: Passes,
    config: CamerasConfig,
    rng: np.random.Generator,
    *,
    recognition: BoolArray,
    samples: PassSamples | None = None,
    threads: int | None = None,
) -> Captures:
    """Score every pass and decide which ones are searched.

    ``recognition`` flags the cameras that run recognition (one per ``site.cameras``, as
    `recognition_cameras` decides once when the site loads).
    With ``samples`` (moments across each pass from the walk, `twin.crowd.records`), each pass is
    seen at its best frame by quality, and its frames are the time in view with the face in frame
    at the camera's fps (a dweller in view gives many); without, at its nearest point. Blur and
    frames use the walker's speed as the walk had it (slower in a crowd). The only random draw is
    the head's turn from the walking direction, one normal per pass from ``rng``. The work is spread
    over ``threads`` threads (default: the usable cores); the result does not depend on how many.
    """
    head_noise = rng.normal(0.0, config.head_yaw_sd_deg, len(passes))
    framed_share: FloatArray | None = None
    if samples is not None and len(passes):
        passes, framed_share = best_frames(
            site, passes, samples, config, head_noise, threads=threads
        )
        order = np.lexsort((passes.pedestrian, passes.best_s))
        passes, framed_share, head_noise = (
            passes.take(order),
            framed_share[order],
            head_noise[order],
        )
    n = len(passes)
    optics = np.array(
        [(c.mount_height_m, c.near_m, c.fps) for c in site.cameras], dtype=np.float64
    ).reshape(-1, 3)
    in_view = people_in_view(passes, len(site.cameras), threads=threads)
    head_yaw, quality, pitch, density, occluded, lighting, blur = (np.empty(n) for _ in range(7))
    searched = np.empty(n, dtype=np.bool_)
    frames = np.empty(n, dtype=np.int64)

    def score(part: slice) -> None:
        """Score the passes ``part`` (every column is elementwise over passes)."""
        found = _pass_rows(passes, part)
        head_yaw[part] = yaw = _wrapped_deg(found.facing_deg + head_noise[part])
        at_camera = optics[found.camera]
        mount_height_m, near_m, fps = at_camera[:, 0], at_camera[:, 1], at_camera[:, 2]
        speed = found.speed_m_s
        pitch[part] = looks_down = pitch_deg(mount_height_m, found.distance_m)
        crowd = np.maximum(in_view[part] - 1, 0) / site.view_walk_area_m2[found.camera]
        density[part] = crowd
        occluded[part] = blocked = occlusion(crowd, found.distance_m, mount_height_m)
        dark = darkness(
            found.best_s,
            dark_start_h=config.dark_start_h,
            dark_end_h=config.dark_end_h,
            twilight_h=config.twilight_h,
        )
        lighting[part] = light = lighting_term(
            dark, night_lighting_factor=config.night_lighting_factor
        )
        exposure_s = np.minimum(
            config.exposure_day_s + dark * (config.exposure_night_s - config.exposure_day_s),
            1.0 / fps,
        )
        blur[part] = smear = blur_px(
            speed, exposure_s, found.px_per_m, found.facing_deg, looks_down
        )
        quality[part] = capture_quality(
            found.px_per_m,
            yaw,
            min_px_per_m=config.min_face_px_per_m,
            max_head_yaw_deg=config.max_head_yaw_deg,
            pitch_deg=looks_down,
            max_pitch_deg=config.max_pitch_deg,
            occlusion_0_1=blocked,
            lighting=light,
            blur=smear,
            blur_half_quality_px=config.blur_half_quality_px,
        )
        searched[part] = (
            recognition[found.camera]
            & (found.px_per_m >= config.min_face_px_per_m)
            & (yaw <= config.max_head_yaw_deg)
            & (looks_down <= config.max_pitch_deg)
        )
        frames[part] = (
            frames_with_face(found, speed, near_m, fps)
            if framed_share is None
            else np.maximum(
                np.floor((found.exit_s - found.enter_s) * framed_share[part] * fps), 1.0
            ).astype(np.int64)
        )

    on_cores(score, row_slices(n, _BLOCK_ROWS), threads)
    return Captures(
        passes=passes,
        head_yaw_deg=head_yaw,
        quality=quality,
        in_view=in_view,
        searched=searched,
        frames_in_view=frames,
        pitch_deg=pitch,
        density_ped_m2=density,
        occlusion=occluded,
        lighting=lighting,
        blur_px=blur,
    )
