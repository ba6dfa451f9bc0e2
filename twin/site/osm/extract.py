"""An OpenStreetMap extract read into tagged features in longitude and latitude (WGS84 degrees).

``.osm.pbf`` and ``.osm`` XML (optionally ``.bz2``/``.gz``) are read with pyosmium (PyPI
``osmium``), which assembles ways into lines and closed ways and multipolygon relations into
areas; GeoJSON (``.geojson``/``.json``, as exported by osmium-tool or Overpass, each feature with an
``osm_id`` or ``@id`` such as ``way/123``) is read with the standard JSON parser and shapely. A
corrupt or truncated extract is refused with one :class:`~twin.errors.SiteMapError` line naming
the file. Only the features near the site (a window in degrees) are built into geometries, so a
city's or a county's extract serves as well as one cut to the site.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import shapely
from shapely import wkb
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from twin.errors import SiteMapError

__all__ = ["EXTRACT_SUFFIXES", "Extract", "OsmFeature", "Window", "read_extract"]

#: File endings read as OSM data by pyosmium, and as GeoJSON.
_OSMIUM_SUFFIXES: Final = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".xml")
_GEOJSON_SUFFIXES: Final = (".geojson", ".json")
EXTRACT_SUFFIXES: Final = _OSMIUM_SUFFIXES + _GEOJSON_SUFFIXES
#: Tags that make an object worth reading (everything else is skipped early).
_KEYS: Final = (
    "highway",
    "building",
    "amenity",
    "shop",
    "office",
    "leisure",
    "landuse",
    "natural",
    "waterway",
    "tourism",
    "railway",
    "public_transport",
    "entrance",
    "man_made",
    "place",
    "area:highway",
)


@dataclass(frozen=True)
class OsmFeature:
    """One OSM object: ``node/1``, ``way/2`` or ``relation/3``, its tags, its WGS84 geometry
    (Point, LineString, Polygon or MultiPolygon)."""

    osm_id: str
    tags: dict[str, str]
    geometry: BaseGeometry


@dataclass(frozen=True)
class Extract:
    """The features of an extract near the site, and the extent the whole extract covers
    (longitude and latitude bounds of its tagged features, degrees)."""

    features: list[OsmFeature]
    bounds: tuple[float, float, float, float]


Window = tuple[float, float, float, float]
"""(west, south, east, north), degrees: only features touching it are kept."""


def read_extract(path: Path, window: Window | None = None) -> Extract:
    """Every tagged feature of interest in the extract at ``path`` (WGS84) touching ``window``
    (all of them when it is None), and the extract's extent."""
    name = path.name.lower()
    if not path.is_file():
        raise SiteMapError("OpenStreetMap extract not found", source=path)
    if name.endswith(_GEOJSON_SUFFIXES):
        features = _read_geojson(path)
        west, south, east, north = shapely.total_bounds([f.geometry for f in features])
        if window is not None:
            box = shapely.box(*window)
            features = [f for f in features if f.geometry.intersects(box)]
        return Extract(features, (float(west), float(south), float(east), float(north)))
    if name.endswith(_OSMIUM_SUFFIXES):
        return _read_osmium(path, window)
    raise SiteMapError(
        f"unknown extract format; allowed: a file ending {', '.join(EXTRACT_SUFFIXES)}",
        source=path,
    )


def _read_osmium(path: Path, window: Window | None) -> Extract:
    import osmium

    factory = osmium.geom.WKBFactory()
    features: list[OsmFeature] = []
    # The extent of the tagged nodes seen, degrees: west, south, east, north.
    extent = [math.inf, math.inf, -math.inf, -math.inf]
    west, south, east, north = window if window is not None else (-180.0, -90.0, 180.0, 90.0)

    def inside(location: Any) -> bool:
        return bool(west <= location.lon <= east and south <= location.lat <= north)

    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter(*_KEYS))
    )
    try:
        for item in processor:
            obj: Any = item  # a node, way or area (FileProcessor also types changesets)
            if obj.is_node():
                location = obj.location
                extent[:] = [
                    min(extent[0], location.lon),
                    min(extent[1], location.lat),
                    max(extent[2], location.lon),
                    max(extent[3], location.lat),
                ]
                if not inside(location):
                    continue
            elif obj.is_way() and not any(
                node.location.valid() and inside(node.location) for node in obj.nodes
            ):
                continue
            tags = {tag.k: tag.v for tag in obj.tags}
            geometry = _osmium_geometry(obj, tags, factory)
            if geometry is None:
                continue
            if (
                obj.is_area()
                and window is not None
                and not geometry.intersects(shapely.box(*window))
            ):
                continue
            features.append(OsmFeature(_osmium_id(obj), tags, geometry))
    except (RuntimeError, ValueError, OSError) as exc:
        raise SiteMapError(
            f"cannot read the OpenStreetMap extract (corrupt or truncated?): {exc}", source=path
        ) from exc
    if not math.isfinite(extent[0]):
        raise SiteMapError(
            "the extract holds no OpenStreetMap features (empty, or not OSM data)", source=path
        )
    return Extract(features, (extent[0], extent[1], extent[2], extent[3]))


def _osmium_id(obj: Any) -> str:
    if obj.is_area():
        return f"{'way' if obj.from_way() else 'relation'}/{obj.orig_id()}"
    return f"{'node' if obj.is_node() else 'way' if obj.is_way() else 'relation'}/{obj.id}"


def _osmium_geometry(obj: Any, tags: dict[str, str], factory: Any) -> BaseGeometry | None:
    import osmium

    try:
        if obj.is_node():
            return wkb.loads(factory.create_point(obj), hex=True)
        if obj.is_way():
            # A closed way that is an area comes again as an area; its line is kept for highways.
            if obj.is_closed() and "highway" not in tags:
                return None
            return wkb.loads(factory.create_linestring(obj), hex=True)
        if obj.is_area():
            return wkb.loads(factory.create_multipolygon(obj), hex=True)
    except (osmium.InvalidLocationError, RuntimeError, ShapelyError):
        return None  # a way whose nodes lie outside the extract, or a broken multipolygon
    return None


def _read_geojson(path: Path) -> list[OsmFeature]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteMapError(f"cannot read the extract: {exc}", source=path) from exc
    except json.JSONDecodeError as exc:
        raise SiteMapError(
            f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): corrupt or truncated?",
            source=path,
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise SiteMapError("not a GeoJSON FeatureCollection of OSM features", source=path)
    features = []
    for index, feature in enumerate(document["features"]):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise SiteMapError(f"feature {index}: not a GeoJSON Feature", source=path)
        osm_id = props.get("osm_id", props.get("@id", props.get("id", f"feature/{index}")))
        try:
            geometry = shape(feature["geometry"])
        except (ShapelyError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise SiteMapError(
                f"feature {index} ({osm_id}): malformed geometry ({exc})", source=path
            ) from exc
        tags = {str(k): str(v) for k, v in props.items() if k not in ("osm_id", "@id", "id")}
        # A multi-part line (a relation of ways) is read as its lines, each with the tags.
        parts = geometry.geoms if geometry.geom_type == "MultiLineString" else [geometry]
        features += [OsmFeature(str(osm_id), tags, part) for part in parts]
    if not features:
        raise SiteMapError("the extract holds no features", source=path)
    return features
