"""``twin site inspect``, ``twin cameras plan`` and ``twin cameras graph`` on tiny synthetic maps."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.site_fixtures import camera_props, feature, point, rect, tiny_site, write
from twin.cli.site import cameras_app, site_app
from twin.figures.site_pictures import find_browser
from twin.site.model import load_site
from twin.site.optics import GRADE_NAMES

runner = CliRunner()


def _mounted() -> bool:
    """Whether the main ``twin`` command has mounted these sub-apps yet."""
    from twin.cli.app import app

    return {group.name for group in app.registered_groups} >= {"site", "cameras"}


# Through the main command once it mounts the sub-apps, else through this module's own entry point.
ENTRY = ["-m", "twin"] if _mounted() else ["-m", "twin.cli.site"]


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny map with a north destination, and a scenario walking it for two hours."""
    folder = tmp_path_factory.mktemp("site-cli")
    document = tiny_site()
    document["features"].append(
        feature(point(50, 100), kind="entrance", id="north", role="destination", weight=1.0)
    )
    map_path = write(folder, document, "tiny.geojson")
    scenario = folder / "tiny.toml"
    scenario.write_text(
        '[site]\nmap = "tiny.geojson"\n[crowd]\ndaily_pedestrians = 4000\n'
        'window_start = "07:00"\nwindow_end = "09:00"\n',
        encoding="utf-8",
    )
    return {"map": map_path, "scenario": scenario, "folder": folder}


def as_json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_inspect_json_has_area_cameras_and_coverage_by_grade(maps: dict[str, Path]) -> None:
    figures = as_json(runner.invoke(site_app, ["inspect", str(maps["map"]), "--json"]))
    assert figures["area_ha"] == pytest.approx(1.0)
    assert figures["camera_count"] == 1
    assert list(figures["coverage"]) == list(GRADE_NAMES)
    assert 0.0 < figures["coverage"]["detect"] < 1.0
    assert figures["pedestrian_metres_coverage"] is None
    assert figures["blind_spots"]["count"] >= 2
    assert figures["blind_spots"]["worst"][0]["walkway"] in {"North-south", "East-west"}


def test_inspect_with_a_scenario_weighs_pedestrian_metres(maps: dict[str, Path]) -> None:
    command = ["inspect", str(maps["map"]), "--scenario", str(maps["scenario"]), "--json"]
    figures = as_json(runner.invoke(site_app, command))
    assert figures["walkers"] > 100
    shares = figures["pedestrian_metres_coverage"]
    assert list(shares) == list(GRADE_NAMES)
    assert [shares[g] for g in GRADE_NAMES] == sorted(shares[g] for g in GRADE_NAMES)


