"""`twin site import`: an OpenStreetMap extract and a boundary in, a site map (and scenario) out.

:func:`import_site` reads the extract (`twin.site.osm.extract`) and the boundary (a GeoJSON
polygon in longitude and latitude), picks the grid (`twin.site.osm.projection`), builds the walk
network, ground, entrances and cameras, applies an overlay if given, writes the map atomically and
loads it back with :func:`twin.site.model.load_site` before it is put in place, so a map that is
written is one `twin run` accepts. Bad input (a corrupt extract, a boundary that is not a polygon or
does not overlap the data, no walkable way inside, an unknown CRS) is refused with one line naming
the file, and nothing is left at ``out``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from twin.errors import SiteMapError
from twin.site.model import Site, load_site
from twin.site.osm.entrances import (
    EntranceSpot,
    crossing_gateways,
    destinations_in,
    transit_gateways,
)
from twin.site.osm.extract import OsmFeature, read_extract
from twin.site.osm.ground import buildings_in, open_spaces_in
from twin.site.osm.overlay import Overlay, read_overlay
from twin.site.osm.projection import choose_crs, crs_urn, projector
from twin.site.osm.skeleton import scenario_skeleton
from twin.site.osm.surveillance import surveillance_cameras
from twin.site.osm.walk_network import Walkway, network_edges, walkways_in
from twin.site.walkgraph import ENTRANCE_SNAP_M

__all__ = ["ATTRIBUTION", "EDGE_M", "ImportReport", "import_site", "write_atomically"]

ATTRIBUTION: Final = (
    "Map data (c) OpenStreetMap contributors, available under the Open Database Licence (ODbL) 1.0"
)
#: Walkways are kept this far outside the boundary (the streets on its edge), m; the profile
#: allows 50 m.
EDGE_M: Final = 25.0
# The walk region never reaches farther out than this (the profile allows 50 m; rounding), m.
_REGION_MAX_M: Final = 49.0
#: Loose walkway ends this close to another walkway are joined, m (OSM ways that stop short).
JOIN_M: Final = 3.0
#: A gateway this far from the walk network gets a straight link to it (a station forecourt), m.
LINK_MAX_M: Final = 80.0
# An entrance attaches within ENTRANCE_SNAP_M; keep this margin for rounding, m.
_SNAP_MARGIN_M: Final = 1.0
#: Coordinates are written to this many decimals (0.1 m).
DECIMALS: Final = 1
T = TypeVar("T")
# Written files are readable by all, like any other file the user writes (mkstemp's are not).
_FILE_MODE: Final = 0o644
# Extract features farther than this outside the boundary are not projected, degrees (~300 m).
_MARGIN_DEG: Final = 0.004


@dataclass(frozen=True)
class ImportReport:
    """What an import produced: the files, the grid and the figures a planner checks."""

    map_path: Path
    scenario_path: Path | None
    crs: str
    site: Site
    dropped_entrances: tuple[str, ...]
    osm_cameras: int
    wall_s: float

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        site = self.site
        inside = shapely.intersection(shapely.union_all(list(site.walkways)), site.boundary).length
        return {
            "map": str(self.map_path),
            "scenario": str(self.scenario_path) if self.scenario_path else None,
            "site": site.name,
            "crs": self.crs,
            "area_ha": round(site.area_ha, 2),
            "buildings": len(site.buildings),
            "open_spaces": len(site.open_spaces),
            "walkways": len(site.walkways),
            "walkway_length_m": round(float(sum(w.length for w in site.walkways)), 1),
            "walkway_length_inside_m": round(float(inside), 1),
            "walk_graph_nodes": site.walk_graph.number_of_nodes(),
            "gateways": len(site.gateways),
            "destinations": len(site.destinations),
            "cameras": len(site.cameras),
            "recognition_capable": sum(c.recognition_capable for c in site.cameras),
            "osm_cameras": self.osm_cameras,
            "dropped_entrances": list(self.dropped_entrances),
            "attribution": site.attribution,
            "wall_s": round(self.wall_s, 3),
        }


def import_site(
    osm_path: Path,
    boundary_path: Path,
    out: Path,
    *,
    scenario: Path | None = None,
    crs: str | None = None,
    overlay: Path | None = None,
) -> ImportReport:
    """Import the site inside ``boundary_path`` from the extract at ``osm_path`` into ``out``."""
    began = time.perf_counter()
    for flag, target in (("--out", out), ("--scenario", scenario)):
        if target is not None and not target.parent.is_dir():
            raise SiteMapError(
                f"{flag}: no folder {target.parent}; allowed: a file in an existing folder",
                source=target,
            )
    boundary_ll, boundary_name = read_boundary(boundary_path)
    x0, y0, x1, y1 = boundary_ll.bounds
    window = (x0 - _MARGIN_DEG, y0 - _MARGIN_DEG, x1 + _MARGIN_DEG, y1 + _MARGIN_DEG)
    extract = read_extract(osm_path, window)
    if not boundary_ll.intersects(shapely.box(*extract.bounds)):
        west, south, east, north = extract.bounds
        raise SiteMapError(
            f"the boundary {boundary_path} does not overlap the extract's data (extract bounds "
            f"{west:.4f},{south:.4f} to {east:.4f},{north:.4f}); allowed: a boundary inside the "
            "area the extract covers",
            source=osm_path,
        )
    near = extract.features
    centre = boundary_ll.centroid
    chosen = choose_crs(centre.x, centre.y, crs)
    project = projector(chosen)
    boundary = project(boundary_ll)
    if not isinstance(boundary, Polygon) or not boundary.is_valid:
        raise SiteMapError(
            "the boundary is not a valid polygon once projected", source=boundary_path
        )
    projected = [OsmFeature(f.osm_id, f.tags, project(f.geometry)) for f in near]
    extra = read_overlay(overlay, crs_urn(chosen)) if overlay is not None else Overlay(Path())

    transit = transit_gateways(projected, boundary)
    kept = [(p, point) for p, point, _ in extra.entrances]
    replacing = extra.entrances_mode == "replace" and bool(extra.entrances)
    anchors = [point for _, point in kept] + ([] if replacing else [s.point for s in transit])
    # The walkways on the boundary's edge, and those around a gateway just outside it (a
    # station's forecourt), never more than the profile's 50 m out.
    region = shapely.union_all([boundary.buffer(EDGE_M), *[a.buffer(EDGE_M) for a in anchors]])
    region = region.intersection(boundary.buffer(_REGION_MAX_M))
    walkways = walkways_in(projected, region)
    walkways += [
        Walkway(line, "overlay", props.name, props.highway or "footway", props.width_m)
        for props, line in extra.walkways
    ]
    if not any(w.line.intersects(boundary) for w in walkways):
        raise SiteMapError(
            "no walkable way inside the boundary (footways, paths, pedestrian streets or street "
            "pavements); allowed: a boundary around ground people walk",
            source=boundary_path,
        )
    buildings = buildings_in(projected, boundary)
    network = network_edges(walkways, anchors, join_m=JOIN_M)
    walk_lines = shapely.union_all([w.line for w in network])
    shapely.prepare(walk_lines)

    if replacing:
        spots = [_overlay_spot(p, point, raw) for p, point, raw in extra.entrances]
    else:
        spots = crossing_gateways(network, boundary) + transit
        spots += destinations_in(projected, buildings, boundary, walk_lines)
        spots = _merge(spots, [_overlay_spot(p, point, raw) for p, point, raw in extra.entrances])
    spots, links, dropped = _attach(spots, walk_lines, boundary)
    spots = _fallbacks(spots, network, boundary)

    building_polygons = [p for b in buildings for p in shapely.get_parts(b.polygon)]
    osm_cameras = surveillance_cameras(projected, boundary, building_polygons, walk_lines)
    cameras = extra.cameras if extra.cameras else osm_cameras
    properties = {
        "name": extra.name or boundary_name,
        "attribution": ATTRIBUTION,
        "source": (
            f"OpenStreetMap extract {osm_path.name} and boundary {boundary_path.name}, projected "
            f"to {chosen} by twin site import"
            + (f", with the overlay {overlay.name}" if overlay is not None else "")
        ),
        "licence": "ODbL 1.0 (derived from OpenStreetMap)",
        "assumptions": {**_ASSUMPTIONS, **extra.assumptions},
    }
    features_out = [_feature(boundary, kind="boundary", name=boundary_name)]
    features_out += [
        _feature(
            b.polygon, kind="building", **({"name": b.name} if b.name else {}), osm_id=b.osm_id
        )
        for b in buildings
    ]
    features_out += [
        _feature(s.polygon, kind="open_space", name=s.name, use=s.use, osm_id=s.osm_id)
        for s in open_spaces_in(projected, boundary)
    ]
    features_out += [_raw_feature(raw, polygon) for _, polygon, raw in extra.open_spaces]
    features_out += [
        _feature(w.line, **w.properties())
        for w in [*network, *links]
        if w.line.length >= 10.0**-DECIMALS
    ]
    features_out += [_feature(s.point, **s.properties()) for s in spots]
    features_out += [_raw_feature(c["properties"], shape(c["geometry"])) for c in cameras]
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs_urn(chosen)}},
        "properties": properties,
        "features": features_out,
    }
    site = write_atomically(out, dumps(document), check=load_site)
    assert site is not None
    scenario_path = None
    if scenario is not None:
        text = scenario_skeleton(
            scenario_path=scenario,
            map_path=out,
            site_name=site.name,
            gateway_thousands_per_day=sum(g.weight for g in site.gateways),
            cameras=len(site.cameras),
            recognition_capable=sum(c.recognition_capable for c in site.cameras),
        )
        write_atomically(scenario, text)
        scenario_path = scenario
    return ImportReport(
        map_path=out,
        scenario_path=scenario_path,
        crs=chosen,
        site=site,
        dropped_entrances=tuple(dropped),
        osm_cameras=len(osm_cameras),
        wall_s=time.perf_counter() - began,
    )


_ASSUMPTIONS: Final = {
    "walk_network": (
        "OpenStreetMap footways, paths, steps, pedestrian streets and areas' edges, cycleways, "
        "tracks and the pavements of streets, within 25 m of the boundary; one level and planar "
        "(bridges meet what they cross); tunnels and underground levels left out. Widths from "
        "OSM width tags, else a default per way type (assumption, 2-8 m)."
    ),
    "gateways": (
        "Where walkways cross the boundary and at transit stops within 250 m; weights in "
        "thousands of daily entries and exits by kind (assumption, 0.5-30) unless the overlay "
        "gives a published count."
    ),
    "destinations": (
        "Amenities, shops, offices, schools, parks and buildings with entrances inside the "
        "boundary, one per building; weights by kind and size (assumption, 0.5-5 x a size "
        "factor of 0.5-4)."
    ),
    "cameras": (
        "Cameras from OpenStreetMap man_made=surveillance where mapped, optics assumed and none "
        "recognition-capable; else none, or the overlay's."
    ),
}


def read_boundary(path: Path) -> tuple[Polygon, str]:
    """The boundary polygon (WGS84 degrees) in a GeoJSON file, and its name."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SiteMapError("boundary file not found", source=path) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SiteMapError(f"cannot read the boundary as GeoJSON: {exc}", source=path) from exc
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        polygons = [
            f for f in document.get("features", []) if isinstance(f, dict) and f.get("geometry")
        ]
        if len(polygons) != 1:
            raise SiteMapError(
                f"a boundary file holds one feature; found {len(polygons)}", source=path
            )
        document = polygons[0]
    name = path.stem
    if isinstance(document, dict) and document.get("type") == "Feature":
        name = str((document.get("properties") or {}).get("name", name))
        document = document.get("geometry")
    try:
        geometry = shape(document)
    except (ShapelyError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SiteMapError(f"not a GeoJSON geometry ({exc})", source=path) from exc
    if isinstance(geometry, MultiPolygon) and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if not isinstance(geometry, Polygon):
        raise SiteMapError(
            f"the boundary is a {geometry.geom_type}; allowed: one Polygon (longitude, latitude)",
            source=path,
        )
    lon_min, lat_min, lon_max, lat_max = geometry.bounds
    if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
        raise SiteMapError(
            "boundary coordinates are not longitude and latitude; allowed: WGS84 degrees "
            "(GeoJSON's own CRS)",
            source=path,
        )
    if not geometry.is_valid or geometry.area <= 0:
        raise SiteMapError(
            f"the boundary is not a valid polygon ({shapely.is_valid_reason(geometry)})",
            source=path,
        )
    return geometry, name


def _overlay_spot(props: Any, point: Point, raw: Mapping[str, Any]) -> EntranceSpot:
    return EntranceSpot(
        props.id,
        props.name or props.id,
        props.role,
        props.weight,
        point,
        str(raw.get("source", "overlay")),
    )


def _merge(imported: list[EntranceSpot], overlay: list[EntranceSpot]) -> list[EntranceSpot]:
    """Overlay entrances replace imported ones with the same id; the others are added."""
    by_id = {spot.entrance_id: spot for spot in overlay}
    merged = [by_id.pop(spot.entrance_id, spot) for spot in imported]
    return merged + list(by_id.values())


def _attach(
    spots: Iterable[EntranceSpot], walk_lines: BaseGeometry, boundary: Polygon
) -> tuple[list[EntranceSpot], list[Walkway], list[str]]:
    """Entrances near enough the network; straight links for gateways a little farther off."""
    kept, links, dropped = [], [], []
    reach = boundary.buffer(49.0)
    for spot in spots:
        gap = spot.point.distance(walk_lines)
        if gap <= ENTRANCE_SNAP_M - _SNAP_MARGIN_M and reach.covers(spot.point):
            kept.append(spot)
            continue
        if spot.role == "gateway" and gap <= LINK_MAX_M and reach.covers(spot.point):
            _, onto = nearest_points(spot.point, walk_lines)
            link = LineString([spot.point, onto])
            if reach.covers(link):
                links.append(Walkway(link, "link", f"Link to {spot.name}", "footway", 3.0))
                kept.append(spot)
                continue
        dropped.append(f"{spot.entrance_id} ({gap:.0f} m from the walk network)")
    return kept, links, dropped


def _fallbacks(
    spots: list[EntranceSpot], network: Sequence[Walkway], boundary: Polygon
) -> list[EntranceSpot]:
    """A site with no gateway or no destination gets one (assumption), so a run can start."""
    lines = shapely.union_all([w.line for w in network])
    if not any(s.role == "gateway" for s in spots):
        onto, _ = nearest_points(lines, boundary.exterior)
        spots.append(
            EntranceSpot(
                "gw-edge",
                "Edge of the site",
                "gateway",
                1.0,
                onto,
                "no walkway crosses the boundary: the network's point nearest it (assumption)",
            )
        )
    if not any(s.role == "destination" for s in spots):
        onto, _ = nearest_points(lines, boundary.centroid)
        spots.append(
            EntranceSpot(
                "dst-centre",
                "Centre of the site",
                "destination",
                1.0,
                onto,
                "no place mapped inside the boundary: the network's point nearest its centre "
                "(assumption)",
            )
        )
    return spots


def _rounded(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON geometry with coordinates rounded to 0.1 m (rings kept valid)."""
    snapped = shapely.set_precision(geometry, 10.0**-DECIMALS)
    mapping: dict[str, Any] = shapely.geometry.mapping(snapped)

    def round_all(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, DECIMALS)
        if isinstance(value, list | tuple):
            return [round_all(v) for v in value]
        return value

    return {"type": mapping["type"], "coordinates": round_all(mapping["coordinates"])}


def _feature(geometry: BaseGeometry, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": _rounded(geometry)}


def _raw_feature(props: Mapping[str, Any], geometry: BaseGeometry) -> dict[str, Any]:
    return {"type": "Feature", "properties": dict(props), "geometry": _rounded(geometry)}


def dumps(document: Mapping[str, Any]) -> str:
    """Compact JSON with one feature per line: small, and readable in a diff."""
    head = json.dumps({k: v for k, v in document.items() if k != "features"}, ensure_ascii=False)
    body = ",\n".join(
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in document["features"]
    )
    return f'{head[:-1]}, "features": [\n{body}\n]}}\n'


def write_atomically(
    path: Path, text: str, *, check: Callable[[Path], T] | None = None
) -> T | None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename; with
    ``check``, call it on the temporary file first: nothing is put in place if it raises."""
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).chmod(_FILE_MODE)
        checked = check(Path(temporary)) if check is not None else None
        Path(temporary).replace(path)
    except SiteMapError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise SiteMapError(
            f"the imported map fails validation: {exc.message}", source=path
        ) from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return checked
