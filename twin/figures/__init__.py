"""Plotly figures (no Streamlit), shared by the CLI, load tests, reports and the dashboard."""
