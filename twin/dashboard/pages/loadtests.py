"""Load tests: latency against throughput for the matcher under load, and where it falls over."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from twin.dashboard import loading, widgets
from twin.figures import bench
from twin.loadtest.reader import LoadTest

CHOICE_KEY = "loadtest_dir"
LOG_KEY = "loadtest_log"
HOW_TO = "twin loadtest scenarios/kings_cross_weekday.toml --target inprocess --rates 100,200,400,800 --out runs/loadtest-peak"
#: The replay's latency rows: label and the comparison's key (docs/loadtest.md).
REPLAY_ROWS = (
    ("Simulated, at the site's real-time load", "simulated_at_1x_ms"),
    ("Simulated, at the replayed load", "simulated_ms"),
    ("Simulated, batching as the service does", "simulated_as_service_ms"),
    ("Real service, at the replayed load", "real_ms"),
)
PERCENTILES = (("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p99.9", "p999"), ("max", "max"))


def _warnings(test: LoadTest) -> None:
    if test.interrupted or test.stopped_reason:
        st.warning(
            f"This load test stopped early ({test.stopped_reason or 'interrupted'}): what it "
            "measured up to then is shown.",
            icon=":material/warning:",
        )
    invalid = test.invalid_steps
    if not invalid.empty:
        rates = ", ".join(f"{r:,.0f}/s" for r in invalid["offered_rate"])
        st.warning(
            f"Invalid steps ({rates}): the load tester fell behind its own schedule (its lag "
            "over 1 ms at p99), so their latencies may flatter the matcher. They do not count "
            "towards the knee.",
            icon=":material/warning:",
        )
    if test.knee_limited_by_sender:
        st.info(
            "The step just above the knee is invalid: the matcher may manage more than the knee "
            "shown, but the load tester could not tell.",
            icon=":material/info:",
        )


def _replay(replay: dict[str, Any]) -> None:
    st.subheader("The site's own traffic, replayed")
    st.caption(
        f"Window {replay.get('window', '?')} at {replay.get('speed', '?')}x, cameras sending "
        f"{str(replay.get('edge_batching', '?')).replace('_', ' ')}: "
        f"{replay.get('requests', 0):,} requests, {replay.get('probes', 0):,} faces; "
        f"{replay.get('errors', 0):,} errors, {replay.get('rejected', 0):,} rejected, "
        f"{replay.get('wrong_answers', 0):,} wrong answers."
    )
    comparison = replay.get("comparison")
    if not isinstance(comparison, dict):
        return
    rows = []
    for label, key in REPLAY_ROWS:
        figures = comparison.get(key)
        if isinstance(figures, dict):
            rows.append({"": label, **{name: figures.get(k) for name, k in PERCENTILES}})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="loadtest_replay")
        st.caption("Latency per face in ms, from when its request left the camera.")
    for line in comparison.get("explanation", []):
        st.markdown(f"- {line}")


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
        test = loading.loadtest(labels[str(chosen)], root=found.folder)
        details = " · ".join(f"**{k}** {v}" for k, v in test.details.items())
        if details:
            st.caption(details)
        _warnings(test)
        steps = test.steps
        if steps.empty:
            if test.replay is not None:
                _replay(test.replay)
            return
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
            bench.latency_vs_throughput(
                steps, knee_rate=test.knee_rate, slo_ms=test.slo_ms, log_scale=log_scale
            ),
            "Each point is one step of the test: faces offered at a steady rate for a while. As the "
            "rate rises, latency stays flat until the matcher saturates, then climbs steeply: the "
            "knee (dashed line) is the highest rate whose p99 stays under the target.",
            key="loadtest_curve",
        )
        widgets.chart(
            bench.achieved_vs_offered(steps),
            "Whether the matcher kept up: on the dotted line it answered as fast as faces arrived; "
            "below it, faces piled up. Red crosses mark steps with errors or rejected requests.",
            key="loadtest_achieved",
        )
        st.dataframe(steps, hide_index=True, key="loadtest_steps")
        st.caption(
            "Latency is measured from when each request was meant to be sent (open loop), so a "
            "stalled matcher shows up in the figures instead of slowing the test down."
        )
        if test.replay is not None:
            _replay(test.replay)


if __name__ == "__main__":
    render()
