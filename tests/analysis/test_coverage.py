"""Coverage analytics on the tiny synthetic site, whose figures follow from its geometry."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.site_fixtures import feature, point, rect, tiny_site, write
from twin.analysis.coverage import (
    best_px_per_m,
    blind_spots,
    capture_chance,
    coverage_report,
    sightings,
    walkway_samples,
)
from twin.crowd.flows import Flows
from twin.scenario import CamerasConfig
from twin.site.model import Site, load_site
from twin.site.optics import DORI_PX_PER_M, GRADE_NAMES

WALKWAY_M = 200.0  # the cross: 100 m north-south at x = 50, 100 m east-west at y = 50
CAMERA_OFFSET_M = 1.0  # the camera at (51, 70) stands 1 m east of the north-south walkway


@pytest.fixture
def tiny(tmp_path: Path) -> Site:
    return load_site(write(tmp_path, tiny_site()))


def seen_length_m(site: Site, px_per_m: float) -> float:
    """Length of the north-south walkway the camera sees at ``px_per_m`` or better, south of it."""
    camera = site.cameras[0]
    near = math.sqrt(camera.near_m**2 - CAMERA_OFFSET_M**2)
    far = math.sqrt(min(camera.distance_for_px_per_m(px_per_m), camera.reach_m) ** 2 - 1.0)
    return max(0.0, far - near)


def test_samples_cover_the_walkways_inside_the_boundary(tiny: Site) -> None:
    samples = walkway_samples(tiny, step_m=1.0)
    assert samples.length_m.sum() == pytest.approx(WALKWAY_M)
    assert np.all(np.hypot(samples.dx, samples.dy) == pytest.approx(1.0))


def test_coverage_by_grade_follows_the_optics(tiny: Site) -> None:
    report = coverage_report(tiny)
    shares = [report.coverage[name] for name in GRADE_NAMES]
    assert shares == sorted(shares)  # a better grade never covers more
    assert report.coverage["face_min"] == 0.0  # 475 px/m at the near limit: never 500
    identify = seen_length_m(tiny, DORI_PX_PER_M["identify"]) / WALKWAY_M
    assert report.coverage["identify"] == pytest.approx(identify, abs=1.5 / WALKWAY_M)
    # Detect: the whole north-south stretch out to the 40 m reach, plus the east-west walkway
    # where it crosses the view 20 m south (the 30-degree sector is 2 x 20 tan 15 = 10.7 m wide).
    detect_m = seen_length_m(tiny, DORI_PX_PER_M["detect"]) + 2 * 20.0 * math.tan(math.radians(15))
    assert report.coverage["detect"] == pytest.approx(detect_m / WALKWAY_M, abs=3.0 / WALKWAY_M)
    assert report.coverage_recognition == report.coverage  # the one camera is capable


def test_a_building_between_camera_and_walkway_hides_the_walkway(tmp_path: Path) -> None:
    document = tiny_site()
    open_site = load_site(write(tmp_path, document, "open.geojson"))
    document["features"].append(feature(rect(45, 55, 56, 58), kind="building", id="kiosk"))
    hidden_site = load_site(write(tmp_path, document, "hidden.geojson"))
    for site, expect_seen in ((open_site, True), (hidden_site, False)):
        samples = walkway_samples(site)
        best = best_px_per_m(samples, sightings(site, samples))
        behind = (samples.x_m == 50.0) & (samples.y_m > 35.0) & (samples.y_m < 50.0)
        assert behind.any()
        assert bool(np.all(best[behind] > 0)) is expect_seen


def test_blind_spots_are_the_unseen_stretches_named_by_their_walkway(tiny: Site) -> None:
    report = coverage_report(tiny)
    assert report.blind_spots
    assert {spot.walkway for spot in report.blind_spots} == {"North-south", "East-west"}
    assert all(spot.length_m >= 10.0 for spot in report.blind_spots)
    lengths = [spot.length_m for spot in report.blind_spots]
    assert lengths == sorted(lengths, reverse=True)
    seen_m = report.coverage["detect"] * WALKWAY_M
    # Every unseen metre is in a reported run except the bits of the cross under 10 m long.
    assert WALKWAY_M - seen_m - 20.0 <= report.blind_length_m <= WALKWAY_M - seen_m + 1e-6


def test_only_runs_long_enough_are_blind_spots(tiny: Site) -> None:
    samples = walkway_samples(tiny)
    best = best_px_per_m(samples, sightings(tiny, samples))
    every = blind_spots(tiny, samples, best, min_length_m=0.0)
    long = blind_spots(tiny, samples, best, min_length_m=40.0)
    assert len(long) < len(every)
    assert all(spot.length_m >= 40.0 for spot in long)


def test_approaching_walkers_are_captured_and_those_walking_away_are_not(tiny: Site) -> None:
    samples = walkway_samples(tiny)
    chance = capture_chance(samples, sightings(tiny, samples), tiny, CamerasConfig())
    spot = int(np.flatnonzero((samples.x_m == 50.0) & (np.abs(samples.y_m - 60.5) < 0.01))[0])
    northwards = 0 if samples.dy[spot] > 0 else 1
    assert chance[northwards][spot] > 0.99  # 10 m away, about 340 px/m, walking at the camera
    assert chance[1 - northwards][spot] < 0.01  # walking away from it
    off = CamerasConfig(recognition="none")
    nothing = capture_chance(samples, sightings(tiny, samples), tiny, off)
    assert not nothing[0].any() and not nothing[1].any()


def test_flows_weight_pedestrian_metres_and_directions(tmp_path: Path) -> None:
    document = tiny_site()
    document["features"].append(
        feature(point(50, 100), kind="entrance", id="north", role="destination", weight=1.0)
    )
    site = load_site(write(tmp_path, document))
    # Everyone walks north up the walkway, towards the camera and under it.
    flows = Flows((site.route("south", "north"),), np.array([100], dtype=np.int64))
    report = coverage_report(site, flows=flows, cell_m=2.0)
    assert report.pedestrian_coverage is not None
    seen = seen_length_m(site, DORI_PX_PER_M["identify"])
    assert report.pedestrian_coverage["identify"] == pytest.approx(seen / 100.0, abs=0.015)
    assert report.pedestrian_coverage["identify"] > report.coverage["identify"]
    both_ways = coverage_report(site, cell_m=2.0)
    # Everyone approaches the camera: sure capture where it resolves them; both ways, half of them.
    assert report.grid.probability.max() > 0.99
    assert both_ways.grid.probability.max() == pytest.approx(0.5, abs=0.01)
    assert report.mean_capture_chance > both_ways.mean_capture_chance


def test_probability_grid_has_cells_only_where_people_walk(tiny: Site) -> None:
    grid = coverage_report(tiny, cell_m=10.0).grid
    on_cross = (np.abs(grid.x_m - 55.0) < 1e-9) | (np.abs(grid.y_m - 55.0) < 1e-9)
    assert on_cross.all()
    assert len(grid.x_m) == 19  # ten squares along each walkway, one shared
    assert np.all((grid.probability >= 0) & (grid.probability <= 1))
    assert set(grid.columns()) == {"x_m", "y_m", "probability"}
