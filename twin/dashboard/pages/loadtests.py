"""Load tests: latency against throughput for the matcher under load, and where it falls over."""

from __future__ import annotations

import streamlit as st

from twin.dashboard import bench_figures, loading, widgets

CHOICE_KEY = "loadtest_dir"
LOG_KEY = "loadtest_log"
HOW_TO = "twin loadtest scenarios/kings_cross_weekday.toml --target inprocess --rates 100,200,400,800 --out runs/loadtest-peak"


def render() -> None:
    """Draw the load-test page."""
    st.title("How much can the matcher take?")
    with widgets.guarded():
        found = widgets.catalogue()
        if not found.loadtests:
            st.info(
                f"No load tests yet in `{found.folder}`: run `twin loadtest ...`, for example\n\n"
                f"```\n{HOW_TO}\n```\n\nand its results directory appears here.",
                icon=":material/info:",
            )
            return
        labels = {found.label(p): p for p in found.loadtests}
        chosen = st.selectbox("Load test", list(labels), key=CHOICE_KEY)
        test = loading.loadtest(labels[str(chosen)])
        details = " · ".join(f"**{k}** {v}" for k, v in test.details.items())
        if details:
            st.caption(details)
        steps = test.steps
        knee, best, failures = st.columns(3)
        knee.metric(
            "Knee (highest rate that meets the target)",
            f"{test.knee_rate:,.0f} /s" if test.knee_rate is not None else "none reached",
            border=True,
        )
        best.metric("Most achieved", f"{steps['achieved_rate'].max():,.0f} /s", border=True)
        failed = int(steps["errors"].fillna(0).sum() + steps["rejected"].fillna(0).sum())
        failures.metric("Errors and rejections", f"{failed:,}", border=True)
        log_scale = st.toggle("Latency on a log scale", value=False, key=LOG_KEY)
        widgets.chart(
            bench_figures.latency_vs_throughput(
                steps, knee_rate=test.knee_rate, slo_ms=test.slo_ms, log_scale=log_scale
            ),
            "Each point is one step of the test: faces offered at a steady rate for a while. As the "
            "rate rises, latency stays flat until the matcher saturates, then climbs steeply: the "
            "knee (dashed line) is the highest rate whose p99 stays under the target.",
            key="loadtest_curve",
        )
        widgets.chart(
            bench_figures.achieved_vs_offered(steps),
            "Whether the matcher kept up: on the dotted line it answered as fast as faces arrived; "
            "below it, faces piled up. Red crosses mark steps with errors or rejected requests.",
            key="loadtest_achieved",
        )
        st.dataframe(steps, hide_index=True, key="loadtest_steps")
        st.caption(
            "Latency is measured from when each request was meant to be sent (open loop), so a "
            "stalled matcher shows up in the figures instead of slowing the test down."
        )


if __name__ == "__main__":
    render()
