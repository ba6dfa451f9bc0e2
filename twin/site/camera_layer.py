"""Camera layers: a site's cameras as their own GeoJSON file, to swap one layout for another.

A camera layer is a FeatureCollection in the site map's projected CRS holding only ``camera``
features, with the properties of docs/site_map_profile.md. `twin cameras plan` writes one; a
scenario uses it with ``[site] cameras = "layer.geojson"`` in place of the map's own cameras. It is
validated like the map's cameras: inside the boundary, outside every building.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from shapely.geometry import Polygon

from twin.errors import SiteMapError
from twin.site.cameras import Camera, camera_from_properties
from twin.site.geojson import crs_name, feature_label, features_by_kind, read_document
from twin.site.properties import CameraProperties

__all__ = ["camera_layer_document", "cameras_on_site", "load_camera_layer"]


class Site(Protocol):
    """What a camera layer is checked against (`twin.site.model.Site` has it). A protocol, so that
    this module does not import the site model, which imports it."""

    @property
    def crs(self) -> str: ...
    @property
    def boundary(self) -> Polygon: ...
    @property
    def buildings(self) -> tuple[Polygon, ...]: ...


def load_camera_layer(path: str | Path, site: Site) -> tuple[Camera, ...]:
    """Read and validate a camera layer for ``site``: a FeatureCollection of camera features only,
    in the site map's CRS, every camera inside the boundary and outside every building.
    """
    source = Path(path)
    document = read_document(source)
    layer_crs = crs_name(document, source)
    if layer_crs != site.crs:
        raise SiteMapError(
            f"camera layer is in {layer_crs!r} but the site map in {site.crs!r}; allowed: the "
            "site map's CRS",
            source=source,
        )
    found = features_by_kind(document, source)
    for index, props in found.raw:
        if props.get("kind") != "camera":
            raise SiteMapError(
                f"{feature_label(index, props)}: a camera layer holds only 'camera' features",
                source=source,
            )
    return cameras_on_site(found.cameras, site.boundary, site.buildings, source)


def camera_layer_document(
    cameras: Iterable[Camera], *, crs: str, properties: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A camera layer as a GeoJSON document (dict) that :func:`load_camera_layer` reads back."""
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs}},
        "properties": dict(properties or {}),
        "features": [
            {
                "type": "Feature",
                "properties": camera.properties(),
                "geometry": {"type": "Point", "coordinates": [camera.x_m, camera.y_m]},
            }
            for camera in cameras
        ],
    }


def cameras_on_site(
    found: Sequence[tuple[int, CameraProperties, Any]],
    boundary: Polygon,
    buildings: Sequence[Polygon],
    source: Path,
) -> tuple[Camera, ...]:
    """Build and validate camera features (:func:`camera_from_properties`); each must stand
    inside ``boundary`` and outside every building."""
    cameras = []
    for index, props, geometry in found:
        camera = camera_from_properties(
            props, (geometry.x, geometry.y), buildings, source=source, index=index
        )
        if not boundary.covers(geometry):
            raise SiteMapError(
                f"camera {camera.camera_id!r}: at ({camera.x_m:.1f}, {camera.y_m:.1f}) outside "
                "the boundary; allowed: inside the boundary",
                source=source,
            )
        cameras.append(camera)
    return tuple(cameras)
