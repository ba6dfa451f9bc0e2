"""The walk's records: what each walker did, and the camera passes replayed from it.

A route is walked as **elements** (cells of walkways, and the walks between an entrance and the walk
graph) joined into **stretches**, each walked at one speed (`twin.crowd.walking`). From the times a
walker entered and left each stretch, `twin.crowd.elements.element_times` gives its times at every
element, and `twin.crowd.pass_timing` the moments it entered, was best seen in and left each camera view along its
route: a pass's timing comes from the walk as it happened (slowed, queued), a dweller's last pass
lasts its dwell.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely

from twin.site.model import Route, Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class RoutePasses:
    """The camera passes along one route, as columns sorted by ``best_m``."""

    length_m: float
    camera: IntArray  # index into Site.cameras
    enter_m: FloatArray
    best_m: FloatArray
    exit_m: FloatArray
    px_per_m: FloatArray
    distance_m: FloatArray
    facing_deg: FloatArray
    # Moments sampled across each pass (rows x SAMPLES): where along the route, m; ground distance
    # to the camera, m; facing angle, degrees; which side the camera is on (+1 left, -1 right).
    sample_m: FloatArray
    sample_distance_m: FloatArray
    sample_facing_deg: FloatArray
    sample_side: FloatArray


#: Moments sampled across each pass for its best frame: the nearest point, then evenly through it.
SAMPLE_FRACTIONS: Final = (0.05, 0.25, 0.5, 0.75, 0.95)
SAMPLES: Final = 1 + len(SAMPLE_FRACTIONS)
#: A walker keeps this far from a walkway's edge, m: *assumption* (half a shoulder width, 0.2-0.3).
EDGE_MARGIN_M: Final = 0.25
#: Members of a group walk this far apart side by side, m: *assumption*, 0.5-0.8.
GROUP_SPACING_M: Final = 0.6


def lateral_offset_m(
    lateral_u: FloatArray, group_rank: IntArray, width_m: FloatArray
) -> FloatArray:
    """Where across a walkway of ``width_m`` a walker is, m left of the centre line (negative: right):
    its own draw ``lateral_u`` in [-1, 1], group members side by side towards the middle."""
    half = np.maximum(np.asarray(width_m) / 2.0 - EDGE_MARGIN_M, 0.0)
    inward = np.where(lateral_u > 0, -1.0, 1.0)
    return np.asarray(
        np.clip(lateral_u * half + inward * group_rank * GROUP_SPACING_M, -half, half),
        dtype=np.float64,
    )


@dataclass(frozen=True, slots=True)
class PassSamples:
    """Moments sampled across each pass, row-aligned with :class:`Passes` (rows x SAMPLES): when,
    the ground distance to the camera and the facing angle along the centre line, the camera's side
    (+1 left of the walking direction, -1 right), the walker's speed; and the walker's lateral
    offset (one per row, m left of the centre line)."""

    time_s: FloatArray
    distance_m: FloatArray
    facing_deg: FloatArray
    side: FloatArray
    speed_m_s: FloatArray
    lateral_m: FloatArray

    def __len__(self) -> int:
        return len(self.lateral_m)

    def take(self, rows: IntArray) -> PassSamples:
        """The samples of ``rows``."""
        return PassSamples(**{name: getattr(self, name)[rows] for name in self.__slots__})


@dataclass(frozen=True, slots=True)
class Passes:
    """Every pass of a pedestrian through a camera's view, one row each, in time order."""

    pedestrian: IntArray
    camera: IntArray
    enter_s: FloatArray
    best_s: FloatArray
    exit_s: FloatArray
    px_per_m: FloatArray
    distance_m: FloatArray
    facing_deg: FloatArray
    #: The walker's speed at the best moment, m/s (0 while dwelling).
    speed_m_s: FloatArray

    def __len__(self) -> int:
        return len(self.pedestrian)

    def take(self, rows: IntArray, pedestrian: IntArray | None = None) -> Passes:
        """The passes at ``rows`` (pedestrians renumbered by ``pedestrian`` when given)."""
        columns = {name: getattr(self, name)[rows] for name in self.__slots__}
        if pedestrian is not None:
            columns["pedestrian"] = pedestrian[columns["pedestrian"]]
        return Passes(**columns)


@dataclass(frozen=True, slots=True)
class Visits:
    """Every stretch of route a walker walked, one row each: a cell of a walkway (or the walk
    between an entrance and the walk graph, ``cell`` -1) and when it was entered and left (as if
    walked evenly through the stretch the cell belongs to: for replays), and when that stretch was
    entered and left (over which the walk counted the walker on the cell for its share of the
    stretch's length: for densities)."""

    pedestrian: IntArray
    cell: IntArray  # index into Walkways cells; -1 off the walk graph
    start_m: FloatArray  # where along the pedestrian's route the stretch starts, m
    length_m: FloatArray
    enter_s: FloatArray
    exit_s: FloatArray
    stretch_enter_s: FloatArray
    stretch_exit_s: FloatArray

    def __len__(self) -> int:
        return len(self.pedestrian)


@dataclass(frozen=True, slots=True)
class Queues:
    """Every passage through a bottleneck: which, when the walker joined, the queue ahead of it
    (walkers) and its wait, s."""

    bottleneck: IntArray  # index into CrowdResult.bottleneck_names
    joined_s: FloatArray
    ahead: IntArray
    wait_s: FloatArray

    def __len__(self) -> int:
        return len(self.bottleneck)


