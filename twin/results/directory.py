"""Results directories: one per run, a manifest and Parquet tables, written atomically.

A run writes everything into a hidden sibling folder (``.NAME.partial-PID``) and only renames it into
place once every table and the manifest (``status: complete``) are written. So a failed or killed run
never leaves a directory that looks complete, and a finished one is never half-overwritten. Readers
(the dashboard, sweeps, ``twin compare``) go through `read_results`, which refuses anything missing,
incomplete or from another schema version with one clear line. The schema is in docs/results.md.
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

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
STATUS_COMPLETE = "complete"

# Table names and the file each is stored in.
DECISIONS = "decisions"
ALERTS = "alerts"
TIMESERIES = "timeseries"
CAMERAS = "cameras"
PEDESTRIANS = "pedestrians"
ID_PROBABILITY = "id_probability"
TABLES = (DECISIONS, ALERTS, TIMESERIES, CAMERAS, PEDESTRIANS, ID_PROBABILITY)


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
        """Store one table as ``NAME.parquet``."""
        pq.write_table(table, self.partial / f"{name}.parquet", compression="zstd")

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


@dataclass(frozen=True)
class Results:
    """A complete results directory: its manifest, and its tables read on demand."""

    path: Path
    manifest: dict[str, Any]

    def table(self, name: str) -> pa.Table:
        """One of the run's tables (see TABLES)."""
        entry = self.manifest.get("tables", {}).get(name)
        if entry is None:
            raise ResultsError(f"no table {name!r} in this run", source=self.path)
        return pq.read_table(self.path / entry["file"])


def read_results(path: str | Path) -> Results:
    """Open a results directory, refusing a missing, incomplete or other-schema one."""
    folder = Path(path)
    if not folder.is_dir():
        raise ResultsError("no results directory here", source=folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ResultsError(
            f"no {MANIFEST}: not a results directory, or the run did not finish", source=folder
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{MANIFEST} is not readable JSON: {exc}", source=folder) from exc
    if not isinstance(manifest, dict):
        raise ResultsError(f"{MANIFEST} is not a JSON object", source=folder)
    if manifest.get("status") != STATUS_COMPLETE:
        raise ResultsError(
            f"the run is not complete (status: {manifest.get('status')!r})", source=folder
        )
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(
            f"results schema version {version!r}, this twin reads version {SCHEMA_VERSION}; "
            "re-run the scenario with this version",
            source=folder,
        )
    for name, entry in manifest.get("tables", {}).items():
        if not (folder / entry["file"]).is_file():
            raise ResultsError(f"table {name!r} ({entry['file']}) is missing", source=folder)
    return Results(path=folder, manifest=manifest)
