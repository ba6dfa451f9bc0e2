"""Plain words: the headline sentences and figures a stakeholder reads first.

Every function takes a run's manifest (docs/results.md) or plain numbers and returns a string; nothing
here knows about streamlit. Rates a reader might misjudge are also given as "1 in N" or per cent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86_400.0
# Counts at or above this are rounded to three significant figures in sentences ("about 118,000").
ROUND_COUNTS_FROM = 10_000


def clock(seconds_after_midnight: float) -> str:
    """'HH:MM' for seconds after midnight (24:00 for the end of the day)."""
    minutes = round(seconds_after_midnight / 60.0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 alert', '2 alerts'."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {word}"


def about(count: int) -> str:
    """A count as a person would say it: exact below 10,000, else 'about 118,000'."""
    if count < ROUND_COUNTS_FROM:
        return f"{count:,}"
    digits = 2 - math.floor(math.log10(count))
    return f"about {round(count, digits):,}"


def window_phrase(window: Mapping[str, Any]) -> str:
    """'In one whole day (00:00-24:00)' or 'Between 07:00 and 10:00 (3 hours)'."""
    start_s, end_s = float(window["start_s"]), float(window["end_s"])
    if start_s <= 0.0 and end_s >= SECONDS_PER_DAY:
        return "In one whole day (00:00–24:00)"
    hours = (end_s - start_s) / SECONDS_PER_HOUR
    length = (
        f"{hours:g} hour{'s' if hours != 1 else ''}"
        if hours >= 1
        else f"{(end_s - start_s) / 60:g} minutes"
    )
    return f"Between {clock(start_s)} and {clock(end_s)} ({length})"


def one_in(rate: float | None, *, missing: str = "not measured") -> str:
    """A small rate as '1 in 6,000', 'none', or ``missing`` when nothing was measured."""
    if rate is None or math.isnan(rate):
        return missing
    if rate <= 0.0:
        return "none"
    if rate >= 0.5:
        return f"{rate:.0%}"
    return f"1 in {round(1.0 / rate):,}"


def percent(rate: float | None, *, digits: int = 0, missing: str = "not measured") -> str:
    """A rate as a percentage, or ``missing`` when there was nothing to measure."""
    if rate is None or math.isnan(rate):
        return missing
    return f"{rate * 100:.{digits}f}%"


def milliseconds(value: float | None) -> str:
    """Latency in ms, or 'no searches'."""
    if value is None or math.isnan(value):
        return "no searches"
    return f"{value:,.0f} ms" if value >= 10 else f"{value:,.1f} ms"


def alerts_sentence(alerts: int, true_alerts: int, false_alerts: int) -> str:
    """'14 alerts were raised: 9 were right and 5 were wrong.'"""
    if alerts == 0:
        return "No alert was raised."
    if alerts == 1:
        return f"1 alert was raised: it was {'right' if true_alerts == 1 else 'wrong'}."
    return (
        f"{alerts:,} alerts were raised: {true_alerts:,} "
        f"{'was' if true_alerts == 1 else 'were'} right and {false_alerts:,} "
        f"{'was' if false_alerts == 1 else 'were'} wrong."
    )


def unseen_sentence(watchlisted: int, unseen: int) -> str:
    """'3 of the 4 watchlisted people who came by passed unseen.'"""
    if watchlisted == 0:
        return "Nobody on the watchlist came by."
    if watchlisted == 1:
        return "The one watchlisted person who came by " + (
            "passed unseen." if unseen else "raised a right alert."
        )
    if unseen == 0:
        return f"Every one of the {plural(watchlisted, 'watchlisted person', 'watchlisted people')} who came by raised a right alert."
    return f"{unseen:,} of the {watchlisted:,} watchlisted people who came by passed unseen."


def headline(manifest: Mapping[str, Any]) -> str:
    """The run in three or four plain sentences (window, people, faces, alerts, misses)."""
    counts = manifest["counts"]
    site = manifest.get("site", {})
    watchlist = manifest.get("matcher", {}).get("gallery_size")
    people = int(counts["pedestrians"])
    searches = int(counts["searches"])
    against = f" against a watchlist of {watchlist:,}" if isinstance(watchlist, int) else ""
    first = (
        f"{window_phrase(manifest['window'])}, {about(people)} "
        f"{'person' if people == 1 else 'people'} walked through {site.get('name', 'the site')}; "
        f"the cameras searched {about(searches)} {'face' if searches == 1 else 'faces'}{against}."
    )
    return " ".join(
        (
            first,
            alerts_sentence(
                int(counts["alerts"]), int(counts["true_alerts"]), int(counts["false_alerts"])
            ),
            unseen_sentence(
                int(counts.get("watchlisted_pedestrians", 0)),
                int(counts.get("watchlisted_unseen", 0)),
            ),
        )
    )


def latency_sentence(latency_ms: Mapping[str, Any]) -> str:
    """'Half of the searches were answered within 35 ms, 99 in 100 within 101 ms.'"""
    p50, p99 = latency_ms.get("p50"), latency_ms.get("p99")
    if p50 is None or p99 is None:
        return "No face was searched, so the matcher had nothing to answer."
    return (
        f"From capture to decision, half of the searches were answered within {milliseconds(p50)} "
        f"and 99 in 100 within {milliseconds(p99)}."
    )


def run_label(manifest: Mapping[str, Any]) -> str:
    """'Small plaza · seed 7 · 07:00-10:00': what identifies a run on every page."""
    window = manifest.get("window", {})
    span = (
        f"{clock(float(window['start_s']))}–{clock(float(window['end_s']))}"
        if "start_s" in window and "end_s" in window
        else "window unknown"
    )
    name = manifest.get("scenario", {}).get("name", "unnamed scenario")
    return f"{name} · seed {manifest.get('seed', '?')} · {span}"


RATE_EXPLANATIONS: dict[str, str] = {
    "fpir": (
        "False-positive identification rate: of the faces of people not on the watchlist, the share "
        "that raised an alert."
    ),
    "fnir": (
        "False-negative identification rate: of the faces of watchlisted people, the share that "
        "did not raise the right alert."
    ),
    "precision": "Of the alerts raised, the share that pointed at the right person.",
    "p99": "99 in 100 searches were answered (capture to decision) within this time.",
}
