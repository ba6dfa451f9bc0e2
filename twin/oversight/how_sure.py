"""How sure the twin is, for the oversight report: the validation against published deployments and
the uncertainty of this scenario's headline figures, when the results folder holds them.

``twin validate --out runs/validation.json`` and ``twin uncertainty SCENARIO --out runs/...`` write
them (docs/validation.md). This module only reads those JSON files beside the run: the run's own
folder or the results folder above it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

VALIDATION_FILE: Final = "validation.json"
UNCERTAINTY_FILE: Final = "uncertainty.json"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def how_sure_figures(run: Path, scenario_name: str) -> dict[str, Any] | None:
    """The validation summary and rows, and the newest uncertainty report of this scenario, found
    beside the run; None when there is neither."""
    folders = [run, run.parent]
    found: dict[str, Any] = {}
    for folder in folders:
        document = _read(folder / VALIDATION_FILE)
        if document and "summary" in document and "rows" in document:
            found["validation"] = {"summary": document["summary"], "rows": document["rows"]}
            break
    candidates = sorted(
        run.parent.glob(f"*/{UNCERTAINTY_FILE}"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for path in candidates:
        document = _read(path)
        if document and document.get("scenario_name") == scenario_name and "outputs" in document:
            found["uncertainty"] = {
                "file": str(path),
                "samples": document.get("samples_complete"),
                "interval": document.get("interval"),
                "outputs": {
                    name: {
                        key: entry.get(key)
                        for key in ("meaning", "median", "low_90", "high_90", "absent")
                        if key in entry
                    }
                    | (
                        {"moved_most_by": [s["assumption"] for s in entry["sensitivity"][:3]]}
                        if "sensitivity" in entry
                        else {}
                    )
                    for name, entry in document["outputs"].items()
                },
            }
            break
    return found or None
