"""The strict reader of a load test's directory, on small synthetic summaries as `twin loadtest`
writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from twin.loadtest.reader import SUMMARY, read_loadtest, summary_document

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit

pytest_plugins = ["tests.dashboard_fixtures"]


def test_a_load_test_is_read_in_rate_order(kit: DashboardKit, tmp_path: Path) -> None:
    summary = kit.loadtest_summary()
    summary["steps"].reverse()  # type: ignore[attr-defined]
    (tmp_path / SUMMARY).write_text(json.dumps(summary))
    test = read_loadtest(tmp_path)
    assert test.knee_rate == 400 and test.slo_ms == 100
    assert test.steps["offered_rate"].is_monotonic_increasing
    assert test.steps["valid"].isin([0.0, 1.0]).all() and "kind" not in test.steps
    assert test.details["target"] == "inprocess"


def test_what_the_writer_stores_the_reader_reads(kit: DashboardKit, tmp_path: Path) -> None:
    document = summary_document(kit.loadtest_summary())
    (tmp_path / SUMMARY).write_text(json.dumps(document))
    assert read_loadtest(tmp_path).summary.model_dump(mode="json") == document


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"knee_rate": "400"}, "knee_rate: Input should be a valid number"),
        ({"knee_rate": {"offered_rate": 400}}, "knee_rate"),  # a spelling no writer produces
        ({"steps": [{"offered_rate": 100}]}, "steps.0"),
        ({"throughput": 3}, "throughput: Extra inputs are not permitted"),
        ({"interrupted": 1}, "interrupted: Input should be a valid boolean"),
        ({"kind": "sweep"}, "kind"),
    ],
)
def test_the_writer_refuses_what_the_reader_would(
    kit: DashboardKit, change: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        summary_document(kit.loadtest_summary(**change))
