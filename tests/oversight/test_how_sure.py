"""The oversight report says how sure the twin is when validation and uncertainty results sit beside
the run, and says nothing of it when they do not."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from twin.cli.oversight import app
from twin.oversight.figures import oversight_figures
from twin.oversight.how_sure import how_sure_figures
from twin.oversight.report import render_html
from twin.results.publish import run_scenario
from twin.results.reader import read_results
from twin.scenario import load_scenario
from twin.sweeps.uncertainty import plan_uncertainty, summarise_uncertainty, write_report

ROOT = Path(__file__).resolve().parents[2]
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
VALIDATION = {
    "rows": [
        {
            "source": "Computer Weekly, 2022-01-28, web page",
            "name": "Met, Oxford Circus, 28 January 2022",
            "quantity": "false_alerts",
            "published": 1,
            "predicted": 2.0,
            "low": 0.9,
            "high": 4.1,
            "fitted": False,
            "within": True,
        }
    ],
    "summary": {
        "validation_rows": 1,
        "validation_within": 1,
        "calibration_rows": 0,
        "calibration_within": 0,
        "median_ratio_predicted_to_published": 2.0,
    },
}


def test_the_report_carries_validation_and_uncertainty_found_beside_the_run(tmp_path: Path) -> None:
    scenario = load_scenario(
        PLAZA,
        overrides=[
            "crowd.window_start='08:00'",
            "crowd.window_end='08:30'",
            "pipeline.timing_repeats=2",
        ],
    )
    run = tmp_path / "run"
    run_scenario(scenario, out=run)
    assert how_sure_figures(run, scenario.name) is None
    assert "how_sure" not in oversight_figures(read_results(run))

    (tmp_path / "validation.json").write_text(json.dumps(VALIDATION), encoding="utf-8")
    plan = plan_uncertainty(PLAZA, samples=4, out=tmp_path / "uncertainty", window="08:00-08:30")
    figures = [
        {"counts.false_alerts": i, "counts.pedestrians": 500, "outcomes.precision": 0.2 * i}
        for i in range(4)
    ]
    write_report(plan.out, summarise_uncertainty(plan, figures))

    found = oversight_figures(read_results(run))["how_sure"]
    assert found["validation"]["summary"]["validation_within"] == 1
    assert found["uncertainty"]["outputs"]["innocent_people_flagged"]["absent"]
    page = render_html(oversight_figures(read_results(run)))
    assert "How sure are these figures?" in page and "Met, Oxford Circus" in page
    printed = CliRunner().invoke(app, ["report", str(run)])
    assert printed.exit_code == 0, printed.output
    assert "Published deployments" in printed.output and "(90% over" in printed.output
    as_json = json.loads(CliRunner().invoke(app, ["report", str(run), "--json"]).stdout)
    assert as_json["how_sure"]["validation"]["rows"][0]["within"] is True
