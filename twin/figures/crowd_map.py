"""The crowding map: each walkway coloured by Fruin's level of service in one minute of a run, and
where queues formed at bottlenecks (the run's ``walkway_density`` and ``bottleneck_queues`` tables,
docs/results.md; Fruin 1971 through Weidmann's diagram, docs/crowd.md)."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from twin.figures.palette import BLACK
from twin.figures.site_map import _boundary_and_entrances, _finish, _ground, site_extent
from twin.site.model import Site

#: Fruin's walkway levels of service, free (A) to jammed (F), and their colours (green to purple,
#: ordered light to dark so that they read in grey too).
LEVEL_COLOURS: Final[dict[str, str]] = {
    "A": "#b8e186",
    "B": "#f1e05a",
    "C": "#fdae61",
    "D": "#f46d43",
    "E": "#d73027",
    "F": "#5e1a6e",
}
DENSITY_COLUMNS: Final = (
    "node_a",
    "node_b",
    "minute_s",
    "density_ped_m2",
    "level_of_service",
    "name",
)
QUEUE_COLUMNS: Final = ("name", "x_m", "y_m", "minute_s", "max_queue", "mean_wait_s")


def crowding_map(
    site: Site,
    density: pd.DataFrame,
    queues: pd.DataFrame,
    *,
    minute_s: float,
    height: int = 780,
) -> go.Figure:
    """The site with each walkway that anyone walked in the minute starting ``minute_s`` coloured
    by its level of service, and circles where queues of more than one walker formed that minute
    (sized by the longest queue)."""
    x0, y0, _, _ = site_extent(site)
    figure = go.Figure()
    _ground(figure, site, x0, y0, legend=False)
    now = density[density["minute_s"] == minute_s]
    graph = site.walk_graph
    for level, colour in LEVEL_COLOURS.items():
        rows = now[now["level_of_service"].astype(str) == level]
        xs: list[float | None] = []
        ys: list[float | None] = []
        hover: list[str | None] = []
        for a, b, rho, name in zip(
            rows["node_a"], rows["node_b"], rows["density_ped_m2"], rows["name"], strict=True
        ):
            if not graph.has_edge(int(a), int(b)):
                continue
            coords = np.asarray(graph.edges[int(a), int(b)]["geometry"].coords)
            label = f"{name or 'walkway'}: {rho:.2f} people per m², level {level}"
            xs.extend([*(coords[:, 0] - x0).tolist(), None])
            ys.extend([*(coords[:, 1] - y0).tolist(), None])
            hover.extend([label] * len(coords) + [None])
        figure.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": colour, "width": 5},
            name=f"level {level}",
            hovertext=hover,
            hoverinfo="text",
            showlegend=True,
        )
    queued = queues[(queues["minute_s"] == minute_s) & (queues["max_queue"] > 1)]
    figure.add_scatter(
        x=(queued["x_m"] - x0).tolist(),
        y=(queued["y_m"] - y0).tolist(),
        mode="markers",
        marker={
            "size": (8 + 3 * np.sqrt(queued["max_queue"].to_numpy(dtype=float))).tolist(),
            "color": "rgba(0,0,0,0)",
            "line": {"color": BLACK, "width": 2},
        },
        name="queues",
        hovertext=[
            f"{n}: queue of {q} walkers, mean wait {w:.0f} s"
            for n, q, w in zip(
                queued["name"], queued["max_queue"], queued["mean_wait_s"], strict=True
            )
        ],
        hoverinfo="text",
    )
    _boundary_and_entrances(figure, site, x0, y0)
    return _finish(figure, height)
