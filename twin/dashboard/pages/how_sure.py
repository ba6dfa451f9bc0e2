"""How sure are we? The twin's predictions of published deployments beside what they published (fitted
rows marked), and one run's uncertainty: 90% intervals of its headline figures and a tornado chart of
the assumptions that move them most."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from twin.dashboard import widgets
from twin.figures.uncertainty import tornado, validation_chart

VALIDATION_FILE = "validation.json"
UNCERTAINTY_FILE = "uncertainty.json"
UNCERTAINTY_KEY = "how_sure_uncertainty"
OUTPUT_KEY = "how_sure_output"
VALIDATE_HOW_TO = "twin validate --out runs/validation.json"
UNCERTAINTY_HOW_TO = "twin uncertainty scenarios/kings_cross_weekday.toml --samples 64 --out runs/uncertainty-weekday"


def _read(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a JSON object")
    return document


def _validation(folder: Path) -> None:
    st.subheader("Published deployments: what the twin predicted")
    path = folder / VALIDATION_FILE
    if not path.is_file():
        st.info(
            f"No validation yet in `{folder}`: run\n\n```\n{VALIDATE_HOW_TO}\n```",
            icon=":material/info:",
        )
        return
    document = _read(path)
    rows = document["rows"]
    summary = document["summary"]
    ratio = summary.get("median_ratio_predicted_to_published")
    st.markdown(
        f"**{summary['validation_within']} of {summary['validation_rows']}** deployments the twin was "
        f"never fitted to fall within its 95% interval; the median prediction is "
        f"**{'n/a' if ratio is None else f'{ratio:.2g}'} times** the published figure. "
        f"Calibration rows (fitted): {summary['calibration_within']} of {summary['calibration_rows']} within."
    )
    table = pd.DataFrame(
        {
            "figure set": [r.get("name", r["source"]) for r in rows],
            "quantity": [r["quantity"] for r in rows],
            "published": [r["published"] for r in rows],
            "predicted": [r["predicted"] for r in rows],
            "95% low": [r["low"] for r in rows],
            "95% high": [r["high"] for r in rows],
            "row": ["fitted" if r["fitted"] else "validation" for r in rows],
            "within": ["yes" if r["within"] else "no" for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, key="how_sure_validation")
    widgets.chart(
        validation_chart(rows),
        "Each dot is the twin's prediction divided by the published figure (1 = exact), with its 95% "
        "interval; red where the interval misses the published figure's own. Fitted rows are the "
        "figures the face model was calibrated to, so they agree by construction.",
        key="how_sure_validation_chart",
    )


def _uncertainty(found: list[Path]) -> None:
    st.subheader("A run's uncertainty: which assumptions matter")
    if not found:
        st.info(
            f"No uncertainty run yet: run\n\n```\n{UNCERTAINTY_HOW_TO}\n```", icon=":material/info:"
        )
        return
    labels = {str(p.parent.name): p for p in found}
    chosen = st.selectbox("Uncertainty run", list(labels), key=UNCERTAINTY_KEY)
    report = _read(labels[str(chosen)])
    outputs = report["outputs"]
    st.dataframe(
        pd.DataFrame(
            {
                "headline figure": [o["meaning"] for o in outputs.values()],
                "median": [o.get("median") for o in outputs.values()],
                "90% low": [o.get("low_90") for o in outputs.values()],
                "90% high": [o.get("high_90") for o in outputs.values()],
                "note": [o.get("absent", "") for o in outputs.values()],
            }
        ),
        hide_index=True,
        key="how_sure_intervals",
    )
    ranked = [name for name, o in outputs.items() if "sensitivity" in o]
    if not ranked:
        st.warning("No sample of this run finished, so there is nothing to rank.")
        return
    output = st.selectbox(
        "Figure", ranked, format_func=lambda n: outputs[n]["meaning"], key=OUTPUT_KEY
    )
    widgets.chart(
        tornado(report, str(output)),
        f"How far {outputs[str(output)]['meaning']} moves with each assumption: its median over the "
        f"{report['samples_complete']} samples whose assumption fell in the lowest third of its range "
        "(blue) and the highest third (orange), around the overall median (dotted). rho is Spearman's "
        "rank correlation; the assumptions that move it most are on top.",
        key="how_sure_tornado",
    )


def render() -> None:
    """Draw the How sure are we? page."""
    st.title("How sure are we?")
    with widgets.guarded():
        found = widgets.catalogue()
        try:
            _validation(Path(found.folder))
            _uncertainty(
                [p / UNCERTAINTY_FILE for p in found.sweeps if (p / UNCERTAINTY_FILE).is_file()]
            )
        except (ValueError, KeyError, TypeError) as exc:
            st.error(f"**Cannot show this:** {type(exc).__name__}: {exc}", icon=":material/error:")


if __name__ == "__main__":
    render()
