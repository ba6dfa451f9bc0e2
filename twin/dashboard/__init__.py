"""The dashboard: a Streamlit app that shows what a run of the twin found, in plain words and pictures.

Stakeholders (a council, a residents' group, an estate owner, a data-protection officer) read it, not
engineers. It reads results directories (docs/results.md), load-test and sweep directories, and never
live simulation objects; the what-if page runs a window through `twin.results.publish.run_scenario`
into a new results directory and then reads that back like any other run. Only this package and ``app.py`` import
streamlit; the rest of ``twin`` never does.

Modules that build figures, sentences and tables are pure (DataFrames and a Site in, plotly figures and
strings out) and are tested without streamlit; ``loading``, ``widgets``, ``progress`` and ``pages/`` are
the streamlit edge.
"""
