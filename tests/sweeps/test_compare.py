"""``twin compare``: two runs, or two sweeps, side by side, with the interval of their difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.sweep_fixtures import FAST, PLAZA, WINDOW, fake_records, plaza_plan
from twin.cli.sweeps import sweep_app
from twin.errors import TwinInputError
from twin.results.publish import run_scenario
from twin.scenario import load_scenario
from twin.sweeps.compare import compare, compare_runs, compare_sweeps
from twin.sweeps.tables import write_index

runner = CliRunner()
START, END = WINDOW.split("-")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The plaza's quarter hour twice, on the same seed: B with a lower threshold."""
    folder = tmp_path_factory.mktemp("runs")
    window = [f"crowd.window_start='{START}'", f"crowd.window_end='{END}'", *FAST]
    for name, extra in (("a", []), ("b", ["matcher.threshold_cosine=0.1"])):
        scenario = load_scenario(PLAZA, overrides=[*window, *extra])
        run_scenario(scenario, out=folder / name, seed=11)
    return folder / "a", folder / "b"


def test_two_runs_side_by_side(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    comparison = compare_runs(a, b)
    assert comparison.kind == "runs"
    figures = {row.metric: row for row in comparison.figures}
    searches = figures["counts.searches"]
    assert searches.a == searches.b  # the same seed: the same crowd, the same faces captured
    assert searches.difference == 0
    alerts = figures["counts.false_alerts"]
    assert alerts.b is not None and alerts.a is not None
    assert alerts.difference == alerts.b - alerts.a
    assert alerts.b > alerts.a  # far below the calibrated threshold, faces alert on strangers
    assert [s.key for s in comparison.settings] == ["matcher.threshold_cosine"]
    assert comparison.settings[0].b == 0.1


def test_compare_prints_a_table_or_one_json_document(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    result = runner.invoke(sweep_app, ["compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert "matcher.threshold_cosine" in result.output
    assert "counts.false_alerts" in result.output
    result = runner.invoke(
        sweep_app, ["compare", str(a), str(b), "--json", "--metric", "outcomes.fpir"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [row["metric"] for row in document["figures"]] == ["outcomes.fpir"]


def _sweep(folder: Path, alerts: dict[tuple[int, int], int], *, seed: int | None = None) -> Path:
    plan = plaza_plan(folder, replications=3, seed=seed)
    figures: dict[tuple[int, int], dict[str, object] | None] = {
        index: {"counts__alerts": value, "outcomes__fpir": value / 100}
        for index, value in alerts.items()
    }
    write_index(plan, fake_records(plan, figures))
    return folder


A_ALERTS = {(0, 0): 1, (0, 1): 2, (0, 2): 3, (1, 0): 5, (1, 1): 5, (1, 2): 6}
B_ALERTS = {(0, 0): 2, (0, 1): 4, (0, 2): 5, (1, 0): 5, (1, 1): 6, (1, 2): 5}


def test_two_sweeps_on_the_same_seeds_are_compared_pair_by_pair(tmp_path: Path) -> None:
    comparison = compare_sweeps(
        _sweep(tmp_path / "a", A_ALERTS),
        _sweep(tmp_path / "b", B_ALERTS),
        metrics=["counts.alerts"],
    )
    assert comparison.kind == "sweeps"
    assert comparison.parameters == ("watchlist.size",)
    first, second = comparison.points
    assert first.params == {"watchlist.size": 7}
    assert first.method == "paired"
    # differences 1, 2, 2: mean 5/3, paired t interval [0.2324, 3.1009]: B raises more alerts
    assert first.difference.mean == pytest.approx(5 / 3)
    assert first.difference.ci_low == pytest.approx(0.2324, abs=1e-4)
    assert first.significant
    assert second.difference.mean == pytest.approx(0.0)
    assert not second.significant


def test_sweeps_on_other_seeds_get_welch_intervals(tmp_path: Path) -> None:
    comparison = compare_sweeps(
        _sweep(tmp_path / "a", A_ALERTS), _sweep(tmp_path / "b", B_ALERTS, seed=99)
    )
    assert {p.method for p in comparison.points} == {"welch"}
    assert ("base_seed (sweep)", 7, 99) in [(s.key, s.a, s.b) for s in comparison.settings]


def test_points_in_only_one_sweep_are_listed(tmp_path: Path) -> None:
    only_first = {k: v for k, v in B_ALERTS.items() if k[0] == 0}
    comparison = compare_sweeps(
        _sweep(tmp_path / "a", A_ALERTS), _sweep(tmp_path / "b", only_first)
    )
    assert {tuple(p.params.items()) for p in comparison.points} == {(("watchlist.size", 7),)}
    assert comparison.only_in_a == ({"watchlist.size": 100},)
    result = runner.invoke(sweep_app, ["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert 'only in A: {"watchlist.size": 100}' in result.output
    assert "paired" in result.output


def test_sweeps_over_other_fields_are_refused(tmp_path: Path) -> None:
    a = _sweep(tmp_path / "a", A_ALERTS)
    plan = plaza_plan(tmp_path / "b", vary=("matcher.threshold_cosine=0.2,0.3",), replications=1)
    write_index(plan, fake_records(plan, {(0, 0): {"counts__alerts": 1}}))
    with pytest.raises(TwinInputError, match="compare sweeps over the same fields"):
        compare(a, tmp_path / "b")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-a", "missing-b"], "neither a run (manifest.json) nor a sweep"),
        (["SWEEP", "RUN"], "is a sweep and"),
        (["RUN", "RUN", "--metric", "counts.smiles"], "--metric counts.smiles: not a figure"),
    ],
)
def test_bad_comparisons_are_one_line_and_exit_code_2(
    tmp_path: Path, two_runs: tuple[Path, Path], args: list[str], message: str
) -> None:
    sweep = _sweep(tmp_path / "s", A_ALERTS)
    named = {"SWEEP": str(sweep), "RUN": str(two_runs[0])}
    argv = [
        named.get(arg, str(tmp_path / arg) if arg.startswith("missing") else arg) for arg in args
    ]
    result = runner.invoke(sweep_app, ["compare", *argv])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
