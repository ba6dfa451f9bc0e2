"""Camera optics: lenses given by focal length, pitch, limits of the frame, grades."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.site_fixtures import camera_props
from twin.errors import SiteMapError
from twin.site.cameras import camera_from_properties
from twin.site.optics import (
    FACE_HEIGHT_M,
    FACE_MIN_PX_PER_M,
    GRADE_NAMES,
    INTER_PUPIL_M,
    face_px_per_m,
    far_limit_m,
    hfov_from_focal_deg,
    near_limit_m,
    pitch_deg,
    vfov_deg,
)

SOURCE = "optics.geojson"
# A 1/2-inch-type sensor is 6.4 mm wide.
SENSOR_WIDTH_MM = 6.4


@pytest.mark.parametrize(
    ("focal_length_mm", "low_deg", "high_deg"),
    [(2.8, 95.0, 105.0), (12.0, 25.0, 30.5)],
)
def test_focal_length_gives_the_common_cctv_fields_of_view(
    focal_length_mm: float, low_deg: float, high_deg: float
) -> None:
    """facts.md: a 2.8 mm lens is about 100 degrees wide, a 12 mm one about 25-30 degrees."""
    assert low_deg <= hfov_from_focal_deg(focal_length_mm, SENSOR_WIDTH_MM) <= high_deg


def test_camera_feature_may_state_its_lens_by_focal_length() -> None:
    props = camera_props(focal_length_mm=12.0, sensor_width_mm=SENSOR_WIDTH_MM)
    del props["hfov_deg"]
    camera = camera_from_properties(props, (0.0, 0.0), (), source=SOURCE)
    assert camera.hfov_deg == pytest.approx(hfov_from_focal_deg(12.0, SENSOR_WIDTH_MM))
    assert camera.properties()["hfov_deg"] == pytest.approx(camera.hfov_deg)


@pytest.mark.parametrize(
    ("props", "named"),
    [
        ({"focal_length_mm": 12.0, "sensor_width_mm": 6.4}, "both 'hfov_deg' and"),
        ({"focal_length_mm": 0.0, "sensor_width_mm": 6.4, "hfov_deg": None}, "focal_length_mm"),
        ({"focal_length_mm": 4.0, "hfov_deg": None}, "sensor_width_mm"),
        ({"focal_length_mm": 4.0, "sensor_width_mm": "wide", "hfov_deg": None}, "sensor_width_mm"),
    ],
)
def test_bad_lens_is_refused_naming_the_camera(props: dict[str, object], named: str) -> None:
    merged = camera_props(id="cam-lens", **props)
    if merged.get("hfov_deg") is None:
        merged.pop("hfov_deg")
    with pytest.raises(SiteMapError, match=f"cam-lens.*{named}"):
        camera_from_properties(merged, (0.0, 0.0), (), source=SOURCE)


def test_face_min_grade_is_32_px_between_the_eyes() -> None:
    between_eyes_px = FACE_MIN_PX_PER_M * INTER_PUPIL_M
    assert between_eyes_px == pytest.approx(32.0, rel=0.02)
    assert GRADE_NAMES[0] == "identify_face_recommended"
    assert GRADE_NAMES[-1] == "detect"


def test_pitch_is_the_angle_down_from_lens_to_face() -> None:
    assert float(pitch_deg(FACE_HEIGHT_M + 3.0, 3.0)) == pytest.approx(45.0)
    assert float(pitch_deg(FACE_HEIGHT_M, 10.0)) == pytest.approx(0.0)
    far = pitch_deg(5.0, np.array([2.0, 10.0, 40.0]))
    assert np.all(np.diff(far) < 0)


def test_near_and_far_limits_follow_the_tilted_frame() -> None:
    vertical = vfov_deg(30.0, 1920, 1080)
    assert vertical == pytest.approx(
        2 * math.degrees(math.atan(math.tan(math.radians(15)) * 0.5625))
    )
    drop_m = 4.0 - FACE_HEIGHT_M
    near = near_limit_m(4.0, 14.0, vertical)
    assert near == pytest.approx(drop_m / math.tan(math.radians(14.0 + vertical / 2)))
    assert far_limit_m(4.0, 14.0, vertical, 40.0) == pytest.approx(
        drop_m / math.tan(math.radians(14.0 - vertical / 2))
    )
    assert far_limit_m(4.0, 2.0, vertical, 40.0) == 40.0  # the frame's top edge is above the face
    assert near_limit_m(1.0, 10.0, vertical) == 0.0  # a lens below face height


def test_pixel_density_falls_with_slant_range() -> None:
    near, far = face_px_per_m(3840, 35.0, 5.0, np.array([5.0, 20.0]))
    assert near > far
    assert near == pytest.approx(3840 / (2 * math.hypot(5.0, 3.4) * math.tan(math.radians(17.5))))
