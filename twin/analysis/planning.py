"""Camera planning: choose where recognition cameras go to see the most walkers, well.

CCTV design tools maximise the *area* a layout covers. This maximises *who* is seen: the expected
number of a day's walkers (`twin.crowd.flows`) captured at recognition grade at least once. A candidate
camera c captures a walker on route r with probability ``p[c, r]``: for each pass of the route
through c's view (`twin.site.passes`), the face must get at least ``min_px_per_m``, the camera may look
down on it by at most ``max_pitch_deg``, and the head must turn within ``max_head_yaw_deg`` of the
camera (walking direction's angle to it plus a normal spread of ``head_yaw_sd_deg``); passes count
independently. A layout S then captures walkers on route r with probability
``1 - prod(1 - p[c, r] for c in S)``, and its value is the sum of that over routes, weighted by their
walkers: a monotone submodular function, so the greedy choice (each step adds the camera with the
largest gain) is within 1 - 1/e of the best layout (Nemhauser, Wolsey and Fisher 1978). Gains only
shrink, so stale gains are upper bounds and the greedy evaluates them lazily (Minoux 1978).

**Candidate mounts** are spread evenly along the walkways people walk (by the flows): a wall mount
on a building face where a building stands within :data:`BUILDING_REACH_M`, else a pole beside the
walkway. Each mount gets two candidate headings, looking along the walkway each way, so that walkers
approaching it face it. Every candidate has the same lens (:data:`LENSES`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from scipy.special import ndtr
from shapely.geometry import Point

from twin.crowd.flows import Flows
from twin.errors import SiteMapError, TwinInputError
from twin.recognition.captures import recognition_cameras
from twin.scenario import CamerasConfig
from twin.site.cameras import Camera, camera_from_properties
from twin.site.model import Site
from twin.site.optics import pitch_deg

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Lens:
    """A camera model for planned mounts: sensor, lens and mount (profile units)."""

    width_px: int
    height_px: int
    hfov_deg: float
    mount_height_m: float
    tilt_deg: float
    range_m: float


#: Lenses a plan can use: narrow recognition lenses on 1080p, 4 MP and 4K sensors, 4-5.5 m up.
LENSES: Final[dict[str, Lens]] = {
    "1080p": Lens(1920, 1080, 30.0, 4.0, 12.0, 40.0),
    "4mp": Lens(2560, 1440, 40.0, 4.5, 14.0, 40.0),
    "4k": Lens(3840, 2160, 35.0, 5.5, 16.0, 40.0),
}
#: A mount within this distance of a building goes on its face, m.
BUILDING_REACH_M: Final = 8.0
#: A wall mount stands this far out from the face, m.
WALL_OFFSET_M: Final = 0.3
#: A pole stands this far to the side of the walkway's centre line, m.
POLE_OFFSET_M: Final = 1.5
#: A candidate looks at the walkway this far along it from its mount, m.
LOOK_ALONG_M: Final = 15.0
#: Candidates a plan chooses from by default.
DEFAULT_CANDIDATES: Final = 500


@dataclass(frozen=True)
class LayoutValue:
    """How a layout does on a day's flows: walkers captured at recognition grade at least once
    (expected), their share of all walkers, and expected captures (every camera counted)."""

    cameras: int
    walkers_captured: float
    share_captured: float
    captures: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "cameras": self.cameras,
            "walkers_captured": round(self.walkers_captured, 1),
            "share_captured": round(self.share_captured, 4),
            "captures": round(self.captures, 1),
        }


@dataclass(frozen=True)
class Plan:
    """A chosen layout: its cameras in the order picked, each pick's gain (walkers), and how it
    compares with the site's current recognition cameras on the same flows."""

    cameras: tuple[Camera, ...]
    gains: tuple[float, ...]
    candidates: int
    planned: LayoutValue
    current: LayoutValue
    lens: str
    min_px_per_m: float


