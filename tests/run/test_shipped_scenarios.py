"""Every shipped scenario runs: half an hour of each, seeded, against a stored golden summary.

In the manner of SimPy's examples, whose output is diffed against stored files: each
``scenarios/*.toml`` (any scenario added later is picked up by the glob) runs over a short window,
06:00-06:30, with the scenario's own seed and a raised watchlist prevalence (`WINDOW`), and its deterministic counts (people, passes, captures,
searches, decisions by outcome, incidents: nothing measured on the wall clock) must equal
``tests/golden/<scenario>.json`` exactly.

A change that is meant to alter what a run draws or decides regenerates them:

    python -m pytest tests/run/test_shipped_scenarios.py --update-golden

(or ``TWIN_UPDATE_GOLDEN=1``); review the diff of ``tests/golden/`` before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import ROOT, SCENARIOS
from twin.recognition.outcomes import OUTCOMES
from twin.run.runner import RunOutput, run_simulation
from twin.scenario import load_scenario

GOLDEN = ROOT / "tests" / "golden"
# Half an hour, and one passer-by in fifty on the watchlist (far more than any scenario assumes) so
# that the half hour holds right alerts, misses and incidents to count.
WINDOW = [
    "crowd.window_start='06:00'",
    "crowd.window_end='06:30'",
    "watchlist.prevalence=0.02",
    "pipeline.timing_repeats=1",
]
SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def golden_summary(output: RunOutput) -> dict[str, Any]:
    """A run's counts that depend only on the scenario and the seed."""
    decisions = output.decisions
    outcomes = np.bincount(decisions.outcome, minlength=len(OUTCOMES))
    response = output.response
    return {
        "scenario": output.scenario.name,
        "seed": output.seed,
        "overrides": WINDOW[:3],
        "recognition_cameras": int(output.deployment.recognition.sum()),
        "pedestrians": len(output.trips),
        "passes": len(output.crowd.passes),
        "captures": len(decisions),
        "searches": len(decisions) * decisions.matches.frames,
        "outcomes": {name: int(n) for name, n in zip(OUTCOMES, outcomes, strict=True)},
        "watchlisted_pedestrians": int(output.population.watchlisted.sum()),
        "incidents": len(response.incidents) if response is not None else None,
    }


def _updating(config: pytest.Config) -> bool:
    return bool(config.getoption("--update-golden")) or os.environ.get("TWIN_UPDATE_GOLDEN") == "1"


def test_every_scenario_file_is_covered() -> None:
    assert {path.stem for path in SHIPPED} >= {"small_plaza", "kings_cross_weekday"}


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_a_shipped_scenario_gives_its_golden_counts(
    path: Path, pytestconfig: pytest.Config
) -> None:
    output = run_simulation(load_scenario(path, overrides=WINDOW))
    summary = golden_summary(output)
    assert summary["pedestrians"] > 0 and summary["captures"] > 0  # the window has traffic
    golden = GOLDEN / f"{path.stem}.json"
    if _updating(pytestconfig):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        return
    assert golden.is_file(), f"no {golden.relative_to(ROOT)}: run with --update-golden to make it"
    assert summary == json.loads(golden.read_text(encoding="utf-8"))
