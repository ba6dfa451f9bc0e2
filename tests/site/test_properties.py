"""Site-map feature properties: the pydantic models, their one-line refusals, and recognition tags
checked when a scenario's site loads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.site_fixtures import SHIPPED_MAPS, camera_props
from twin.errors import ScenarioError, SiteMapError
from twin.scenario import load_scenario
from twin.site.properties import (
    DEFAULT_WALKWAY_WIDTH_M,
    CameraProperties,
    EntranceProperties,
    WalkwayProperties,
    validate_properties,
)
from twin.site.scenario_site import load_scenario_site

ROOT = SHIPPED_MAPS.parent
SOURCE = "map.geojson"


def test_camera_defaults_follow_the_profile() -> None:
    checked = validate_properties(CameraProperties, camera_props(), source=SOURCE)
    assert checked.fps == 25.0
    assert checked.range_m == 40.0
    assert checked.tags == []
    assert checked.name is None


def test_walkway_keeps_its_osm_way_and_ignores_unknown_properties() -> None:
    props = {"kind": "walkway", "highway": "steps", "level": "-1", "osm_id": "way/7"}
    checked = validate_properties(WalkwayProperties, props, source=SOURCE)
    assert checked.width_m == DEFAULT_WALKWAY_WIDTH_M
    assert (checked.highway, checked.level, checked.tunnel) == ("steps", "-1", None)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"kind": "entrance", "id": "gate", "role": "gateway", "weight": True},
            "map.geojson: entrance 'gate': 'weight' is True; allowed: a finite number > 0",
        ),
        (
            {"kind": "entrance", "id": "gate", "role": "gateway", "weight": float("inf")},
            "map.geojson: entrance 'gate': 'weight' is inf; allowed: a finite number > 0",
        ),
        (
            {"kind": "entrance", "id": " ", "role": "gateway", "weight": 1},
            "map.geojson: feature 3 (entrance): 'id' is ' '; allowed: a non-empty string",
        ),
        (
            {"kind": "entrance", "id": "gate", "weight": 1},
            "map.geojson: entrance 'gate': 'role' is required; allowed: 'gateway' or 'destination'",
        ),
    ],
)
def test_entrance_refusal_is_one_line_naming_feature_field_and_allowed(
    props: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SiteMapError) as caught:
        validate_properties(EntranceProperties, props, source=SOURCE, index=3)
    assert caught.value.line().startswith(expected)
    assert "\n" not in caught.value.line()
    assert caught.value.__cause__ is not None


def test_camera_pixels_given_as_text_are_refused() -> None:
    with pytest.raises(
        SiteMapError, match="camera 'cam-1': 'width_px' is '1920'; allowed: a whole"
    ):
        validate_properties(CameraProperties, camera_props(width_px="1920"), source=SOURCE)


def test_camera_without_any_lens_is_refused() -> None:
    props = camera_props()
    del props["hfov_deg"]
    with pytest.raises(SiteMapError, match="camera 'cam-1': 'hfov_deg' is required"):
        validate_properties(CameraProperties, props, source=SOURCE)


# --- recognition selection checked when the site loads ---------------------------------------


PLAZA = ROOT / "scenarios" / "small_plaza.toml"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ['cameras.recognition="tagged"', 'cameras.recognition_tags=["no_such_tag"]'],
            r"cameras.recognition_tags: no camera on .*small_plaza.geojson carries 'no_such_tag'",
        ),
        (
            ['cameras.recognition="listed"', 'cameras.recognition_ids=["cam-nowhere"]'],
            r"cameras.recognition_ids: no camera 'cam-nowhere' on .*small_plaza.geojson",
        ),
    ],
)
def test_recognition_selection_unknown_to_the_site_is_refused_at_load(
    overrides: list[str], expected: str
) -> None:
    scenario = load_scenario(PLAZA, overrides=overrides)
    with pytest.raises(ScenarioError, match=expected) as caught:
        load_scenario_site(scenario)
    assert caught.value.source == str(PLAZA)


def test_recognition_selection_the_site_has_loads() -> None:
    site = load_scenario_site(load_scenario(PLAZA))
    camera_id = site.cameras[0].camera_id
    listed = load_scenario(
        PLAZA,
        overrides=['cameras.recognition="listed"', f'cameras.recognition_ids=["{camera_id}"]'],
    )
    assert load_scenario_site(listed).cameras == site.cameras
