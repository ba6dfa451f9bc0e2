"""The site a scenario runs on: its map, its camera layer, and the recognition cameras it names.

`twin.site.model.load_site` builds a site from a map; a scenario adds which camera layer replaces the
map's cameras and which cameras run recognition. Both are checked here, when the site loads, so a
run never starts on a selection that is empty or names a camera the site does not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twin.errors import ScenarioError
from twin.site.model import Site, load_site

if TYPE_CHECKING:
    from twin.scenario import Scenario

__all__ = ["check_recognition_selection", "load_scenario_site"]


def load_scenario_site(scenario: Scenario) -> Site:
    """The site a scenario runs on: its map, with its camera layer (``site.cameras``) if any.

    Both paths are relative to the scenario file's folder. The cameras the scenario names for
    recognition (``cameras.recognition_tags`` or ``recognition_ids``) are checked against the
    site's cameras here, when the site loads, so a run never starts on a selection that is empty
    or names a camera the site does not have.
    """
    site = load_site(scenario.site_map_path, cameras=scenario.camera_layer_path)
    check_recognition_selection(site, scenario)
    return site


def check_recognition_selection(site: Site, scenario: Scenario) -> None:
    """Refuse recognition tags no camera carries, and recognition ids the site does not have."""
    config = scenario.cameras
    where = scenario.source if scenario.source is not None else "scenario"
    if config.recognition == "tagged":
        carried = sorted({tag for camera in site.cameras for tag in camera.tags})
        missing = [tag for tag in config.recognition_tags if tag not in carried]
        if missing:
            raise ScenarioError(
                f"cameras.recognition_tags: no camera on {site.source} carries "
                f"{', '.join(map(repr, missing))}; allowed: {', '.join(carried) or '(no tags)'}",
                source=where,
            )
    if config.recognition == "listed":
        known = {camera.camera_id for camera in site.cameras}
        unknown = sorted(set(config.recognition_ids) - known)
        if unknown:
            raise ScenarioError(
                f"cameras.recognition_ids: no camera {', '.join(map(repr, unknown))} on "
                f"{site.source}; allowed: ids of the site's cameras",
                source=where,
            )


# --- building the site from validated features ---------------------------------------------------
