"""The camera-estate twin's dashboard: ``streamlit run app.py`` (``-- --runs FOLDER`` to read another
results folder than ``runs/``; or set $TWIN_RUNS_DIR).

Thin on purpose: page setup, navigation and the shared run picker. Each page lives in
``twin/dashboard/pages/`` and reads results directories, never live simulation objects.
"""

from __future__ import annotations

import streamlit as st

from twin.dashboard import widgets

PAGES = "twin/dashboard/pages"

st.set_page_config(
    page_title="Camera estate twin",
    page_icon=":material/videocam:",
    layout="wide",
    initial_sidebar_state="expanded",
)
navigation = st.navigation(
    {
        "A run": [
            st.Page(
                f"{PAGES}/overview.py", title="Overview", icon=":material/summarize:", default=True
            ),
            st.Page(f"{PAGES}/site_map.py", title="Site map", icon=":material/map:"),
            st.Page(
                f"{PAGES}/throughput.py", title="Throughput and latency", icon=":material/speed:"
            ),
            st.Page(f"{PAGES}/outcomes.py", title="Match outcomes", icon=":material/fact_check:"),
            st.Page(f"{PAGES}/oversight.py", title="Oversight", icon=":material/gavel:"),
        ],
        "Try and test": [
            st.Page(f"{PAGES}/whatif.py", title="What if", icon=":material/tune:"),
            st.Page(f"{PAGES}/loadtests.py", title="Load tests", icon=":material/monitoring:"),
            st.Page(f"{PAGES}/sweeps.py", title="Sweeps", icon=":material/stacked_line_chart:"),
            st.Page(f"{PAGES}/how_sure.py", title="How sure are we?", icon=":material/verified:"),
        ],
    }
)
widgets.sidebar()
navigation.run()
