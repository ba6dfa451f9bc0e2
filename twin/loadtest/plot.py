"""The latency-versus-throughput plot a load test leaves in its results directory (plotly HTML).

One point per step at the throughput it achieved: p50, p99 and p99.9 latency (ms, log scale), the
p99 target as a dotted line, the knee as a dashed one; steps whose sender lagged (invalid) are drawn
hollow, and the replay, if any, as a star. Self-contained HTML (plotly.js inside), readable offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import plotly.graph_objects as go

# Okabe-Ito colours, as the dashboard uses (twin/figures/palette.py).
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"
GREY: Final = "#999999"
BLACK: Final = "#000000"
ORANGE: Final = "#E69F00"


def latency_throughput_figure(
    steps: Sequence[dict[str, Any]],
    *,
    knee_rate: float | None,
    slo_ms: float,
    replay: dict[str, Any] | None,
    title: str,
) -> go.Figure:
    """Latency percentiles against achieved throughput, one point per step."""
    figure = go.Figure()
    ordered = sorted(steps, key=lambda s: float(s["offered_rate"]))
    x = [s["achieved_rate"] for s in ordered]
    offered = [s["offered_rate"] for s in ordered]
    symbols = ["circle" if s["valid"] else "circle-open" for s in ordered]
    for key, label, colour in (
        ("p50_ms", "p50", BLUE),
        ("p99_ms", "p99", VERMILLION),
        ("p999_ms", "p99.9", REDDISH_PURPLE),
    ):
        figure.add_scatter(
            x=x,
            y=[s[key] for s in ordered],
            customdata=offered,
            mode="lines+markers",
            name=label,
            line={"color": colour},
            marker={"symbol": symbols, "size": 9},
            hovertemplate=(
                f"{label} %{{y:,.1f}} ms<br>achieved %{{x:,.0f}}/s<br>offered %{{customdata:,.0f}}/s"
                "<extra></extra>"
            ),
        )
    top = max([*x, *(offered or [0.0]), 1.0])
    figure.add_scatter(
        x=[0.0, top],
        y=[slo_ms, slo_ms],
        mode="lines",
        name=f"target: p99 under {slo_ms:g} ms",
        line={"color": GREY, "dash": "dot"},
        hoverinfo="skip",
    )
    if knee_rate is not None:
        figure.add_vline(
            x=knee_rate,
            line={"color": BLACK, "dash": "dash"},
            annotation_text=f"knee {knee_rate:,.0f}/s",
        )
    if replay is not None and replay.get("p99_ms") is not None:
        figure.add_scatter(
            x=[replay["achieved_rate"]],
            y=[replay["p99_ms"]],
            mode="markers",
            name="replay p99",
            marker={"symbol": "star", "size": 14, "color": ORANGE},
        )
    if any(not s["valid"] for s in ordered):
        figure.add_annotation(
            text="hollow: invalid (the sender lagged its schedule)",
            xref="paper",
            yref="paper",
            x=0.0,
            y=1.08,
            showarrow=False,
        )
    figure.update_layout(
        title=title,
        xaxis_title="throughput achieved (requests per second)",
        yaxis_title="latency from intended send (ms)",
        yaxis_type="log",
        template="plotly_white",
        hovermode="closest",
    )
    return figure
