"""The validation catalogue: the shipped files are sourced and well formed; bad files are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin.errors import TwinInputError
from twin.sweeps.catalogue import load_catalogue, load_validation_scenario

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "scenarios" / "validation" / "met_oxford_circus_2022_01_28.toml").read_text(
    encoding="utf-8"
)


def test_the_shipped_catalogue_has_five_operational_rows_and_npl_calibration() -> None:
    catalogue = load_catalogue(ROOT / "scenarios" / "validation")
    validation = [s for s in catalogue if s.role == "validation"]
    calibration = [s for s in catalogue if s.role == "calibration"]
    assert len(validation) >= 5
    assert calibration and all(s.source.report.startswith("NPL") for s in calibration)
    for scenario in catalogue:
        assert scenario.source.quote and scenario.source.date and scenario.source.page
        assert scenario.published


def _refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "row.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TwinInputError) as caught:
        load_validation_scenario(path)
    line = caught.value.line()
    assert "\n" not in line and "row.toml" in line
    return line


def test_a_file_without_a_source_is_refused(tmp_path: Path) -> None:
    text = re.sub(r"\[source\].*?\n\n", "", GOOD, flags=re.S)
    assert "source: Field required" in _refusal(tmp_path, text)


def test_a_file_without_published_counts_is_refused(tmp_path: Path) -> None:
    text = GOOD.split("[[published]]")[0]
    assert "published: Field required" in _refusal(tmp_path, text)


def test_a_range_with_low_above_high_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        "[[published]]",
        "[setup.ranges]\nfaces_scanned = { low = 20000, high = 10000 }\n\n[[published]]",
    )
    assert "setup.ranges.faces_scanned" in _refusal(tmp_path, text)


def test_an_unknown_distribution_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        "[[published]]",
        "[setup.ranges]\nfaces_scanned = { distribution = 'gaussian', low = 1, high = 2 }\n\n[[published]]",
    )
    line = _refusal(tmp_path, text)
    assert "setup.ranges.faces_scanned.distribution" in line and "loguniform" in line


def test_only_npl_or_nist_may_calibrate(tmp_path: Path) -> None:
    text = GOOD.replace('role = "validation"', 'role = "calibration"')
    assert "calibration rows come from NPL 2023 or NIST FRTE only" in _refusal(tmp_path, text)
