"""The palette: colour-blind-safe colours for every chart, and the one look all figures share.

Categories use the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), whose eight colours
stay distinct under the common colour-vision deficiencies. Ordered quantities (a camera's grade, flow)
use sequential scales that vary in lightness (viridis, a single-hue orange), so they read in grey too.
Every outcome keeps the same colour on every page.
"""

from __future__ import annotations

from typing import Final

import plotly.graph_objects as go

from twin.recognition.outcome_names import (
    CORRECT_NON_ALERT,
    FALSE_ALERT,
    MISSED,
    TRUE_ALERT,
)

# Okabe-Ito, by name.
BLACK: Final = "#000000"
ORANGE: Final = "#E69F00"
SKY_BLUE: Final = "#56B4E9"
BLUISH_GREEN: Final = "#009E73"
YELLOW: Final = "#F0E442"
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"
GREY: Final = "#999999"

#: Categories in order of use, for series that have no fixed meaning.
CATEGORICAL: Final = (
    BLUE,
    ORANGE,
    BLUISH_GREEN,
    VERMILLION,
    SKY_BLUE,
    REDDISH_PURPLE,
    YELLOW,
    BLACK,
)

#: One colour per decision outcome, the same on every page.
OUTCOME_COLOURS: Final[dict[str, str]] = {
    TRUE_ALERT: BLUE,
    FALSE_ALERT: VERMILLION,
    MISSED: REDDISH_PURPLE,
    CORRECT_NON_ALERT: GREY,
}

#: Plain names for the outcomes.
OUTCOME_LABELS: Final[dict[str, str]] = {
    TRUE_ALERT: "right alerts",
    FALSE_ALERT: "wrong alerts",
    MISSED: "watchlisted faces missed",
    CORRECT_NON_ALERT: "passed, correctly no alert",
}

#: Camera grades (twin.site.cameras.DORI_GRADES names), best first, with a viridis colour each: the
#: grades that allow face recognition are the darkest, so they stand out.
GRADE_COLOURS: Final[dict[str, str]] = {
    "identify_face_recommended": "#440154",
    "face_min": "#414487",
    "identify": "#2a788e",
    "recognise": "#22a884",
    "observe": "#7ad151",
    "detect": "#fde725",
}

#: Plain names for the grades, with the pixel density each needs.
GRADE_LABELS: Final[dict[str, str]] = {
    "identify_face_recommended": "face recognition, recommended (≥ 1,000 px/m)",
    "face_min": "face recognition, minimum (≥ 500 px/m)",
    "identify": "identify (≥ 250 px/m)",
    "recognise": "recognise (≥ 125 px/m)",
    "observe": "observe (≥ 62.5 px/m)",
    "detect": "detect (≥ 25 px/m)",
}

#: Sequential scale for pedestrian flow: light to dark orange (single hue, reads in grey).
FLOW_SCALE: Final = "Oranges"

#: The ground: boundary, buildings, open spaces, walkways.
GROUND: Final[dict[str, str]] = {
    "boundary": "#333333",
    "building": "#c8c8c8",
    "open_space": "#e6f2e6",
    "walkway": "#8c8c8c",
}

FONT_FAMILY: Final = "Source Sans Pro, Helvetica, Arial, sans-serif"


def styled(
    figure: go.Figure,
    *,
    x_title: str,
    y_title: str,
    height: int = 360,
    legend: bool = True,
) -> go.Figure:
    """Apply the shared look: white background, axis titles with units, legend above the plot."""
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        font={"family": FONT_FAMILY, "size": 13},
        colorway=list(CATEGORICAL),
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hovermode="x unified",
    )
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title)
    return figure
