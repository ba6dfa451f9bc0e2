"""Sweeps: a metric against a varied parameter, with its 95% confidence band over replications."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from twin.dashboard import loading, widgets
from twin.figures import bench
from twin.figures.metrics import metric_label

CHOICE_KEY = "sweep_dir"
METRIC_KEY = "sweep_metric"
PARAMETER_KEY = "sweep_parameter"
LOG_KEY = "sweep_log_x"
HOW_TO = "twin sweep scenarios/small_plaza.toml --vary watchlist.size=7,100,1000,10000 --replications 5 --out runs/sweep-watchlist"


def _upper_first(words: str) -> str:
    return words[:1].upper() + words[1:]


def render() -> None:
    """Draw the sweeps page."""
    st.title("Across a range, with its uncertainty")
    with widgets.guarded():
        found = widgets.catalogue()
        if not found.sweeps:
            st.info(
                f"No sweeps yet in `{found.folder}`: run `twin sweep ...`, for example\n\n"
                f"```\n{HOW_TO}\n```\n\nand its results directory appears here.",
                icon=":material/info:",
            )
            return
        labels = {found.label(p): p for p in found.sweeps}
        chosen = st.selectbox("Sweep", list(labels), key=CHOICE_KEY)
        sweep = loading.sweep(labels[str(chosen)], root=found.folder)
        if not sweep.parameters:
            st.error(
                f"Sweep `{sweep.path}` names no varied parameter, so there is nothing to plot."
            )
            return
        metric_col, parameter_col = st.columns(2)
        metric = metric_col.selectbox(
            "Metric", list(sweep.metrics), format_func=metric_label, key=METRIC_KEY
        )
        parameter = parameter_col.selectbox("Against", list(sweep.parameters), key=PARAMETER_KEY)
        others = [p for p in sweep.parameters if p != parameter]
        colour_by = others[0] if others else None
        numeric_x = pd.api.types.is_numeric_dtype(sweep.points[parameter])
        positive = numeric_x and bool((sweep.points[parameter] > 0).all())
        log_x = st.toggle(
            "Parameter on a log scale", value=positive, key=LOG_KEY, disabled=not positive
        )
        widgets.chart(
            bench.metric_vs_parameter(
                sweep.points,
                parameter=str(parameter),
                metric=str(metric),
                colour_by=colour_by,
                log_x=log_x and positive,
            ),
            f"{_upper_first(metric_label(str(metric)))} as {parameter} changes. The line is the mean "
            "over replications (the same scenario run with independent seeds); the shaded band is "
            "the 95% confidence interval: where the true mean most likely lies."
            + (f" One line per value of {colour_by}." if colour_by else ""),
            key="sweep_chart",
        )
        shown = sweep.points[sweep.points["metric"] == metric].drop(columns="metric")
        st.dataframe(shown, hide_index=True, key="sweep_points")
        st.caption(f"Read from its summary in `{sweep.path}`.")
        if sweep.failed:
            st.warning(f"{len(sweep.failed)} point(s) failed: {'; '.join(sweep.failed)}")


if __name__ == "__main__":
    render()
