"""Route lines joined from the edge coordinate table: the same lines as from edges' geometries."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point

from tests.site_fixtures import hairpin_site, tiny_site, write
from twin.site.model import Site, load_site
from twin.site.walkgraph import edge_coord_table, route_line


@pytest.fixture(params=["hairpin", "tiny"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    document = hairpin_site() if request.param == "hairpin" else tiny_site()
    return load_site(write(tmp_path, document))


def test_route_line_with_the_coordinate_table_is_the_same(site: Site) -> None:
    graph = site.walk_graph
    table = edge_coord_table(graph)
    assert table.keys() == site.edge_coords.keys()
    ids = [e.entrance_id for e in site.entrances]
    for route in (site.route(a, b) for a, b in itertools.permutations(ids, 2)):
        origin = site.entrance(route.origin).position
        destination = site.entrance(route.destination).position
        plain = route_line(graph, route.nodes, origin, destination)
        cached = route_line(graph, route.nodes, origin, destination, edge_coords=table)
        assert plain.wkb == cached.wkb == route.line.wkb
    one_node = route_line(graph, (0,), Point(1, 2), Point(3, 4), edge_coords=table)
    assert one_node.wkb == route_line(graph, (0,), Point(1, 2), Point(3, 4)).wkb


def test_the_coordinate_table_is_read_only_and_both_ways(site: Site) -> None:
    table = site.edge_coords
    for u, v, geometry in site.walk_graph.edges(data="geometry"):
        low, high = min(u, v), max(u, v)
        assert np.array_equal(table[(low, high)], np.asarray(geometry.coords))
        assert np.array_equal(table[(high, low)], np.asarray(geometry.coords)[::-1])
        assert not table[(low, high)].flags.writeable
    with pytest.raises(KeyError):
        route_line(site.walk_graph, (0, 99), Point(0, 0), Point(1, 1), edge_coords=table)