@dataclass(frozen=True, slots=True)
class Holds:
    """Every time a walker found the walkway ahead full and waited at the end of its own (or at its
    origin) for room: which walkway was full, when the wait began, and how long it lasted, s."""

    walkway: IntArray  # index into Walkways (edges)
    joined_s: FloatArray
    wait_s: FloatArray

    def __len__(self) -> int:
        return len(self.walkway)


def route_passes(site: Site, route: Route) -> RoutePasses:
    """Camera passes along ``route``; worked out once per site and route (`Site.derived`)."""
    return routes_passes(site, [route])[0]


def routes_passes(site: Site, routes: Sequence[Route]) -> list[RoutePasses]:
    """Camera passes along each of ``routes``; worked out once per site and route (kept with the
    site, `Site.derived`), those not yet known all at once."""
    missing = unknown_routes(site, routes)
    if missing:
        learn_routes_passes(site, missing, work_out_routes_passes(site, missing))
    known = _known_passes(site)
    return [known[_route_key(r)] for r in routes]


def unknown_routes(site: Site, routes: Sequence[Route]) -> list[Route]:
    """Those of ``routes`` whose camera passes the site does not know yet, each once."""
    known = _known_passes(site)
    missing = {_route_key(r): r for r in routes if _route_key(r) not in known}
    return list(missing.values())


def learn_routes_passes(site: Site, routes: Sequence[Route], passes: list[RoutePasses]) -> None:
    """Keep ``passes`` (of ``routes``, from :func:`work_out_routes_passes`, perhaps in another
    process) with the site; shared by every later run on it, so read-only."""
    for found in passes:
        for name in RoutePasses.__dataclass_fields__:
            value = getattr(found, name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
    _known_passes(site).update(zip(map(_route_key, routes), passes, strict=True))


def _known_passes(site: Site) -> dict[Hashable, RoutePasses]:
    known: dict[Hashable, RoutePasses] = site.derived("route passes", dict)
    return known


def _route_key(route: Route) -> Hashable:
    return (route.origin, route.destination, route.nodes, route.length_m)


def points_and_directions(
    lines: npt.NDArray[np.object_], along_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Where on each of ``lines`` a walker ``along_m`` metres from its start is (n x 2, m), and
    its walking direction there: the chord from half a metre behind to half a metre ahead
    (n x 2, m), both ends kept on the line (its start and end are where the walk begins and ends,
    and a distance below 0 would count from the end)."""
    here, ahead, behind = np.split(
        shapely.get_coordinates(
            shapely.line_interpolate_point(
                np.tile(lines, 3),
                np.concatenate([along_m, along_m + 0.5, np.maximum(along_m - 0.5, 0.0)]),
            )
        ),
        3,
    )
    return here, ahead - behind


def work_out_routes_passes(site: Site, routes: list[Route]) -> list[RoutePasses]:
    """Camera passes along each of ``routes``, worked out now (:func:`routes_passes` keeps them)."""
    camera_index = site.derived(
        "camera index", lambda: {camera.camera_id: i for i, camera in enumerate(site.cameras)}
    )
    found = site.passes_many(routes)
    every = [p for passes in found for p in passes]
    counts = np.array([len(passes) for passes in found], dtype=np.int64)

    def column(name: str) -> FloatArray:
        return np.array([getattr(p, name) for p in every], dtype=np.float64)

    camera = np.array([camera_index[p.camera_id] for p in every], dtype=np.int64)
    enter_m, best_m, exit_m = column("enter_m"), column("best_m"), column("exit_m")
    fractions = np.asarray(SAMPLE_FRACTIONS)
    sample_m = np.concatenate(
        [best_m[:, None], enter_m[:, None] + (exit_m - enter_m)[:, None] * fractions[None, :]],
        axis=1,
    ).reshape(-1, SAMPLES)
    flat_m = sample_m.ravel()
    lines = np.repeat(np.array([route.line for route in routes], dtype=object), counts * SAMPLES)
    here, walk = points_and_directions(lines, flat_m)
    apex = site.derived("camera apexes", lambda: _camera_apexes(site))
    to_camera = np.repeat(apex[camera], SAMPLES, axis=0) - here
    cross = walk[:, 0] * to_camera[:, 1] - walk[:, 1] * to_camera[:, 0]
    dot = np.einsum("ij,ij->i", walk, to_camera)
    facing = np.degrees(np.arctan2(np.abs(cross), dot))
    shape = sample_m.shape
    columns: dict[str, npt.NDArray[Any]] = {
        "camera": camera,
        "enter_m": enter_m,
        "best_m": best_m,
        "exit_m": exit_m,
        "px_per_m": column("px_per_m"),
        "distance_m": column("distance_m"),
        "facing_deg": column("facing_deg"),
        "sample_m": sample_m,
        "sample_distance_m": np.hypot(*to_camera.T).reshape(shape),
        "sample_facing_deg": facing.reshape(shape),
        "sample_side": np.where(cross >= 0, 1.0, -1.0).reshape(shape),
    }
    bounds = np.cumsum(counts)[:-1]
    pieces = {}
    for name, values in columns.items():
        pieces[name] = np.split(values, bounds)
    return [
        RoutePasses(length_m=float(route.length_m), **{name: pieces[name][i] for name in columns})
        for i, route in enumerate(routes)
    ]


def _camera_apexes(site: Site) -> FloatArray:
    """Where each camera is (rows x 2), m; shared by every route of the site: read-only."""
    apex = np.array([(c.x_m, c.y_m) for c in site.cameras], dtype=np.float64).reshape(-1, 2)
    apex.flags.writeable = False
    return apex
