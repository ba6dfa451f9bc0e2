"""Match outcomes: right and wrong alerts and misses, by hour, camera and group, and what another
threshold would have done (re-judged from the run's recorded scores, without re-running)."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from twin.analysis import run_frames
from twin.dashboard import loading, text, widgets
from twin.figures import charts
from twin.results.people_tables import flagged_in_words

THRESHOLD_KEY = "threshold"
SPLIT_KEY = "outcomes_split"
SPLIT_LABELS = {"hour": "hour of the day", "camera": "camera", "group": "group of people"}


def _delta(now: int, before: int) -> int | None:
    return now - before if now != before else None


def render() -> None:
    """Draw the match-outcomes page."""
    st.title("Were the alerts right?")
    with widgets.guarded():
        run = widgets.require_run()
        widgets.run_header(run)
        manifest = run.manifest
        decisions = loading.table(run.path, "decisions", run_frames.DECISION_COLUMNS)
        pedestrians = loading.table(run.path, "pedestrians", ("pedestrian", "subject"))
        recorded = float(manifest["outcomes"]["threshold_cosine"])
        low, high = run_frames.threshold_range(decisions, recorded)

        threshold = st.slider(
            "Decision threshold (cosine similarity): an alert is raised when a face is at least "
            "this similar to a watchlist entry",
            min_value=low,
            max_value=high,
            value=round(recorded, 3),
            step=0.001,
            format="%.3f",
            key=THRESHOLD_KEY,
            help="Raising it means fewer wrong alerts but more missed watchlisted faces.",
        )
        at_recorded = abs(threshold - round(recorded, 3)) < 5e-4
        if at_recorded:  # the slider's rounding must not move the run's own decisions
            threshold = recorded
        outcomes = run_frames.rejudge(decisions, threshold)
        now = run_frames.outcome_summary(decisions, threshold)
        before = run_frames.outcome_summary(decisions, recorded)
        watchlisted, unseen = run_frames.unseen_watchlisted(decisions, pedestrians, outcomes)
        lead = (
            f"At the run's threshold **{recorded:.3f}**: "
            if at_recorded
            else f"At threshold **{threshold:.3f}** instead of the run's {recorded:.3f}: "
        )
        st.markdown(
            lead
            + text.alerts_sentence(
                int(now["alerts"] or 0), int(now["true_alerts"] or 0), int(now["false_alerts"] or 0)
            )
            + " "
            + text.unseen_sentence(watchlisted, unseen)
        )
        right, wrong, missed, precision = st.columns(4)
        right.metric(
            "Right alerts",
            f"{now['true_alerts']:,}",
            delta=_delta(int(now["true_alerts"] or 0), int(before["true_alerts"] or 0)),
            border=True,
        )
        wrong.metric(
            "Wrong alerts",
            f"{now['false_alerts']:,}",
            delta=_delta(int(now["false_alerts"] or 0), int(before["false_alerts"] or 0)),
            delta_color="inverse",
            border=True,
        )
        missed.metric(
            "Watchlisted faces missed",
            f"{now['missed']:,}",
            delta=_delta(int(now["missed"] or 0), int(before["missed"] or 0)),
            delta_color="inverse",
            border=True,
        )
        precision.metric(
            "Alerts that were right",
            text.percent(now["precision"], missing="n/a"),
            help=text.RATE_EXPLANATIONS["precision"],
            border=True,
        )

        _people_section(manifest)

        split = st.segmented_control(
            "Split by",
            options=list(run_frames.SPLITS),
            format_func=lambda s: SPLIT_LABELS[s],
            default="hour",
            key=SPLIT_KEY,
        )
        split = str(split or "hour")
        widgets.chart(
            charts.outcomes_by(run_frames.outcomes_by(decisions, outcomes, split), split),
            f"Right alerts, wrong alerts and missed watchlisted faces by {SPLIT_LABELS[split]}, at "
            f"threshold {threshold:.3f}. Faces of people not on the watchlist that correctly raised "
            "no alert are left out (they are nearly all of them).",
            key="outcomes_by",
        )

        curve = loading.threshold_curve(run.path, low, high)
        widgets.chart(
            charts.threshold_tradeoff(curve, chosen=threshold, recorded=recorded),
            "How wrong alerts (red) and missed watchlisted faces (purple) trade off as the threshold "
            "moves, for the faces searched in this run. Left: more alerts, more of them wrong. "
            "Right: fewer wrong alerts, more people on the watchlist walk past unnoticed.",
            key="outcomes_tradeoff",
        )

        _base_rate_chart(manifest, now)
        st.caption(
            "Re-judged from the scores the matcher recorded for every search: nothing was re-run. "
            "A wrong alert is a face matched to someone it is not; a miss is a watchlisted face that "
            "did not reach its own entry above the threshold (NIST FRTE definitions)."
        )


def _people_section(manifest: dict[str, Any]) -> None:
    """Who bore the wrong alerts, at the run's threshold: people flagged, and how often the same one."""
    sentence = flagged_in_words(manifest)
    if not sentence:
        return
    figures = manifest["outcomes"]["per_person"]
    st.markdown(f"**At the run's threshold, counted per person:** {sentence}")
    flagged, most, top, visit = st.columns(4)
    flagged.metric(
        "Innocent people wrongly flagged",
        f"{manifest['counts']['innocent_people_flagged']:,}",
        border=True,
    )
    most.metric("Most wrong alerts on one person", f"{figures['max_per_flagged']:,}", border=True)
    top.metric(
        "Wrong alerts on the most-flagged 1%",
        text.percent(figures["top_1pct_share"], missing="n/a"),
        help="Of the people wrongly flagged, the most-flagged 1% (at least one person): the share "
        "of all wrong alerts that fell on them.",
        border=True,
    )
    visit.metric(
        "Chance a visit is wrongly flagged",
        text.one_in(figures["chance_innocent_visit_alerted"]),
        help="Of the trips through the site by people not on the watchlist, the share during which "
        "at least one camera raised a wrong alert on them.",
        border=True,
    )


