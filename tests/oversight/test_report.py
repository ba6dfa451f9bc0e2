"""The oversight report, the year estimate and the `audit verify` / `report` commands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from scipy import stats
from typer.testing import CliRunner

from twin.cli.oversight import app, audit_app
from twin.oversight.figures import oversight_figures
from twin.oversight.report import render_html
from twin.response.ledger import LEDGER_FILE
from twin.results.publish import run_scenario
from twin.results.reader import read_results
from twin.run.runner import run_simulation
from twin.scenario import load_scenario
from twin.sweeps.year import day_counts, days_table, poisson_rate_ci, year_estimate, yearly_figure

ROOT = Path(__file__).resolve().parents[2]
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
OVERRIDES = [
    "crowd.window_start='07:00'",
    "crowd.window_end='09:00'",
    "pipeline.timing_repeats=2",
    "watchlist.prevalence=0.03",
    "matcher.threshold_cosine=0.2",
    "name='Plaza <script>alert(1)</script> & co'",
    "response.provenance.supplied_by='Borough police'",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published plaza run with a (two-day) year section."""
    scenario = load_scenario(PLAZA, overrides=OVERRIDES)
    output = run_simulation(scenario)
    second = run_simulation(scenario, seed=scenario.seed + 1)
    days = [
        day_counts(run.trips, run.decisions, run.response)
        for run in (output, second)
        if run.response is not None
    ]

    def year(writer):  # type: ignore[no-untyped-def]
        writer.write_table("days", days_table(days, [scenario.seed, scenario.seed + 1]))
        return {"year": year_estimate(days, seeds=[scenario.seed, scenario.seed + 1])}

    out = tmp_path_factory.mktemp("report") / "run"
    run_scenario(scenario, out=out, simulated=output, extra=year)
    return out


def tampered_copy(run_dir: Path, tmp_path: Path, line: int) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    lines = (copy / LEDGER_FILE).read_text().splitlines(keepends=True)
    entry = json.loads(lines[line])
    entry["data"]["tampered"] = True
    lines[line] = json.dumps(entry) + "\n"
    (copy / LEDGER_FILE).write_text("".join(lines))
    return copy


def test_figures_agree_with_the_run(run_dir: Path) -> None:
    results = read_results(run_dir)
    figures = oversight_figures(results)
    manifest = results.manifest
    funnel = figures["funnel"]
    assert funnel["alerts"] == manifest["counts"]["alerts"]
    assert funnel["true_alerts"] == manifest["counts"]["true_alerts"] > 0
    assert figures["proportionality"]["faces_per_true_alert"] == pytest.approx(
        manifest["counts"]["captures"] / manifest["counts"]["true_alerts"]
    )
    assert figures["watchlist"]["supplied_by"] == "Borough police"
    assert figures["watchlist"]["legal_basis"] == "not recorded"
    assert figures["ledger"]["verification"]["intact"] is True
    group = figures["groups"]["all"]
    assert group["scanned_passers_by"] == figures["scanning"]["passers_by_scanned"]
    assert group["wrong_interventions"] == funnel["wrong_person"]
    assert {"incidents", "interventions", "funnel", "days"} <= set(manifest["tables"])
    assert manifest["tables"]["incidents"]["rows"] == funnel["incidents"]
    assert manifest["stage_seconds"]["response"] >= 0.0
    people = figures["people"]
    assert people["people"] == manifest["counts"]["people"] > 0
    assert people["innocent_people_flagged"] == people["per_person"]["people_flagged"]
    assert people["in_words"].endswith(f"{people['people_scanned']:,} people scanned.")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_report_is_plain_and_escaped(run_dir: Path) -> None:
    page = render_html(oversight_figures(read_results(run_dir)))
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags
    text = " ".join(parser.text)
    assert "Plaza <script>alert(1)</script> & co" in text  # shown, not run
    for heading in (
        "Who was on the watchlist, and on whose authority",
        "Faces scanned",
        "People wrongly flagged",
        "What happened after the alerts",
        "Errors by group",
        "Proportionality",
        "Staff time and cost",
        "Over a year",
        "The record",
    ):
        assert heading in text
    assert "The record does not say the legal basis" in text


