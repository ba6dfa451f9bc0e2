"""Reading a results directory back: the one strict reader of runs.

Every reader of a run (the dashboard, ``twin report``, ``twin audit verify``, ``twin compare``, sweeps)
goes through `read_results`. It refuses, with one `ResultsError` line naming the file and the field,
a directory that is missing, unfinished, from another schema version, or whose manifest or tables do
not match the schema (twin/results/manifest.py, twin/results/schema.py). Every file it opens is
resolved inside the run, and the run inside ``root`` when one is given (the dashboard's results
folder): a symlink, a ``..`` or an absolute path cannot make it read anything outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pydantic_core

from twin.errors import ResultsError
from twin.results.manifest import MAX_MANIFEST_BYTES, Manifest, parse_manifest
from twin.results.schema import (
    MANIFEST,
    SCHEMA_VERSION,
    STATUS_COMPLETE,
    column_kind_problem,
    column_problem,
)


def inside(root: Path, relative: str | Path, *, source: str | Path, what: str) -> Path:
    """``root / relative`` resolved, refused unless it stays inside ``root`` (``root`` resolved)."""
    candidate = Path(relative)
    if candidate.is_absolute():
        raise ResultsError(f"{what}: {relative} is an absolute path; must be inside", source=source)
    try:
        resolved = (root / candidate).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ResultsError(f"{what}: {relative} cannot be resolved ({exc})", source=source) from exc
    if not resolved.is_relative_to(root):
        raise ResultsError(
            f"{what}: {relative} leads outside {root.name} (a symlink or '..'); refused",
            source=source,
        )
    return resolved


@dataclass(frozen=True)
class Results:
    """A complete results directory: its typed manifest, and its files read on demand.

    ``path`` is the run's resolved folder; ``manifest`` the validated manifest as JSON data.
    """

    path: Path
    typed: Manifest
    manifest: dict[str, Any]

    def file(self, relative: str, what: str) -> Path:
        """A file of the run, resolved inside it and present."""
        path = inside(self.path, relative, source=self.path, what=what)
        if not path.is_file():
            raise ResultsError(f"{what}: {relative} is missing", source=self.path)
        return path

    def table(self, name: str, columns: tuple[str, ...] = ()) -> pa.Table:
        """One of the run's tables (all columns, or ``columns``), checked against the schema."""
        entry = self.typed.tables.get(name)
        if entry is None:
            raise ResultsError(f"no table {name!r} in this run", source=self.path)
        path = self.file(entry.file, f"table {name!r}")
        try:
            schema = pq.read_schema(path)
            names = schema.names
            problem = column_problem(name, names) or column_kind_problem(name, schema)
            missing = [c for c in columns if c not in names]
            if problem is None and missing:
                problem = f"table {name!r} lacks column(s) {', '.join(missing)}"
            if problem is not None:
                raise ResultsError(
                    f"{entry.file}: {problem}: written by another version of the twin? "
                    "Re-run the scenario",
                    source=self.path,
                )
            return pq.read_table(path, columns=list(columns) if columns else None)
        except (OSError, pa.ArrowException) as exc:
            line = " ".join(str(exc).split())[:200]
            raise ResultsError(
                f"{entry.file}: unreadable table ({line})", source=self.path
            ) from exc

    def site_map(self) -> Path | None:
        """The run's own copy of its site map, or None if the run did not keep one."""
        if self.typed.site.map is None:
            return None
        return self.file(self.typed.site.map, "site.map")

    def ledger(self) -> Path | None:
        """The run's oversight ledger, or None if the run has no response section."""
        if self.typed.response is None:
            return None
        return self.file(self.typed.response.ledger.file, "response.ledger.file")


def resolve_folder(path: Path, root: Path | None, *, what: str) -> Path:
    """A results folder resolved (symlinks followed), inside ``root`` when given, and present."""
    try:
        folder = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ResultsError(f"cannot be resolved ({exc})", source=path) from exc
    if root is not None and not folder.is_relative_to(root.resolve()):
        raise ResultsError(
            f"leads outside the results folder {root} (a symlink?); refused", source=path
        )
    if not folder.is_dir():
        raise ResultsError(f"no {what} directory here", source=path)
    return folder


def read_document(folder: Path, name: str, *, source: Path, missing: str) -> bytes:
    """The bytes of the JSON document ``name`` in ``folder``: resolved inside it, present (else
    ``missing`` is the refusal), no larger than MAX_MANIFEST_BYTES, and readable."""
    path = inside(folder, name, source=source, what=name)
    if not path.is_file():
        raise ResultsError(missing, source=source)
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ResultsError(f"{name}: larger than {MAX_MANIFEST_BYTES} bytes", source=source)
        return path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{name}: unreadable ({exc.strerror})", source=source) from exc


def read_results(path: str | Path, *, root: str | Path | None = None) -> Results:
    """Open a results directory, refusing a missing, incomplete, other-schema or off-schema one.

    ``root``: the results folder the run must lie in (after following symlinks).
    """
    given = Path(path)
    folder = resolve_folder(given, Path(root) if root is not None else None, what="results")
    data = read_document(
        folder,
        MANIFEST,
        source=given,
        missing=f"no {MANIFEST}: not a results directory, or the run did not finish",
    )
    _check_status_and_version(data, given)
    try:
        typed = parse_manifest(data)
    except ValueError as exc:
        raise ResultsError(f"{MANIFEST}: {exc}", source=given) from exc
    results = Results(
        path=folder, typed=typed, manifest=typed.model_dump(mode="json", exclude_unset=True)
    )
    for name, entry in typed.tables.items():
        results.file(entry.file, f"table {name!r}")
    results.site_map()  # each file the manifest names: present, and inside the run
    results.ledger()
    return results


def _check_status_and_version(data: bytes, source: Path) -> None:
    """Name an unfinished run or another schema version before any field-by-field complaint."""
    try:
        document = pydantic_core.from_json(data)
    except ValueError as exc:
        raise ResultsError(f"{MANIFEST}: not readable JSON ({exc})", source=source) from exc
    if not isinstance(document, dict):
        raise ResultsError(f"{MANIFEST}: not a JSON object", source=source)
    if document.get("status") != STATUS_COMPLETE:
        raise ResultsError(
            f"the run is not complete (status: {document.get('status')!r})", source=source
        )
    version = document.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise ResultsError(
            f"results schema version {version!r}, this twin reads version {SCHEMA_VERSION}; "
            "re-run the scenario with this version",
            source=source,
        )
