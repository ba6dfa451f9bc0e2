"""Camera passes timed by the walk as it happened.

A route's passes (`twin.crowd.records.routes_passes`: where along the route each camera view is
entered, best seen and left, and moments sampled across it) depend on the route alone, so a
:class:`PassCatalogue` places every point of every pass on its route's elements once, with what else
the route alone decides (the camera, the optics at each moment, the walkway's width at the best
moment, whether the pass ends at the destination's door). :meth:`PassCatalogue.timed` then times
the walkers' passes by looking up each walker's own times on those elements (interpolating its walk
between stretch boundaries: slowed, queued).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.cores import on_cores, row_slices
from twin.crowd.elements import RouteElements, rows_of
from twin.crowd.network import Walkways
from twin.crowd.records import SAMPLES, Passes, PassSamples, lateral_offset_m, routes_passes
from twin.site.model import Route, Site

__all__ = ["PassCatalogue", "TimedColumns", "pass_catalogue", "passes_per_route"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# A pass that leaves the view this close to the end of the route ends at the destination, m.
_AT_DESTINATION_M = 0.5
# Passes timed at once when sampling moments across them (bounds the temporaries' memory).
_SLICE_ROWS = 250_000


@dataclass(frozen=True, slots=True)
class _Along:
    """Points along routes (one row each, or rows x SAMPLES), placed on the routes' elements:
    which element of its route (``local``), how far into it (0-1) and its length, m. A walker's
    time there is its time entering that element plus the fraction of its time on it."""

    local: IntArray
    into: FloatArray
    length_m: FloatArray

    def take(self, rows: IntArray) -> _Along:
        return _Along(self.local[rows], self.into[rows], self.length_m[rows])

    def timed(
        self, first_visit: IntArray, enter_s: FloatArray, exit_s: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """When each walker (its first visit row ``first_visit``, broadcast against the points)
        was there, s, and its speed there, m/s (0 while standing)."""
        visit = first_visit + self.local
        enter = enter_s[visit]
        span = exit_s[visit] - enter
        speed = np.where(span > 0, self.length_m / np.maximum(span, 1e-9), 0.0)
        return enter + self.into * span, speed

    def time_into(
        self,
        rows: IntArray,
        first_visit: IntArray,
        enter_s: FloatArray,
        exit_s: FloatArray,
        time_out: FloatArray,
        speed_out: FloatArray | None = None,
    ) -> None:
        """As :meth:`timed` for the points ``rows``, written into ``time_out`` (and the speeds into
        ``speed_out``) with as few temporary arrays as it takes: the same values."""
        visit = self.local[rows]
        visit += first_visit
        enter = enter_s[visit]
        span = exit_s[visit]
        del visit
        span -= enter
        if speed_out is not None:
            np.maximum(span, 1e-9, out=speed_out)
            np.divide(self.length_m[rows], speed_out, out=speed_out)
            speed_out[span <= 0] = 0.0
        np.multiply(self.into[rows], span, out=time_out)
        time_out += enter


def _placed(elements: RouteElements, at_m: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Points ``at_m`` (m along the route) on the route's elements: (element, fraction into it,
    its length, m)."""
    starts = elements.start_m
    local = np.clip(np.searchsorted(starts, at_m, side="right") - 1, 0, starts.size - 1)
    length = np.asarray(elements.length_m, dtype=np.float64)[local]
    into = np.clip((at_m - starts[local]) / np.maximum(length, 1e-9), 0, 1)
    return local, into, length


@dataclass(frozen=True, slots=True)
class TimedColumns:
    """Room for the columns :meth:`PassCatalogue.timed` gathers, for up to ``rows`` passes.

    Fresh memory costs the process a page fault per page on first write (about 1.5 s a gigabyte on
    the 2-core machine: the kernel zeroes each page), and a day's passes fill about 0.9 GB. Made
    with ``touched``, every page is written once at once, so that a caller can make the room on
    another core while it does something else (the walk), and the timing then only writes.
    """

    camera: IntArray
    enter_s: FloatArray
    exit_s: FloatArray
    px_per_m: FloatArray
    distance_m: FloatArray
    facing_deg: FloatArray
    sample_time_s: FloatArray  # rows x SAMPLES, as the other sample columns
    sample_distance_m: FloatArray
    sample_facing_deg: FloatArray
    sample_side: FloatArray
    sample_speed_m_s: FloatArray
    lateral_m: FloatArray

    @classmethod
    def allocate(cls, rows: int, *, touched: bool = False) -> TimedColumns:
        """Room for ``rows`` passes; ``touched``: every page written (zeros) before returning."""
        columns: dict[str, npt.NDArray[np.generic]] = {}
        for name in cls.__slots__:
            shape = (rows, SAMPLES) if name.startswith("sample_") else (rows,)
            columns[name] = np.empty(shape, dtype=np.int64 if name == "camera" else np.float64)
            if touched:
                columns[name].fill(0)  # numpy lets go of the GIL while it writes
        return cls(**columns)  # type: ignore[arg-type]

    @property
    def rows(self) -> int:
        return int(self.camera.size)

    def first(self, n: int) -> TimedColumns:
        """The room for the first ``n`` rows (views)."""
        return TimedColumns(**{name: getattr(self, name)[:n] for name in self.__slots__})


