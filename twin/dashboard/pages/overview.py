"""Overview: the chosen run in plain words, its headline figures and the shape of its day."""

from __future__ import annotations

import streamlit as st

from twin.analysis import run_frames
from twin.dashboard import loading, text, widgets
from twin.figures import charts


def render() -> None:
    """Draw the overview page."""
    st.title("What the cameras did")
    with widgets.guarded():
        run = widgets.require_run()
        widgets.run_header(run)
        manifest = run.manifest
        counts = manifest["counts"]
        outcomes = manifest["outcomes"]
        latency = manifest["latency_ms"]

        st.markdown(f"### {text.headline(manifest)}")
        st.markdown(text.latency_sentence(latency))

        people, faces, alerts, unseen = st.columns(4)
        people.metric("People on site", f"{counts['pedestrians']:,}", border=True)
        faces.metric(
            "Faces searched",
            f"{counts['searches']:,}",
            help="One search per person passing a camera that runs recognition, when the face is "
            "clear enough.",
            border=True,
        )
        alerts.metric(
            "Alerts: right / wrong",
            f"{counts['true_alerts']:,} / {counts['false_alerts']:,}",
            border=True,
        )
        unseen.metric(
            "Watchlisted people unseen",
            f"{counts.get('watchlisted_unseen', 0):,} of {counts.get('watchlisted_pedestrians', 0):,}",
            border=True,
        )
        fpir, fnir, precision, p99 = st.columns(4)
        fpir.metric(
            "Wrong-alert rate (FPIR)",
            text.one_in(outcomes.get("fpir"), missing="n/a"),
            help=text.RATE_EXPLANATIONS["fpir"],
            border=True,
        )
        fnir.metric(
            "Miss rate (FNIR)",
            text.percent(outcomes.get("fnir"), missing="n/a"),
            help=text.RATE_EXPLANATIONS["fnir"],
            border=True,
        )
        precision.metric(
            "Right alerts (precision)",
            text.percent(outcomes.get("precision"), missing="n/a"),
            help=text.RATE_EXPLANATIONS["precision"],
            border=True,
        )
        p99.metric(
            "Matcher p99 latency",
            text.milliseconds(latency.get("p99")),
            help=text.RATE_EXPLANATIONS["p99"],
            border=True,
        )

        timeseries = loading.table(
            run.path, "timeseries", ("start_s", "pedestrians_departed", "searches")
        )
        window = manifest["window"]
        period_s = run_frames.overview_period_s(window["start_s"], window["end_s"])
        period = "hour" if period_s == run_frames.SECONDS_PER_HOUR else "quarter hour"
        by_period = run_frames.people_by_period(
            timeseries,
            window_start_s=window["start_s"],
            window_end_s=window["end_s"],
            period_s=period_s,
        )
        widgets.chart(
            charts.people_by_period(by_period, period=period),
            f"How many people set off across the site each {period}, and how many of their faces the "
            "recognition cameras searched. Not every passer-by is searched: only those who pass a "
            "recognition camera close enough, facing it.",
            key="overview_by_hour",
        )
        st.caption(
            "FPIR, FNIR and precision follow NIST's definitions for one-to-many face "
            "identification. All people and faces are synthetic."
        )


if __name__ == "__main__":
    render()
