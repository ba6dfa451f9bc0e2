"""Crash-safe publishing: stale folders of dead runs, the atomic swap, disk-full and permissions."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.results_fixtures import manifest_sections
from twin.errors import ResultsError
from twin.results import writer as writer_module
from twin.results.reader import read_results
from twin.results.writer import exchange, remove_stale, results_writer


def _publish(out: Path, value: int) -> None:
    with results_writer(out) as writer:
        writer.write_table("numbers", pa.table({"n": [value]}))
        writer.publish(manifest_sections(seed=value))


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    return int(child.stdout)


def test_the_next_run_removes_folders_of_dead_runs_only(tmp_path: Path) -> None:
    out = tmp_path / "run"
    dead, alive = _dead_pid(), os.getppid()
    for kind in ("partial", "old"):
        for pid in (dead, alive):
            folder = tmp_path / f".run.{kind}-{pid}"
            folder.mkdir()
            (folder / "manifest.json").write_text("{}")
    other = tmp_path / f".other.partial-{dead}"
    other.mkdir()
    _publish(out, 1)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        ["run", f".run.partial-{alive}", f".run.old-{alive}", f".other.partial-{dead}"]
    )


def test_remove_stale_leaves_symlinks_and_files_alone(tmp_path: Path) -> None:
    dead = _dead_pid()
    target = tmp_path / "precious"
    target.mkdir()
    (tmp_path / f".run.partial-{dead}").symlink_to(target)
    (tmp_path / f".run.old-{dead}").write_text("a file")
    assert remove_stale(tmp_path / "run") == []
    assert target.is_dir()


def test_exchange_swaps_two_folders_atomically_on_linux(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "x").write_text("a")
    (second / "x").write_text("b")
    if sys.platform == "linux":
        assert exchange(first, second)
        assert (first / "x").read_text() == "b" and (second / "x").read_text() == "a"


def test_out_is_never_missing_while_a_run_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _publish(out, 0)
    missing: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if not (out / "manifest.json").is_file():
                missing.append(1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for value in range(1, 30):
            _publish(out, value)
    finally:
        done.set()
        watcher.join()
    assert missing == [] or sys.platform != "linux"
    assert read_results(out).table("numbers").column("n").to_pylist() == [29]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "disk full"), (errno.EACCES, "Permission denied"), (errno.EROFS, "Read-only")],
)
def test_a_failed_table_write_is_one_line_and_keeps_the_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    out = tmp_path / "run"
    _publish(out, 1)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(ResultsError) as refused:
        _publish(out, 2)
    line = refused.value.line()
    assert words in line and "\n" not in line and str(out) in line
    assert read_results(out).table("numbers").column("n").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_disk_full_while_writing_the_manifest_keeps_the_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    _publish(out, 1)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writer_module.os, "fsync", full)
    with pytest.raises(ResultsError, match="disk full"):
        _publish(out, 2)
    assert read_results(out).table("numbers").column("n").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_an_unwritable_parent_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", denied)
    with pytest.raises(ResultsError, match="Permission denied"):
        _publish(tmp_path / "deeper" / "run", 1)