def test_the_report_warns_when_the_ledger_is_broken(run_dir: Path, tmp_path: Path) -> None:
    figures = oversight_figures(read_results(tampered_copy(run_dir, tmp_path, 3)))
    assert figures["ledger"]["verification"]["first_bad_entry"] == 3
    assert "BROKEN at entry 3" in render_html(figures)


def test_audit_verify_exits_0_when_intact_and_1_naming_the_entry(
    run_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    ok = runner.invoke(audit_app, ["verify", str(run_dir)])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    broken = runner.invoke(
        audit_app, ["verify", str(tampered_copy(run_dir, tmp_path, 5)), "--json"]
    )
    assert broken.exit_code == 1
    assert json.loads(broken.output)["first_bad_entry"] == 5


def test_audit_verify_refuses_a_missing_run_with_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(audit_app, ["verify", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "no results directory" in result.output


def test_audit_verify_as_a_real_process(run_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CI": "true"}
    broken = tampered_copy(run_dir, tmp_path, 7)
    done = subprocess.run(
        [sys.executable, "-m", "twin.cli.oversight", "audit", "verify", str(broken)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert "broken at entry 7 (line 8)" in done.stderr
    assert "Traceback" not in done.stderr


def test_report_writes_html_and_prints_json(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    page = tmp_path / "out" / "report.html"
    shown = runner.invoke(app, ["report", str(run_dir), "--html", str(page)])
    assert shown.exit_code == 0, shown.output
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert "Right alerts a year" in shown.output
    assert "Innocent people flagged" in shown.output
    as_json = runner.invoke(app, ["report", str(run_dir), "--json"])
    figures = json.loads(as_json.output)
    assert figures["year"]["days_sampled"] == 2
    assert "wrongly flagged" in figures["people"]["in_words"]


def test_a_yearly_figure_scales_the_daily_mean_with_the_wider_interval() -> None:
    daily = [3.0, 5.0, 4.0, 6.0]
    figure = yearly_figure(daily, count=True)
    assert figure["per_year"] == pytest.approx(4.5 * 365)
    t_low, t_high = stats.t.interval(0.95, df=3, loc=4.5, scale=stats.sem(daily))
    assert figure["t_ci95_per_year"] == pytest.approx([t_low * 365, t_high * 365])
    low, high = figure["ci95_per_year"]
    assert low <= min(t_low * 365, figure["poisson_ci95_per_year"][0])
    assert high >= max(t_high * 365, figure["poisson_ci95_per_year"][1])
    assert low < figure["per_year"] < high


def test_days_without_events_still_bound_the_year_from_above() -> None:
    figure = yearly_figure([0.0] * 10, count=True)
    assert figure["per_year"] == 0.0
    assert figure["ci95_per_year"][0] == 0.0
    assert figure["ci95_per_year"][1] == pytest.approx(365 * 3.6889 / 10, rel=1e-3)  # Garwood


def test_poisson_interval_matches_the_exact_limits() -> None:
    low, high = poisson_rate_ci(10, 1)
    assert (low, high) == pytest.approx((4.795, 18.39), abs=0.01)


def test_year_estimate_reports_the_funnels_conversions() -> None:
    day = {
        "pedestrians": 100.0,
        "faces": 90.0,
        "alerts": 4.0,
        "true_alerts": 1.0,
        "false_alerts": 3.0,
        "incidents": 4.0,
        "expired": 0.0,
        "reviewed": 4.0,
        "dismissed": 2.0,
        "credible": 2.0,
        "dispatched": 2.0,
        "intercepted": 1.0,
        "right_person": 1.0,
        "wrong_person": 0.0,
        "lost": 1.0,
        "operator_busy_h": 0.1,
        "officer_busy_h": 0.2,
        "cost_gbp": 900.0,
    }
    year = year_estimate([day, day], seeds=[1, 2])
    assert year["conversion"]["alerts_to_interventions"] == pytest.approx(0.25)
    assert year["conversion"]["interventions_right_person"] == pytest.approx(1.0)
    assert year["figures"]["cost_gbp"]["poisson_ci95_per_year"] is None
    assert "independent simulated days" in year["method"]
