"""Figures: plotly charts of a run's throughput, latency and outcomes, and of a what-if beside its
baseline (load tests and sweeps: `twin.figures.bench`).

Pure functions from the small frames in `twin.analysis.run_frames` to `plotly.graph_objects.Figure`;
nothing here knows about streamlit, so each chart is tested on its own. Every axis names its unit;
times of day are drawn on a clock axis; colours come from `twin.figures.palette`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from twin.analysis.run_frames import NOTABLE_OUTCOMES
from twin.figures.palette import (
    BLACK,
    BLUE,
    GREY,
    ORANGE,
    OUTCOME_COLOURS,
    OUTCOME_LABELS,
    SKY_BLUE,
    VERMILLION,
    styled,
)
from twin.recognition.outcome_names import FALSE_ALERT, MISSED, TRUE_ALERT

# Clock axes: seconds after midnight drawn as times on an arbitrary day.
_DAY: Final = pd.Timestamp("2000-01-01")
CLOCK_AXIS: Final = "time of day (HH:MM)"
SPLIT_AXIS: Final[dict[str, str]] = {
    "hour": "hour of the day (HH:00)",
    "camera": "camera (id)",
    "group": "group of people (name)",
}


def as_clock(seconds_after_midnight: pd.Series | Sequence[float] | float) -> Any:
    """Seconds after midnight as timestamps on one day, for a clock axis."""
    if isinstance(seconds_after_midnight, int | float):
        return _DAY + pd.to_timedelta(seconds_after_midnight, unit="s")
    return _DAY + pd.to_timedelta(np.asarray(seconds_after_midnight, dtype=float), unit="s")


#: Ticks of a log axis of milliseconds: 1-2-5 steps.
LOG_TICKS_MS: Final = [m * 10.0**k for k in range(-1, 6) for m in (1, 2, 5)]


def log_y(figure: go.Figure) -> None:
    """A log y axis of milliseconds with 1-2-5 ticks."""
    figure.update_yaxes(type="log", tickvals=LOG_TICKS_MS, tickformat=",~g")


def _clock_axis(figure: go.Figure) -> None:
    figure.update_xaxes(tickformat="%H:%M", hoverformat="%H:%M")


def _mark_peak(figure: go.Figure, peak_start_s: float | None, label: str) -> None:
    if peak_start_s is None:
        return
    start, end = as_clock(peak_start_s), as_clock(peak_start_s + 60.0)
    figure.add_vrect(x0=start, x1=end, fillcolor=ORANGE, opacity=0.35, line_width=0)
    figure.add_annotation(
        x=end,
        y=0.98,
        yref="paper",
        text=label,
        showarrow=False,
        xanchor="left",
        yanchor="top",
        bgcolor="rgba(255,255,255,0.8)",
        font={"color": BLACK, "size": 12},
    )


def people_by_period(frame: pd.DataFrame, *, period: str) -> go.Figure:
    """Bars: people setting off and faces searched, per period (analysis.people_by_period)."""
    figure = go.Figure()
    figure.add_bar(
        x=frame["label"], y=frame["people"], name="people setting off", marker_color=SKY_BLUE
    )
    figure.add_bar(x=frame["label"], y=frame["searches"], name="faces searched", marker_color=BLUE)
    figure.update_layout(barmode="group", bargap=0.25, hovermode="closest")
    styled(
        figure,
        x_title="time of day (from–to, HH:MM)",
        y_title=f"people, faces (count per {period})",
        height=300,
    )
    figure.update_xaxes(type="category")
    return figure


def throughput(frame: pd.DataFrame, *, peak_start_s: float | None, bin_label: str) -> go.Figure:
    """Faces searched and camera passes per second, averaged per bin, the peak minute marked."""
    figure = go.Figure()
    x = as_clock(frame["start_s"])
    figure.add_scatter(
        x=x,
        y=frame["passes_per_s"],
        name="people passing a camera",
        mode="lines",
        line={"color": SKY_BLUE, "shape": "hv", "width": 1.5},
    )
    figure.add_scatter(
        x=x,
        y=frame["searches_per_s"],
        name="faces searched",
        mode="lines",
        line={"color": BLUE, "shape": "hv", "width": 2.5},
    )
    styled(
        figure,
        x_title=CLOCK_AXIS,
        y_title=f"per second (average over {bin_label})",
    )
    _clock_axis(figure)
    _mark_peak(figure, peak_start_s, "busiest minute")
    return figure


def queue_depth(frame: pd.DataFrame) -> go.Figure:
    """Faces waiting for the matcher (the worst moment per bin) and how busy the matcher was."""
    figure = go.Figure()
    x = as_clock(frame["start_s"])
    figure.add_scatter(
        x=x,
        y=frame["queue_depth_max"],
        name="faces waiting (most at once)",
        mode="lines",
        line={"color": VERMILLION, "shape": "hv", "width": 2},
    )
    figure.add_scatter(
        x=x,
        y=frame["busy_percent"],
        name="matcher busy (% of the time)",
        mode="lines",
        yaxis="y2",
        line={"color": GREY, "shape": "hv", "dash": "dot"},
    )
    styled(figure, x_title=CLOCK_AXIS, y_title="faces waiting (count)", height=300)
    figure.update_layout(
        yaxis2={
            "title": {"text": "matcher busy (%)"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        }
    )
    figure.update_yaxes(rangemode="tozero")
    _clock_axis(figure)
    return figure


def latency_over_time(
    frame: pd.DataFrame, *, log_scale: bool, peak_start_s: float | None
) -> go.Figure:
    """Capture-to-decision latency: median and 99th percentile per bin (analysis.latency_by_bin)."""
    figure = go.Figure()
    x = as_clock(frame["start_s"])
    figure.add_scatter(
        x=x, y=frame["p50_ms"], name="median (p50)", mode="lines", line={"color": BLUE}
    )
    figure.add_scatter(
        x=x,
        y=frame["p99_ms"],
        name="99 in 100 within (p99)",
        mode="lines",
        line={"color": VERMILLION},
    )
    styled(figure, x_title=CLOCK_AXIS, y_title="latency, capture to decision (ms)", height=320)
    if log_scale:
        log_y(figure)
    _clock_axis(figure)
    _mark_peak(figure, peak_start_s, "busiest minute")
    return figure


def latency_histogram(
    latency_ms: pd.Series, *, p50: float | None, p99: float | None, log_scale: bool
) -> go.Figure:
    """How many searches took how long, with the median and p99 marked."""
    figure = go.Figure()
    values = latency_ms.to_numpy(dtype=float)
    figure.add_histogram(x=values, nbinsx=60, marker_color=BLUE, name="searches", opacity=0.85)
    for value, label, colour in ((p50, "p50", BLACK), (p99, "p99", VERMILLION)):
        if value is not None:
            figure.add_vline(
                x=value,
                line={"color": colour, "dash": "dash"},
                annotation_text=f"{label} {value:,.0f} ms",
                annotation_position="top right",
            )
    styled(
        figure,
        x_title="latency, capture to decision (ms)",
        y_title="searches (count)",
        height=300,
        legend=False,
    )
    figure.update_layout(hovermode="closest")
    if log_scale:
        figure.update_yaxes(type="log", dtick=1)
    return figure


def outcomes_by(table: pd.DataFrame, split: str) -> go.Figure:
    """Stacked bars of right alerts, wrong alerts and misses per category (analysis.outcomes_by)."""
    figure = go.Figure()
    categories = [str(c) for c in table.index]
    for outcome in NOTABLE_OUTCOMES:
        figure.add_bar(
            x=categories,
            y=table[outcome],
            name=OUTCOME_LABELS[outcome],
            marker_color=OUTCOME_COLOURS[outcome],
        )
    figure.update_layout(barmode="stack")
    styled(figure, x_title=SPLIT_AXIS[split], y_title="searches (count)", height=320)
    figure.update_yaxes(rangemode="tozero")
    figure.update_xaxes(type="category")
    figure.update_layout(hovermode="closest")
    return figure


def threshold_tradeoff(curve: pd.DataFrame, *, chosen: float, recorded: float) -> go.Figure:
    """Wrong alerts and misses as the threshold moves (analysis.threshold_curve)."""
    figure = go.Figure()
    figure.add_scatter(
        x=curve["threshold"],
        y=curve["false_alerts"],
        name=OUTCOME_LABELS[FALSE_ALERT],
        mode="lines",
        line={"color": OUTCOME_COLOURS[FALSE_ALERT], "width": 2.5},
    )
    figure.add_scatter(
        x=curve["threshold"],
        y=curve["missed"],
        name=OUTCOME_LABELS[MISSED],
        mode="lines",
        line={"color": OUTCOME_COLOURS[MISSED], "width": 2.5, "dash": "dash"},
    )
    figure.add_scatter(
        x=curve["threshold"],
        y=curve["true_alerts"],
        name=OUTCOME_LABELS[TRUE_ALERT],
        mode="lines",
        line={"color": OUTCOME_COLOURS[TRUE_ALERT], "width": 1.5, "dash": "dot"},
    )
    for x, label, colour, dash, side in (
        (recorded, "the run's threshold", GREY, "dot", "left"),
        (chosen, "chosen", BLACK, "solid", "right"),
    ):
        figure.add_vline(x=x, line={"color": colour, "dash": dash})
        figure.add_annotation(
            x=x,
            y=1.0 if side == "right" else 0.0,
            xref="x",
            yref="paper",
            text=label,
            showarrow=False,
            xanchor="right" if side == "left" else "left",
            yanchor="top" if side == "right" else "bottom",
            bgcolor="rgba(255,255,255,0.8)",
        )
    styled(
        figure,
        x_title="decision threshold (cosine similarity, −1 to 1)",
        y_title="searches (count, log scale)",
        height=360,
    )
    figure.update_yaxes(type="log", dtick=1)
    return figure


def precision_base_rate(
    curve: pd.DataFrame, *, run_base_rate: float | None, run_precision: float | None
) -> go.Figure:
    """Expected precision against the share of watchlisted faces (analysis.precision_by_base_rate)."""
    figure = go.Figure()
    figure.add_scatter(
        x=curve["base_rate"],
        y=curve["precision"] * 100.0,
        name="expected share of alerts that are right",
        mode="lines",
        line={"color": BLUE, "width": 2.5},
    )
    if run_base_rate is not None and run_base_rate > 0 and run_precision is not None:
        figure.add_scatter(
            x=[run_base_rate],
            y=[run_precision * 100.0],
            name="this run",
            mode="markers",
            marker={"color": VERMILLION, "size": 12, "symbol": "diamond"},
        )
    styled(
        figure,
        x_title="base rate: share of searched faces that are on the watchlist (log scale)",
        y_title="precision: alerts that are right (%)",
        height=320,
    )
    decades = [10.0**k for k in range(-7, 0)]
    figure.update_xaxes(
        type="log",
        tickvals=decades,
        ticktext=[ONE_IN[k] for k in range(-7, 0)],
    )
    figure.update_yaxes(range=[0, 105])
    figure.update_layout(hovermode="closest")
    return figure


#: Decades as a reader says them.
ONE_IN: Final[dict[int, str]] = {
    -7: "1 in 10 million",
    -6: "1 in a million",
    -5: "1 in 100,000",
    -4: "1 in 10,000",
    -3: "1 in 1,000",
    -2: "1 in 100",
    -1: "1 in 10",
}


# --- what-if --------------------------------------------------------------------------------------

#: Figures compared side by side on the what-if page: label -> path in the manifest.
COMPARED: Final[dict[str, tuple[str, ...]]] = {
    "people": ("counts", "pedestrians"),
    "faces searched": ("counts", "searches"),
    "right alerts": ("counts", "true_alerts"),
    "wrong alerts": ("counts", "false_alerts"),
    "watchlisted faces missed": ("counts", "missed"),
    "watchlisted people unseen": ("counts", "watchlisted_unseen"),
    "latency p50 (ms)": ("latency_ms", "p50"),
    "latency p99 (ms)": ("latency_ms", "p99"),
    "busiest second (faces/s)": ("throughput", "peak_captures_per_s"),
}


def figure_of(manifest: Mapping[str, Any], path: Sequence[str]) -> float | None:
    """A number from a manifest by its path, or None when absent."""
    node: Any = manifest
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def comparison_table(baseline: Mapping[str, Any], variant: Mapping[str, Any]) -> pd.DataFrame:
    """One row per compared figure: baseline, what-if, and the change."""
    rows = []
    for label, path in COMPARED.items():
        before, after = figure_of(baseline, path), figure_of(variant, path)
        change = after - before if before is not None and after is not None else None
        rows.append({"figure": label, "baseline": before, "what-if": after, "change": change})
    return pd.DataFrame(rows)


def outcome_comparison(baseline: Mapping[str, Any], variant: Mapping[str, Any]) -> go.Figure:
    """Grouped bars: right alerts, wrong alerts and misses, baseline beside what-if."""
    figure = go.Figure()
    labels = [OUTCOME_LABELS[TRUE_ALERT], OUTCOME_LABELS[FALSE_ALERT], OUTCOME_LABELS[MISSED]]
    keys = ("true_alerts", "false_alerts", "missed")
    for name, manifest, colour, pattern in (
        ("baseline", baseline, GREY, ""),
        ("what-if", variant, BLUE, "/"),
    ):
        figure.add_bar(
            x=labels,
            y=[figure_of(manifest, ("counts", key)) or 0 for key in keys],
            name=name,
            marker={"color": colour, "pattern": {"shape": pattern}},
        )
    figure.update_layout(barmode="group", hovermode="closest")
    styled(figure, x_title="outcome (kind of decision)", y_title="searches (count)", height=320)
    figure.update_yaxes(rangemode="tozero")
    return figure


def searches_comparison(
    baseline: pd.DataFrame, variant: pd.DataFrame, *, bin_label: str
) -> go.Figure:
    """Faces searched per second over the window, baseline beside what-if (throughput_by_bin frames)."""
    figure = go.Figure()
    for name, frame, colour, dash in (
        ("baseline", baseline, GREY, "dot"),
        ("what-if", variant, BLUE, "solid"),
    ):
        figure.add_scatter(
            x=as_clock(frame["start_s"]),
            y=frame["searches_per_s"],
            name=name,
            mode="lines",
            line={"color": colour, "dash": dash, "shape": "hv", "width": 2.5},
        )
    styled(figure, x_title=CLOCK_AXIS, y_title="faces searched (per second)")
    _clock_axis(figure)
    return figure
