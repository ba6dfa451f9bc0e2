"""Hostile options and files for the ``twin`` commands: exit 2 and one line, before any work starts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.hostile.support import assert_one_line
from twin.cli.app import app
from twin.cli.limits import MAX_SWEEP_RUNS, check_candidates, check_sweep_size

ROOT = Path(__file__).resolve().parents[2]
PLAZA = str(ROOT / "scenarios" / "small_plaza.toml")
PLAZA_MAP = str(ROOT / "site_maps" / "small_plaza.geojson")
runner = CliRunner()


def _refused(args: list[str], *words: str, within_s: float = 20.0) -> str:
    began = time.monotonic()
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    line = assert_one_line(result.output)
    for word in words:
        assert word in line, line
    assert time.monotonic() - began < within_s  # refused up front, not after the work
    return line


@pytest.mark.parametrize("replications", ["1000000", "5001", str(10**12)])
def test_sweep_refuses_more_runs_than_the_machine_finishes(tmp_path, replications) -> None:
    line = _refused(
        ["sweep", PLAZA, "--replications", replications, "--out", str(tmp_path / "s")],
        "--replications",
        "--force",
        " h",
    )
    assert f"{MAX_SWEEP_RUNS:,}" in line
    assert not (tmp_path / "s").exists()


def test_sweep_refuses_a_grid_too_large(tmp_path) -> None:
    values = ",".join(str(v) for v in range(1, 2001))
    _refused(
        ["sweep", PLAZA, "--vary", f"watchlist.size={values}", "--replications", "5",
         "--out", str(tmp_path / "s")],
        "10,000 runs",
    )  # fmt: skip


@pytest.mark.parametrize("replications", ["0", "-1"])
def test_sweep_refuses_no_replications(tmp_path, replications) -> None:
    _refused(
        ["sweep", PLAZA, "--replications", replications, "--out", str(tmp_path)], "--replications"
    )


def test_force_lifts_the_limits() -> None:
    check_sweep_size(10, 10**6, cores=2, force=True)
    check_candidates(10**8, force=True)


@pytest.mark.parametrize("candidates", ["100000000", "20001", "0", "-5"])
def test_cameras_plan_refuses_candidate_counts(candidates) -> None:
    _refused(
        ["cameras", "plan", PLAZA_MAP, "--budget", "3", "--candidates", candidates], "--candidates"
    )


@pytest.mark.parametrize("px", ["inf", "-inf", "nan", "0", "-1", "1e9", "10001"])
def test_cameras_plan_refuses_impossible_pixel_densities(px) -> None:
    _refused(
        ["cameras", "plan", PLAZA_MAP, "--budget", "3", "--min-px-per-m", px], "--min-px-per-m"
    )


@pytest.mark.parametrize("budget", ["0", "-3"])
def test_cameras_plan_refuses_no_budget(budget) -> None:
    _refused(["cameras", "plan", PLAZA_MAP, "--budget", budget], "--budget")


@pytest.fixture(scope="module")
def crossing_walkways(tmp_path_factory) -> Path:
    """40,000 walkways crossing one another: a map whose noding alone would run for hours."""
    features = [{"type": "Feature", "properties": {"kind": "boundary", "id": "b"},
                 "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1000, 0], [1000, 1000], [0, 1000], [0, 0]]]}}]  # fmt: skip
    for i in range(20_000):
        x = (i % 1000) + 0.5
        features.append({"type": "Feature", "properties": {"kind": "walkway", "id": f"v{i}"},
                         "geometry": {"type": "LineString", "coordinates": [[x, 0], [x, 1000]]}})  # fmt: skip
        features.append({"type": "Feature", "properties": {"kind": "walkway", "id": f"h{i}"},
                         "geometry": {"type": "LineString", "coordinates": [[0, x], [1000, x]]}})  # fmt: skip
    path = tmp_path_factory.mktemp("maps") / "crossing.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.mark.parametrize(
    "command",
    [["site", "inspect"], ["cameras", "plan", "--budget", "3"], ["cameras", "graph"]],
)
def test_a_map_of_40000_crossing_walkways_is_refused_up_front(crossing_walkways, command) -> None:
    _refused([*command[:2], str(crossing_walkways), *command[2:]], "40,000 walkways", "--force")


@pytest.fixture(scope="module")
def deep_map(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("maps") / "deep.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    return path


@pytest.mark.parametrize("command", [["site", "inspect"], ["cameras", "plan", "--budget", "3"]])
def test_a_deeply_nested_map_is_one_line(deep_map, command) -> None:
    _refused([*command[:2], str(deep_map), *command[2:]], "nested")


BAD_RUN_OPTIONS = [
    ["--seed", "-1"],
    ["--set", "no_equals_sign"],
    ["--set", "crowd.daily_pedestrians=-5"],
    ["--set", "crowd.daily_pedestrians='many'"],
    ["--set", "nosuch.field=1"],
    ["--set", "crowd.window_start='25:00'"],
    ["--set", "matcher.threshold_cosine=nan"],
    ["--set", "matcher.threshold_cosine=inf"],
    ["--set", "watchlist.size=-1"],
]


@pytest.mark.parametrize("args", BAD_RUN_OPTIONS, ids=repr)
def test_run_refuses_bad_options_before_running(tmp_path, args) -> None:
    out = tmp_path / "run"
    _refused(["run", PLAZA, "--out", str(out), *args])
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe", b"[" * 100_000, b"name = ", b"[crowd]\ndaily_pedestrians = 1e308\n"],
)
def test_run_refuses_a_hostile_scenario_file(tmp_path, content) -> None:
    scenario = tmp_path / "hostile.toml"
    scenario.write_bytes(content)
    out = tmp_path / "run"
    _refused(["run", str(scenario), "--out", str(out)])
    assert not out.exists()