def candidate_mounts(site: Site, flows: Flows | None, *, count: int, lens: Lens) -> list[Camera]:
    """``count`` candidate cameras (fewer only on a tiny site): mounts spread evenly along the
    walked walkways, two headings each (see the module docstring); candidates the site refuses
    (inside a building, outside the boundary) are dropped."""
    lines = _walked_edges(site, flows)
    if not lines or count <= 0:
        return []
    buildings = shapely.STRtree(list(site.buildings)) if site.buildings else None
    mounts = max(1, math.ceil(count / 2))
    cameras: list[Camera] = []
    for _ in range(4):  # a few mounts fail; spread more of them until there are enough
        cameras = _candidates_at(site, lines, buildings, mounts, lens)
        if len(cameras) >= count:
            break
        mounts = math.ceil(mounts * count / max(len(cameras), 1)) + 1
    if len(cameras) <= count:
        return cameras
    keep = np.unique(np.round(np.linspace(0, len(cameras) - 1, count)).astype(np.int64))
    return [cameras[int(i)] for i in keep]


def _candidates_at(
    site: Site, lines: list[Any], buildings: shapely.STRtree | None, mounts: int, lens: Lens
) -> list[Camera]:
    """Candidates at ``mounts`` evenly spaced points along ``lines``, two headings each."""
    lengths = np.array([line.length for line in lines])
    spacing_m = float(lengths.sum()) / mounts
    starts = np.concatenate(([0.0], np.cumsum(lengths)[:-1]))
    at = (np.arange(mounts) + 0.5) * spacing_m
    edge = np.searchsorted(starts, at, side="right") - 1
    along = at - starts[edge]
    cameras: list[Camera] = []
    for k, (e, s) in enumerate(zip(edge.tolist(), along.tolist(), strict=True)):
        line = lines[e]
        here = line.interpolate(s)
        spot = _mount_point(site, buildings, line, s, side=1.0 if k % 2 else -1.0)
        for sign in (1.0, -1.0):
            target = line.interpolate(min(max(s + sign * LOOK_ALONG_M, 0.0), line.length))
            if target.distance(here) < 1.0:
                continue
            heading = math.degrees(math.atan2(target.x - spot[0], target.y - spot[1])) % 360.0
            camera = _candidate(site, spot, heading, lens, len(cameras))
            if camera is not None:
                cameras.append(camera)
    return cameras


def _walked_edges(site: Site, flows: Flows | None) -> list[Any]:
    """Walk-graph edges inside the boundary that someone walks (every edge without flows)."""
    walked = (
        {key for key, (a, b) in flows.edge_walkers().items() if a + b > 0}
        if flows is not None
        else None
    )
    lines = []
    for u, v, line in sorted(site.walk_graph.edges(data="geometry"), key=lambda e: (e[0], e[1])):
        key = (min(u, v), max(u, v))
        if walked is not None and key not in walked:
            continue
        inside = line.intersection(site.boundary)
        for part in shapely.get_parts(inside):
            if part.geom_type == "LineString" and part.length > 1.0:
                lines.append(part)
    return lines


def _mount_point(
    site: Site, buildings: shapely.STRtree | None, line: Any, along_m: float, *, side: float
) -> tuple[float, float]:
    """A wall mount on the nearest building face within reach, else a pole beside the walkway."""
    here = line.interpolate(along_m)
    if buildings is not None:
        found = buildings.query_nearest(here, max_distance=BUILDING_REACH_M)
        if found.size:
            face = site.buildings[int(found[0])].exterior
            on_face = face.interpolate(face.project(here))
            out_x, out_y = here.x - on_face.x, here.y - on_face.y
            norm = math.hypot(out_x, out_y) or 1.0
            return (
                on_face.x + WALL_OFFSET_M * out_x / norm,
                on_face.y + WALL_OFFSET_M * out_y / norm,
            )
    a = line.interpolate(max(along_m - 0.5, 0.0))
    b = line.interpolate(min(along_m + 0.5, line.length))
    dx, dy = b.x - a.x, b.y - a.y
    norm = math.hypot(dx, dy) or 1.0
    return (here.x - side * POLE_OFFSET_M * dy / norm, here.y + side * POLE_OFFSET_M * dx / norm)


