"""Site-map GeoJSON: reading the document and validating each feature, at the border.

A site map (docs/site_map_profile.md) is one GeoJSON FeatureCollection in projected metres, each
feature tagged with a ``kind``. These functions refuse anything the profile does not allow with one
:class:`~twin.errors.SiteMapError` line naming the file, the feature (its index, kind and id) and
what is allowed; each feature's properties are validated by its kind's pydantic model
(`twin.site.properties`); `twin.site.model` builds the site from what they return. A camera layer (cameras only,
for example a plan from `twin cameras plan`) is read by the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape

from twin.errors import SiteMapError
from twin.site.properties import (
    PROPERTY_MODELS,
    BoundaryProperties,
    BuildingProperties,
    CameraProperties,
    EntranceProperties,
    OpenSpaceProperties,
    WalkwayProperties,
    validate_properties,
)

__all__ = [
    "KINDS",
    "SiteFeatures",
    "crs_name",
    "feature_label",
    "features_by_kind",
    "parse_feature",
    "read_document",
]

KINDS: Final = ("boundary", "building", "open_space", "walkway", "entrance", "camera")
_GEOMETRIES: Final[Mapping[str, tuple[str, ...]]] = {
    "boundary": ("Polygon",),
    "building": ("Polygon", "MultiPolygon"),
    "open_space": ("Polygon", "MultiPolygon"),
    "walkway": ("LineString",),
    "entrance": ("Point",),
    "camera": ("Point",),
}
_GEOGRAPHIC_CRS: Final = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4258", "EPSG:4258")


def read_document(source: Path) -> dict[str, Any]:
    """The GeoJSON FeatureCollection at ``source``, with a ``features`` list and a projected CRS."""
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SiteMapError("site map file not found", source=source) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteMapError(f"cannot read the site map: {exc}", source=source) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SiteMapError(
            f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=source
        ) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise SiteMapError("not a GeoJSON FeatureCollection", source=source)
    if not isinstance(document.get("features"), list):
        raise SiteMapError("a FeatureCollection needs a 'features' list", source=source)
    if not isinstance(document.get("properties", {}), dict):
        raise SiteMapError("top-level 'properties' must be an object", source=source)
    crs_name(document, source)
    return document


def crs_name(document: Mapping[str, Any], source: Path) -> str:
    """The document's named CRS; refused when missing or geographic (degrees)."""
    crs = document.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str):
        raise SiteMapError(
            "missing 'crs': a site map is in projected metres and names its grid, e.g. "
            '{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}',
            source=source,
        )
    if name.upper().endswith(_GEOGRAPHIC_CRS):
        raise SiteMapError(
            f"crs {name!r} is in degrees; allowed: a projected CRS in metres (e.g. EPSG:27700)",
            source=source,
        )
    return name


def feature_label(index: int, props: Mapping[str, Any]) -> str:
    """How a message names a feature: its index, kind and id, e.g. "feature 7 (camera 'cam-1')"."""
    kind, feature_id = props.get("kind"), props.get("id")
    named = [
        *([kind] if kind in KINDS else []),
        *([repr(feature_id)] if isinstance(feature_id, str) else []),
    ]
    return f"feature {index} ({' '.join(named)})" if named else f"feature {index}"


def parse_feature(index: int, feature: Any, source: Path) -> tuple[str, Mapping[str, Any], Any]:
    """(kind, properties, geometry) of one feature, its geometry valid and in finite metres."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise SiteMapError(f"feature {index}: not a GeoJSON Feature", source=source)
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise SiteMapError(f"feature {index}: 'properties' must be an object", source=source)
    label = feature_label(index, props)
    kind = props.get("kind")
    if kind not in KINDS:
        raise SiteMapError(
            f"{label}: unknown kind {kind!r}; allowed: {', '.join(KINDS)}", source=source
        )
    raw = feature.get("geometry")
    allowed = _GEOMETRIES[kind]
    if not isinstance(raw, dict) or raw.get("type") not in allowed:
        found = raw.get("type") if isinstance(raw, dict) else raw
        raise SiteMapError(
            f"{label}: {kind} needs a {' or '.join(allowed)} geometry, not {found!r}",
            source=source,
        )
    try:
        geometry = shape(raw)
    except (ShapelyError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SiteMapError(
            f"{label}: malformed {raw['type']} geometry ({exc})", source=source
        ) from exc
    coords = shapely.get_coordinates(geometry)
    if geometry.is_empty or not np.isfinite(coords).all():
        raise SiteMapError(f"{label}: empty geometry or coordinates not finite", source=source)
    if not geometry.is_valid:
        raise SiteMapError(
            f"{label}: invalid {raw['type']} ({shapely.is_valid_reason(geometry)}); allowed: "
            "simple polygons whose rings do not cross themselves",
            source=source,
        )
    if kind == "walkway" and geometry.length <= 0:
        raise SiteMapError(f"{label}: walkway has zero length", source=source)
    return kind, props, geometry


@dataclass(frozen=True)
class SiteFeatures:
    """Every feature of a document, validated and grouped by kind: (index in the file, its
    properties as the kind's model, its shapely geometry)."""

    boundaries: list[tuple[int, BoundaryProperties, Any]] = field(default_factory=list)
    buildings: list[tuple[int, BuildingProperties, Any]] = field(default_factory=list)
    open_spaces: list[tuple[int, OpenSpaceProperties, Any]] = field(default_factory=list)
    walkways: list[tuple[int, WalkwayProperties, Any]] = field(default_factory=list)
    entrances: list[tuple[int, EntranceProperties, Any]] = field(default_factory=list)
    cameras: list[tuple[int, CameraProperties, Any]] = field(default_factory=list)
    #: (index, raw properties) of every feature, in file order, for messages.
    raw: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)


def features_by_kind(document: Mapping[str, Any], source: Path) -> SiteFeatures:
    """Every feature, its geometry and properties validated, grouped by kind; ids unique."""
    found = SiteFeatures()
    seen_ids: dict[str, int] = {}
    for index, feature in enumerate(document["features"]):
        kind, props, geometry = parse_feature(index, feature, source)
        feature_id = props.get("id")
        if isinstance(feature_id, str):
            if feature_id in seen_ids:
                raise SiteMapError(
                    f"{feature_label(index, props)}: duplicate id {feature_id!r} (also feature "
                    f"{seen_ids[feature_id]}); allowed: ids unique in the file",
                    source=source,
                )
            seen_ids[feature_id] = index
        model = validate_properties(PROPERTY_MODELS[kind], props, source=source, index=index)
        found.raw.append((index, props))
        if isinstance(model, BoundaryProperties):
            found.boundaries.append((index, model, geometry))
        elif isinstance(model, BuildingProperties):
            found.buildings.append((index, model, geometry))
        elif isinstance(model, OpenSpaceProperties):
            found.open_spaces.append((index, model, geometry))
        elif isinstance(model, WalkwayProperties):
            found.walkways.append((index, model, geometry))
        elif isinstance(model, EntranceProperties):
            found.entrances.append((index, model, geometry))
        elif isinstance(model, CameraProperties):
            found.cameras.append((index, model, geometry))
    return found
