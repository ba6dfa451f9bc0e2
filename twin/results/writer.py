"""Writing a results directory atomically: one per run, a manifest and Parquet tables.

A run writes everything into a hidden sibling folder (``.NAME.partial-PID``) and only renames it into
place once every table and the manifest (``status: complete``) are written. So a failed or killed run
never leaves a directory that looks complete, and a finished one is never half-overwritten. The schema
is in docs/results.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        pq.write_table(table, self.partial / table_file(name), compression="zstd")

    def write_file(self, name: str, data: bytes) -> None:
        """Store a file that is not a table (such as the oversight ledger) beside the tables."""
        (self.partial / name).write_bytes(data)

    def publish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write the manifest (status complete) and move the folder into place. Returns the manifest."""
        manifest = {**manifest, "status": STATUS_COMPLETE, "schema_version": SCHEMA_VERSION}
        tables = {}
        for file in sorted(self.partial.glob("*.parquet")):
            tables[file.stem] = {"file": file.name, "rows": pq.ParquetFile(file).metadata.num_rows}
        manifest["tables"] = tables
        manifest = manifest_document(manifest)  # refuses what the readers would refuse
        write_json_atomic(self.partial / MANIFEST, manifest)
        retired = None
        if self.final.exists():
            retired = self.final.with_name(f".{self.final.name}.old-{os.getpid()}")
            self.final.rename(retired)
        self.partial.rename(self.final)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
        return manifest


@contextmanager
def results_writer(out: Path) -> Iterator[ResultsWriter]:
    """A writer for the results directory ``out``; on any error nothing is published."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ResultsError("--out: exists and is not a directory", source=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    writer = ResultsWriter(final=out, partial=partial)
    try:
        yield writer
    finally:
        shutil.rmtree(partial, ignore_errors=True)
