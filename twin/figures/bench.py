"""Bench figures: the matcher under load (latency against throughput, with the knee) and sweeps
(a metric against a parameter, with its 95% confidence band).

Pure functions from plain frames (a load test's steps, a sweep's points: the strict readers in
`twin.loadtest.reader` and `twin.sweeps.reader` make them) to plotly figures, in the look and palette
of `twin.figures.charts`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from twin.figures.charts import log_y
from twin.figures.metrics import metric_axis
from twin.figures.palette import (
    BLACK,
    BLUE,
    GREY,
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    styled,
)


def latency_vs_throughput(
    steps: pd.DataFrame, *, knee_rate: float | None, slo_ms: float | None, log_scale: bool
) -> go.Figure:
    """Latency (p50, p99) against the throughput achieved at each offered rate; the knee marked."""
    figure = go.Figure()
    hover = "offered %{customdata:,.0f}/s<br>achieved %{x:,.0f}/s<br>%{y:,.1f} ms"
    for column, label, colour, dash in (
        ("p50_ms", "median (p50)", BLUE, "solid"),
        ("p99_ms", "99 in 100 within (p99)", VERMILLION, "dash"),
    ):
        if column in steps and steps[column].notna().any():
            figure.add_scatter(
                x=steps["achieved_rate"],
                y=steps[column],
                customdata=steps["offered_rate"],
                hovertemplate=hover,
                name=label,
                mode="lines+markers",
                line={"color": colour, "dash": dash, "width": 2.5},
            )
    # Lines as traces rather than shapes: annotations on a log axis would take log units.
    low, high = float(steps["achieved_rate"].min()), float(steps["achieved_rate"].max())
    if slo_ms is not None:
        figure.add_scatter(
            x=[low, high],
            y=[slo_ms, slo_ms],
            name=f"target: p99 under {slo_ms:,.0f} ms",
            mode="lines",
            line={"color": GREY, "dash": "dot"},
            hoverinfo="skip",
        )
    if knee_rate is not None:
        latencies = steps[[c for c in ("p50_ms", "p99_ms") if c in steps]].to_numpy(dtype=float)
        figure.add_scatter(
            x=[knee_rate, knee_rate],
            y=[float(np.nanmin(latencies)), float(np.nanmax(latencies))],
            name=f"knee: {knee_rate:,.0f} searches/s",
            mode="lines",
            line={"color": BLACK, "dash": "dash"},
            hoverinfo="skip",
        )
    styled(
        figure,
        x_title="throughput achieved (searches per second)",
        y_title="latency (ms)",
        height=380,
    )
    figure.update_layout(hovermode="closest")
    if log_scale:
        log_y(figure)
    return figure


def achieved_vs_offered(steps: pd.DataFrame) -> go.Figure:
    """Achieved against offered rate, with the line where they are equal and errors marked."""
    figure = go.Figure()
    top = float(np.nanmax(steps[["offered_rate", "achieved_rate"]].to_numpy(dtype=float)))
    figure.add_scatter(
        x=[0.0, top],
        y=[0.0, top],
        name="keeping up (achieved = offered)",
        mode="lines",
        line={"color": GREY, "dash": "dot"},
    )
    failed = steps["errors"].fillna(0) + steps["rejected"].fillna(0)
    figure.add_scatter(
        x=steps["offered_rate"],
        y=steps["achieved_rate"],
        customdata=failed,
        hovertemplate="offered %{x:,.0f}/s<br>achieved %{y:,.0f}/s<br>errors and rejections %{customdata:,.0f}",
        name="achieved",
        mode="lines+markers",
        line={"color": BLUE, "width": 2.5},
        marker={
            "size": np.where(failed > 0, 13, 8),
            "symbol": np.where(failed > 0, "x", "circle"),
            "color": np.where(failed > 0, VERMILLION, BLUE),
        },
    )
    styled(
        figure,
        x_title="offered rate (searches per second)",
        y_title="achieved rate (searches per second)",
        height=320,
    )
    figure.update_layout(hovermode="closest")
    return figure


def metric_vs_parameter(
    points: pd.DataFrame,
    *,
    parameter: str,
    metric: str,
    colour_by: str | None,
    log_x: bool,
) -> go.Figure:
    """A sweep: a metric's mean against one parameter, with its 95% confidence band.

    ``points`` has the parameter columns and ``metric``, ``mean``, ``ci_low``, ``ci_high``
    (`twin.sweeps.reader.SweepResults.points`). With ``colour_by``, one line per value of that parameter.
    """
    rows = points[points["metric"] == metric].copy()
    groups: list[tuple[str, pd.DataFrame]]
    if colour_by:
        groups = [(f"{colour_by} = {value}", part) for value, part in rows.groupby(colour_by)]
    else:
        groups = [(metric, rows)]
    figure = go.Figure()
    palette = (BLUE, ORANGE, SKY_BLUE, VERMILLION, REDDISH_PURPLE, BLACK, GREY)
    for index, (label, part) in enumerate(groups):
        part = part.sort_values(parameter)
        colour = palette[index % len(palette)]
        x = part[parameter].tolist()
        has_band = part["ci_low"].notna().any() and part["ci_high"].notna().any()
        if has_band:
            figure.add_scatter(
                x=x + x[::-1],
                y=part["ci_high"].tolist() + part["ci_low"].tolist()[::-1],
                fill="toself",
                fillcolor=colour,
                opacity=0.2,
                line={"width": 0},
                hoverinfo="skip",
                name=f"{label}: 95% confidence",
                showlegend=False,
            )
        figure.add_scatter(
            x=x,
            y=part["mean"],
            name=label,
            mode="lines+markers",
            line={"color": colour, "width": 2.5},
        )
    styled(
        figure,
        x_title=f"{parameter} (as set in the scenario)",
        y_title=metric_axis(metric),
        height=380,
    )
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(exponentformat="e" if rows["mean"].abs().max() < 1e-2 else "none")
    if log_x:
        figure.update_xaxes(type="log", dtick=1)
    return figure
