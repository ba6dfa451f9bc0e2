"""Passes of many routes at once: exactly the passes of each route alone, field for field.

A small synthetic "hairpin" site: one walkway runs east, north and back west, so a route along it
crosses a camera's view twice; two cameras stand on one spot looking the same way (passes tied on
``best_m``, listed against their ids' order); two entrances on a stretch no camera sees. Routes
both ways walk edges from their higher node id to their lower (`tests.site_fixtures.hairpin_site`).
Also the shipped maps' routes, and the vectorised helpers against the loops they replace.
"""

from __future__ import annotations

import functools
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import Point

from tests.site_fixtures import SHIPPED_MAPS, hairpin_site, tiny_site, write
from twin.site import passes as passes_module
from twin.site.model import Route, Site, load_site
from twin.site.passes import ViewPass
from twin.site.walkgraph import route_line


@pytest.fixture
def hairpin(tmp_path: Path) -> Site:
    return load_site(write(tmp_path, hairpin_site()))


def all_routes(site: Site) -> list[Route]:
    ids = [e.entrance_id for e in site.entrances]
    return [site.route(a, b) for a, b in itertools.permutations(ids, 2)]


def fields(passes: list[ViewPass]) -> list[tuple[Any, ...]]:
    """Every field of every pass, with its type (so 1.0 and np.float64(1.0) differ)."""
    return [
        tuple((type(getattr(p, name)), getattr(p, name)) for name in ViewPass.__slots__)
        for p in passes
    ]


def assert_same_as_one_by_one(site: Site, routes: list[Route]) -> None:
    alone = [site.passes(route) for route in routes]
    together = site.passes_many(routes)
    assert len(together) == len(routes)
    for one, many in zip(alone, together, strict=True):
        assert fields(many) == fields(one)
        assert many == one


def test_the_hairpin_has_the_cases_the_batch_must_keep(hairpin: Site) -> None:
    there = hairpin.route("start", "end")
    passes = hairpin.passes(there)
    cameras = [p.camera_id for p in passes]
    assert cameras.count("south-a") == 2 and cameras.count("north") == 2  # a view crossed twice
    tied = [p for p in passes if p.camera_id.startswith("south")]
    assert tied[0].best_m == tied[1].best_m and [p.camera_id for p in tied[:2]] == [
        "south-a",
        "south-b",
    ]
    back = hairpin.route("end", "start")
    assert any(a > b for a, b in itertools.pairwise(back.nodes))  # an edge walked backwards
    assert any(a < b for a, b in itertools.pairwise(back.nodes))
    assert hairpin.passes(hairpin.route("east", "east-2")) == []  # no camera sees it


def test_passes_many_is_each_route_alone_on_the_hairpin(hairpin: Site) -> None:
    assert_same_as_one_by_one(hairpin, all_routes(hairpin))


def test_passes_many_with_duplicates_and_routes_without_passes(hairpin: Site) -> None:
    there, back = hairpin.route("start", "end"), hairpin.route("end", "start")
    unseen = hairpin.route("east", "east-2")
    batch = [unseen, there, there, back, unseen, there, back, unseen]
    assert_same_as_one_by_one(hairpin, batch)
    assert hairpin.passes_many([unseen, unseen]) == [[], []]
    assert hairpin.passes_many([]) == []


def test_passes_many_is_each_route_alone_in_any_order(hairpin: Site) -> None:
    routes = all_routes(hairpin)
    reordered = routes[::-2] + routes[::2]
    assert_same_as_one_by_one(hairpin, reordered)


def test_routes_from_points_off_the_entrances(hairpin: Site) -> None:
    """A route may start and end anywhere near its nodes: its connectors are cut when asked."""
    graph = hairpin.walk_graph
    base = hairpin.route("start", "end")
    nodes = base.nodes
    made = []
    for origin, destination in [((14.0, 36.0), (13.0, 74.0)), ((11.0, 38.0), (12.0, 73.0))]:
        walk = route_line(graph, nodes, Point(origin), Point(destination))
        made.append(Route("here", "there", nodes, walk, float(walk.length)))
    assert_same_as_one_by_one(hairpin, [made[0], base, made[1], made[0]])
    (found,) = hairpin.passes_many([made[0]])
    assert [p.camera_id for p in found] == [p.camera_id for p in hairpin.passes(base)]