def test_inspect_prints_a_readable_summary_and_writes_html(
    maps: dict[str, Path], tmp_path: Path
) -> None:
    page = tmp_path / "tiny.html"
    result = runner.invoke(site_app, ["inspect", str(maps["map"]), "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "1.00 ha, 1 cameras" in result.stdout
    assert "face_min" in result.stdout and "Blind spots" in result.stdout
    text = page.read_text(encoding="utf-8")
    assert "plotly" in text and "view: identify" in text and "blind spot" in text


@pytest.mark.skipif(find_browser() is None, reason="no Chromium to draw PNGs (bash .ci/install)")
def test_inspect_draws_a_png(maps: dict[str, Path], tmp_path: Path) -> None:
    picture = tmp_path / "tiny.png"
    result = runner.invoke(site_app, ["inspect", str(maps["map"]), "--png", str(picture)])
    assert result.exit_code == 0, result.output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size > 10_000


def test_plan_writes_a_layer_a_site_can_use(maps: dict[str, Path], tmp_path: Path) -> None:
    layer = tmp_path / "plan.geojson"
    command = [
        "plan",
        str(maps["map"]),
        "--budget",
        "2",
        "--candidates",
        "40",
        "--scenario",
        str(maps["scenario"]),
        "--out",
        str(layer),
        "--json",
    ]
    figures = as_json(runner.invoke(cameras_app, command))
    assert figures["planned"]["cameras"] == 2
    assert figures["current"]["cameras"] == 1
    assert figures["planned"]["walkers_captured"] >= figures["current"]["walkers_captured"]
    planned = load_site(maps["map"], cameras=layer)
    assert [c.camera_id for c in planned.cameras] == ["plan-001", "plan-002"]


def test_graph_writes_graphml_and_reports_links(maps: dict[str, Path], tmp_path: Path) -> None:
    document = tiny_site()
    document["features"] += [
        feature(point(50, 100), kind="entrance", id="north", role="destination", weight=1.0),
        feature(point(49, 20), **camera_props(id="cam-2", heading_deg=0.0)),
    ]
    map_path = write(maps["folder"], document, "two.geojson")
    out = tmp_path / "graph.graphml"
    command = ["graph", str(map_path), "--scenario", str(maps["scenario"]), "--out", str(out)]
    figures = as_json(runner.invoke(cameras_app, [*command, "--json"]))
    assert figures["cameras"] == 2
    assert {(row["from"], row["to"]) for row in figures["busiest"]} >= {("cam-2", "cam-1")}
    assert out.read_text(encoding="utf-8").startswith("<?xml")


def test_flags_out_of_range_are_refused_in_one_line(maps: dict[str, Path]) -> None:
    for app, command, flag in (
        (cameras_app, ["plan", str(maps["map"]), "--budget", "0"], "--budget"),
        (cameras_app, ["plan", str(maps["map"]), "--budget", "1", "--lens", "8k"], "--lens"),
        (site_app, ["inspect", str(maps["map"]), "--cell-m", "0"], "--cell-m"),
        (cameras_app, ["graph", str(maps["map"]), "--out", "graph.csv"], "--out"),
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert flag in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# --- bad input through a real process ---------------------------------------------------------


def _with_camera(**props: Any) -> dict[str, Any]:
    document = tiny_site()
    document["features"][7]["properties"].update(props)
    return document


def _camera_in_block() -> dict[str, Any]:
    document = tiny_site()
    document["features"][7]["geometry"] = point(70, 70)
    return document


BAD_MAPS = {
    "zero field of view": (_with_camera(hfov_deg=0), "camera 'cam-1': 'hfov_deg' is 0"),
    "negative field of view": (_with_camera(hfov_deg=-30), "camera 'cam-1': 'hfov_deg' is -30"),
    "zero resolution": (_with_camera(width_px=0), "camera 'cam-1': 'width_px' is 0"),
    "negative resolution": (_with_camera(height_px=-1080), "camera 'cam-1': 'height_px'"),
    "zero height": (_with_camera(mount_height_m=0), "camera 'cam-1': 'mount_height_m' is 0"),
    "heading not a number": (
        _with_camera(heading_deg="south"),
        "camera 'cam-1': 'heading_deg' is 'south'",
    ),
    "camera inside a building": (_camera_in_block(), "camera 'cam-1'.*inside a building"),
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *ENTRY, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.mark.parametrize("case", list(BAD_MAPS))
def test_bad_camera_exits_2_naming_it(case: str, tmp_path: Path) -> None:
    document, expected = BAD_MAPS[case]
    path = write(tmp_path, document)
    done = run("site", "inspect", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert re.search(expected, lines[0]), lines[0]
    assert str(path) in lines[0]


def test_budget_larger_than_the_candidates_exits_2_naming_the_flag(
    maps: dict[str, Path], tmp_path: Path
) -> None:
    done = run(
        "cameras", "plan", str(maps["map"]), "--budget", "30", "--candidates", "20", cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "--budget: 30 cameras is more than the 20 candidate mounts" in lines[0]


def test_building_only_site_layer_mixup_is_refused(maps: dict[str, Path], tmp_path: Path) -> None:
    not_a_layer = write(
        tmp_path,
        {
            "type": "FeatureCollection",
            "crs": tiny_site()["crs"],
            "features": [feature(rect(1, 1, 2, 2), kind="building", id="shed")],
        },
        "layer.geojson",
    )
    result = runner.invoke(
        site_app, ["inspect", str(maps["map"]), "--cameras", str(not_a_layer), "--json"]
    )
    assert result.exit_code == 2
    assert "only 'camera' features" in result.stderr


KINGS_CROSS = Path(__file__).resolve().parents[2] / "site_maps" / "kings_cross.geojson"


@pytest.mark.skipif(not KINGS_CROSS.exists(), reason="site_maps/kings_cross.geojson not built")
def test_kings_cross_inspect_reports_the_estate() -> None:
    figures = as_json(runner.invoke(site_app, ["inspect", str(KINGS_CROSS), "--json"]))
    assert figures["area_ha"] == pytest.approx(27.0, rel=0.10)
    assert figures["camera_count"] >= 100
    shares = [figures["coverage"][grade] for grade in GRADE_NAMES]
    assert shares == sorted(shares)
    assert figures["coverage"]["detect"] > 0.3 > figures["coverage"]["face_min"] > 0.0
    assert figures["walkway_length_m"] > 5_000
