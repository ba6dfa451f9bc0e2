"""``twin uncertainty``: the assumptions it samples, the plan it runs, the report and the refusals."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin.cli.app import app
from twin.errors import TwinInputError
from twin.figures.uncertainty import tornado
from twin.scenario import load_scenario
from twin.sweeps.uncertainty import assumption_ranges, plan_uncertainty, summarise_uncertainty

ROOT = Path(__file__).resolve().parents[2]
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
runner = CliRunner()


def test_ranges_come_from_the_scenario_the_schema_and_the_profile() -> None:
    ranges = assumption_ranges(load_scenario(PLAZA))
    assert ranges["crowd.daily_pedestrians"].high == 12000  # the scenario's own range
    assert "faces.genuine_score_sd" in ranges  # the schema's range for a key it does not list
    assert "profile.reference_quality" in ranges  # the profile's


def test_a_range_for_no_field_is_refused_naming_the_file(tmp_path: Path) -> None:
    text = PLAZA.read_text(encoding="utf-8").replace(
        "../site_maps/", f"{(ROOT / 'site_maps').as_posix()}/"
    )
    bad = tmp_path / "plaza.toml"
    bad.write_text(text + '"crowd.nonsense" = { low = 1, high = 2 }\n', encoding="utf-8")
    with pytest.raises(TwinInputError) as caught:
        assumption_ranges(load_scenario(bad))
    line = caught.value.line()
    assert "plaza.toml" in line and "crowd.nonsense" in line and "allowed" in line


def test_the_plan_spans_every_range_and_writes_readable_profiles(tmp_path: Path) -> None:
    plan = plan_uncertainty(PLAZA, samples=6, out=tmp_path / "u", window="07:00-08:00")
    ranges = assumption_ranges(load_scenario(PLAZA))
    assert len(plan.runs) == 6 and {a.key for a in plan.axes} == set(ranges)
    walkers = sorted(run.scenario.crowd.daily_pedestrians for run in plan.runs)
    width = (12000 - 5000) / 6
    assert all(
        5000 + i * width - 1 <= w <= 5000 + (i + 1) * width + 1 for i, w in enumerate(walkers)
    )
    assert len({run.seed for run in plan.runs}) == 1  # common random numbers
    profile = Path(plan.runs[0].scenario.faces.algorithm)
    assert tomllib.loads(profile.read_text())["reference_quality"] == pytest.approx(
        plan.runs[0].params["profile.reference_quality"]
    )
    again = plan_uncertainty(PLAZA, samples=6, out=tmp_path / "u", window="07:00-08:00")
    assert [r.point for r in again.runs] == [r.point for r in plan.runs]  # resumable


def test_the_report_ranks_the_assumption_that_drives_an_output(tmp_path: Path) -> None:
    plan = plan_uncertainty(PLAZA, samples=12, out=tmp_path / "u", window="07:00-08:00")
    figures = []
    for run in plan.runs:  # made-up figures: precision follows prevalence, nothing else matters
        prevalence = run.params["watchlist.prevalence"]
        figures.append(
            {
                "counts.false_alerts": 2,
                "counts.pedestrians": 1000,
                "outcomes.precision": math.log(prevalence),
                "outcomes.fnir": 0.5,
                "throughput.peak_captures_per_s": 3,
            }
        )
    report = summarise_uncertainty(plan, figures)
    precision = report["outputs"]["precision"]
    assert precision["sensitivity"][0]["assumption"] == "watchlist.prevalence"
    assert precision["sensitivity"][0]["spearman"] == pytest.approx(1.0)
    assert precision["low_90"] <= precision["median"] <= precision["high_90"]
    assert report["outputs"]["innocent_people_flagged"]["absent"] == "the persons model is absent"
    per_day = report["outputs"]["false_alerts_per_day"]
    daily = [run.scenario.crowd.daily_pedestrians * 2 / 1000 for run in plan.runs]
    assert min(daily) <= per_day["median"] <= max(daily)
    assert len(tornado(report, "precision").data) == 2


def test_samples_zero_is_one_line_and_exit_2() -> None:
    result = runner.invoke(app, ["uncertainty", str(PLAZA), "--samples", "0"])
    assert result.exit_code == 2
    assert "--samples: must be at least 1" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_uncertainty_runs_and_resumes(tmp_path: Path) -> None:
    args = ["uncertainty", str(PLAZA), "--samples", "3", "--window", "08:00-08:20"]
    args += ["--out", str(tmp_path / "u"), "--workers", "1", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["samples_complete"] == 3
    assert (tmp_path / "u" / "uncertainty.json").is_file()
    assert (tmp_path / "u" / "tornado-precision.html").is_file() or "absent" in report["outputs"][
        "precision"
    ]
    second = json.loads(runner.invoke(app, args).stdout)
    assert second["runs_reused"] == 3