def _candidate(
    site: Site, spot: tuple[float, float], heading_deg: float, lens: Lens, number: int
) -> Camera | None:
    if not site.boundary.covers(Point(spot)):
        return None
    props = {
        "kind": "camera",
        "id": f"candidate-{number:04d}",
        "heading_deg": round(heading_deg, 1),
        "hfov_deg": lens.hfov_deg,
        "width_px": lens.width_px,
        "height_px": lens.height_px,
        "mount_height_m": lens.mount_height_m,
        "tilt_deg": lens.tilt_deg,
        "range_m": lens.range_m,
        "recognition_capable": True,
        "tags": ["planned"],
    }
    try:
        return camera_from_properties(
            props, (round(spot[0], 2), round(spot[1], 2)), site.buildings, source="plan"
        )
    except SiteMapError:  # a mount inside a building: not a candidate
        return None


@dataclass(frozen=True)
class CaptureChances:
    """Sparse ``p[c, r]``: camera ``camera[i]`` captures a walker on route ``route[i]`` with
    probability ``chance[i]`` (one entry per camera and route)."""

    camera: IntArray
    route: IntArray
    chance: FloatArray


def capture_chances(
    site: Site, flows: Flows, config: CamerasConfig, *, min_px_per_m: float
) -> CaptureChances:
    """``p[c, r]`` for every camera of ``site`` and route of ``flows`` (module docstring)."""
    heights = np.array([c.mount_height_m for c in site.cameras], dtype=np.float64)
    index = {camera.camera_id: i for i, camera in enumerate(site.cameras)}
    cams: list[int] = []
    routes: list[int] = []
    px: list[float] = []
    distance: list[float] = []
    facing: list[float] = []
    for r, passes in enumerate(site.passes_many(flows.routes)):
        for found in passes:
            cams.append(index[found.camera_id])
            routes.append(r)
            px.append(found.px_per_m)
            distance.append(found.distance_m)
            facing.append(found.facing_deg)
    camera = np.asarray(cams, dtype=np.int64)
    route_of = np.asarray(routes, dtype=np.int64)
    facing_deg = np.asarray(facing, dtype=np.float64)
    ok = (np.asarray(px) >= min_px_per_m) & (
        pitch_deg(heights[camera], np.asarray(distance)) <= config.max_pitch_deg
    )
    if config.head_yaw_sd_deg > 0:
        sd = config.head_yaw_sd_deg
        turned = ndtr((config.max_head_yaw_deg - facing_deg) / sd) - ndtr(
            (-config.max_head_yaw_deg - facing_deg) / sd
        )
    else:
        turned = (facing_deg <= config.max_head_yaw_deg).astype(np.float64)
    p = np.where(ok, turned, 0.0)
    keep = p > 0
    key = camera[keep] * max(len(flows.routes), 1) + route_of[keep]
    codes, inverse = np.unique(key, return_inverse=True)
    missed = np.zeros(codes.size)
    np.add.at(missed, inverse, np.log1p(-np.minimum(p[keep], 1.0 - 1e-12)))
    pair_camera, pair_route = np.divmod(codes, max(len(flows.routes), 1))
    return CaptureChances(pair_camera, pair_route, -np.expm1(missed))


def layout_value(chances: CaptureChances, flows: Flows, chosen: Sequence[int]) -> LayoutValue:
    """How the cameras ``chosen`` (indices into the chances' cameras) do on ``flows``."""
    mask = np.isin(chances.camera, np.asarray(chosen, dtype=np.int64))
    missed = np.zeros(len(flows.routes))
    np.add.at(missed, chances.route[mask], np.log1p(-np.minimum(chances.chance[mask], 1 - 1e-12)))
    walkers = flows.walkers.astype(np.float64)
    captured = float(np.dot(walkers, -np.expm1(missed)))
    total = float(walkers.sum())
    return LayoutValue(
        cameras=len(chosen),
        walkers_captured=captured,
        share_captured=captured / total if total > 0 else 0.0,
        captures=float(np.dot(walkers[chances.route[mask]], chances.chance[mask])),
    )