def _base_rate_chart(manifest: dict[str, object], now: dict[str, float | int | None]) -> None:
    """Precision against the share of watchlisted faces, from this run's TPIR and FPIR."""
    searches = int(now["searches"] or 0)
    mated = int(now["mated_searches"] or 0)
    fpir = now["fpir"]
    fnir = now["fnir"]
    outcomes = manifest.get("outcomes", {})
    matcher = manifest.get("matcher", {})
    assumed = ""
    if not fpir:  # no wrong alert seen: use the rate the algorithm's FMR implies for this watchlist
        fmr = outcomes.get("fmr_per_comparison") if isinstance(outcomes, dict) else None
        size = matcher.get("gallery_size") if isinstance(matcher, dict) else None
        if isinstance(fmr, float) and isinstance(size, int):
            fpir = run_frames.expected_fpir(fmr, size)
            assumed = (
                f" No wrong alert was seen in this run, so the curve uses the wrong-alert rate the "
                f"algorithm's published accuracy implies for this watchlist ({text.one_in(fpir)})."
            )
    if fnir is None or not fpir:
        st.caption("Precision against the base rate needs watchlisted faces in the run.")
        return
    base_rate = mated / searches if searches else None
    curve = run_frames.precision_by_base_rate(
        tpir=1.0 - float(fnir), fpir=float(fpir), base_rates=np.logspace(-7, -1, 121)
    )
    widgets.chart(
        charts.precision_base_rate(curve, run_base_rate=base_rate, run_precision=now["precision"]),
        "The rarer the people on the watchlist are among those walking past, the larger the share "
        "of alerts that are wrong, even with an accurate matcher (the base-rate effect). The line "
        "uses this run's hit and wrong-alert rates; the diamond is this run." + assumed,
        key="outcomes_base_rate",
    )


if __name__ == "__main__":
    render()
