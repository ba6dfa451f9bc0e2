"""The `twin` command as a user runs it: a real process, real exit codes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
SHORT = [
    "--set",
    "crowd.window_start='08:00'",
    "--set",
    "crowd.window_end='08:30'",
    "--set",
    "pipeline.timing_repeats=2",
]


def twin(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}
    return subprocess.run(
        [sys.executable, "-m", "twin", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_run_prints_a_summary_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "plaza"
    result = twin("run", PLAZA, "--out", out, "--seed", "7", *SHORT)
    assert result.returncode == 0, result.stderr
    for label in (
        "Pedestrians",
        "Faces captured",
        "Matcher searches",
        "Alerts (true / false)",
        "FPIR",
        "FNIR",
        "Precision",
        "p50 / p99",
        "Peak captures per second",
        "Wall time",
        "Results",
    ):
        assert label in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["seed"] == 7


def test_run_json_is_one_document(tmp_path: Path) -> None:
    result = twin("run", PLAZA, "--out", tmp_path / "j", "--json", *SHORT)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "complete"
    assert {"pedestrians", "captures", "searches", "alerts", "true_alerts", "false_alerts"} <= set(
        document["counts"]
    )
    assert {"fpir", "fnir", "precision"} <= set(document["outcomes"])
    assert {"p50", "p99", "max"} <= set(document["latency_ms"])
    assert "peak_captures_per_s" in document["throughput"]


def test_help_teaches() -> None:
    result = twin("run", "--help")
    assert result.returncode == 0
    assert "--set" in result.stdout and "Examples" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--set", "crowd.daily_pedestrians=-3"], ["small_plaza.toml", "crowd.daily_pedestrians"]),
        (["--set", "crowd.speed=3"], ["crowd.speed", "unknown key"]),
        (["--set", "watchlist.size='ten'"], ["watchlist.size"]),
        (
            ["--set", "cameras.recognition='listed'", "--set", "cameras.recognition_ids=['nope']"],
            ["cameras.recognition_ids", "nope"],
        ),
        (["--set", "faces.algorithm='no_such_profile'"], ["faces.algorithm", "npl_2023"]),
    ],
)
def test_bad_overrides_are_refused_in_one_line(
    tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    out = tmp_path / "never"
    assert_refused(twin("run", PLAZA, "--out", out, *args), *fragments)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_malformed_and_missing_scenarios_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = 'x'\n[crowd\n")
    assert_refused(twin("run", broken, "--out", tmp_path / "a"), "broken.toml", "not valid TOML")
    assert_refused(
        twin("run", tmp_path / "absent.toml", "--out", tmp_path / "b"),
        "absent.toml",
        "no such scenario file",
    )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def _scenario_with_map(tmp_path: Path, site_map: str) -> Path:
    (tmp_path / "map.geojson").write_text(site_map)
    scenario = tmp_path / "s.toml"
    scenario.write_text("[site]\nmap = 'map.geojson'\n")
    return scenario


def test_a_malformed_site_map_is_refused(tmp_path: Path) -> None:
    scenario = _scenario_with_map(tmp_path, "{ not geojson")
    out = tmp_path / "out"
    assert_refused(twin("run", scenario, "--out", out), "map.geojson")
    assert not out.exists()


def test_a_self_intersecting_boundary_is_refused(tmp_path: Path) -> None:
    plaza = json.loads((ROOT / "site_maps" / "small_plaza.geojson").read_text())
    for feature in plaza["features"]:
        if feature["properties"]["kind"] == "boundary":
            ring = feature["geometry"]["coordinates"][0]
            ring[1], ring[2] = ring[2], ring[1]  # a bow tie
    scenario = _scenario_with_map(tmp_path, json.dumps(plaza))
    out = tmp_path / "out"
    assert_refused(twin("run", scenario, "--out", out), "map.geojson", "boundary")
    assert not out.exists()


def _plaza_with(edit: Callable[[dict[str, Any]], None]) -> str:
    plaza = json.loads((ROOT / "site_maps" / "small_plaza.geojson").read_text())
    edit(plaza)
    return json.dumps(plaza)


def _feature(plaza: dict[str, Any], feature_id: str) -> dict[str, Any]:
    return next(f for f in plaza["features"] if f["properties"].get("id") == feature_id)


def _move_camera_outside(plaza: dict[str, Any]) -> None:
    _feature(plaza, "cam-01")["geometry"]["coordinates"] = [529900.0, 183004.0]


def _move_camera_into_a_building(plaza: dict[str, Any]) -> None:
    _feature(plaza, "cam-01")["geometry"]["coordinates"] = [530030.0, 183070.0]


def _cut_off_the_east_gate(plaza: dict[str, Any]) -> None:
    # the east gate's only link is the east-west walkway: shorten it to end at the centre
    for feature in plaza["features"]:
        if feature["properties"]["kind"] == "walkway" and feature["geometry"]["coordinates"] == [
            [530000.0, 183050.0],
            [530100.0, 183050.0],
        ]:
            feature["geometry"]["coordinates"] = [[530000.0, 183050.0], [530050.0, 183050.0]]
    # and give it an island of its own, out of reach of everything else
    plaza["features"].append(
        {
            "type": "Feature",
            "properties": {"kind": "walkway"},
            "geometry": {
                "type": "LineString",
                "coordinates": [[530100.0, 183050.0], [530092.0, 183050.0]],
            },
        }
    )


def _negative_field_of_view(plaza: dict[str, Any]) -> None:
    _feature(plaza, "cam-02")["properties"]["hfov_deg"] = -30


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (_move_camera_outside, ["cam-01", "boundary"]),
        (_move_camera_into_a_building, ["cam-01", "building"]),
        (_cut_off_the_east_gate, ["gate-east"]),
        (_negative_field_of_view, ["cam-02", "hfov_deg"]),
    ],
    ids=["camera-outside", "camera-in-building", "unreachable-entrance", "negative-fov"],
)
def test_invalid_site_maps_are_refused_in_one_line(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], fragments: list[str]
) -> None:
    scenario = _scenario_with_map(tmp_path, _plaza_with(edit))
    out = tmp_path / "out"
    assert_refused(twin("run", scenario, "--out", out), "map.geojson", *fragments)
    assert not out.exists()
