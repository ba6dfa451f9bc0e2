"""The strict reader of a sweep directory, on a small synthetic sweep as `twin sweep` writes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from twin.errors import ResultsError
from twin.sweeps.reader import read_sweep
from twin.sweeps.tables import SUMMARY

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit

pytest_plugins = ["tests.dashboard_fixtures"]


def test_a_sweep_is_read_from_its_summary(kit: DashboardKit, tmp_path: Path) -> None:
    sweep = read_sweep(kit.write_sweep(tmp_path))
    assert sweep.parameters == ("watchlist.size", "matcher.threshold_cosine")
    assert set(sweep.metrics) == {"outcomes.fpir", "latency_ms.p99", "counts.alerts"}
    rows = sweep.points[sweep.points["metric"] == "latency_ms.p99"]
    assert len(rows) == len(kit.sweep_sizes) * 2
    assert (rows["ci_low"] < rows["mean"]).all() and (rows["mean"] < rows["ci_high"]).all()
    assert (sweep.points["n"] == kit.sweep_replications).all()
    assert len(sweep.complete_runs()) == len(kit.sweep_rows())


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("points", [{"parameters": {"watchlist.size": 7}, "fpir": 0.1}], "points.0"),
        ("schema_version", 2, "schema version 1"),
        ("replications", "4", "replications: Input should be a valid integer"),
        ("points", None, "points: Input should be a valid array"),
    ],
)
def test_spellings_no_writer_produces_are_refused(
    kit: DashboardKit, tmp_path: Path, key: str, value: object, says: str
) -> None:
    folder = kit.write_sweep(tmp_path)
    summary = json.loads((folder / SUMMARY).read_text())
    summary[key] = value
    (folder / SUMMARY).write_text(json.dumps(summary))
    with pytest.raises(ResultsError, match=says):
        read_sweep(folder)


def test_a_sweep_without_its_summary_is_refused(kit: DashboardKit, tmp_path: Path) -> None:
    folder = kit.write_sweep(tmp_path)
    (folder / SUMMARY).unlink()
    with pytest.raises(ResultsError, match=r"not a sweep: no summary\.json"):
        read_sweep(folder)
