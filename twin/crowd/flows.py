"""Flows: a day's walkers as counts per route and per walk-graph edge.

The crowd's demand (`twin.crowd.demand`) draws every trip's origin and destination and its uniform
route draw; the walk (`twin.crowd.walking`) sends each walker along the route of its pair that this
draw picks among the pair's short routes (`twin.crowd.routes`, a logit on length). Coverage analytics
and camera planning need only how many walk each route, not when, so a :class:`Flows` is the day's
trips folded into the routes they walk: :func:`flows_from_walk` from a walk already simulated,
:func:`flows_from_trips` by the same route choice without the SimPy walk (the same routes, since
the choice does not depend on who else is walking). :func:`scenario_flows` draws them exactly as a
run of the scenario does (the same seed and demand stream, `twin.streams`, give the same trips).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from twin.crowd.demand import Trips, generate_trips
from twin.crowd.routes import RouteChoice, RoutePlanner, picked_routes
from twin.site.model import Route, Site
from twin.streams import streams_for

if TYPE_CHECKING:
    from twin.scenario import CrowdConfig, RoutesConfig

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


def flows_from_walk(routes: tuple[Route, ...], route_of: IntArray) -> Flows:
    """Fold a simulated walk into routes: ``route_of`` is each walker's index into ``routes``
    (`twin.crowd.walking.CrowdResult.routes` and ``.route``); routes nobody walked are left out."""
    counts = np.bincount(np.asarray(route_of, dtype=np.int64), minlength=len(routes))
    walked = np.flatnonzero(counts)
    return Flows(tuple(routes[i] for i in walked.tolist()), counts[walked].astype(np.int64))


def flows_from_trips(site: Site, trips: Trips, routes_config: RoutesConfig) -> Flows:
    """Fold trips (origin and destination indices into ``site.entrances``) into the routes their
    walkers take: each trip's route draw picks among its pair's routes as the walk does."""
    planner = RoutePlanner(site, routes_config)
    n_entrances = len(site.entrances)
    pair = trips.origin * n_entrances + trips.destination
    choices: dict[int, RouteChoice] = {
        code: planner.choice(*divmod(code, n_entrances)) for code in np.unique(pair).tolist()
    }
    codes = sorted(choices)
    pair_rank, picked = picked_routes(pair, trips.route_u, choices)
    most = max((len(choice.routes) for choice in choices.values()), default=1)
    walked, counts = np.unique(pair_rank * most + picked, return_counts=True)
    rank, route = np.divmod(walked, most)
    return Flows(
        tuple(
            choices[codes[r]].routes[j] for r, j in zip(rank.tolist(), route.tolist(), strict=True)
        ),
        counts.astype(np.int64),
    )


def scenario_flows(site: Site, crowd: CrowdConfig, *, seed: int) -> Flows:
    """The trips a run of a scenario with this crowd and seed draws, folded into their routes."""
    return flows_from_trips(
        site, generate_trips(site, crowd, streams_for(seed).demand), crowd.routes
    )
