"""Route choice: among up to k short routes between two entrances, by a logit on length.

Walkers do not all take the one shortest path. For each origin-destination pair the choices are
found by the link-penalty method: the shortest path, then the shortest path again with the edges of
the routes already found made ``PENALTY`` times longer, k times over (distinct routes only, none
longer than ``max_detour`` times the shortest). Unlike a strict k-shortest-paths list, which is full
of routes that differ by a metre at one corner, this gives routes a walker would call different.
A walker takes route j with probability
``exp(-theta (L_j / L_min - 1)) / sum_i exp(-theta (L_i / L_min - 1))`` (a multinomial logit on
relative length; ``theta`` and ``max_detour`` are *assumptions*, docs/scenarios.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from twin.scenario import RoutesConfig
from twin.site.model import Route, Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Edges of routes already found count this much longer when the next is sought: *assumption*, 1.5-3.
PENALTY: Final = 2.0


@dataclass(frozen=True)
class RouteChoice:
    """The routes between one origin and destination, and the chance of each (summing to 1)."""

    routes: tuple[Route, ...]
    probability: FloatArray

    def pick(self, u: float) -> int:
        """The route a walker with uniform draw ``u`` in [0, 1) takes."""
        return int(self.pick_many(np.array([u], dtype=np.float64))[0])

    def pick_many(self, u: FloatArray) -> IntArray:
        """The routes walkers with uniform draws ``u`` in [0, 1) take (indices into routes)."""
        index = np.searchsorted(np.cumsum(self.probability), u, side="right")
        return np.minimum(index, len(self.routes) - 1).astype(np.int64)


def picked_routes(
    pair: IntArray, u: FloatArray, choices: dict[int, RouteChoice]
) -> tuple[IntArray, IntArray]:
    """Each walker's route, given its origin-destination pair's code (a key of ``choices``) and
    its uniform draw ``u``: (its pair's position among the sorted codes, its route's index among
    that pair's routes)."""
    codes = np.array(sorted(choices), dtype=np.int64)
    pair_rank = np.searchsorted(codes, pair)
    order = np.argsort(pair_rank, kind="stable")
    bounds = np.searchsorted(pair_rank[order], np.arange(codes.size + 1))
    picked = np.zeros(pair.size, dtype=np.int64)
    for rank, code in enumerate(codes.tolist()):
        rows = order[bounds[rank] : bounds[rank + 1]]
        picked[rows] = choices[code].pick_many(u[rows])
    return pair_rank.astype(np.int64), picked


def logit_shares(lengths_m: FloatArray, theta: float) -> FloatArray:
    """Logit choice probabilities on relative length: ``exp(-theta (L / L_min - 1))``, normalised."""
    lengths = np.asarray(lengths_m, dtype=np.float64)
    if lengths.min() <= 0.0:  # entrances on one spot: everyone takes the route of no length
        shortest = np.asarray(lengths == lengths.min(), dtype=np.float64)
        return np.asarray(shortest / shortest.sum(), dtype=np.float64)
    utility = -theta * (lengths / lengths.min() - 1.0)
    weights = np.exp(utility - utility.max())
    return np.asarray(weights / weights.sum(), dtype=np.float64)


class RoutePlanner:
    """Finds route choices on one site's walk graph (the graph as a sparse matrix, built once)."""

    def __init__(self, site: Site, config: RoutesConfig) -> None:
        self.site = site
        self.config = config
        graph = site.walk_graph
        self._nodes = list(graph.nodes)
        self._position = {node: i for i, node in enumerate(self._nodes)}
        edges = [
            (self._position[u], self._position[v], w) for u, v, w in graph.edges(data="length_m")
        ]
        rows = np.array([e[0] for e in edges] + [e[1] for e in edges], dtype=np.int64)
        cols = np.array([e[1] for e in edges] + [e[0] for e in edges], dtype=np.int64)
        n = len(self._nodes)
        lengths = np.array([e[2] for e in edges] * 2, dtype=np.float64)
        self._matrix = csr_array((lengths, (rows, cols)), shape=(n, n))
        self._matrix.sort_indices()
        indptr, indices = self._matrix.indptr, self._matrix.indices
        # Where each directed edge's weight sits in the matrix's data.
        self._slot = {
            (int(r), int(c)): int(
                indptr[r] + np.searchsorted(indices[indptr[r] : indptr[r + 1]], c)
            )
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
        }
        self._length = self._matrix.data.copy()

    def _path(self, weights: FloatArray, start: int, end: int) -> tuple[int, ...] | None:
        self._matrix.data = weights
        _, previous = dijkstra(self._matrix, indices=start, return_predecessors=True)
        if previous[end] < 0 and start != end:
            return None
        path = [end]
        while path[-1] != start:
            path.append(int(previous[path[-1]]))
        return tuple(self._nodes[i] for i in reversed(path))

    def choice(self, origin: int, destination: int) -> RouteChoice:
        """The routes between entrances ``origin`` and ``destination`` (indices into entrances);
        worked out once per site, route settings and pair (kept with the site, `Site.derived`)."""
        return self.site.derived(
            ("route choice", self.config, origin, destination),
            lambda: self._choice(origin, destination),
        )

    def _choice(self, origin: int, destination: int) -> RouteChoice:
        site, config = self.site, self.config
        start, end = site.entrances[origin], site.entrances[destination]
        shortest = site.route(start.entrance_id, end.entrance_id)
        routes = [shortest]
        if config.k > 1 and start.node != end.node:
            weights = self._length.copy()
            a, b = self._position[start.node], self._position[end.node]
            for _ in range(config.k - 1):
                for route in routes[-1:]:
                    for u, v in itertools.pairwise(route.nodes):
                        pu, pv = self._position[u], self._position[v]
                        weights[self._slot[(pu, pv)]] *= PENALTY
                        weights[self._slot[(pv, pu)]] *= PENALTY
                nodes = self._path(weights, a, b)
                if nodes is None or any(nodes == r.nodes for r in routes):
                    continue
                on_graph_m = sum(
                    self._length[self._slot[(self._position[u], self._position[v])]]
                    for u, v in itertools.pairwise(nodes)
                )
                if on_graph_m > config.max_detour * shortest.length_m:
                    break
                line = site.line_along(nodes, start.position, end.position)
                if line.length > config.max_detour * shortest.length_m:
                    break
                routes.append(
                    Route(start.entrance_id, end.entrance_id, nodes, line, float(line.length))
                )
        lengths = np.array([route.length_m for route in routes], dtype=np.float64)
        return RouteChoice(tuple(routes), logit_shares(lengths, config.theta))


def route_choice(site: Site, origin: int, destination: int, config: RoutesConfig) -> RouteChoice:
    """The routes between two entrances (indices into site.entrances) and their chances."""
    return RoutePlanner(site, config).choice(origin, destination)


__all__ = [
    "PENALTY",
    "RouteChoice",
    "RoutePlanner",
    "logit_shares",
    "picked_routes",
    "route_choice",
]
