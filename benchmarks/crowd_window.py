"""What the crowd benchmarks share: a scenario and a window of its day on the command line."""

from __future__ import annotations

import argparse

DEFAULT_SCENARIO = "scenarios/kings_cross_weekday.toml"


def window_parser(doc: str | None, *, start: str, end: str) -> argparse.ArgumentParser:
    """A parser with the scenario (optional, the default weekday), ``--from``/``--to`` (HH:MM,
    defaults ``start`` and ``end``) and ``--json``; a benchmark adds its own options."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    parser.add_argument("--from", dest="start", default=start, help="window start, HH:MM")
    parser.add_argument("--to", dest="end", default=end, help="window end, HH:MM")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    return parser


def window_overrides(start: str, end: str) -> list[str]:
    """Scenario overrides (``--set`` form) that run only ``start``-``end`` (HH:MM) of the day."""
    return [f"crowd.window_start='{start}'", f"crowd.window_end='{end}'"]
