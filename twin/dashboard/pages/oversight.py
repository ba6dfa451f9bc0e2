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


def render() -> None:
    """Draw the oversight page."""
    st.title("Oversight: the record the scheme must keep")
    with widgets.guarded():
        run = widgets.require_run()
        widgets.run_header(run)
        figures = oversight_figures(read_results(run.path, root=widgets.runs_folder()))
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
