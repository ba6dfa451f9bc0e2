"""The catalogue: which runs, load tests and sweeps a results folder holds.

A results folder (``runs/`` by default) holds results directories side by side, possibly one level down
(``runs/loadtests/peak``). The catalogue finds them by their files: a run has ``manifest.json`` or
Parquet tables (an unfinished or broken run is listed too, so the page can say what is wrong with it);
a sweep has ``sweep.parquet``; a load test has a ``summary.json`` (and no sweep table); a period of days
(``twin year``) has ``year.json``, and its days' results directories are listed as runs. Hidden folders
(a run being written, ``.NAME.partial-PID``) are skipped. Newest first, what-if runs last.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from twin.loadtest.reader import is_loadtest_dir
from twin.results.schema import MANIFEST
from twin.sweeps.period_reader import is_period_dir
from twin.sweeps.reader import is_sweep_dir
from twin.sweeps.year import DAYS_DIR

#: How many folder levels below the results folder are searched.
MAX_DEPTH: Final = 2
#: Name prefix of the runs the what-if page makes.
WHATIF_PREFIX: Final = "whatif-"


@dataclass(frozen=True)
class Catalogue:
    """Results directories found under ``folder``, newest first."""

    folder: Path
    runs: tuple[Path, ...]
    loadtests: tuple[Path, ...]
    sweeps: tuple[Path, ...]
    periods: tuple[Path, ...] = ()

    def label(self, path: Path) -> str:
        """A directory's name relative to the folder ('.' for the folder itself)."""
        try:
            return str(path.relative_to(self.folder)) or "."
        except ValueError:
            return str(path)


def _is_run_dir(folder: Path) -> bool:
    if (folder / MANIFEST).exists():
        return True
    return any(folder.glob("*.parquet")) and not is_sweep_dir(folder)


def _age(path: Path) -> float:
    for name in (MANIFEST, "summary.json", "sweep.parquet"):
        try:
            return (path / name).stat().st_mtime
        except OSError:
            continue
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def scan(folder: str | Path, *, max_depth: int = MAX_DEPTH) -> Catalogue:
    """Find the results directories in ``folder`` (and up to ``max_depth`` levels below)."""
    root = Path(folder)
    runs: list[Path] = []
    loadtests: list[Path] = []
    sweeps: list[Path] = []
    periods: list[Path] = []

    def visit(directory: Path, depth: int) -> None:
        if is_sweep_dir(directory):
            sweeps.append(directory)
            return
        if is_period_dir(directory):
            periods.append(directory)
            days = directory / DAYS_DIR
            if days.is_dir():
                runs.extend(
                    d for d in sorted(days.iterdir()) if d.is_dir() and not d.name.startswith(".")
                )
            return
        if is_loadtest_dir(directory):
            loadtests.append(directory)
            return
        if _is_run_dir(directory):
            runs.append(directory)
            return
        if depth >= max_depth:
            return
        try:
            children = sorted(p for p in directory.iterdir() if p.is_dir())
        except OSError:
            return
        for child in children:
            if not child.name.startswith(".") and child.name != "__pycache__":
                visit(child, depth + 1)

    if root.is_dir():
        visit(root, 0)

    def newest_first(paths: list[Path]) -> tuple[Path, ...]:
        # What-if runs (made on the what-if page) after the others, so they do not take over.
        return tuple(
            sorted(paths, key=lambda p: (p.name.startswith(WHATIF_PREFIX), -_age(p), str(p)))
        )

    return Catalogue(
        folder=root,
        runs=newest_first(runs),
        loadtests=newest_first(loadtests),
        sweeps=newest_first(sweeps),
        periods=newest_first(periods),
    )
