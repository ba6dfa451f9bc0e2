"""Capture quality and its factors: resolution, pose, occlusion, lighting, blur."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.crowd.fundamental import JAM_DENSITY_PED_M2
from twin.recognition.quality import (
    BLOCKING_WIDTH_M,
    FULL_QUALITY_PX_PER_M,
    HEAD_ABOVE_EYES_M,
    blur_px,
    blur_term,
    capture_quality,
    darkness,
    fruin_density_ped_m2,
    level_of_service,
    lighting_term,
    occlusion,
    pose_term,
    resolution_term,
    weidmann_flow_ped_m_s,
)


def a(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def test_resolution_rises_from_the_search_threshold_to_full_quality() -> None:
    terms = resolution_term(a(200.0, 250.0, 500.0, FULL_QUALITY_PX_PER_M, 4000.0), min_px_per_m=250)
    assert terms[0] == 0.0 and terms[1] == 0.0
    assert terms[2] == pytest.approx(math.log(2) / math.log(4))
    assert terms[3] == 1.0 and terms[4] == 1.0


def test_pose_is_the_cosine_up_to_the_limit() -> None:
    terms = pose_term(a(0.0, -30.0, 60.0, 61.0), max_head_yaw_deg=60.0)
    assert terms.tolist() == pytest.approx([1.0, math.cos(math.radians(30)), 0.5, 0.0])


def test_with_neutral_factors_quality_is_the_spines_score() -> None:
    px, yaw = a(300.0, 800.0, 1200.0), a(10.0, 0.0, 50.0)
    spine = resolution_term(px, min_px_per_m=250) * pose_term(yaw, max_head_yaw_deg=60)
    neutral = capture_quality(
        px,
        yaw,
        min_px_per_m=250,
        max_head_yaw_deg=60,
        pitch_deg=np.zeros(3),
        occlusion_0_1=np.zeros(3),
        lighting=np.ones(3),
        blur=np.zeros(3),
        blur_half_quality_px=8.0,
    )
    assert neutral == pytest.approx(spine)
    assert capture_quality(px, yaw, min_px_per_m=250, max_head_yaw_deg=60) == pytest.approx(spine)


def test_each_factor_lowers_quality() -> None:
    px, yaw = a(900.0), a(5.0)
    base = capture_quality(px, yaw, min_px_per_m=250, max_head_yaw_deg=60)
    for factor in (
        {"pitch_deg": a(30.0)},
        {"occlusion_0_1": a(0.2)},
        {"lighting": a(0.7)},
        {"blur": a(8.0), "blur_half_quality_px": 8.0},
    ):
        lowered = capture_quality(px, yaw, min_px_per_m=250, max_head_yaw_deg=60, **factor)
        assert lowered[0] < base[0]
    steep = capture_quality(
        px, yaw, min_px_per_m=250, max_head_yaw_deg=60, pitch_deg=a(50.0), max_pitch_deg=45.0
    )
    assert steep[0] == 0.0


def test_occlusion_is_a_poisson_count_of_heads_in_the_sight_line() -> None:
    # A lens 2.4 m above the face, 12 m away: heads reach 0.12 m above the eyes, so the sight line
    # is blocked by anyone within 12 * 0.12 / 2.4 = 0.6 m in front of the face.
    found = occlusion(a(1.0), a(12.0), a(4.0))
    expected = 1.0 - math.exp(-1.0 * BLOCKING_WIDTH_M * 12.0 * HEAD_ABOVE_EYES_M / 2.4)
    assert found[0] == pytest.approx(expected)
    assert occlusion(a(0.0), a(12.0), a(4.0))[0] == 0.0


def test_occlusion_grows_with_crowding_and_distance_and_falls_with_mount_height() -> None:
    densities = occlusion(a(0.1, 0.5, 1.0, 2.0), np.full(4, 10.0), np.full(4, 4.0))
    assert np.all(np.diff(densities) > 0)
    distances = occlusion(np.full(3, 1.0), a(5.0, 10.0, 20.0), np.full(3, 4.0))
    assert np.all(np.diff(distances) > 0)
    heights = occlusion(np.full(3, 1.0), np.full(3, 10.0), a(2.5, 4.0, 6.0))
    assert np.all(np.diff(heights) < 0)
    # Beyond Weidmann's jam density nobody is added; a lens at face height sees only the front row.
    assert (
        occlusion(a(50.0), a(10.0), a(4.0))[0]
        == occlusion(a(JAM_DENSITY_PED_M2), a(10.0), a(4.0))[0]
    )
    assert occlusion(a(1.0), a(10.0), a(1.6))[0] == pytest.approx(
        1 - math.exp(-BLOCKING_WIDTH_M * 10.0)
    )


def test_occlusion_is_small_at_fruin_level_a_and_large_at_a_jam() -> None:
    level_a = dict(fruin_density_ped_m2())["A"]
    assert occlusion(a(level_a), a(10.0), a(4.0))[0] < 0.05
    assert occlusion(a(JAM_DENSITY_PED_M2), a(10.0), a(4.0))[0] > 0.4


def test_weidmann_diagram_peaks_near_the_published_capacity() -> None:
    """facts.md: maximum specific flow about 1.2 ped/(m s) at about 1.75 ped/m²."""
    densities = np.linspace(0.05, 5.3, 500)
    flows = [weidmann_flow_ped_m_s(d) for d in densities]
    peak = int(np.argmax(flows))
    assert flows[peak] == pytest.approx(1.2, abs=0.05)
    assert densities[peak] == pytest.approx(1.75, abs=0.1)
    assert weidmann_flow_ped_m_s(JAM_DENSITY_PED_M2) == 0.0


def test_fruin_levels_order_densities() -> None:
    edges = fruin_density_ped_m2()
    assert [level for level, _ in edges] == ["A", "B", "C", "D", "E"]
    values = [edge for _, edge in edges]
    assert values == sorted(values)
    # Fruin's flow edges are met on Weidmann's diagram: 23 ped/m/min ends level A.
    assert weidmann_flow_ped_m_s(values[0]) * 60.0 == pytest.approx(23.0, rel=1e-4)
    assert level_of_service(0.05) == "A"
    assert level_of_service(values[1] + 0.01) == "C"
    assert level_of_service(3.0) == "F"


def test_darkness_wraps_midnight_and_ramps_over_twilight() -> None:
    hours = a(0.0, 5.75, 6.0, 6.25, 12.0, 19.75, 20.0, 20.25, 23.0, 24.0 + 3.0)
    dark = darkness(hours * 3600.0, dark_start_h=20.0, dark_end_h=6.0, twilight_h=0.5)
    assert dark.tolist() == pytest.approx([1, 1, 0.5, 0, 0, 0, 0.5, 1, 1, 1])
    sharp = darkness(a(19.9, 20.1) * 3600.0, dark_start_h=20.0, dark_end_h=6.0, twilight_h=0.0)
    assert sharp.tolist() == [0.0, 1.0]
    never = darkness(a(1.0, 13.0) * 3600.0, dark_start_h=6.0, dark_end_h=6.0, twilight_h=0.5)
    assert never.tolist() == [0.0, 0.0]


def test_lighting_is_the_night_factor_in_the_dark() -> None:
    assert lighting_term(a(0.0, 0.5, 1.0), night_lighting_factor=0.6).tolist() == pytest.approx(
        [1.0, 0.8, 0.6]
    )


def test_blur_is_motion_across_the_sight_line() -> None:
    # Walking across the view at 1.5 m/s, 1/250 s, 500 px/m: 1.5 * 0.004 * 500 = 3 px.
    across = blur_px(a(1.5), a(0.004), a(500.0), a(90.0), a(0.0))
    assert across[0] == pytest.approx(3.0)
    # Straight at a camera level with the face: no motion across the image.
    assert blur_px(a(1.5), a(0.004), a(500.0), a(0.0), a(0.0))[0] == pytest.approx(0.0, abs=1e-9)
    # Straight at a camera above the face: the face slides down the frame.
    assert blur_px(a(1.5), a(0.004), a(500.0), a(0.0), a(30.0))[0] == pytest.approx(1.5)
    assert blur_term(a(0.0, 8.0, 16.0), blur_half_quality_px=8.0).tolist() == pytest.approx(
        [1.0, 0.5, 0.2]
    )


@settings(max_examples=80, deadline=None)
@given(
    px=st.floats(1.0, 5000.0),
    yaw=st.floats(0.0, 180.0),
    pitch=st.floats(0.0, 89.0),
    crowd=st.floats(0.0, 10.0),
    dark=st.floats(0.0, 1.0),
    blur=st.floats(0.0, 100.0),
)
def test_quality_stays_in_zero_one(
    px: float, yaw: float, pitch: float, crowd: float, dark: float, blur: float
) -> None:
    quality = capture_quality(
        a(px),
        a(yaw),
        min_px_per_m=250.0,
        max_head_yaw_deg=60.0,
        pitch_deg=a(pitch),
        max_pitch_deg=45.0,
        occlusion_0_1=occlusion(a(crowd), a(10.0), a(4.0)),
        lighting=lighting_term(a(dark), night_lighting_factor=0.7),
        blur=a(blur),
        blur_half_quality_px=8.0,
    )
    assert 0.0 <= quality[0] <= 1.0
