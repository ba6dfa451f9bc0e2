"""``twin crowd``: validation printed with its figures; bad trajectory requests refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin.cli.app import app

runner = CliRunner()


def test_validate_prints_every_check_as_json() -> None:
    result = runner.invoke(app, ["crowd", "validate", "--json", "--no-jupedsim"])
    assert result.exit_code == 0, result.output
    checks = json.loads(result.output)["checks"]
    assert any(c["name"].startswith("RiMEA 1") for c in checks)
    assert all(c["passed"] for c in checks)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fps", "0"], "--fps"),
        (["--area", "1,2,3"], "--area"),
    ],
)
def test_bad_trajectory_requests_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(
        app, ["crowd", "trajectories", str(tmp_path), "--out", str(tmp_path / "t.txt"), *args]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def plaza_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from twin.results.publish import run_scenario
    from twin.scenario import load_scenario
    from twin.scenario.base import PROJECT_ROOT

    scenario = load_scenario(
        PROJECT_ROOT / "scenarios" / "small_plaza.toml",
        overrides=[
            "crowd.window_start='08:00'",
            "crowd.window_end='08:20'",
            "pipeline.timing_repeats=2",
        ],
    )
    out = tmp_path_factory.mktemp("runs") / "plaza"
    run_scenario(scenario, out=out)
    return out


def test_a_run_records_its_crowd(plaza_run: Path) -> None:
    from twin.results.reader import read_results

    results = read_results(plaza_run)
    crowd = results.manifest["crowd"]
    assert set(crowd) >= {"mean_trip_s", "mean_speed_m_s", "peak_density_ped_m2", "max_queue"}
    assert crowd["busiest_walkway_level_of_service"] in "ABCDEF"
    density = results.table("walkway_density").to_pandas()
    assert density["density_ped_m2"].max() == pytest.approx(crowd["peak_density_ped_m2"], rel=1e-5)
    assert density["minute_s"].min() >= 8 * 3600


def test_trajectories_of_a_run_load_in_pedpy(plaza_run: Path, tmp_path: Path) -> None:
    import pedpy

    out = tmp_path / "plaza.txt"
    result = runner.invoke(
        app,
        [
            "crowd",
            "trajectories",
            str(plaza_run),
            "--out",
            str(out),
            "--from",
            "08:05",
            "--to",
            "08:06",
            "--fps",
            "4",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    data = pedpy.load_trajectory(trajectory_file=out)
    assert data.frame_rate == 4.0
    assert len(data.data) == summary["rows"] > 0
    assert data.data["frame"].min() >= 8 * 3600 * 4 + 5 * 60 * 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "06:00", "--to", "06:10"], "--from/--to"),
        (["--area", "0,0,1,1"], "--area"),
    ],
)
def test_trajectory_requests_outside_the_run_are_refused(
    plaza_run: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "t.txt"
    result = runner.invoke(app, ["crowd", "trajectories", str(plaza_run), "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
