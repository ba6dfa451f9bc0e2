"""Progress: a run's stages shown as one Streamlit progress bar (the runner's RunProgress protocol).

The runner reports a stage starting (``stage``) and how far it has got (``advance_to``: the simulated
clock for the crowd and the pipeline, searches done for matching). Each known stage fills its own span
of one bar, so the bar moves forward once across the whole run; updates are throttled so a fast stage
does not flood the browser.
"""

from __future__ import annotations

import time
from typing import Final

from streamlit.delta_generator import DeltaGenerator

from twin.dashboard.text import clock

#: Each stage's span of the bar, (from, to) as fractions, by the name the runner gives it.
STAGE_SPANS: Final[dict[str, tuple[float, float]]] = {
    "loading the site": (0.0, 0.05),
    "crowd": (0.05, 0.35),
    "faces and matching": (0.35, 0.6),
    "measuring matcher service times": (0.6, 0.65),
    "recognition pipeline": (0.65, 0.95),
    "recording results": (0.95, 1.0),
}
#: Least wall time between two updates of the bar, s.
MIN_UPDATE_S: Final = 0.1


class StreamlitRunProgress:
    """Feeds a run's progress into ``st.progress`` (implements twin.run.runner.RunProgress)."""

    def __init__(self, bar: DeltaGenerator, *, label: str, window_start_s: float) -> None:
        self._bar = bar
        self._label = label
        self._window_start_s = window_start_s
        self._span = (0.0, 0.0)
        self._name = ""
        self._total: float | None = None
        self._unit = ""
        self._fraction = 0.0
        self._shown_at = 0.0  # wall clock of the last update, to throttle
        self.stages: list[str] = []  # names seen, in order (for tests)

    def _show(self, fraction: float, detail: str, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._shown_at < MIN_UPDATE_S:
            return
        self._shown_at = now
        self._fraction = min(1.0, max(self._fraction, fraction))
        text = f"{self._label}: {self._name}" + (f" ({detail})" if detail else "")
        self._bar.progress(self._fraction, text=text)

    def stage(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        """A stage starts; ``total`` is where ``advance_to`` will end (clock s or a count)."""
        self.stages.append(name)
        self._name = name
        self._total = total
        self._unit = unit
        self._span = STAGE_SPANS.get(name, (self._fraction, self._fraction))
        self._show(self._span[0], "", force=True)

    def advance_to(self, completed: float) -> None:
        """The stage has got to ``completed`` (simulated clock s, or a count)."""
        if not self._total:
            return
        if self._unit == "clock":
            length = self._total - self._window_start_s
            done = (completed - self._window_start_s) / length if length > 0 else 1.0
            detail = f"simulated {clock(min(completed, self._total))}"
        else:
            done = completed / self._total
            detail = f"{completed:,.0f} {self._unit}".strip()
        done = min(1.0, max(0.0, done))
        start, end = self._span
        self._show(start + (end - start) * done, detail)

    def finish(self) -> None:
        """Fill the bar."""
        self._name = "done"
        self._show(1.0, "", force=True)
