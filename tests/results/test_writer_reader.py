from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from tests.results_fixtures import manifest_sections
from twin.errors import ResultsError
from twin.results.reader import read_results
from twin.results.schema import MANIFEST, SCHEMA_VERSION
from twin.results.writer import results_writer, write_json_atomic


def _publish(out: Path, value: int) -> None:
    with results_writer(out) as writer:
        writer.write_table("numbers", pa.table({"n": [value]}))
        writer.publish(manifest_sections(seed=value))


def test_publish_writes_a_complete_directory(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _publish(out, 1)
    results = read_results(out)
    assert results.manifest["status"] == "complete"
    assert results.manifest["schema_version"] == SCHEMA_VERSION
    assert results.manifest["tables"]["numbers"]["rows"] == 1
    assert results.table("numbers").column("n").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_failed_run_publishes_nothing_and_keeps_the_previous_one(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _publish(out, 1)
    with pytest.raises(RuntimeError), results_writer(out) as writer:
        writer.write_table("numbers", pa.table({"n": [2]}))
        raise RuntimeError("killed mid-run")
    assert read_results(out).table("numbers").column("n").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_republishing_replaces_the_old_results(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _publish(out, 1)
    _publish(out, 2)
    assert read_results(out).table("numbers").column("n").to_pylist() == [2]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_readers_refuse_missing_incomplete_and_old_results(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no results directory"):
        read_results(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ResultsError, match=r"no manifest\.json"):
        read_results(empty)
    running = tmp_path / "running"
    running.mkdir()
    (running / MANIFEST).write_text(
        json.dumps({"status": "running", "schema_version": SCHEMA_VERSION})
    )
    with pytest.raises(ResultsError, match="not complete"):
        read_results(running)
    old = tmp_path / "old"
    old.mkdir()
    (old / MANIFEST).write_text(json.dumps({"status": "complete", "schema_version": 0}))
    with pytest.raises(ResultsError, match="schema version 0"):
        read_results(old)
    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / MANIFEST).write_text("{not json")
    with pytest.raises(ResultsError, match="not readable JSON"):
        read_results(garbled)


def test_json_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    write_json_atomic(target, {"a": 1})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"a": float("nan")})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
