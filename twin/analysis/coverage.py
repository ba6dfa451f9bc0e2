"""Coverage: how much of the site's walking the cameras see, at which grade, and who is seen well.

A security engineer grades a camera layout by pixel density (EN 62676-4 DORI: detect 25 px/m,
observe 62.5, recognise 125, identify 250; face recognition about 500 px/m minimum and 1,000
recommended: `twin.site.optics`). Here the walkways are sampled every metre or so and each sample gets the
best pixel density any camera puts on a face there (the face in frame: inside the view, no closer
than the camera's near limit). From those samples:

- **coverage by grade**: the share of walkway length (inside the boundary) seen at each grade or
  better and, given a day's flows (`twin.crowd.flows`), the share of pedestrian-metres walked there;
- **blind spots**: stretches of walkway no camera sees even at "detect" grade, longest (or, with
  flows, busiest) first;
- the **identification-probability map**: for each square of a grid over the site, the chance that
  a person walking through it is captured at recognition grade there by a camera running recognition
  (resolution at least the scenario's ``min_face_px_per_m``, the camera no more than
  ``max_pitch_deg`` above the face, and the head turned within ``max_head_yaw_deg``: head yaw is the
  walking direction's angle to the camera plus a normal spread of ``head_yaw_sd_deg``). Walking
  directions are weighted by the flows when given, else both ways equally; cameras capture
  independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from scipy.special import ndtr

from twin.crowd.flows import Flows
from twin.recognition.captures import recognition_cameras
from twin.scenario import CamerasConfig
from twin.site.model import Site
from twin.site.optics import DORI_GRADES, DORI_PX_PER_M, face_px_per_m, pitch_deg

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Walkways are sampled at most this far apart, m.
SAMPLE_STEP_M: Final = 1.0
#: A blind stretch shorter than this is not reported, m.
MIN_BLIND_SPOT_M: Final = 10.0
#: Side of a square of the identification-probability map, m.
PROBABILITY_CELL_M: Final = 10.0
#: Below this grade a walkway is blind.
BLIND_BELOW_PX_PER_M: Final = DORI_PX_PER_M["detect"]


@dataclass(frozen=True)
class WalkwaySamples:
    """Points along the walk graph's edges inside the boundary, each standing for ``length_m`` of
    walkway; ``edge`` indexes ``edges`` (lower node id, higher), ``along_m`` is the distance from
    the edge's lower node and (``dx``, ``dy``) the unit direction from its lower node to its higher.
    """

    x_m: FloatArray
    y_m: FloatArray
    length_m: FloatArray
    edge: IntArray
    along_m: FloatArray
    dx: FloatArray
    dy: FloatArray
    edges: tuple[tuple[int, int], ...]

    def __len__(self) -> int:
        return len(self.x_m)


def walkway_samples(site: Site, *, step_m: float = SAMPLE_STEP_M) -> WalkwaySamples:
    """Sample every walk-graph edge at the middles of equal pieces at most ``step_m`` long, keeping
    the samples inside the site's boundary."""
    edges = tuple((min(u, v), max(u, v)) for u, v in site.walk_graph.edges)
    lines = np.asarray(
        [site.walk_graph.edges[u, v]["geometry"] for u, v in edges], dtype=object
    ).reshape(-1)
    lengths = shapely.length(lines)
    pieces = np.maximum(np.ceil(lengths / step_m), 1).astype(np.int64)
    edge = np.repeat(np.arange(len(edges), dtype=np.int64), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    piece_m = (lengths / pieces)[edge]
    along = (np.arange(edge.size) - first + 0.5) * piece_m
    points = shapely.get_coordinates(shapely.line_interpolate_point(lines[edge], along))
    behind = shapely.get_coordinates(
        shapely.line_interpolate_point(lines[edge], np.maximum(along - 0.25 * piece_m, 0.0))
    )
    ahead = shapely.get_coordinates(
        shapely.line_interpolate_point(
            lines[edge], np.minimum(along + 0.25 * piece_m, lengths[edge])
        )
    )
    direction = ahead - behind
    norm = np.hypot(direction[:, 0], direction[:, 1])
    direction /= np.where(norm > 0, norm, 1.0)[:, None]
    inside = shapely.contains_xy(site.boundary, points[:, 0], points[:, 1])
    return WalkwaySamples(
        x_m=points[inside, 0],
        y_m=points[inside, 1],
        length_m=piece_m[inside],
        edge=edge[inside],
        along_m=along[inside],
        dx=direction[inside, 0],
        dy=direction[inside, 1],
        edges=edges,
    )


@dataclass(frozen=True)
class Sightings:
    """Every (sample, camera) pair where the camera has the sample's face in frame, with the pixel
    density, ground distance and the bearing from the sample to the camera."""

    sample: IntArray
    camera: IntArray
    px_per_m: FloatArray
    distance_m: FloatArray
    to_camera_x: FloatArray
    to_camera_y: FloatArray


def sightings(site: Site, samples: WalkwaySamples) -> Sightings:
    """Which cameras see a face at each sample (inside the view, no closer than ``near_m``)."""
    cameras = site.cameras
    if not cameras or not len(samples):
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return Sightings(empty_i, empty_i, empty_f, empty_f, empty_f, empty_f)
    tree = shapely.STRtree([camera.view for camera in cameras])
    points = shapely.points(samples.x_m, samples.y_m)
    sample, camera = tree.query(points, predicate="intersects")
    optics = np.array(
        [(c.x_m, c.y_m, c.width_px, c.hfov_deg, c.mount_height_m, c.near_m) for c in cameras]
    )[camera]
    to_x = optics[:, 0] - samples.x_m[sample]
    to_y = optics[:, 1] - samples.y_m[sample]
    distance = np.hypot(to_x, to_y)
    framed = distance >= optics[:, 5]
    px = face_px_per_m(optics[:, 2], optics[:, 3], optics[:, 4], distance)
    safe = np.where(distance > 0, distance, 1.0)
    return Sightings(
        sample=sample[framed].astype(np.int64),
        camera=camera[framed].astype(np.int64),
        px_per_m=px[framed],
        distance_m=distance[framed],
        to_camera_x=(to_x / safe)[framed],
        to_camera_y=(to_y / safe)[framed],
    )


def best_px_per_m(
    samples: WalkwaySamples, seen: Sightings, *, cameras: npt.NDArray[np.bool_] | None = None
) -> FloatArray:
    """The best pixel density any camera (or only those flagged in ``cameras``) puts on a face at
    each sample, px/m (0 where none sees it)."""
    best = np.zeros(len(samples), dtype=np.float64)
    keep = np.ones(seen.sample.size, dtype=bool) if cameras is None else cameras[seen.camera]
    np.maximum.at(best, seen.sample[keep], seen.px_per_m[keep])
    return best


def sample_walkers(samples: WalkwaySamples, flows: Flows) -> tuple[FloatArray, FloatArray]:
    """Walkers passing each sample: (walking from the edge's lower node to its higher, the other
    way)."""
    walkers = flows.edge_walkers()
    per_edge = np.array([walkers.get(edge, (0, 0)) for edge in samples.edges], dtype=np.float64)
    per_edge = per_edge.reshape(-1, 2)
    return per_edge[samples.edge, 0], per_edge[samples.edge, 1]


def grade_shares(best: FloatArray, weights: FloatArray) -> dict[str, float]:
    """Per grade (best first), the weighted share of samples at that grade or better."""
    total = float(weights.sum())
    return {
        name: (float(weights[best >= px].sum()) / total if total > 0 else 0.0)
        for name, px in DORI_GRADES
    }


@dataclass(frozen=True)
class BlindSpot:
    """A stretch of walkway no camera sees at "detect" grade: where, how long, how busy."""

    walkway: str
    x_m: float
    y_m: float
    length_m: float
    walkers: float

    @property
    def pedestrian_metres(self) -> float:
        """Metres walked through the stretch, m."""
        return self.length_m * self.walkers


def blind_spots(
    site: Site,
    samples: WalkwaySamples,
    best: FloatArray,
    *,
    walkers: FloatArray | None = None,
    min_length_m: float = MIN_BLIND_SPOT_M,
) -> list[BlindSpot]:
    """Runs of consecutive blind samples along an edge, at least ``min_length_m`` long; busiest
    first when ``walkers`` (per sample) is given, else longest first."""
    blind = best < BLIND_BELOW_PX_PER_M
    order = np.lexsort((samples.along_m, samples.edge))
    edge, blind_sorted = samples.edge[order], blind[order]
    # A run starts at a blind sample whose predecessor is not a blind sample of the same edge.
    starts = blind_sorted & ~np.concatenate(([False], blind_sorted[:-1] & (edge[1:] == edge[:-1])))
    run = np.cumsum(starts) - 1
    rows = order[blind_sorted]
    run_of = run[blind_sorted]
    if rows.size == 0:
        return []
    n_runs = int(run_of.max()) + 1
    length = np.bincount(run_of, weights=samples.length_m[rows], minlength=n_runs)
    x = np.bincount(run_of, weights=samples.x_m[rows] * samples.length_m[rows], minlength=n_runs)
    y = np.bincount(run_of, weights=samples.y_m[rows] * samples.length_m[rows], minlength=n_runs)
    busy = (
        np.bincount(run_of, weights=walkers[rows], minlength=n_runs)
        / np.bincount(run_of, minlength=n_runs)
        if walkers is not None
        else np.zeros(n_runs)
    )
    names = _walkway_names(site, x / length, y / length)
    spots = [
        BlindSpot(names[i], float(x[i] / length[i]), float(y[i] / length[i]), float(length[i]), b)
        for i, b in enumerate(busy.tolist())
        if length[i] >= min_length_m
    ]
    key = (lambda s: -s.pedestrian_metres) if walkers is not None else (lambda s: -s.length_m)
    return sorted(spots, key=key)


def _walkway_names(site: Site, x_m: FloatArray, y_m: FloatArray) -> list[str]:
    """Name of the nearest named walkway to each point ("" when none has a name)."""
    named = [i for i, name in enumerate(site.walkway_names) if name]
    if not named or x_m.size == 0:
        return [""] * x_m.size
    tree = shapely.STRtree([site.walkways[i] for i in named])
    nearest = tree.query_nearest(shapely.points(x_m, y_m), all_matches=False)[1]
    return [site.walkway_names[named[int(i)]] for i in nearest]


def capture_chance(
    samples: WalkwaySamples,
    seen: Sightings,
    site: Site,
    config: CamerasConfig,
    recognition: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Chance that a walker at each sample is captured at recognition grade there, walking from the
    edge's lower node to its higher and the other way (see the module docstring).

    ``recognition``: the cameras that run recognition, when already decided (else from ``config``).
    """
    if recognition is None:
        recognition = recognition_cameras(site, config)
    heights = np.array([c.mount_height_m for c in site.cameras], dtype=np.float64)
    usable = (
        recognition[seen.camera]
        & (seen.px_per_m >= config.min_face_px_per_m)
        & (pitch_deg(heights[seen.camera], seen.distance_m) <= config.max_pitch_deg)
    )
    sample = seen.sample[usable]
    cosine = (
        samples.dx[sample] * seen.to_camera_x[usable]
        + samples.dy[sample] * seen.to_camera_y[usable]
    )
    chances = []
    for sign in (1.0, -1.0):
        facing = np.degrees(np.arccos(np.clip(sign * cosine, -1.0, 1.0)))
        p = _within_yaw(facing, config.max_head_yaw_deg, config.head_yaw_sd_deg)
        missed = np.ones(len(samples), dtype=np.float64)
        np.multiply.at(missed, sample, 1.0 - p)
        chances.append(1.0 - missed)
    return chances[0], chances[1]


def _within_yaw(facing_deg: FloatArray, max_yaw_deg: float, sd_deg: float) -> FloatArray:
    """P(|facing + N(0, sd)| <= max_yaw)."""
    if sd_deg <= 0:
        return (facing_deg <= max_yaw_deg).astype(np.float64)
    high = ndtr((max_yaw_deg - facing_deg) / sd_deg)
    low = ndtr((-max_yaw_deg - facing_deg) / sd_deg)
    return np.asarray(high - low, dtype=np.float64)


@dataclass(frozen=True)
class ProbabilityGrid:
    """The identification-probability map: per grid square with walkway in it, its centre
    (``x_m``, ``y_m``, site metres) and the chance (0-1) that a person walking through it is
    captured at recognition grade there."""

    x_m: FloatArray
    y_m: FloatArray
    probability: FloatArray
    cell_m: float

    def columns(self) -> dict[str, FloatArray]:
        """Columns of the ``id_probability`` results table (docs/dashboard.md)."""
        return {"x_m": self.x_m, "y_m": self.y_m, "probability": self.probability}


def probability_grid(
    site: Site,
    samples: WalkwaySamples,
    chance: tuple[FloatArray, FloatArray],
    *,
    walkers: tuple[FloatArray, FloatArray] | None = None,
    cell_m: float = PROBABILITY_CELL_M,
) -> ProbabilityGrid:
    """Average the per-sample capture chance over each ``cell_m`` square, weighting samples by
    walkway length and walking directions by ``walkers`` (both ways equally when None)."""
    if walkers is None:
        ones = np.full(len(samples), 0.5)
        walkers = (ones, ones)
    weight = (walkers[0] + walkers[1]) * samples.length_m
    through = np.where(walkers[0] + walkers[1] > 0, walkers[0] + walkers[1], 1.0)
    chance_here = (walkers[0] * chance[0] + walkers[1] * chance[1]) / through
    x0, y0, _, _ = site.boundary.bounds
    col = np.floor((samples.x_m - x0) / cell_m).astype(np.int64)
    row = np.floor((samples.y_m - y0) / cell_m).astype(np.int64)
    cells, cell_of = np.unique(row * (1 << 20) + col, return_inverse=True)
    total = np.bincount(cell_of, weights=weight, minlength=cells.size)
    captured = np.bincount(cell_of, weights=weight * chance_here, minlength=cells.size)
    keep = total > 0
    rows, cols = np.divmod(cells[keep], 1 << 20)
    return ProbabilityGrid(
        x_m=x0 + (cols + 0.5) * cell_m,
        y_m=y0 + (rows + 0.5) * cell_m,
        probability=captured[keep] / total[keep],
        cell_m=cell_m,
    )


@dataclass(frozen=True)
class CoverageReport:
    """A site's coverage figures (see the module docstring); pedestrian figures need flows."""

    walkway_length_m: float
    coverage: dict[str, float]
    coverage_recognition: dict[str, float]
    pedestrian_coverage: dict[str, float] | None
    blind_spots: list[BlindSpot]
    blind_length_m: float
    mean_capture_chance: float
    grid: ProbabilityGrid

    def as_dict(self, *, top: int = 10) -> dict[str, Any]:
        """JSON-ready figures; the ``top`` blind spots listed."""
        return {
            "walkway_length_m": self.walkway_length_m,
            "coverage": self.coverage,
            "coverage_recognition_cameras": self.coverage_recognition,
            "pedestrian_metres_coverage": self.pedestrian_coverage,
            "blind_spots": {
                "count": len(self.blind_spots),
                "length_m": self.blind_length_m,
                "share_of_walkway": (
                    self.blind_length_m / self.walkway_length_m if self.walkway_length_m else 0.0
                ),
                "worst": [
                    {
                        "walkway": spot.walkway,
                        "x_m": round(spot.x_m, 1),
                        "y_m": round(spot.y_m, 1),
                        "length_m": round(spot.length_m, 1),
                        "walkers": round(spot.walkers, 1),
                    }
                    for spot in self.blind_spots[:top]
                ],
            },
            "mean_capture_chance": self.mean_capture_chance,
        }


def coverage_report(
    site: Site,
    *,
    config: CamerasConfig | None = None,
    flows: Flows | None = None,
    recognition: BoolArray | None = None,
    step_m: float = SAMPLE_STEP_M,
    cell_m: float = PROBABILITY_CELL_M,
) -> CoverageReport:
    """Coverage by grade, blind spots and the identification-probability map of ``site``; with
    ``flows``, also the share of pedestrian-metres at each grade and flow-weighted chances.
    ``recognition``: the run's recognition flags when already decided (else from ``config``)."""
    config = config or CamerasConfig()
    samples = walkway_samples(site, step_m=step_m)
    seen = sightings(site, samples)
    best = best_px_per_m(samples, seen)
    capable = np.array([c.recognition_capable for c in site.cameras], dtype=np.bool_)
    walkers = sample_walkers(samples, flows) if flows is not None else None
    through = walkers[0] + walkers[1] if walkers is not None else None
    chance = capture_chance(samples, seen, site, config, recognition)
    spots = blind_spots(site, samples, best, walkers=through)
    if walkers is not None and through is not None:
        moving = np.where(through > 0, through, 1.0)
        here = (walkers[0] * chance[0] + walkers[1] * chance[1]) / moving
        weight = through * samples.length_m
    else:
        here = (chance[0] + chance[1]) / 2.0
        weight = samples.length_m
    return CoverageReport(
        walkway_length_m=float(samples.length_m.sum()),
        coverage=grade_shares(best, samples.length_m),
        coverage_recognition=grade_shares(
            best_px_per_m(samples, seen, cameras=capable), samples.length_m
        ),
        pedestrian_coverage=(
            grade_shares(best, through * samples.length_m) if through is not None else None
        ),
        blind_spots=spots,
        blind_length_m=float(sum(spot.length_m for spot in spots)),
        mean_capture_chance=float(np.average(here, weights=weight)) if weight.sum() > 0 else 0.0,
        grid=probability_grid(site, samples, chance, walkers=walkers, cell_m=cell_m),
    )
