"""Throughput and latency: how many faces reach the matcher across the day, and how fast it answers."""

from __future__ import annotations

import streamlit as st

from twin.analysis import run_frames
from twin.dashboard import loading, text, widgets
from twin.figures import charts

BIN_KEY = "throughput_bin"
LOG_KEY = "throughput_log"


def render() -> None:
    """Draw the throughput-and-latency page."""
    st.title("Does the matcher keep up?")
    with widgets.guarded():
        run = widgets.require_run()
        widgets.run_header(run)
        manifest = run.manifest
        timeseries = loading.table(run.path, "timeseries", run_frames.TIMESERIES_COLUMNS)
        decisions = loading.table(run.path, "decisions", ("time_s", "latency_ms"))
        latency = manifest["latency_ms"]
        throughput = manifest.get("throughput", {})
        peak_start_s, peak_searches = run_frames.peak_minute(timeseries)

        bin_s = st.segmented_control(
            "Average over",
            options=list(run_frames.TIME_BINS_S),
            format_func=lambda s: run_frames.TIME_BINS_S[s],
            default=300 if len(timeseries) > 120 else 60,
            key=BIN_KEY,
        )
        bin_s = int(bin_s or 60)
        bin_label = run_frames.TIME_BINS_S[bin_s]
        log_scale = st.toggle("Latency on a log scale", value=False, key=LOG_KEY)

        busiest, peak_second, p50, p99 = st.columns(4)
        busiest.metric(
            "Busiest minute",
            f"{text.clock(peak_start_s)}",
            help="The minute with the most faces searched.",
            border=True,
        )
        busiest.caption(f"{peak_searches:,} faces searched in that minute")
        peak_second.metric(
            "Busiest second (faces)",
            f"{throughput.get('peak_captures_per_s', 0):,}",
            border=True,
        )
        p50.metric("Median latency (p50)", text.milliseconds(latency.get("p50")), border=True)
        p99.metric(
            "99 in 100 within (p99)",
            text.milliseconds(latency.get("p99")),
            help=text.RATE_EXPLANATIONS["p99"],
            border=True,
        )

        frame = run_frames.throughput_by_bin(timeseries, bin_s)
        widgets.chart(
            charts.throughput(frame, peak_start_s=peak_start_s, bin_label=bin_label),
            f"People passing any camera and faces sent to the matcher, per second, averaged over "
            f"{bin_label}. The orange band marks the busiest minute ({text.clock(peak_start_s)}).",
            key="throughput_rate",
        )
        widgets.chart(
            charts.queue_depth(frame),
            "Faces waiting for the matcher at the worst moment of each period (red) and the share of "
            "the time the matcher was busy (grey, right axis). A queue that keeps growing means the "
            "matcher cannot keep up.",
            key="throughput_queue",
        )
        start_s = float(manifest.get("window", {}).get("start_s", timeseries["start_s"].min()))
        by_bin = run_frames.latency_by_bin(decisions, start_s=start_s, bin_s=bin_s)
        widgets.chart(
            charts.latency_over_time(by_bin, log_scale=log_scale, peak_start_s=peak_start_s),
            f"Time from a face being captured to the matcher's decision, over {bin_label} periods: "
            "half of the searches took less than the blue line, 99 in 100 less than the red one. "
            "It includes waiting for a batch to fill and for the matcher to be free.",
            key="throughput_latency",
        )
        widgets.chart(
            charts.latency_histogram(
                decisions["latency_ms"],
                p50=latency.get("p50"),
                p99=latency.get("p99"),
                log_scale=log_scale,
            ),
            "How many searches took how long, capture to decision, over the whole run.",
            key="throughput_histogram",
        )
        matcher = manifest.get("matcher", {})
        st.caption(
            f"Matcher: FAISS `{matcher.get('backend', '?')}` index over "
            f"{matcher.get('gallery_size', 0):,} watchlist entries; batches of up to "
            f"{matcher.get('max_batch', '?')} faces, waiting at most {matcher.get('max_wait_ms', '?')} "
            f"ms to fill; service times measured on this machine "
            f"({matcher.get('kernel', {}).get('faiss_blas', 'BLAS')})."
        )


if __name__ == "__main__":
    render()
