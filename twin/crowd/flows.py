"""Flows: a day's walkers as counts per route and per walk-graph edge.

The crowd's demand (`twin.crowd.demand`) draws every trip's origin and destination; everyone on the same
origin-destination pair walks the same shortest route (`twin.site.model.Site.route`). Coverage analytics
and camera planning need only how many walk each route, not when, so a :class:`Flows` is the day's
trips folded into routes, without the SimPy walk. :func:`scenario_flows` draws them exactly as a
run of the scenario does (the same seed and demand stream, `twin.streams`, give the same trips).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from twin.crowd.demand import Trips, generate_trips
from twin.site.model import Route, Site
from twin.streams import streams_for

if TYPE_CHECKING:
    from twin.scenario import CrowdConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Flows:
    """Walkers per route: ``walkers[i]`` people walked ``routes[i]``."""

    routes: tuple[Route, ...]
    walkers: IntArray

    @property
    def total_walkers(self) -> int:
        """Every walker of every route."""
        return int(self.walkers.sum())

    @property
    def pedestrian_metres(self) -> float:
        """Metres walked by everyone, m."""
        return float(np.dot(self.walkers, [route.length_m for route in self.routes]))

    def edge_walkers(self) -> dict[tuple[int, int], tuple[int, int]]:
        """Walkers along each walk-graph edge (lower node id, higher) as (walking from the lower
        node to the higher, walking the other way)."""
        forward: dict[tuple[int, int], int] = {}
        backward: dict[tuple[int, int], int] = {}
        for route, count in zip(self.routes, self.walkers.tolist(), strict=True):
            for a, b in itertools.pairwise(route.nodes):
                if a < b:
                    forward[(a, b)] = forward.get((a, b), 0) + count
                else:
                    backward[(b, a)] = backward.get((b, a), 0) + count
        return {
            key: (forward.get(key, 0), backward.get(key, 0)) for key in forward.keys() | backward
        }


def flows_from_trips(site: Site, trips: Trips) -> Flows:
    """Fold trips (origin and destination indices into ``site.entrances``) into routes."""
    pair = trips.origin * len(site.entrances) + trips.destination
    codes, counts = np.unique(pair, return_counts=True)
    routes = []
    for code in codes.tolist():
        origin, destination = divmod(code, len(site.entrances))
        routes.append(
            site.route(site.entrances[origin].entrance_id, site.entrances[destination].entrance_id)
        )
    return Flows(tuple(routes), counts.astype(np.int64))


def scenario_flows(site: Site, crowd: CrowdConfig, *, seed: int) -> Flows:
    """The trips a run of a scenario with this crowd and seed draws, folded into routes."""
    return flows_from_trips(site, generate_trips(site, crowd, streams_for(seed).demand))
