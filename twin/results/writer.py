"""Writing a results directory atomically: one per run, a manifest and Parquet tables.

A run writes everything into a hidden sibling folder (``.NAME.partial-PID``) and only renames it into
place once every table and the manifest (``status: complete``) are written. So a failed or killed run
never leaves a directory that looks complete, and a finished one is never half-overwritten. The schema
is in docs/results.md.

Publishing over an earlier run swaps the two folders in one step with Linux's
``renameat2(RENAME_EXCHANGE)`` (called through libc with ctypes), so at every instant ``--out`` is either
the earlier run or the new one, never missing. A symlink swap would do the same but turns ``--out``
into a link, which readers that refuse symlinks (rightly) would reject; where ``renameat2`` is not
available (another OS, an old kernel, a file system without it) the earlier run is renamed aside and
the new one renamed in, which leaves a moment of a few microseconds without ``--out``. Folders left by
runs that were killed (``.NAME.partial-PID``, ``.NAME.old-PID``) are removed by the next run to the
same ``--out``, but only when process PID no longer exists. Disk-full and permission errors end the
run with one line (`ResultsError`); the earlier results stay as they were.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from twin.errors import ResultsError
from twin.results.manifest import manifest_document
from twin.results.schema import (
    MANIFEST,
    SCHEMA_VERSION,
    STATUS_COMPLETE,
    column_kind_problem,
    column_problem,
    table_file,
)

AT_FDCWD: Final = -100
RENAME_EXCHANGE: Final = 2  # linux/fs.h: swap two paths atomically


def _libc_renameat2() -> Any | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2: Final = _libc_renameat2()


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(
        AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP}:
        return False
    raise OSError(code, os.strerror(code), str(second))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale(out: Path) -> list[Path]:
    """Remove ``.NAME.partial-PID`` and ``.NAME.old-PID`` folders whose process is gone."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(partial|old)-(\d+)")
    removed: list[Path] = []
    if not out.parent.is_dir():
        return removed
    for candidate in out.parent.iterdir():
        match = pattern.fullmatch(candidate.name)
        if match is None or candidate.is_symlink() or not candidate.is_dir():
            continue
        pid = int(match.group(2))
        if pid != os.getpid() and not _process_exists(pid):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _unwritable(exc: OSError, where: Path) -> ResultsError:
    reason = exc.strerror or str(exc)
    hint = " (disk full: free space and run again)" if exc.errno == errno.ENOSPC else ""
    return ResultsError(
        f"cannot write results: {reason}{hint}; earlier results untouched", source=where
    )


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table_atomic(path: Path, table: pa.Table) -> None:
    """Write a Parquet table to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class ResultsWriter:
    """Collects a run's tables in a partial folder and publishes them with the manifest at the end."""

    final: Path
    partial: Path

    def write_table(self, name: str, table: pa.Table) -> None:
        """Store one table as ``NAME.parquet``; a table the schema names must have its columns."""
        problem = column_problem(name, table.schema.names, exact=True) or column_kind_problem(
            name, table.schema
        )
        if problem is not None:
            raise ValueError(f"{problem} (twin/results/schema.py)")
        try:
            pq.write_table(table, self.partial / table_file(name), compression="zstd")
        except OSError as exc:
            raise _unwritable(exc, self.final) from exc

    def write_file(self, name: str, data: bytes) -> None:
        """Store a file that is not a table (such as the oversight ledger) beside the tables."""
        try:
            (self.partial / name).write_bytes(data)
        except OSError as exc:
            raise _unwritable(exc, self.final) from exc

    def publish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write the manifest (status complete) and move the folder into place. Returns the manifest."""
        manifest = {**manifest, "status": STATUS_COMPLETE, "schema_version": SCHEMA_VERSION}
        tables = {}
        for file in sorted(self.partial.glob("*.parquet")):
            tables[file.stem] = {"file": file.name, "rows": pq.ParquetFile(file).metadata.num_rows}
        manifest["tables"] = tables
        manifest = manifest_document(manifest)  # refuses what the readers would refuse
        try:
            write_json_atomic(self.partial / MANIFEST, manifest)
            self._move_into_place()
        except OSError as exc:
            raise _unwritable(exc, self.final) from exc
        return manifest

    def _move_into_place(self) -> None:
        if (
            self.final.is_dir()
            and not self.final.is_symlink()
            and exchange(self.partial, self.final)
        ):
            shutil.rmtree(self.partial, ignore_errors=True)  # now holds the earlier run
            return
        retired = None
        if self.final.exists():
            retired = self.final.with_name(f".{self.final.name}.old-{os.getpid()}")
            self.final.rename(retired)
        self.partial.rename(self.final)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)


@contextmanager
def results_writer(out: Path) -> Iterator[ResultsWriter]:
    """A writer for the results directory ``out``; on any error nothing is published."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ResultsError("--out: exists and is not a directory", source=out)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
    except OSError as exc:
        raise _unwritable(exc, out) from exc
    writer = ResultsWriter(final=out, partial=partial)
    try:
        yield writer
    finally:
        shutil.rmtree(partial, ignore_errors=True)
