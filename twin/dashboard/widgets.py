"""Widgets shared by every page: the run picker, the run's label, charts with captions, and the guard
that turns a bad results directory into one clear message instead of a traceback.

Widget keys are stable names (``runs_folder``, ``run``) so tests and links can set them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st

from twin.dashboard import loading, text
from twin.dashboard.catalogue import Catalogue, scan
from twin.errors import TwinInputError

RUNS_FOLDER_KEY: Final = "runs_folder"
RUN_KEY: Final = "run"
HOW_TO_RUN: Final = (
    "python -m twin run scenarios/small_plaza.toml --out runs/plaza "
    "--set crowd.window_start=\"'07:00'\" --set crowd.window_end=\"'10:00'\""
)
#: Plotly's mode bar: keep zoom and the picture download, drop the rest.
PLOTLY_CONFIG: Final[dict[str, Any]] = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@dataclass(frozen=True)
class Run:
    """The run every page shows: its directory and manifest."""

    path: Path
    manifest: dict[str, Any]


@contextmanager
def guarded() -> Iterator[None]:
    """Show a bad input (results directory, scenario, site map) as one st.error line."""
    try:
        yield
    except TwinInputError as exc:
        st.error(f"**Cannot show this:** {exc.line()}", icon=":material/error:")
    except (OSError, pa.ArrowException) as exc:
        st.error(f"**Cannot read the results:** {exc}", icon=":material/error:")


def runs_folder() -> Path:
    """The results folder chosen in the sidebar."""
    value = st.session_state.get(RUNS_FOLDER_KEY) or loading.default_runs_folder()
    return Path(str(value)).expanduser()


def catalogue() -> Catalogue:
    """What the chosen results folder holds."""
    return scan(runs_folder())


def _run_label(folder: Catalogue, path: Path) -> str:
    name = folder.label(path)
    try:
        manifest = loading.manifest(path, root=folder.folder)
    except TwinInputError:
        return f"{name} (cannot be read)"
    return f"{name}: {text.run_label(manifest)}"


def sidebar() -> None:
    """The results folder and run picker, shown on every page."""
    with st.sidebar:
        st.text_input(
            "Results folder",
            value=loading.default_runs_folder(),
            key=RUNS_FOLDER_KEY,
            help="Where `twin run` wrote its results directories (one per run).",
        )
        found = catalogue()
        if not found.runs:
            return
        shown = {found.label(p): _run_label(found, p) for p in found.runs}
        st.selectbox(
            "Run",
            options=list(shown),
            key=RUN_KEY,
            format_func=shown.__getitem__,
            help="Every page shows this run.",
        )


def selected_run_path() -> Path | None:
    """The run chosen in the sidebar, or None when the folder holds none."""
    found = catalogue()
    if not found.runs:
        return None
    labels = {found.label(p): p for p in found.runs}
    chosen = st.session_state.get(RUN_KEY)
    return labels.get(str(chosen), found.runs[0])


def require_run() -> Run:
    """The chosen run; stops the page with a clear message when there is none or it is bad."""
    path = selected_run_path()
    if path is None:
        folder = runs_folder()
        what = "does not exist" if not folder.exists() else "holds no runs"
        st.info(
            f"The results folder `{folder}` {what}. Make a run first, for example:\n\n"
            f"```\n{HOW_TO_RUN}\n```\n\nor try a what-if on the *What if* page, "
            "or type another folder in the sidebar.",
            icon=":material/info:",
        )
        st.stop()
    manifest = loading.manifest(path, root=runs_folder())
    return Run(path=path, manifest=manifest)


def run_header(run: Run) -> None:
    """The run's scenario, seed and window: enough to reproduce any view."""
    manifest = run.manifest
    scenario = manifest.get("scenario", {})
    source = scenario.get("source")
    site = manifest.get("site", {})
    parts = [
        f"**Scenario:** {scenario.get('name', 'unnamed')}",
        f"**seed** {manifest.get('seed', '?')}",
        f"**window** {text.run_label(manifest).rsplit(' · ', 1)[-1]}",
    ]
    if site:
        parts.append(
            f"**site** {site.get('name', '?')} ({site.get('area_ha', 0):.1f} ha, "
            f"{site.get('cameras', '?')} cameras, {site.get('recognition_cameras', '?')} "
            "running recognition)"
        )
    st.caption(" · ".join(parts))
    sha = str(scenario.get("sha256", ""))[:12]
    st.caption(
        f"Results: `{run.path}` · scenario file `{Path(source).name if source else '?'}` · "
        f"scenario hash `{sha}` · everything is synthetic"
    )


def chart(figure: go.Figure, caption: str, *, key: str) -> None:
    """A plotly chart with its plain-words caption underneath."""
    st.plotly_chart(figure, key=key, theme=None, config=PLOTLY_CONFIG)
    st.caption(caption)
