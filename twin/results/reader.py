"""Reading a results directory back: the one strict reader of runs.

Readers (the dashboard, sweeps, ``twin compare``, ``twin report``) go through `read_results`, which
refuses anything missing, incomplete or from another schema version with one clear line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from twin.errors import ResultsError
from twin.results.schema import MANIFEST, SCHEMA_VERSION, STATUS_COMPLETE


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