def greedy_plan(
    chances: CaptureChances, flows: Flows, *, budget: int, n_cameras: int
) -> tuple[list[int], list[float]]:
    """The lazy greedy: ``budget`` camera indices in the order picked and each one's gain
    (expected walkers newly captured)."""
    walkers = flows.walkers.astype(np.float64)
    order = np.argsort(chances.camera, kind="stable")
    bounds = np.searchsorted(chances.camera[order], np.arange(n_cameras + 1))
    routes_of = [chances.route[order[bounds[c] : bounds[c + 1]]] for c in range(n_cameras)]
    p_of = [chances.chance[order[bounds[c] : bounds[c + 1]]] for c in range(n_cameras)]
    unseen = np.ones(len(flows.routes))  # chance each route's walkers are not yet captured

    def gain(c: int) -> float:
        return float(np.dot(walkers[routes_of[c]] * unseen[routes_of[c]], p_of[c]))

    heap = [(-gain(c), c) for c in range(n_cameras)]
    heapq.heapify(heap)
    picked: list[int] = []
    gains: list[float] = []
    while heap and len(picked) < budget:
        _, c = heapq.heappop(heap)
        fresh = gain(c)
        if heap and fresh < -heap[0][0] - 1e-9:
            heapq.heappush(heap, (-fresh, c))
            continue
        picked.append(c)
        gains.append(fresh)
        unseen[routes_of[c]] *= 1.0 - p_of[c]
    return picked, gains


def plan_cameras(
    site: Site,
    flows: Flows,
    *,
    budget: int,
    config: CamerasConfig | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    lens: str = "4mp",
    min_px_per_m: float | None = None,
) -> Plan:
    """Choose ``budget`` cameras from about ``candidates`` mounts for ``flows`` on ``site`` and
    compare them with the site's current recognition cameras (``config`` picks them).

    Raises :class:`~twin.errors.TwinInputError` naming ``--budget`` when it exceeds the candidates.
    """
    config = config or CamerasConfig()
    threshold = config.min_face_px_per_m if min_px_per_m is None else min_px_per_m
    if budget < 1:
        raise TwinInputError(f"--budget: {budget} cameras; allowed: at least 1")
    pool = candidate_mounts(site, flows, count=candidates, lens=LENSES[lens])
    if budget > len(pool):
        raise TwinInputError(
            f"--budget: {budget} cameras is more than the {len(pool)} candidate mounts; allowed: "
            f"at most {len(pool)} (or raise --candidates)"
        )
    candidate_site = site.with_cameras(pool)
    chances = capture_chances(candidate_site, flows, config, min_px_per_m=threshold)
    picked, gains = greedy_plan(chances, flows, budget=budget, n_cameras=len(pool))
    current_ids = np.flatnonzero(recognition_cameras(site, config)).tolist()
    current = capture_chances(site, flows, config, min_px_per_m=threshold)
    return Plan(
        cameras=tuple(_planned(pool[c], n) for n, c in enumerate(picked, start=1)),
        gains=tuple(gains),
        candidates=len(pool),
        planned=layout_value(chances, flows, picked),
        current=layout_value(current, flows, current_ids),
        lens=lens,
        min_px_per_m=threshold,
    )


def _planned(camera: Camera, number: int) -> Camera:
    """A picked candidate renamed as plan camera ``number``."""
    return replace(
        camera,
        camera_id=f"plan-{number:03d}",
        name=f"planned camera {number}, looking {_compass(camera.heading_deg)}",
    )


def _compass(heading_deg: float) -> str:
    points = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
    return points[round(heading_deg / 45.0) % 8]
