"""Figures of how sure the twin is: the tornado chart of an uncertainty report, and the validation
chart of published against predicted figures.

Pure functions from the JSON documents `twin uncertainty` and `twin validate` write
(twin/sweeps/uncertainty.py, twin/sweeps/validation.py) to plotly figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from twin.figures.palette import BLUE, GREY, ORANGE, VERMILLION, styled


def tornado(report: Mapping[str, Any], output: str, *, top: int = 10) -> go.Figure:
    """Each assumption's swing of ``output``: its median over the samples in the lowest third of the
    assumption's range (one bar) and in the highest third (the other), around the overall median;
    the assumptions that move it most on top."""
    entry = report["outputs"][output]
    figure = go.Figure()
    if "sensitivity" not in entry:
        figure.add_annotation(
            text=f"{entry['meaning']}: {entry.get('absent', 'no data')}", showarrow=False
        )
        return styled(figure, x_title=entry["meaning"], y_title="assumption", legend=False)
    rows = [
        r
        for r in entry["sensitivity"][:top]
        if r["median_low_third"] is not None and r["median_high_third"] is not None
    ][::-1]
    centre = entry["median"]
    names = [f"{r['assumption']} (rho {r['spearman']:+.2f})" for r in rows]
    figure.add_bar(
        y=names,
        x=[r["median_low_third"] - centre for r in rows],
        base=centre,
        orientation="h",
        name="assumption in its lowest third",
        marker_color=BLUE,
    )
    figure.add_bar(
        y=names,
        x=[r["median_high_third"] - centre for r in rows],
        base=centre,
        orientation="h",
        name="assumption in its highest third",
        marker_color=ORANGE,
    )
    figure.add_vline(x=centre, line_color=GREY, line_dash="dot")
    figure.update_layout(barmode="overlay")
    return styled(
        figure,
        x_title=f"{entry['meaning']} (median over samples)",
        y_title="assumption (Spearman rank correlation)",
        height=max(300, 40 * len(rows) + 120),
    )


def validation_chart(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Published figure against the twin's prediction and its 95% interval, one line per row, on a
    log scale (counts and rates alike are ratios to the published figure)."""
    figure = go.Figure()
    labels = [
        f"{'fitted: ' if r['fitted'] else ''}{r.get('name', r['source'])[:60]} ({r['quantity']})"
        for r in rows
    ]
    ratio = [r["predicted"] / r["published"] if r["published"] else None for r in rows]
    low = [r["low"] / r["published"] if r["published"] else None for r in rows]
    high = [r["high"] / r["published"] if r["published"] else None for r in rows]
    figure.add_scatter(
        y=labels,
        x=ratio,
        mode="markers",
        name="predicted / published (95% interval)",
        marker={"color": [VERMILLION if not r["within"] else BLUE for r in rows], "size": 10},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": [
                h - m if h is not None and m is not None else 0
                for h, m in zip(high, ratio, strict=True)
            ],
            "arrayminus": [
                m - lo if lo is not None and m is not None else 0
                for lo, m in zip(low, ratio, strict=True)
            ],
        },
    )
    figure.add_vline(x=1.0, line_color=GREY, line_dash="dot")
    figure.update_xaxes(type="log")
    return styled(
        figure,
        x_title="predicted / published (1 = exact; log scale)",
        y_title="published figure set",
        height=max(300, 40 * len(rows) + 120),
        legend=False,
    )
