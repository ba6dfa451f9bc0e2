"""`twin calibrate-fit` as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def twin(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}
    return subprocess.run(
        [sys.executable, "-m", "twin", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_dry_run_fits_without_writing() -> None:
    fit_file = ROOT / "scenarios/algorithms/fits/npl_2023.toml"
    before = fit_file.read_text()
    result = twin("calibrate-fit", "npl_2023", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    fit = json.loads(result.stdout)
    assert fit["written"] is None
    assert fit_file.read_text() == before
    spread = fit["assumptions"]["reference_quality"]
    assert spread["low"] <= fit["reference_quality"] <= spread["high"]
    assert fit["threshold_fit"]["counts"]


def test_a_profile_without_a_set_up_is_refused_in_one_line() -> None:
    result = twin("calibrate-fit", "older_generation")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--setup" in result.stderr
