"""An overlay: what OpenStreetMap cannot know about a site, kept beside the extract in one file.

An overlay is a GeoJSON FeatureCollection in the site map's projected CRS (docs/site_import.md)
holding features of the site-map profile, validated by the same models:

- ``camera`` features: the site's cameras (a synthetic layer, or a surveyed one) in place of those
  OpenStreetMap maps;
- ``entrance`` features: with top-level ``properties.entrances = "merge"`` (the default) an
  overlay entrance replaces the imported entrance with the same ``id`` (to give a gateway its
  published passenger count) or is added; with ``"replace"`` the overlay's entrances are the site's
  only ones;
- ``walkway`` features: links OpenStreetMap lacks (a walk across a station forecourt), noded into
  the network with the rest;
- ``open_space`` features: squares OpenStreetMap has no area for.

Its top-level ``properties.assumptions`` (an object of notes) is carried into the map's own, and
its ``properties.name`` names the site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from twin.errors import SiteMapError
from twin.site.geojson import crs_name, feature_label, features_by_kind, read_document
from twin.site.properties import EntranceProperties, OpenSpaceProperties, WalkwayProperties

__all__ = ["Overlay", "read_overlay"]

_ALLOWED = ("camera", "entrance", "walkway", "open_space")


@dataclass(frozen=True)
class Overlay:
    """An overlay's validated features (projected metres) and how its entrances apply."""

    source: Path
    entrances_mode: Literal["merge", "replace"] = "merge"
    cameras: list[dict[str, Any]] = field(default_factory=list)
    entrances: list[tuple[EntranceProperties, Any, dict[str, Any]]] = field(default_factory=list)
    walkways: list[tuple[WalkwayProperties, Any]] = field(default_factory=list)
    open_spaces: list[tuple[OpenSpaceProperties, Any, dict[str, Any]]] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)
    #: The site's name, when the overlay gives one (``properties.name``).
    name: str = ""


def read_overlay(path: Path, crs_urn: str) -> Overlay:
    """Read and validate the overlay at ``path`` for a map in ``crs_urn``."""
    document = read_document(path)
    crs = crs_name(document, path)
    if crs.upper().replace("::", ":") != crs_urn.upper().replace("::", ":"):
        raise SiteMapError(
            f"overlay is in {crs!r} but the map is drawn in {crs_urn!r}; allowed: the map's CRS "
            "(pass --crs to choose the map's grid)",
            source=path,
        )
    found = features_by_kind(document, path)
    for index, props in found.raw:
        if props.get("kind") not in _ALLOWED:
            raise SiteMapError(
                f"{feature_label(index, props)}: an overlay holds {', '.join(_ALLOWED)} features",
                source=path,
            )
    top = document.get("properties") or {}
    mode = top.get("entrances", "merge")
    if mode not in ("merge", "replace"):
        raise SiteMapError(
            f"properties.entrances is {mode!r}; allowed: 'merge' or 'replace'", source=path
        )
    assumptions = top.get("assumptions", {})
    if not isinstance(assumptions, dict):
        raise SiteMapError("properties.assumptions must be an object of notes", source=path)
    raw = {index: dict(props) for index, props in found.raw}
    features = document["features"]
    return Overlay(
        source=path,
        entrances_mode=mode,
        cameras=[features[index] for index, _, _ in found.cameras],
        entrances=[(props, point, raw[index]) for index, props, point in found.entrances],
        walkways=[(props, line) for _, props, line in found.walkways],
        open_spaces=[(props, polygon, raw[index]) for index, props, polygon in found.open_spaces],
        assumptions=dict(assumptions),
        name=str(top.get("name", "")),
    )
