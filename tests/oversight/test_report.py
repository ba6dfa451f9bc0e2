"""The oversight report (of a run, and of a period of days) and the `audit verify` / `report` commands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from twin.cli.oversight import app, audit_app
from twin.oversight.figures import oversight_figures
from twin.oversight.report import render_html
from twin.response.ledger import LEDGER_FILE
from twin.results.reader import read_results
from twin.scenario import load_scenario
from twin.sweeps.period import poisson_rate_ci
from twin.sweeps.period_reader import read_period
from twin.sweeps.year import day_dir, plan_year, run_year

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
def period_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published two-day plaza period (``twin year``) on an in-process Dask worker."""
    scenario = load_scenario(PLAZA, overrides=OVERRIDES)
    out = tmp_path_factory.mktemp("report") / "period"
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        outcome = run_year(plan_year(scenario, days=2, seed=scenario.seed, out=out), client=client)
    assert not outcome.failed
    return out


@pytest.fixture(scope="module")
def run_dir(period_dir: Path) -> Path:
    """The period's first day: a run's results directory like any other."""
    return day_dir(period_dir, 0)


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
    assert {"incidents", "interventions", "funnel", "people"} <= set(manifest["tables"])
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


def test_the_html_report_is_plain_and_escaped(run_dir: Path, period_dir: Path) -> None:
    period = read_period(period_dir).summary
    page = render_html(oversight_figures(read_results(run_dir), period=period))
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
        "Over the period",
        "Innocent people wrongly flagged at least once",
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


def test_report_of_a_period_writes_html_and_prints_json(period_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    page = tmp_path / "out" / "report.html"
    shown = runner.invoke(app, ["report", str(period_dir), "--html", str(page)])
    assert shown.exit_code == 0, shown.output
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert "Over the period" in page.read_text()
    assert "Wrong alerts a year" in shown.output
    assert "Innocent people wrongly flagged at least once" in shown.output
    as_json = runner.invoke(app, ["report", str(period_dir), "--json"])
    figures = json.loads(as_json.output)
    summary = json.loads((period_dir / "year.json").read_text())
    assert figures["period"]["days_complete"] == 2
    assert figures["period"]["per_person"] == summary["per_person"]
    assert (
        figures["funnel"]["alerts"]
        == read_results(day_dir(period_dir, 0)).manifest["counts"]["alerts"]
    )
    assert "wrongly flagged" in figures["people"]["in_words"]


def test_a_period_whose_summary_was_edited_is_refused_in_one_line(
    period_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "period"
    shutil.copytree(period_dir, copy)
    summary = json.loads((copy / "year.json").read_text())
    summary["days_complete"] = "two"
    (copy / "year.json").write_text(json.dumps(summary))
    refused = CliRunner().invoke(app, ["report", str(copy)])
    assert refused.exit_code == 2
    assert "year.json: days_complete" in refused.output
    assert len(refused.output.strip().splitlines()) == 1


def test_poisson_interval_matches_the_exact_limits() -> None:
    low, high = poisson_rate_ci(10, 1)
    assert (low, high) == pytest.approx((4.795, 18.39), abs=0.01)
