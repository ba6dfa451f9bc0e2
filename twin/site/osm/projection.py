"""Which metric grid a site is drawn in, and projecting WGS84 geometry onto it (pyproj).

A site map is in projected metres (docs/site_map_profile.md). The importer uses the national grid
where one applies (British National Grid, EPSG:27700, inside its area of use: Great Britain), else
the WGS 84 UTM zone of the site's centre (EPSG:326NN north of the equator, 327NN south), or the
grid a planner names with ``--crs``; a CRS that pyproj does not know, or one in degrees, is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from twin.errors import TwinInputError

__all__ = ["BRITISH_NATIONAL_GRID", "Projector", "choose_crs", "crs_urn", "projector"]

BRITISH_NATIONAL_GRID: Final = "EPSG:27700"
# Great Britain, where the national grid applies (EPSG:27700's onshore area of use), degrees.
_GB_WEST, _GB_SOUTH, _GB_EAST, _GB_NORTH = -8.82, 49.79, 1.92, 60.94
# Ireland (the island) lies in that box but has its own grid: longitude west of this, latitude
# between these, is not Great Britain.
_IRELAND_EAST, _IRELAND_SOUTH, _IRELAND_NORTH = -5.4, 51.3, 55.45

Projector = Callable[[BaseGeometry], BaseGeometry]


def choose_crs(lon_deg: float, lat_deg: float, requested: str | None = None) -> str:
    """The grid for a site centred at (lon, lat): ``requested`` if given and metric, else the
    national grid where it applies, else the UTM zone. Returned as ``EPSG:NNNN``."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if requested is not None:
        try:
            crs = CRS.from_user_input(requested)
        except CRSError as exc:
            raise TwinInputError(
                f"--crs: {requested!r} is not a CRS pyproj knows; allowed: a projected CRS in "
                "metres, e.g. EPSG:27700 or EPSG:32630"
            ) from exc
        units = {axis.unit_name for axis in crs.axis_info}
        if not crs.is_projected or units - {"metre", "meter"}:
            raise TwinInputError(
                f"--crs: {requested!r} is not in metres ({crs.name}); allowed: a projected CRS "
                "in metres, e.g. EPSG:27700 or EPSG:32630"
            )
        authority = crs.to_authority()
        return f"{authority[0]}:{authority[1]}" if authority else crs.to_string()
    in_britain = _GB_WEST <= lon_deg <= _GB_EAST and _GB_SOUTH <= lat_deg <= _GB_NORTH
    in_ireland = lon_deg < _IRELAND_EAST and _IRELAND_SOUTH <= lat_deg <= _IRELAND_NORTH
    if in_britain and not in_ireland:
        return BRITISH_NATIONAL_GRID
    zone = int((lon_deg + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat_deg >= 0 else 32700 + zone}"


def crs_urn(crs: str) -> str:
    """``EPSG:27700`` as the GeoJSON ``crs`` name a site map carries."""
    authority, _, code = crs.partition(":")
    return f"urn:ogc:def:crs:{authority}::{code}" if code else crs


def projector(crs: str) -> Projector:
    """A function taking a shapely geometry in WGS84 degrees to ``crs`` metres."""
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def transform(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    def project(geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, transform)

    return project
