"""``twin validate``: real measurements through the real matcher, intervals, and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin.cli.app import app
from twin.sweeps.catalogue import Published, load_catalogue
from twin.sweeps.validation import (
    measure,
    plan_measurements,
    published_interval,
    summarise,
    validation_rows,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "scenarios" / "validation"
runner = CliRunner()


def test_a_published_count_has_its_poisson_interval() -> None:
    low, high = published_interval(Published(quantity="false_alerts", value=1))
    assert low == pytest.approx(0.0253, abs=1e-3) and high == pytest.approx(5.572, abs=1e-2)
    assert published_interval(Published(quantity="false_alerts", value=0)) == (
        0.0,
        pytest.approx(3.689, abs=1e-2),
    )


def test_the_npl_tpir_is_reproduced_through_the_real_matcher() -> None:
    npl = [s for s in load_catalogue(CATALOGUE) if s.role == "calibration"]
    task = plan_measurements(npl, samples=1, probes=200)[0]
    small = task.__class__(**{**task.__dict__, "simulated_watchlist": 1000, "mated_probes": 1500})
    result = measure(small)
    assert result["comparisons"] == 200 * 1000
    assert 0.85 < result["mates_found"] / result["mated"] < 0.93


def test_rows_carry_the_fields_and_a_count_scales_with_faces_scanned() -> None:
    met = [s for s in load_catalogue(CATALOGUE) if "2022_01_28" in str(s.path)]
    tasks = plan_measurements(met, samples=2, probes=100)
    # two fabricated measurements: 3 false matches in 1e8 comparisons each
    results = [
        {
            "file": t.file,
            "sample": t.sample,
            "false_matches": 3,
            "comparisons": 10**8,
            "mated": 0,
            "mates_found": 0,
        }
        for t in tasks
    ]
    (row,) = validation_rows(met, tasks, results)
    expected = 12_120 * 9_756 * 3e-8
    assert row["low"] < expected < row["high"]
    assert row["fitted"] is False and row["published"] == 1
    assert row["within"] == (row["low"] <= row["published_high"])
    summary = summarise([row], wall_seconds=1.0)
    assert summary["validation_rows"] == 1
    assert summary["median_ratio_predicted_to_published"] == pytest.approx(row["predicted"])


def test_validate_prints_exactly_the_fields_in_json(tmp_path: Path) -> None:
    folder = tmp_path / "catalogue"
    folder.mkdir()
    shutil.copy(CATALOGUE / "met_oxford_circus_2022_07_16.toml", folder)
    result = runner.invoke(
        app,
        [
            "validate",
            "--catalogue",
            str(folder),
            "--samples",
            "2",
            "--probes",
            "300",
            "--workers",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (row,) = document["rows"]
    assert list(row) == [
        "source",
        "quantity",
        "published",
        "predicted",
        "low",
        "high",
        "fitted",
        "within",
    ]
    assert row["low"] <= row["predicted"] <= row["high"]
    assert document["summary"]["validation_rows"] == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--samples", "0"], "--samples: must be at least 1"),
        (["--workers", "0"], "--workers: must be at least 1"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(args: list[str], words: str) -> None:
    result = runner.invoke(app, ["validate", "--catalogue", str(CATALOGUE), *args])
    assert result.exit_code == 2
    assert words in result.output and len(result.output.strip().splitlines()) == 1


def test_a_bad_catalogue_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('name = "x"\nrole = "validation"\n', encoding="utf-8")
    result = runner.invoke(app, ["validate", "--catalogue", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.toml" in result.output and "source" in result.output


def test_the_command_line_defaults_are_the_modules() -> None:
    from twin.cli import validate as cli
    from twin.sweeps import validation

    assert cli.DEFAULT_SAMPLES == validation.DEFAULT_SAMPLES
    assert cli.DEFAULT_PROBES == validation.DEFAULT_PROBES
