"""Oversight: the account a regulator or residents' group would ask for, from the run's own record.

Who supplied the watchlist and on what authority, how many faces were scanned, what happened to each
alert (the funnel from alert to intervention), how proportionate that was, what it cost in staff
time, and whether the tamper-evident ledger is intact. The full report (``twin report RUN``) can be
read here and downloaded.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
import streamlit.components.v1 as components

from twin.dashboard import widgets
from twin.figures import palette
from twin.oversight.figures import oversight_figures
from twin.oversight.report import render_html
from twin.results.reader import read_results
from twin.sweeps.period_reader import PeriodResults, period_of_day, read_period_people

FULL_REPORT_KEY = "oversight_full_report"
FUNNEL_STEPS = (
    ("alerts", "alerts raised"),
    ("incidents", "incidents after merging repeats"),
    ("reviewed", "reviewed by an operator"),
    ("credible", "judged credible"),
    ("dispatched", "officer sent"),
    ("intercepted", "person stopped"),
    ("right_person", "right person stopped"),
)


def _funnel_figure(funnel: dict[str, int]) -> go.Figure:
    labels = [label for _, label in FUNNEL_STEPS]
    values = [int(funnel.get(key, 0)) for key, _ in FUNNEL_STEPS]
    figure = go.Figure(
        go.Funnel(
            y=labels,
            x=values,
            textinfo="value+percent initial",
            marker={
                "color": [palette.BLUE] * (len(values) - 2) + [palette.ORANGE, palette.BLUISH_GREEN]
            },
        )
    )
    figure.update_layout(margin={"l": 230, "r": 10, "t": 10, "b": 10}, height=360)
    figure.update_yaxes(automargin=True)
    return figure


def _share(value: float | None) -> str:
    if value is None:
        return "none"
    return "under 0.1%" if 0 < value < 0.001 else f"{value:.1%}"


def _times_flagged_figure(false_alerts: list[int]) -> go.Figure:
    """Innocent people by how many wrong alerts they drew over the period (flagged people only)."""
    counts: dict[int, int] = {}
    for n in false_alerts:
        counts[n] = counts.get(n, 0) + 1
    times = sorted(counts)
    figure = go.Figure(
        go.Bar(x=[str(t) for t in times], y=[counts[t] for t in times], marker_color=palette.ORANGE)
    )
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=260,
        xaxis_title="wrong alerts on the person over the period",
        yaxis_title="innocent people",
    )
    return figure


def _period_section(period: PeriodResults) -> None:
    """The period of days the run belongs to: who was flagged over it, and how often."""
    summary = period.summary
    people = summary["per_person"]
    st.subheader(f"Over the period: {summary['days_complete']} simulated days of {summary['days']}")

    def shown(key: str) -> str:
        figure = people[key]
        interval = figure["ci95"]
        value = f"{figure['value']:,.0f}"
        return value if interval is None else f"{value} ({interval[0]:,.0f}-{interval[1]:,.0f})"

    flagged, twice, most, stopped = st.columns(4)
    flagged.metric("Innocent people flagged", shown("innocent_people_flagged"), border=True)
    twice.metric(
        "… on two days or more", shown("innocent_people_flagged_on_two_days_or_more"), border=True
    )
    most.metric(
        "Most wrong alerts on one", shown("most_false_alerts_on_one_innocent_person"), border=True
    )
    stopped.metric("Innocent people stopped", shown("innocent_people_stopped"), border=True)
    st.caption(
        f"The same people came back: {people['people']:,} people in all, "
        f"{people['people_on_site_two_days_or_more']:,} of them on two days or more. In brackets, "
        "the 95% interval from resampling the period's people, each with all their days."
    )
    repeated = read_period_people(period, ("watchlisted", "false_alerts"))
    innocent = [
        int(n)
        for n, listed in zip(repeated["false_alerts"], repeated["watchlisted"], strict=True)
        if n > 0 and not listed
    ]
    if innocent:
        widgets.chart(
            _times_flagged_figure(innocent),
            "How often the same innocent person was flagged over the period: each bar counts the "
            "innocent people who drew that many wrong alerts.",
            key="oversight_period_flags",
        )


def render() -> None:
    """Draw the oversight page."""
    st.title("Oversight: the record the scheme must keep")
    with widgets.guarded():
        run = widgets.require_run()
        widgets.run_header(run)
        period = period_of_day(run.path, root=widgets.runs_folder())
        figures = oversight_figures(
            read_results(run.path, root=widgets.runs_folder()),
            period=None if period is None else period.summary,
        )
        watchlist = figures["watchlist"]
        st.markdown(
            f"**Watchlist:** {watchlist.get('size', 0):,} identities, supplied by "
            f"*{watchlist.get('supplied_by', 'not recorded')}*, legal basis "
            f"*{watchlist.get('legal_basis', 'not recorded')}*, authorised by "
            f"*{watchlist.get('authorised_by', 'not recorded')}*."
        )
        scanning, funnel = figures["scanning"], figures["funnel"]
        faces, alerts, stops, wrong = st.columns(4)
        faces.metric("Faces scanned", f"{scanning['faces_scanned']:,}", border=True)
        alerts.metric(
            "Alerts: right / wrong",
            f"{funnel['true_alerts']:,} / {funnel['false_alerts']:,}",
            border=True,
        )
        stops.metric("People stopped", f"{funnel['intercepted']:,}", border=True)
        wrong.metric("Wrong person stopped", f"{funnel['wrong_person']:,}", border=True)
        people = figures.get("people")
        if people:
            st.markdown(f"**People, not faces:** {people['in_words']}")
        widgets.chart(
            _funnel_figure(funnel),
            "What happened to the alerts: repeats of one person are merged into one incident, an "
            "operator reviews it, credible ones send an officer, and some end with a person stopped. "
            "Each bar is a count; the percentage is of the alerts raised.",
            key="oversight_funnel",
        )
        proportionality = figures["proportionality"]
        staff = figures["staff"]
        per_true = proportionality.get("faces_per_true_alert")
        st.markdown(
            "\n".join(
                [
                    f"- **Faces processed per right alert:** {per_true:,.0f}"
                    if per_true
                    else "- **Faces processed per right alert:** no right alert",
                    f"- **Operators' time busy:** {_share(staff.get('operator_utilisation'))} of "
                    f"{staff.get('operator_hours', 0):,.0f} staffed hours; officers' "
                    f"{_share(staff.get('officer_utilisation'))} of {staff.get('officer_hours', 0):,.0f}",
                    f"- **Staff cost:** £{staff.get('cost_gbp', 0):,.0f} for the window simulated",
                ]
            )
        )
        if period is not None:
            _period_section(period)
        check = figures["ledger"]["verification"]
        if check.get("intact"):
            st.success(
                f"The ledger's {check.get('entries', 0):,} entries are intact: each carries the hash "
                "of the one before, and the chain ends where the manifest says.",
                icon=":material/verified:",
            )
        else:
            st.error(
                f"The ledger is broken: {check.get('reason') or 'see twin audit verify'} "
                f"(first bad entry: {check.get('first_bad_entry')}).",
                icon=":material/gpp_bad:",
            )
        html = render_html(figures)
        st.download_button(
            "Download the full report (HTML)",
            data=html,
            file_name=f"oversight-{run.path.name}.html",
            mime="text/html",
            key="oversight_download",
        )
        if st.toggle("Show the full report here", value=False, key=FULL_REPORT_KEY):
            st.caption("The full oversight report, as `twin report` writes it.")
            components.html(html, height=900, scrolling=True)


if __name__ == "__main__":
    render()