@dataclass(frozen=True)
class PassCatalogue:
    """Every pass of the routes walked, one catalogue row each, grouped by route: ``first[r]`` is
    route r's first row and ``count[r]`` its number of passes (0 for routes nobody walked)."""

    first: IntArray
    count: IntArray
    enter_at: _Along
    best_at: _Along
    exit_at: _Along
    sample_at: _Along  # rows x SAMPLES
    camera: IntArray
    px_per_m: FloatArray
    distance_m: FloatArray
    facing_deg: FloatArray
    sample_distance_m: FloatArray  # rows x SAMPLES
    sample_facing_deg: FloatArray
    sample_side: FloatArray
    width_m: FloatArray  # the walkway's width at the best moment (0 off the walk graph), m
    at_door: npt.NDArray[np.bool_]  # the pass ends at the destination: it lasts the dwell

    def timed(
        self,
        route_of: IntArray,
        offsets: IntArray,
        enter_s: FloatArray,
        exit_s: FloatArray,
        dwell_s: FloatArray,
        *,
        lateral_u: FloatArray,
        group_rank: IntArray,
        from_s: float | None = None,
        end_s: FloatArray | None = None,
        threads: int | None = None,
        room: TimedColumns | None = None,
    ) -> tuple[Passes, PassSamples]:
        """Walkers' camera passes in time order, and the moments sampled across each (for the best
        frame). Per walker: ``route_of`` (index into the catalogue's routes), ``offsets`` (its first
        row in ``enter_s``/``exit_s``, when it entered and left each element of its route, s; one
        more at the end), its dwell at the destination (s), lateral draw and group rank. With
        ``from_s`` (s) and each walker's ``end_s`` (s), only the passes best seen from ``from_s``
        on, of walkers on site then. Rows are gathered in slices on ``threads`` threads (default:
        the usable cores; numpy lets go of the GIL), into ``room`` when it has room enough (else
        into new arrays)."""
        who, k = rows_of(route_of, self.count)
        row = self.first[route_of[who]] + k
        del k
        # The best moments first, to put the rows in time order before anything else is gathered.
        best, speed = self.best_at.take(row).timed(offsets[who], enter_s, exit_s)
        # By best moment, ties by walker: the rows come in walker order, and the sort is stable.
        order_rows = np.argsort(best, kind="stable")
        who, row, best, speed = (
            who[order_rows],
            row[order_rows],
            best[order_rows],
            speed[order_rows],
        )
        del order_rows
        if from_s is not None and end_s is not None:
            kept = np.flatnonzero((best >= from_s) & (end_s[who] >= from_s))
            who, row, best, speed = who[kept], row[kept], best[kept], speed[kept]
        first_visit = offsets[who]
        n = row.size
        out = (room if room is not None and room.rows >= n else TimedColumns.allocate(n)).first(n)
        found = Passes(
            pedestrian=who,
            camera=out.camera,
            enter_s=out.enter_s,
            best_s=best,
            exit_s=out.exit_s,
            px_per_m=out.px_per_m,
            distance_m=out.distance_m,
            facing_deg=out.facing_deg,
            speed_m_s=speed,
        )
        samples = PassSamples(
            time_s=out.sample_time_s,
            distance_m=out.sample_distance_m,
            facing_deg=out.sample_facing_deg,
            side=out.sample_side,
            speed_m_s=out.sample_speed_m_s,
            lateral_m=out.lateral_m,
        )

        def fill(part: slice) -> None:
            """Time and gather the rows ``part``."""
            rows, walkers, visits = row[part], who[part], first_visit[part]
            self.enter_at.time_into(rows, visits, enter_s, exit_s, found.enter_s[part])
            self.exit_at.time_into(rows, visits, enter_s, exit_s, found.exit_s[part])
            found.exit_s[part] += np.where(self.at_door[rows], dwell_s[walkers], 0.0)
            self.sample_at.time_into(
                rows,
                visits[:, None],
                enter_s,
                exit_s,
                samples.time_s[part],
                samples.speed_m_s[part],
            )
            for column, out in (
                (self.camera, found.camera),
                (self.px_per_m, found.px_per_m),
                (self.distance_m, found.distance_m),
                (self.facing_deg, found.facing_deg),
                (self.sample_distance_m, samples.distance_m),
                (self.sample_facing_deg, samples.facing_deg),
                (self.sample_side, samples.side),
            ):
                np.take(column, rows, axis=0, out=out[part])
            samples.lateral_m[part] = lateral_offset_m(
                lateral_u[walkers], group_rank[walkers], self.width_m[rows]
            )

        # In slices of rows, so that a big crowd's temporaries stay small.
        on_cores(fill, row_slices(n, _SLICE_ROWS), threads)
        return found, samples


