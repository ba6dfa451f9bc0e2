from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from twin.errors import ProfileError
from twin.recognition.profiles import load_profile

ROOT = Path(__file__).resolve().parents[2]
GOOD = """name = "p"
vendor_threshold = 0.6
fmr = 1e-6
tpir = 0.9
"""


@pytest.mark.parametrize("name", ["npl_2023", "older_generation"])
def test_shipped_profiles_load(name: str) -> None:
    profile = load_profile(name)
    assert 0 < profile.fmr < 1e-5
    assert 0.5 < profile.tpir < 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace("fmr = 1e-6", "fmr = 0"), "fmr"),
        (GOOD.replace("fmr = 1e-6", "fmr = 1.5"), "fmr"),
        (GOOD.replace("tpir = 0.9", "tpir = 1.2"), "tpir"),
        (GOOD.replace("tpir = 0.9", "tpir = -0.1"), "tpir"),
        (GOOD + "[[fpir_points]]\nwatchlist_size = 1000\nfpir = 0.5\n", "contradicts fmr"),
        (GOOD + "colour = 'red'\n", "colour"),
        ("name = ", "cannot read the profile"),
    ],
)
def test_bad_profiles_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as caught:
        load_profile(str(path))
    assert fragment in caught.value.line()
    assert "bad.toml" in caught.value.line()


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match="npl_2023"):
        load_profile("no_such_profile")


def _twin(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twin", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "CI": "true"},
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["--set", "faces.groups=[{name='a', share=0.5}, {name='b', share=0.3}]"],
            "groups shares must sum to 1",
        ),
        (["--set", "faces.groups=[{name='a', share=1.0, fmr_multiplier=-2}]"], "fmr_multiplier"),
    ],
)
def test_calibrate_refuses_bad_groups_in_one_line(args: list[str], fragment: str) -> None:
    result = _twin("calibrate", "npl_2023", "--non-mated", "1000", "--mated", "100", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fragment in result.stderr


def test_calibrate_refuses_a_contradictory_profile(tmp_path: Path) -> None:
    path = tmp_path / "contradictory.toml"
    path.write_text(GOOD + "[[fpir_points]]\nwatchlist_size = 1000\nfpir = 0.5\n")
    result = _twin("calibrate", str(path), "--non-mated", "1000", "--mated", "100")
    assert result.returncode == 2
    assert "contradictory.toml" in result.stderr and "contradicts fmr" in result.stderr
    assert "Traceback" not in result.stderr


def test_calibrate_json_has_the_promised_keys() -> None:
    import json

    result = _twin("calibrate", "npl_2023", "--non-mated", "8192", "--mated", "500", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["fpir_by_watchlist_size"]) == {"1000", "10000"}
    assert 0.8 < report["tpir_at_reference_quality"] < 0.98
