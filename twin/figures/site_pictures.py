"""Pictures of a site for the command line: coverage, blind spots, plans and the camera graph.

Built on the dashboard's site drawing (`twin.figures.site_map`, plotly, no streamlit): the
ground, walkways, entrances and each camera's view coloured by the grade a face gets there. Written
as self-contained HTML (plotly.js inline, so it opens offline) and, when a Chromium is installed
(``bash .ci/install`` installs Debian's), as a PNG screenshot of that page taken headless.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from twin.errors import TwinInputError

if TYPE_CHECKING:
    import networkx as nx
    import plotly.graph_objects as go

    from twin.analysis.coverage import BlindSpot
    from twin.site.model import Site

#: Picture size, px.
WIDTH_PX: Final = 1400
HEIGHT_PX: Final = 1000
#: Browsers tried for PNGs, in order.
BROWSERS: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Longest a headless browser may take to draw a PNG, s.
_SCREENSHOT_TIMEOUT_S: Final = 120.0
_BLIND_COLOUR: Final = "#CC0000"
_PLAN_COLOUR: Final = "#009E73"


def coverage_figure(
    site: Site, *, blind: Sequence[BlindSpot] = (), title: str | None = None
) -> go.Figure:
    """The site with each view coloured by grade, and its blind spots marked."""
    from twin.figures.site_map import coverage_map, site_extent

    figure = coverage_map(site, colour_by="grade", names=len(site.cameras) <= 30)
    if blind:
        x0, y0, _, _ = site_extent(site)
        figure.add_scatter(
            x=[spot.x_m - x0 for spot in blind],
            y=[spot.y_m - y0 for spot in blind],
            mode="markers",
            marker={
                "symbol": "x",
                "color": _BLIND_COLOUR,
                "size": [min(24.0, 6.0 + spot.length_m / 5.0) for spot in blind],
            },
            name="blind spot (no camera at 'detect' grade)",
            hovertext=[
                f"{spot.walkway or 'walkway'}: {spot.length_m:.0f} m unseen"
                + (f", {spot.walkers:,.0f} walkers" if spot.walkers else "")
                for spot in blind
            ],
            hoverinfo="text",
        )
    return _sized(figure, title or f"{site.name}: camera coverage by grade")


def plan_figure(site: Site, planned: Site) -> go.Figure:
    """The planned cameras' views by grade over the site, with the current cameras marked."""
    from twin.figures.site_map import site_extent

    figure = coverage_figure(planned, title=f"{site.name}: planned cameras")
    x0, y0, _, _ = site_extent(planned)
    figure.add_scatter(
        x=[camera.x_m - x0 for camera in site.cameras],
        y=[camera.y_m - y0 for camera in site.cameras],
        mode="markers",
        marker={"symbol": "circle-open", "size": 7, "color": "#555"},
        name="current cameras",
        hovertext=[camera.camera_id for camera in site.cameras],
        hoverinfo="text",
    )
    for trace in figure.data:
        if getattr(trace, "name", "") == "camera running face recognition":
            trace.marker.color = _PLAN_COLOUR
            trace.name = "planned camera"
    return figure


def graph_figure(site: Site, graph: nx.DiGraph) -> go.Figure:
    """The site with its cameras and the camera graph's edges, each as wide as its share of the
    transitions, hover text giving walkers and the median transit time."""
    from twin.figures.site_map import coverage_map, site_extent

    figure = coverage_map(site, colour_by="recognition")
    x0, y0, _, _ = site_extent(site)
    edges = sorted(graph.edges(data=True), key=lambda edge: int(edge[2]["transitions"]))
    busiest = max((int(data["transitions"]) for _, _, data in edges), default=1)
    for a, b, data in edges:
        start, end = graph.nodes[a], graph.nodes[b]
        figure.add_scatter(
            x=[start["x_m"] - x0, end["x_m"] - x0],
            y=[start["y_m"] - y0, end["y_m"] - y0],
            mode="lines",
            line={"width": 0.5 + 6.0 * int(data["transitions"]) / busiest, "color": "#333"},
            opacity=0.6,
            hovertext=(
                f"{a} → {b}: {int(data['transitions']):,} walkers, median transit "
                f"{float(data['transit_p50_s']):.0f} s"
            ),
            hoverinfo="text",
            showlegend=False,
        )
    return _sized(figure, f"{site.name}: camera graph ({graph.number_of_edges()} links)")


def _sized(figure: go.Figure, title: str) -> go.Figure:
    figure.update_layout(
        width=WIDTH_PX,
        height=HEIGHT_PX,
        title={"text": title, "x": 0.01, "y": 0.99, "yanchor": "top"},
        margin={"t": 40},
    )
    return figure


def write_html(figure: go.Figure, path: Path, *, static: bool = False) -> None:
    """Write the figure as a self-contained HTML page (opens offline); ``static``: no toolbar."""
    config = {"displayModeBar": False, "staticPlot": True} if static else None
    try:
        figure.write_html(path, include_plotlyjs=True, full_html=True, config=config)
    except OSError as exc:
        raise TwinInputError(f"cannot write the picture: {exc.strerror}", source=path) from exc


def find_browser() -> str | None:
    """A headless-capable Chromium on this machine, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_png(figure: go.Figure, path: Path) -> None:
    """Draw the figure to a PNG with a headless Chromium (refused in one line without one)."""
    browser = find_browser()
    if browser is None:
        raise TwinInputError(
            "--png: no Chromium found to draw a PNG (bash .ci/install installs Debian's); "
            "use --html instead"
        )
    target = path.resolve()
    with tempfile.TemporaryDirectory(prefix="twin-picture-") as scratch:
        page = Path(scratch) / "picture.html"
        write_html(figure, page, static=True)
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={scratch}/profile",
            f"--window-size={WIDTH_PX},{HEIGHT_PX}",
            "--virtual-time-budget=15000",
            f"--screenshot={target}",
            page.as_uri(),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=_SCREENSHOT_TIMEOUT_S)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise TwinInputError(f"--png: Chromium could not draw the picture ({exc})") from exc
    if not target.is_file():
        raise TwinInputError("--png: Chromium wrote no picture", source=target)