def test_passes_many_on_the_tiny_site(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, tiny_site()))
    assert_same_as_one_by_one(site, all_routes(site))


@pytest.mark.parametrize("name", ["small_plaza.geojson", "kings_cross.geojson"])
def test_passes_many_is_each_route_alone_on_the_shipped_maps(name: str) -> None:
    if not (SHIPPED_MAPS / name).exists():
        pytest.skip(f"site_maps/{name} not built")
    site = _shipped(name)
    ids = [e.entrance_id for e in site.entrances][:12]
    routes = [site.route(a, b) for a, b in itertools.permutations(ids, 2)]
    assert_same_as_one_by_one(site, routes)


@functools.cache
def _shipped(name: str) -> Site:
    return load_site(SHIPPED_MAPS / name)


# --- the vectorised helpers against the loops they replace -------------------------------------


def _stretch_ids_loop(
    route_of: np.ndarray[Any, Any], owner: np.ndarray[Any, Any], starts: Any, ends: Any
) -> list[int]:
    """Pieces of one camera on one route that touch, one piece at a time."""
    ids = [0]
    reach_m = ends[0]
    for i in range(1, len(starts)):
        same = (route_of[i], owner[i]) == (route_of[i - 1], owner[i - 1]) and starts[
            i
        ] <= reach_m + passes_module._JOIN_GAP_M
        ids.append(ids[-1] + (0 if same else 1))
        reach_m = max(reach_m, ends[i]) if same else ends[i]
    return ids


def test_stretch_ids_match_the_loop() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 60))
        route_of = rng.integers(0, 3, n)
        owner = rng.integers(0, 3, n)
        starts = np.round(rng.uniform(0.0, 30.0, n), 1)  # ties and touching pieces
        ends = starts + np.round(rng.uniform(0.0, 6.0, n), 2)
        order = np.lexsort((starts, owner, route_of))
        route_of, owner, starts, ends = route_of[order], owner[order], starts[order], ends[order]
        expected = _stretch_ids_loop(route_of, owner, starts, ends)
        assert passes_module._stretch_ids(route_of, owner, starts, ends).tolist() == expected


def test_argmin_per_run_matches_the_sorting_one() -> None:
    rng = np.random.default_rng(11)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        runs = np.sort(rng.integers(0, 8, n))
        keys = rng.integers(0, 4, n).astype(np.float64)  # many ties
        if rng.random() < 0.3:
            keys[rng.integers(0, n)] = np.nan
        expected = passes_module._argmin_per_group(runs, keys)
        assert passes_module._argmin_per_run(runs, keys).tolist() == expected.tolist()


def test_view_passes_are_made_as_the_class_makes_them() -> None:
    rows = [("b", 1.0, 2.0, 1.5, 3.0, 250.0, 10.0), ("a", 0.0, 5.0, 4.0, 7.5, 120.5, 170.0)]
    made = passes_module._view_passes(*map(list, zip(*rows, strict=True)))
    assert made == [ViewPass(*row) for row in rows]
    assert [hash(p) for p in made] == [hash(ViewPass(*row)) for row in rows]
    with pytest.raises(AttributeError):
        made[0].best_m = 0.0  # type: ignore[misc]


def test_running_sums_add_as_a_loop_does() -> None:
    from twin.site.route_pieces import _running_sums

    rng = np.random.default_rng(3)
    n_steps = rng.integers(0, 6, 20)
    step_m = rng.uniform(0.0, 100.0, int(n_steps.sum())) / 3.0
    start_m = rng.uniform(0.0, 10.0, 20) / 7.0
    step_first = np.cumsum(n_steps) - n_steps
    before, after = _running_sums(start_m, step_m, step_first, n_steps)
    expected_before, expected_after = [], []
    for start, first, count in zip(start_m, step_first, n_steps, strict=True):
        total = float(start)
        for k in range(first, first + count):
            expected_before.append(total)
            total += float(step_m[k])
        expected_after.append(total)
    assert before.tolist() == expected_before and after.tolist() == expected_after
    assert math.isclose(after.sum(), start_m.sum() + step_m.sum())
