"""Choosing the grid: the national grid in Great Britain, else the UTM zone, or the planner's own."""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from twin.errors import TwinInputError
from twin.site.osm.projection import choose_crs, crs_urn, projector


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (-0.1246, 51.5355, "EPSG:27700"),  # King's Cross, London
        (-3.19, 55.95, "EPSG:27700"),  # Edinburgh
        (-6.26, 53.35, "EPSG:32629"),  # Dublin: not Great Britain
        (-5.93, 54.60, "EPSG:32630"),  # Belfast: not Great Britain
        (24.94, 60.17, "EPSG:32635"),  # Helsinki
        (151.21, -33.87, "EPSG:32756"),  # Sydney: south of the equator
        (-74.0, 40.71, "EPSG:32618"),  # New York
    ],
)
def test_national_grid_where_it_applies_else_utm(lon: float, lat: float, expected: str) -> None:
    assert choose_crs(lon, lat) == expected


def test_a_requested_metric_crs_is_used() -> None:
    assert choose_crs(24.94, 60.17, "EPSG:3067") == "EPSG:3067"  # Finland's national grid


@pytest.mark.parametrize(
    ("requested", "named"), [("EPSG:99999", "pyproj knows"), ("EPSG:4326", "metres")]
)
def test_unknown_or_degree_crs_is_refused(requested: str, named: str) -> None:
    with pytest.raises(TwinInputError, match=named):
        choose_crs(0.0, 51.0, requested)


def test_projection_lands_on_the_grid_in_metres() -> None:
    # The national grid's true origin, 49 N 2 W, is at (400,000, -100,000) m; WGS84 and the grid's
    # own datum differ by about 100 m there.
    projected = projector("EPSG:27700")(Point(-2.0, 49.0))
    assert projected.x == pytest.approx(400_000, abs=200)
    assert projected.y == pytest.approx(-100_000, abs=200)
    assert crs_urn("EPSG:27700") == "urn:ogc:def:crs:EPSG::27700"
