from __future__ import annotations

from pathlib import Path

import pytest

from twin.errors import ScenarioError
from twin.scenario import load_scenario, parse_override

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_validates(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.site_map_path.is_file()
    assert abs(sum(kind.share for kind in scenario.crowd.trips.values()) - 1.0) < 1e-9


def test_default_is_kings_cross_weekday() -> None:
    scenario = load_scenario(ROOT / "scenarios/kings_cross_weekday.toml")
    assert scenario.crowd.daily_pedestrians >= 100_000
    assert scenario.watchlist.size == 10_000
    assert scenario.site_map_path.name == "kings_cross.geojson"


def test_2016_scenario_uses_the_tagged_pair_and_seven_identities() -> None:
    scenario = load_scenario(ROOT / "scenarios/kings_cross_2016.toml")
    assert scenario.watchlist.size == 7
    assert scenario.cameras.recognition == "tagged"
    assert scenario.cameras.recognition_tags == ("kings_boulevard_2016",)


def test_overrides_apply_and_are_validated() -> None:
    scenario = load_scenario(
        ROOT / "scenarios/small_plaza.toml",
        overrides=[
            "crowd.daily_pedestrians=150000",
            "watchlist.size=7",
            "crowd.window_end='10:30'",
        ],
    )
    assert scenario.crowd.daily_pedestrians == 150_000
    assert scenario.watchlist.size == 7
    assert scenario.crowd.window_end_s == 10.5 * 3600


def test_hash_changes_with_any_field() -> None:
    base = load_scenario(ROOT / "scenarios/small_plaza.toml")
    same = load_scenario(ROOT / "scenarios/small_plaza.toml")
    other = load_scenario(ROOT / "scenarios/small_plaza.toml", overrides=["watchlist.size=8"])
    assert base.sha256() == same.sha256()
    assert base.sha256() != other.sha256()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["crowd.daily_pedestrians=-5"], "crowd.daily_pedestrians"),
        (["crowd.daily_pedestrians='many'"], "crowd.daily_pedestrians"),
        (["crowd.colour=3"], "crowd.colour: unknown key"),
        (["watchlist.size=0"], "watchlist.size"),
        (["crowd.window_start='10:00'", "crowd.window_end='09:00'"], "window_end"),
        (["crowd.window_start='25:00'"], "crowd.window_start"),
        (["pipeline.service_time='guess'"], "pipeline.service_time"),
        (["cameras.recognition='tagged'"], "recognition_tags"),
        (["site.map='nowhere.geojson'"], "site.map"),
        (["faces.groups=[{name='a', share=0.5}]"], "groups shares must sum to 1"),
        (["matcher.precision='fp16'"], "'float32', 'int8' or 'auto'"),
        (
            ["matcher.precision='int8'", "matcher.backend='ivf'"],
            "precision int8 needs backend flat",
        ),
        (["population.kinds.commuter.share=0.5"], "kinds shares must sum to 1"),
        (["population.kinds.resident.visits_per_week=-1"], "kinds.resident.visits_per_week"),
        (["population.kinds.commuter.visits_per_week=6"], "at most 5 for weekdays_only"),
        (["faces.within_person_correlation=1.0"], "faces.within_person_correlation"),
        (["faces.within_person_correlation=-0.1"], "faces.within_person_correlation"),
    ],
)
def test_bad_values_name_the_field(overrides: list[str], expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(ROOT / "scenarios/small_plaza.toml", overrides=overrides)
    line = caught.value.line()
    assert expected in line
    assert "small_plaza.toml" in line
    assert "\n" not in line


def test_malformed_override_names_the_flag() -> None:
    with pytest.raises(ScenarioError, match="--set 'nonsense': expected KEY=VALUE"):
        load_scenario(ROOT / "scenarios/small_plaza.toml", overrides=["nonsense"])


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n[crowd\n")
    with pytest.raises(ScenarioError, match=r"broken\.toml: not valid TOML"):
        load_scenario(broken)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "absent.toml")


def test_override_values_are_read_as_toml() -> None:
    assert parse_override("a.b=3") == ("a.b", 3)
    assert parse_override("a.b=0.5") == ("a.b", 0.5)
    assert parse_override("a.b=true") == ("a.b", True)
    assert parse_override("a.b=hello") == ("a.b", "hello")
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
