"""A load test's results directory, written atomically.

Contents (docs/loadtest.md): ``summary.json`` (the figures; its ``steps`` and ``knee_rate`` are what
the dashboard's load-test page reads, docs/dashboard.md), ``requests.parquet`` (one row per request),
``seconds.parquet`` (one row per second of each step) and ``latency_vs_throughput.html``. Like a run's
directory it is assembled in a hidden sibling folder (``.NAME.partial-PID``) and renamed into place
only when whole, so an interrupted write never leaves a directory that looks finished.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Final

import plotly.graph_objects as go
import pyarrow as pa

from twin.loadtest.reader import SUMMARY, summary_document
from twin.results.writer import results_writer, write_json_atomic

REQUESTS: Final = "requests"
SECONDS: Final = "seconds"
PLOT: Final = "latency_vs_throughput.html"


def write_results(
    out: Path, *, summary: dict[str, Any], tables: dict[str, pa.Table], figure: go.Figure
) -> Path:
    """Publish the directory ``out`` (replacing an older one whole); returns it."""
    out = Path(out)
    with results_writer(out) as writer:
        for name, table in tables.items():
            writer.write_table(name, table)
        figure.write_html(writer.partial / PLOT, include_plotlyjs=True, full_html=True)
        files = {name: f"{name}.parquet" for name in tables}
        document = summary_document({**summary, "tables": files, "plot": PLOT})
        write_json_atomic(writer.partial / SUMMARY, document)
        retired = None
        if out.exists():
            retired = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(retired)
        writer.partial.rename(out)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    return out