def pass_catalogue(
    site: Site,
    routes: list[Route],
    elements: list[RouteElements],
    walkways: Walkways,
    walked: IntArray,
) -> PassCatalogue:
    """The passes of ``routes[walked]`` (indices, ascending) placed on their ``elements``."""
    order = np.asarray(walked, dtype=np.int64).tolist()
    passes = routes_passes(site, [routes[r] for r in order])
    count = np.zeros(len(routes), dtype=np.int64)
    count[order] = [p.camera.size for p in passes]
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    parts: list[list[tuple[IntArray, FloatArray, FloatArray]]] = [[], [], [], []]
    for along, r in zip(passes, order, strict=True):
        n = along.camera.size
        points = np.concatenate([along.enter_m, along.best_m, along.exit_m, along.sample_m.ravel()])
        local, into, length = _placed(elements[r], points)
        for kind, (lo, hi) in enumerate(((0, n), (n, 2 * n), (2 * n, 3 * n), (3 * n, None))):
            parts[kind].append((local[lo:hi], into[lo:hi], length[lo:hi]))

    def placed(kind: int, shape: tuple[int, ...]) -> _Along:
        columns = list(zip(*parts[kind], strict=True)) or [(), (), ()]
        local, into, length = (
            np.concatenate([*(np.reshape(c, shape) for c in column), np.empty((0, *shape[1:]))])
            for column in columns
        )
        return _Along(local.astype(np.int64), into, length)

    def stacked(name: str, empty: tuple[int, ...] = (0,)) -> FloatArray:
        return np.concatenate([getattr(p, name) for p in passes] + [np.empty(empty)])

    best_at = placed(1, (-1,))
    element_first = np.cumsum([0] + [len(elements[r].cell) for r in order[:-1]])
    best_cell = np.asarray([c for r in order for c in elements[r].cell] or [0], dtype=np.int64)[
        np.repeat(element_first, count[order]).astype(np.int64) + best_at.local
    ]
    route_length = np.repeat([routes[r].length_m for r in order], count[order])
    empty = (0, SAMPLES)
    return PassCatalogue(
        first=first,
        count=count,
        enter_at=placed(0, (-1,)),
        best_at=best_at,
        exit_at=placed(2, (-1,)),
        sample_at=placed(3, (-1, SAMPLES)),
        camera=np.concatenate([p.camera for p in passes] + [np.empty(0, np.int64)]),
        px_per_m=stacked("px_per_m"),
        distance_m=stacked("distance_m"),
        facing_deg=stacked("facing_deg"),
        sample_distance_m=stacked("sample_distance_m", empty),
        sample_facing_deg=stacked("sample_facing_deg", empty),
        sample_side=stacked("sample_side", empty),
        width_m=np.where(
            best_cell >= 0, walkways.width_m[walkways.cell_edge[np.maximum(best_cell, 0)]], 0.0
        ),
        at_door=stacked("exit_m") >= route_length - _AT_DESTINATION_M,
    )


def passes_per_route(site: Site, routes: list[Route], walked: IntArray) -> IntArray:
    """How many camera passes each of ``routes`` has (0 for those not ``walked``, indices)."""
    count = np.zeros(len(routes), dtype=np.int64)
    order = np.asarray(walked, dtype=np.int64).tolist()
    count[order] = [p.camera.size for p in routes_passes(site, [routes[r] for r in order])]
    return count
