"""Flows count walkers on the routes they really take, not only the shortest one."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from twin.crowd.demand import generate_trips
from twin.crowd.flows import flows_from_trips, flows_from_walk
from twin.crowd.walking import simulate_crowd
from twin.scenario import CrowdConfig, Scenario
from twin.site.model import Route, load_site

IntArray = npt.NDArray[np.int64]


def _by_nodes(
    flows_routes: tuple[Route, ...], walkers: IntArray
) -> dict[tuple[str, str, tuple[int, ...]], int]:
    return {
        (r.origin, r.destination, r.nodes): int(n)
        for r, n in zip(flows_routes, walkers, strict=True)
    }


def test_flows_from_trips_match_the_routes_walked(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    crowd = CrowdConfig.model_validate(
        {**plaza_scenario.crowd.model_dump(), "daily_pedestrians": 3000}
    )
    trips = generate_trips(site, crowd, np.random.default_rng(7))
    walked = simulate_crowd(site, trips, crowd)
    folded = flows_from_trips(site, trips, crowd.routes)
    simulated = flows_from_walk(walked.routes, walked.route)
    assert folded.total_walkers == simulated.total_walkers == len(trips)
    assert _by_nodes(folded.routes, folded.walkers) == _by_nodes(
        simulated.routes, simulated.walkers
    )
    pairs = {(r.origin, r.destination) for r in folded.routes}
    assert len(folded.routes) > len(pairs)  # some pairs are walked by more than one route


def test_a_single_route_choice_folds_to_shortest_routes(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    crowd = CrowdConfig.model_validate(
        {
            **plaza_scenario.crowd.model_dump(),
            "daily_pedestrians": 2000,
            "routes": {**plaza_scenario.crowd.routes.model_dump(), "k": 1},
        }
    )
    trips = generate_trips(site, crowd, np.random.default_rng(3))
    flows = flows_from_trips(site, trips, crowd.routes)
    for route in flows.routes:
        assert route.nodes == site.route(route.origin, route.destination).nodes
    assert flows.total_walkers == len(trips)


def test_walkers_pick_routes_as_their_draws_fall_on_the_logit_shares() -> None:
    from shapely.geometry import LineString

    from twin.crowd.routes import RouteChoice, picked_routes

    def routes(n: int) -> tuple[Route, ...]:
        line = LineString([(0, 0), (10, 0)])
        return tuple(Route("a", "b", (j,), line, 10.0 + j) for j in range(n))

    three = RouteChoice(routes(3), np.array([0.5, 0.3, 0.2]))
    one = RouteChoice(routes(1), np.array([1.0]))
    u = np.array([0.0, 0.49, 0.5, 0.79, 0.8, 0.999999, 0.3, 0.9])
    pair = np.array([7, 7, 7, 7, 7, 7, 2, 2])
    rank, picked = picked_routes(pair, u, {7: three, 2: one})
    assert rank.tolist() == [1, 1, 1, 1, 1, 1, 0, 0]  # pairs in code order: 2, then 7
    assert picked.tolist() == [0, 0, 1, 1, 2, 2, 0, 0]
    assert [three.pick(x) for x in u[:6]] == picked[:6].tolist()
