"""Shared fixtures: small, seeded, synthetic scenarios the project makes itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.json from this run instead of comparing with them",
    )


@pytest.fixture(scope="session")
def plaza_scenario() -> Scenario:
    """The small plaza over a two-hour morning window: a few thousand searches."""
    return load_scenario(
        SCENARIOS / "small_plaza.toml",
        overrides=[
            "crowd.window_start='07:00'",
            "crowd.window_end='09:00'",
            "pipeline.timing_repeats=3",
        ],
    )
