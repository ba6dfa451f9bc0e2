"""The what-if knobs as scenario overrides, the progress bar fed by a real run, and the boundary that
keeps streamlit out of the simulation."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from twin.dashboard import whatif
from twin.dashboard.progress import STAGE_SPANS, StreamlitRunProgress
from twin.results.publish import run_scenario
from twin.scenario import CrowdConfig, MatcherConfig, WatchlistConfig, load_scenario

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit

pytest_plugins = ["tests.dashboard_fixtures"]


def test_unchanged_knobs_only_set_the_window(kit: DashboardKit) -> None:
    scenario = load_scenario(kit.plaza)
    knobs = whatif.Knobs(
        window_start="08:00",
        window_end="09:00",
        daily_pedestrians=scenario.crowd.daily_pedestrians,
        watchlist_size=scenario.watchlist.size,
        algorithm=scenario.faces.algorithm,
    )
    assert whatif.variant_overrides(scenario, knobs) == whatif.window_overrides(knobs)


def test_every_knob_becomes_a_valid_override(kit: DashboardKit) -> None:
    scenario = load_scenario(kit.plaza)
    knobs = whatif.Knobs(
        window_start="07:45",
        window_end="08:15",
        daily_pedestrians=12_000,
        watchlist_size=7,
        threshold_cosine=0.31,
        recognition_ids=("cam-01", "cam-03"),
        algorithm="older_generation",
    )
    overrides = whatif.variant_overrides(scenario, knobs)
    changed = load_scenario(kit.plaza, overrides=overrides)
    assert changed.crowd.window_start == "07:45" and changed.crowd.window_end == "08:15"
    assert changed.crowd.daily_pedestrians == 12_000
    assert changed.watchlist.size == 7
    assert changed.matcher.threshold_cosine == 0.31
    assert changed.cameras.recognition == "listed"
    assert changed.cameras.recognition_ids == ("cam-01", "cam-03")
    assert changed.faces.algorithm == "older_generation"
    off = whatif.variant_overrides(scenario, whatif.Knobs(recognition_ids=()))
    assert load_scenario(kit.plaza, overrides=off).cameras.recognition == "none"


def test_group_changes_rewrite_the_groups(kit: DashboardKit) -> None:
    scenario = load_scenario(kit.plaza)
    knobs = whatif.group_knobs()
    if not knobs:
        pytest.skip("this scenario schema has no group differentials")
    first = knobs[0]
    value = min(first.high, 3.0)
    changes = {"all": {first.name: value}}
    overrides = whatif.variant_overrides(scenario, whatif.Knobs(group_changes=changes))
    assert overrides[-1].startswith('faces.groups=[{name = "all", share = 1.0, ')
    changed = load_scenario(kit.plaza, overrides=overrides).faces.groups
    assert getattr(changed[0], first.name) == value
    assert all(knob.label and knob.low > 0 for knob in knobs)


@pytest.mark.parametrize(
    ("model", "name", "expected"),
    [
        (CrowdConfig, "daily_pedestrians", (1.0, 2_000_000.0)),
        (WatchlistConfig, "size", (1.0, 1_000_000.0)),
        (MatcherConfig, "top_k", (1.0, 100.0)),
    ],
)
def test_widget_limits_come_from_the_schema(
    model: Any, name: str, expected: tuple[float, float]
) -> None:
    assert whatif.bounds(model, name) == expected


def test_results_directories_are_named_by_what_was_asked(tmp_path: Path, kit: DashboardKit) -> None:
    one = whatif.results_dir(tmp_path, kit.plaza, ["a=1"], 7)
    assert one == whatif.results_dir(tmp_path, kit.plaza, ["a=1"], 7)
    assert one != whatif.results_dir(tmp_path, kit.plaza, ["a=2"], 7)
    assert one != whatif.results_dir(tmp_path, kit.plaza, ["a=1"], 8)
    assert one.parent == tmp_path and one.name.startswith("whatif-small_plaza-")


def test_the_shipped_scenarios_and_profiles_are_offered(kit: DashboardKit) -> None:
    assert kit.plaza in whatif.scenario_files()
    assert {"npl_2023", "older_generation"} <= set(whatif.algorithm_names())
    assert whatif.WINDOW_TIMES[0] == "00:00" and whatif.WINDOW_TIMES[-1] == "24:00"
    assert whatif.display_path(kit.plaza) == "scenarios/small_plaza.toml"


class _Bar:
    """Stands in for st.progress: records what it is told."""

    def __init__(self) -> None:
        self.shown: list[tuple[float, str]] = []

    def progress(self, value: float, text: str = "") -> None:
        assert 0.0 <= value <= 1.0
        self.shown.append((value, text))


def test_a_real_run_moves_the_bar_forward_to_the_end(tmp_path: Path, kit: DashboardKit) -> None:
    scenario = load_scenario(
        kit.plaza,
        overrides=[
            "crowd.window_start='08:00'",
            "crowd.window_end='08:10'",
            "pipeline.timing_repeats=2",
        ],
    )
    bar = _Bar()
    progress = StreamlitRunProgress(
        bar,  # type: ignore[arg-type]
        label="What if",
        window_start_s=scenario.crowd.window_start_s,
    )
    run_scenario(scenario, out=tmp_path / "run", progress=progress)
    progress.finish()
    values = [value for value, _ in bar.shown]
    assert values == sorted(values) and values[-1] == 1.0
    assert set(progress.stages) <= set(STAGE_SPANS), "a runner stage the bar does not know"
    assert all(text.startswith("What if: ") for _, text in bar.shown)


def test_the_simulation_never_imports_streamlit(kit: DashboardKit) -> None:
    # Statically: no module of twin outside twin/dashboard names streamlit in an import.
    for path in (kit.root / "twin").rglob("*.py"):
        if "dashboard" in path.relative_to(kit.root / "twin").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] == "streamlit" for n in names), path
    # And at run time: the CLI and the runner load without it.
    code = (
        "import sys, twin.cli.app, twin.run.runner, twin.results.reader, twin.site.model; "
        "sys.exit(1 if 'streamlit' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
