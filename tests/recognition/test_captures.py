"""Capture opportunities: which passes are searched, and the factors of their quality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.site_fixtures import tiny_site, write
from twin.crowd.demand import generate_trips
from twin.crowd.records import SAMPLES
from twin.crowd.walking import Passes, PassSamples, simulate_crowd
from twin.recognition import captures
from twin.recognition.captures import (
    FACTOR_COLUMNS,
    Captures,
    capture_opportunities,
    frames_with_face,
    people_in_view,
    recognition_cameras,
)
from twin.scenario import CamerasConfig, Scenario
from twin.site.model import Site, load_site

NOON_S = 12 * 3600.0
MIDNIGHT_S = 0.0


@pytest.fixture
def tiny(tmp_path: Path) -> Site:
    """One 1080p camera at (51, 70) looking south down a walkway, 4 m up."""
    return load_site(write(tmp_path, tiny_site()))


def passes(
    *,
    best_s: list[float],
    distance_m: list[float],
    facing_deg: list[float],
    px_per_m: list[float] | None = None,
    enter_s: list[float] | None = None,
    exit_s: list[float] | None = None,
    site: Site | None = None,
) -> Passes:
    """Passes of pedestrians 0, 1, 2, ... through camera 0."""
    n = len(best_s)
    best = np.asarray(best_s, dtype=np.float64)
    distance = np.asarray(distance_m, dtype=np.float64)
    if px_per_m is None:
        assert site is not None
        px = site.cameras[0].px_per_m_at(distance)
    else:
        px = np.asarray(px_per_m, dtype=np.float64)
    return Passes(
        pedestrian=np.arange(n, dtype=np.int64),
        camera=np.zeros(n, dtype=np.int64),
        enter_s=np.asarray(enter_s, dtype=np.float64) if enter_s else best - 5.0,
        best_s=best,
        exit_s=np.asarray(exit_s, dtype=np.float64) if exit_s else best + 5.0,
        px_per_m=px,
        distance_m=distance,
        facing_deg=np.asarray(facing_deg, dtype=np.float64),
        speed_m_s=np.full(n, 1.34),
    )


def capture(site: Site, found: Passes, *, seed: int = 1, **config: object) -> object:
    settings = CamerasConfig.model_validate({"head_yaw_sd_deg": 0.0, **config})
    return capture_opportunities(
        site,
        found,
        settings,
        np.random.default_rng(seed),
        recognition=recognition_cameras(site, settings),
    )


def test_search_needs_resolution_a_frontal_face_and_a_moderate_pitch(tiny: Site) -> None:
    found = passes(
        best_s=[NOON_S, NOON_S + 100, NOON_S + 200, NOON_S + 300],
        distance_m=[8.0, 8.0, 30.0, 8.0],
        facing_deg=[5.0, 80.0, 5.0, 5.0],
        px_per_m=[460.0, 460.0, 120.0, 460.0],
    )
    result = capture(tiny, found)
    assert result.searched.tolist() == [True, False, False, True]  # type: ignore[attr-defined]
    steep = capture(tiny, found, max_pitch_deg=10.0)
    assert not steep.searched.any()  # type: ignore[attr-defined]  # 2.4 m up at 8 m: 16.7 degrees


def test_factors_are_columns_of_the_right_length(tiny: Site) -> None:
    found = passes(best_s=[NOON_S, MIDNIGHT_S], distance_m=[8.0, 8.0], facing_deg=[0, 0], site=tiny)
    result = capture(tiny, found)
    columns = result.factor_columns()  # type: ignore[attr-defined]
    assert tuple(columns) == FACTOR_COLUMNS
    assert all(len(values) == 2 for values in columns.values())
    assert result.pitch_deg[0] == pytest.approx(np.degrees(np.arctan2(2.4, 8.0)))  # type: ignore[attr-defined]


def test_the_dark_lowers_lighting_and_lengthens_exposure(tiny: Site) -> None:
    found = passes(
        best_s=[NOON_S, MIDNIGHT_S], distance_m=[8.0, 8.0], facing_deg=[40.0, 40.0], site=tiny
    )
    result = capture(tiny, found, night_lighting_factor=0.6)
    assert result.lighting.tolist() == pytest.approx([1.0, 0.6])  # type: ignore[attr-defined]
    # 1/50 s at night against 1/250 s by day: five times the blur.
    assert result.blur_px[1] == pytest.approx(5.0 * result.blur_px[0])  # type: ignore[attr-defined]
    assert result.quality[1] < 0.6 * result.quality[0]  # type: ignore[attr-defined]


def test_a_crowd_in_view_occludes_faces(tiny: Site) -> None:
    alone = passes(best_s=[NOON_S], distance_m=[10.0], facing_deg=[0.0], site=tiny)
    crowd = passes(
        best_s=[NOON_S] * 40,
        distance_m=[10.0] * 40,
        facing_deg=[0.0] * 40,
        site=tiny,
    )
    lone, busy = capture(tiny, alone), capture(tiny, crowd)
    assert lone.in_view.tolist() == [1]  # type: ignore[attr-defined]
    assert lone.occlusion[0] == 0.0  # type: ignore[attr-defined]
    assert busy.in_view[0] == 40  # type: ignore[attr-defined]
    walk_area = tiny.view_walk_area_m2[0]
    assert busy.density_ped_m2[0] == pytest.approx(39 / walk_area)  # type: ignore[attr-defined]
    assert busy.occlusion[0] > 0.0  # type: ignore[attr-defined]
    assert busy.quality[0] < lone.quality[0]  # type: ignore[attr-defined]


def test_frames_in_view_count_the_time_the_face_is_in_frame() -> None:
    found = Passes(
        pedestrian=np.arange(3, dtype=np.int64),
        camera=np.zeros(3, dtype=np.int64),
        enter_s=np.zeros(3),
        best_s=np.full(3, 5.0),
        exit_s=np.full(3, 10.0),
        px_per_m=np.full(3, 500.0),
        distance_m=np.array([9.0, 7.0, 7.0]),  # the near limit is 7 m
        facing_deg=np.array([10.0, 0.0, 90.0]),
        speed_m_s=np.full(3, 2.0),
    )
    frames = frames_with_face(found, np.full(3, 2.0), np.full(3, 7.0), np.full(3, 25.0))
    # Framed all along: 10 s x 25 fps. On the near rim walking straight at the camera: 14 m of the
    # walk, 7 s at 2 m/s, is below the frame, leaving 3 s. Crossing the rim side-on: nothing lost.
    assert frames.tolist() == [250, 75, 250]


def test_same_seed_same_captures(tiny: Site) -> None:
    found = passes(
        best_s=[NOON_S, NOON_S + 1, 20 * 3600.0],
        distance_m=[8.0, 12.0, 9.0],
        facing_deg=[10.0, 30.0, 50.0],
        site=tiny,
    )
    first = capture(tiny, found, seed=5, head_yaw_sd_deg=15.0)
    again = capture(tiny, found, seed=5, head_yaw_sd_deg=15.0)
    other = capture(tiny, found, seed=6, head_yaw_sd_deg=15.0)
    for name in ("head_yaw_deg", "quality", "blur_px", "occlusion"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.head_yaw_deg, other.head_yaw_deg)  # type: ignore[attr-defined]


def test_a_plaza_morning_gives_sensible_factors(plaza_scenario: Scenario) -> None:
    site = load_site(plaza_scenario.site_map_path)
    rng = np.random.default_rng(3)
    trips = generate_trips(site, plaza_scenario.crowd, rng)
    walked = simulate_crowd(site, trips)
    result = capture_opportunities(
        site,
        walked.passes,
        plaza_scenario.cameras,
        rng,
        recognition=recognition_cameras(site, plaza_scenario.cameras),
    )
    assert len(result) == len(walked.passes) > 100
    assert 0.1 < result.searched.mean() < 0.9
    assert np.all((result.quality >= 0) & (result.quality <= 1))
    assert np.all(result.frames_in_view >= 1)
    assert np.all((result.occlusion >= 0) & (result.occlusion < 0.5))
    assert np.all(result.lighting == 1.0)  # 07:00-09:00 is daylight
    assert np.median(result.blur_px) < 8.0
    assert np.all((result.pitch_deg > 0) & (result.pitch_deg < 90))
    assert np.all(result.pitch_deg[result.searched] <= plaza_scenario.cameras.max_pitch_deg)


def random_passes(rng: np.random.Generator, n: int, cameras: int) -> tuple[Passes, PassSamples]:
    """``n`` passes through ``cameras`` cameras around noon, with moments sampled across each."""
    enter = np.sort(rng.uniform(NOON_S, NOON_S + 120.0, n))
    exit_ = enter + rng.uniform(2.0, 30.0, n)
    distance = rng.uniform(2.0, 15.0, (n, SAMPLES))
    found = Passes(
        pedestrian=rng.permutation(n).astype(np.int64),
        camera=rng.integers(0, cameras, n),
        enter_s=enter,
        best_s=(enter + exit_) / 2,
        exit_s=exit_,
        px_per_m=np.full(n, 400.0),
        distance_m=distance[:, 0],
        facing_deg=rng.uniform(0.0, 90.0, n),
        speed_m_s=rng.uniform(0.0, 1.6, n),
    )
    samples = PassSamples(
        time_s=enter[:, None] + (exit_ - enter)[:, None] * rng.uniform(0.0, 1.0, (n, SAMPLES)),
        distance_m=distance,
        facing_deg=rng.uniform(0.0, 90.0, (n, SAMPLES)),
        side=rng.choice([-1.0, 1.0], (n, SAMPLES)),
        speed_m_s=rng.uniform(0.0, 1.6, (n, SAMPLES)),
        lateral_m=rng.uniform(-1.0, 1.0, n),
    )
    return found, samples


def test_people_in_view_counts_each_cameras_walkers_at_the_best_moment() -> None:
    found, _ = random_passes(np.random.default_rng(8), 80, cameras=4)
    same = found.camera[:, None] == found.camera[None, :]
    inside = (found.enter_s[None, :] <= found.best_s[:, None]) & (
        found.best_s[:, None] <= found.exit_s[None, :]
    )
    expected = np.sum(same & inside, axis=1)
    assert expected.max() > 2  # some views are shared
    for threads in (1, 3):
        # Camera 4 (and 5) nobody passes.
        assert np.array_equal(people_in_view(found, 6, threads=threads), expected)


def test_captures_in_blocks_on_threads_are_the_captures_in_one_block(
    tiny: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    found, samples = random_passes(np.random.default_rng(9), 23, cameras=1)
    settings = CamerasConfig.model_validate({"head_yaw_sd_deg": 15.0})
    recognition = recognition_cameras(tiny, settings)

    def run(threads: int) -> Captures:
        return capture_opportunities(
            tiny,
            found,
            settings,
            np.random.default_rng(2),
            recognition=recognition,
            samples=samples,
            threads=threads,
        )

    whole = run(1)
    assert 0 < whole.searched.sum() < len(whole)
    monkeypatch.setattr(captures, "_BLOCK_ROWS", 4)  # six blocks, the last one short
    for threads in (1, 3):
        blocks = run(threads)
        for name in Passes.__slots__:
            assert np.array_equal(getattr(blocks.passes, name), getattr(whole.passes, name)), name
        for name in Captures.__slots__:
            if name != "passes":
                assert np.array_equal(getattr(blocks, name), getattr(whole, name)), name
