"""Assumption ranges: their distributions, and the refusals of a bad range in a scenario or profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.errors import ProfileError, ScenarioError
from twin.recognition.profiles import load_profile
from twin.scenario import AssumptionRange, load_scenario

ROOT = Path(__file__).resolve().parents[2]
PLAZA = ROOT / "scenarios" / "small_plaza.toml"


@pytest.mark.parametrize(
    ("distribution", "low", "high", "median"),
    [("uniform", 2.0, 4.0, 3.0), ("loguniform", 1e-5, 1e-3, 1e-4), ("triangular", 0.0, 1.0, 0.5)],
)
def test_quantiles_span_the_range(
    distribution: str, low: float, high: float, median: float
) -> None:
    spread = AssumptionRange.model_validate(
        {"distribution": distribution, "low": low, "high": high}
    )
    assert spread.quantile(0.0) == pytest.approx(low)
    assert spread.quantile(1.0) == pytest.approx(high)
    assert spread.central() == pytest.approx(median, rel=1e-6)


def test_triangular_leans_to_its_mode() -> None:
    spread = AssumptionRange(distribution="triangular", low=0.0, high=1.0, mode=0.1)
    assert spread.central() < 0.4


def test_shipped_scenarios_and_profiles_list_their_assumptions() -> None:
    weekday = load_scenario(ROOT / "scenarios" / "kings_cross_weekday.toml")
    assert {"crowd.daily_pedestrians", "watchlist.prevalence"} <= set(weekday.assumptions)
    assert "reference_quality" in load_profile("npl_2023").assumptions


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("assumptions.x={distribution='uniform',low=3,high=1}", "low 3 is above high 1"),
        ("assumptions.x={distribution='normal',low=1,high=2}", "assumptions.x.distribution"),
        ("assumptions.x={distribution='loguniform',low=0,high=2}", "loguniform needs low > 0"),
    ],
)
def test_a_bad_range_is_one_line_naming_file_and_field(override: str, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(PLAZA, overrides=[override])
    line = caught.value.line()
    assert "\n" not in line
    assert "small_plaza.toml" in line and "assumptions.x" in line and words in line


def test_a_profile_range_must_name_a_profile_figure(tmp_path: Path) -> None:
    # A profile that ends with its [assumptions] table (npl_2023's ranges are in its fit file).
    text = (ROOT / "scenarios" / "algorithms" / "older_generation.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "threshold = { low = 1, high = 2 }\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not an assumed figure of a profile"):
        load_profile(str(bad))
