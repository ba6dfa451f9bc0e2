"""A scenario skeleton for an imported site: a TOML file `twin run` accepts as it stands.

Every figure in it that no source gives for the planner's site is marked *assumption*; the rest
of the scenario is the documented defaults (docs/scenarios.md). The map path is relative to the
scenario file, as scenarios expect.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

__all__ = ["DAILY_SHARE_OF_GATEWAY_TRAFFIC", "scenario_skeleton"]

#: Share of the gateways' daily entries and exits that walk through the site. *Assumption*:
#: 0.2 (range 0.05-0.5); the gateways' weights are themselves assumptions unless an overlay
#: gives published counts.
DAILY_SHARE_OF_GATEWAY_TRAFFIC: Final = 0.2
_MIN_PEDESTRIANS: Final = 1_000
_MAX_PEDESTRIANS: Final = 500_000


def scenario_skeleton(
    *,
    scenario_path: Path,
    map_path: Path,
    site_name: str,
    gateway_thousands_per_day: float,
    cameras: int,
    recognition_capable: int,
    seed: int = 0,
) -> str:
    """The scenario TOML text for a map just imported."""
    relative = Path(os.path.relpath(map_path.resolve(), scenario_path.resolve().parent))
    daily = round(gateway_thousands_per_day * 1000.0 * DAILY_SHARE_OF_GATEWAY_TRAFFIC)
    daily = min(max(daily, _MIN_PEDESTRIANS), _MAX_PEDESTRIANS)
    recognition = "capable" if recognition_capable else "none"
    camera_note = (
        f"# The map has {cameras} cameras, {recognition_capable} recognition-capable."
        if cameras
        else (
            "# The map has no cameras (OpenStreetMap maps none here). Plan a layer with\n"
            f"#   twin cameras plan {map_path} --budget 20 --scenario {scenario_path} "
            "--out cameras.geojson\n"
            '# then use it with [site] cameras = "cameras.geojson" and recognition = "capable".'
        )
    )
    return "\n".join(
        [
            f"# {site_name}: imported from OpenStreetMap by `twin site import`.",
            "# Every field is documented in docs/scenarios.md; fields left out take the defaults.",
            "# *assumption* marks each figure no source gives for this site: replace it with yours.",
            "",
            f"name = {json.dumps(site_name)}",
            'description = "Imported from OpenStreetMap; figures marked *assumption* are not '
            "this site's own.\"",
            f"seed = {seed}",
            "",
            "[site]",
            "# Map data (c) OpenStreetMap contributors, ODbL 1.0 (the map's properties.attribution).",
            f"map = {json.dumps(relative.as_posix())}",
            "",
            "[crowd]",
            "# *assumption*: person-trips a day = "
            f"{DAILY_SHARE_OF_GATEWAY_TRAFFIC:g} x the gateways' weights "
            f"({gateway_thousands_per_day:,.1f} thousand entries and exits a day, themselves",
            "# assumptions where no published count was given), kept within "
            f"{_MIN_PEDESTRIANS:,}-{_MAX_PEDESTRIANS:,}.",
            f"daily_pedestrians = {daily}",
            "# *assumption*: the default trip mix and time-of-day profiles (docs/scenarios.md).",
            "",
            "[cameras]",
            camera_note,
            "# *assumption* for cameras from OpenStreetMap: their optics (see the map's cameras'",
            "# source), and that none runs recognition unless a layer says so.",
            f'recognition = "{recognition}"',
            "",
        ]
    )
