"""Loading: cached reading of results directories, load tests, sweeps and site maps.

Tables and manifests are cached with ``st.cache_data`` keyed by the directory and the modification time
of its manifest, so a run written again into the same directory (a what-if re-run) is read afresh. The
site (walk graph, camera views) is a read-only heavy object and is kept with ``st.cache_resource``. Every
problem with a directory becomes a `ResultsError` whose one line names it; pages show that line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import streamlit as st

from twin.errors import SiteMapError
from twin.loadtest.reader import SUMMARY, LoadTest, read_loadtest
from twin.results.reader import read_results
from twin.results.schema import MANIFEST
from twin.sweeps.reader import SweepResults, read_sweep
from twin.sweeps.tables import SWEEP_TABLE

if TYPE_CHECKING:  # the site's geometry stack loads only on the pages that draw it
    from twin.figures.site_map import FlowGrid
    from twin.site.model import Site

#: Environment variable naming the results folder (``TWIN_RUNS_DIR=runs streamlit run app.py``).
RUNS_ENV: Final = "TWIN_RUNS_DIR"
#: Command-line flag naming it (``streamlit run app.py -- --runs runs``).
RUNS_FLAG: Final = "--runs"
DEFAULT_RUNS: Final = "runs"


def default_runs_folder(argv: list[str] | None = None) -> str:
    """The results folder: ``--runs DIR`` after ``--`` on the command line, else $TWIN_RUNS_DIR,
    else ``runs``."""
    args = sys.argv[1:] if argv is None else argv
    for index, arg in enumerate(args):
        if arg == RUNS_FLAG and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(f"{RUNS_FLAG}="):
            return arg.split("=", 1)[1]
    return os.environ.get(RUNS_ENV) or DEFAULT_RUNS


def _stamp(path: Path) -> int:
    """Modification time (ns) of a file, or 0 if absent: part of every cache key."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@st.cache_data(show_spinner=False, max_entries=64)
def _manifest(path: str, root: str | None, stamp: int) -> dict[str, Any]:
    return read_results(path, root=root).manifest


def manifest(run: Path, *, root: Path | None = None) -> dict[str, Any]:
    """A run's manifest through the strict reader, refusing a bad directory with one line.

    ``root``: the results folder the run must lie in (a symlink out of it is refused).
    """
    return _manifest(str(run), str(root) if root is not None else None, _stamp(run / MANIFEST))


@st.cache_data(show_spinner=False, max_entries=32)
def _table(path: str, name: str, columns: tuple[str, ...], stamp: int) -> pd.DataFrame:
    frame: pd.DataFrame = read_results(path).table(name, columns).to_pandas()
    return frame


def table(run: Path, name: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """One of a run's tables as a DataFrame (only ``columns`` when given, each checked present)."""
    return _table(str(run), name, tuple(columns), _stamp(run / MANIFEST))


def site_map_path(run: Path) -> Path:
    """The run's own copy of its site map (never a path outside the run)."""
    path = read_results(run).site_map()
    if path is None:
        raise SiteMapError(
            "the run keeps no copy of its site map (written by an older twin): re-run the scenario",
            source=run,
        )
    return path


@st.cache_resource(show_spinner="Reading the site map…", max_entries=8)
def _site(path: str, stamp: int) -> Site:
    from twin.site.model import load_site

    return load_site(path)


def site(path: Path) -> Site:
    """The site map at ``path``, built once per file version and shared by all sessions."""
    if not path.is_file():
        raise SiteMapError("the run's site map is no longer there", source=path)
    return _site(str(path), _stamp(path))


@st.cache_data(show_spinner="Tracing where people walked…", max_entries=16)
def _flow(run: str, run_stamp: int, map_path: str, map_stamp: int, _site: Site) -> FlowGrid:
    from twin.figures.site_map import flow_cell_m, flow_grid

    pedestrians = _table(run, "pedestrians", ("origin", "destination"), run_stamp)
    return flow_grid(_site, pedestrians, cell_m=flow_cell_m(_site))


def flow(run: Path, map_path: Path, the_site: Site) -> FlowGrid:
    """The run's pedestrian flow over the site's squares (cached per run and map version)."""
    return _flow(str(run), _stamp(run / MANIFEST), str(map_path), _stamp(map_path), the_site)


@st.cache_data(show_spinner=False, max_entries=16)
def _threshold_curve(run: str, stamp: int, low: float, high: float, points: int) -> pd.DataFrame:
    from twin.analysis.run_frames import DECISION_COLUMNS, threshold_curve

    decisions = _table(run, "decisions", DECISION_COLUMNS, stamp)
    return threshold_curve(decisions, np.linspace(low, high, points))


def threshold_curve(run: Path, low: float, high: float, points: int = 121) -> pd.DataFrame:
    """The run's outcomes at ``points`` thresholds from ``low`` to ``high`` (cached per run)."""
    return _threshold_curve(str(run), _stamp(run / MANIFEST), low, high, points)


@st.cache_data(show_spinner=False, max_entries=16)
def _loadtest(path: str, root: str | None, stamp: int) -> LoadTest:
    return read_loadtest(path, root=root)


def loadtest(path: Path, *, root: Path | None = None) -> LoadTest:
    """A load-test directory through the strict reader (cached per version of its summary)."""
    return _loadtest(str(path), str(root) if root else None, _stamp(path / SUMMARY))


@st.cache_data(show_spinner=False, max_entries=16)
def _sweep(path: str, root: str | None, summary_stamp: int, table_stamp: int) -> SweepResults:
    return read_sweep(path, root=root)


def sweep(path: Path, *, root: Path | None = None) -> SweepResults:
    """A sweep directory through the strict reader (cached per version of its files)."""
    stamps = _stamp(path / SUMMARY), _stamp(path / SWEEP_TABLE)
    return _sweep(str(path), str(root) if root else None, *stamps)
