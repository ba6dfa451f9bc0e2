"""Analysis: a run's tables turned into the small frames the charts draw.

Pure pandas and numpy over the tables of a results directory (docs/results.md): throughput and latency
per time bin, outcomes re-judged at another threshold from the recorded scores (`twin.recognition.outcomes`, so
nothing is re-run), outcomes by hour, camera and group, the alerts-versus-misses trade-off across
thresholds, and precision against the base rate. Times are seconds after midnight.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from twin.recognition.outcome_names import FALSE_ALERT, MISSED, OUTCOMES, TRUE_ALERT

FloatArray = npt.NDArray[np.float64]

SECONDS_PER_MINUTE: Final = 60.0
SECONDS_PER_HOUR: Final = 3600.0
#: Time bins a reader can choose for the throughput charts, seconds -> label.
TIME_BINS_S: Final[dict[int, str]] = {
    60: "1 minute",
    300: "5 minutes",
    900: "15 minutes",
    3600: "1 hour",
}
#: Outcomes drawn in the by-hour / camera / group charts (correct non-alerts would swamp them).
NOTABLE_OUTCOMES: Final = (TRUE_ALERT, FALSE_ALERT, MISSED)
#: Ways to split the outcomes, label -> how.
SPLITS: Final = ("hour", "camera", "group")

# Columns each page needs from each table; loading checks them so a table from another schema gives a
# clear message instead of a KeyError deep in a chart.
TIMESERIES_COLUMNS: Final = (
    "start_s",
    "pedestrians_departed",
    "passes",
    "searches",
    "true_alerts",
    "false_alerts",
    "queue_depth_max",
    "latency_p50_ms",
    "latency_p99_ms",
    "matcher_busy_fraction",
)
DECISION_COLUMNS: Final = (
    "time_s",
    "camera_id",
    "pedestrian",
    "subject",
    "group",
    "top1_id",
    "top1_score",
    "mate_score",
    "outcome",
    "latency_ms",
)
CAMERA_COLUMNS: Final = (
    "camera_id",
    "name",
    "x_m",
    "y_m",
    "recognition",
    "passes",
    "searches",
    "true_alerts",
    "false_alerts",
)
PEDESTRIAN_COLUMNS: Final = ("pedestrian", "start_s", "origin", "destination", "subject")


def throughput_by_bin(timeseries: pd.DataFrame, bin_s: int) -> pd.DataFrame:
    """The per-minute table gathered into bins of ``bin_s`` seconds.

    Columns: ``start_s`` (bin start), ``searches_per_s`` and ``passes_per_s`` (averages over the bin),
    ``people_departed``, ``searches``, ``alerts`` (counts), ``queue_depth_max`` (faces waiting, the
    worst moment in the bin), ``busy_percent`` (matcher busy, % of the bin).
    """
    if timeseries.empty:
        return pd.DataFrame(
            columns=[
                "start_s",
                "searches_per_s",
                "passes_per_s",
                "people_departed",
                "searches",
                "alerts",
                "queue_depth_max",
                "busy_percent",
            ]
        )
    first = float(timeseries["start_s"].min())
    key = first + ((timeseries["start_s"] - first) // bin_s) * bin_s
    grouped = timeseries.groupby(key)
    minutes = grouped.size()
    frame = pd.DataFrame(
        {
            "searches": grouped["searches"].sum(),
            "passes": grouped["passes"].sum(),
            "people_departed": grouped["pedestrians_departed"].sum(),
            "alerts": grouped["true_alerts"].sum() + grouped["false_alerts"].sum(),
            "queue_depth_max": grouped["queue_depth_max"].max(),
            "busy_percent": grouped["matcher_busy_fraction"].mean() * 100.0,
        }
    )
    span_s = minutes * SECONDS_PER_MINUTE
    frame["searches_per_s"] = frame["searches"] / span_s
    frame["passes_per_s"] = frame["passes"] / span_s
    frame.index.name = "start_s"
    return frame.reset_index()


def latency_by_bin(decisions: pd.DataFrame, *, start_s: float, bin_s: int) -> pd.DataFrame:
    """Latency percentiles per time bin from the per-search latencies.

    Columns: ``start_s``, ``p50_ms``, ``p99_ms``, ``searches``. Bins without searches are absent.
    """
    if decisions.empty:
        return pd.DataFrame(columns=["start_s", "p50_ms", "p99_ms", "searches"])
    key = start_s + ((decisions["time_s"] - start_s) // bin_s) * bin_s
    grouped = decisions.groupby(key)["latency_ms"]
    frame = pd.DataFrame(
        {
            "p50_ms": grouped.quantile(0.5),
            "p99_ms": grouped.quantile(0.99),
            "searches": grouped.size(),
        }
    )
    frame.index.name = "start_s"
    return frame.reset_index()


def rejudge(decisions: pd.DataFrame, threshold: float) -> pd.Series:
    """Each search's outcome (a name in twin.recognition.outcomes.OUTCOMES) at another cosine threshold."""
    from twin.recognition.outcomes import (
        classify,  # imported here: it loads the faces model (see outcome_names)
    )

    codes = classify(
        decisions["subject"].to_numpy(dtype=np.int64),
        decisions["top1_id"].to_numpy(dtype=np.int64),
        decisions["top1_score"].to_numpy(dtype=np.float64),
        threshold,
    )
    return pd.Series(np.asarray(OUTCOMES, dtype=object)[codes], index=decisions.index)


def outcome_summary(decisions: pd.DataFrame, threshold: float) -> dict[str, float | int | None]:
    """Counts, FPIR, FNIR and precision at ``threshold`` (twin.recognition.outcomes.summarise)."""
    from twin.recognition.outcomes import summarise

    return summarise(
        decisions["subject"].to_numpy(dtype=np.int64),
        decisions["top1_id"].to_numpy(dtype=np.int64),
        decisions["top1_score"].to_numpy(dtype=np.float64),
        threshold,
    ).as_dict()


def unseen_watchlisted(
    decisions: pd.DataFrame, pedestrians: pd.DataFrame, outcomes: pd.Series
) -> tuple[int, int]:
    """(watchlisted people who came by, of whom unseen: no right alert) under ``outcomes``."""
    from twin.recognition.faces import NOT_ON_WATCHLIST

    watchlisted = pedestrians.loc[pedestrians["subject"] != NOT_ON_WATCHLIST, "pedestrian"]
    seen = decisions.loc[outcomes == TRUE_ALERT, "pedestrian"]
    unseen = int((~watchlisted.isin(seen)).sum())
    return len(watchlisted), unseen


def outcomes_by(decisions: pd.DataFrame, outcomes: pd.Series, split: str) -> pd.DataFrame:
    """Right alerts, wrong alerts and misses per hour, camera or group (one row per category).

    Index: the category (``hour`` as 'HH:00', camera id, group name); columns: the outcomes in
    NOTABLE_OUTCOMES, counts of searches.
    """
    if split == "hour":
        hours = (decisions["time_s"] // SECONDS_PER_HOUR).astype(int)
        key = hours.map(lambda hour: f"{hour:02d}:00")
    elif split == "camera":
        key = decisions["camera_id"].astype(str)
    elif split == "group":
        key = decisions["group"].astype(str)
    else:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    table = pd.crosstab(key, outcomes)
    for outcome in NOTABLE_OUTCOMES:
        if outcome not in table.columns:
            table[outcome] = 0
    table = table[list(NOTABLE_OUTCOMES)].sort_index()
    table.index.name = split
    return table


def threshold_range(decisions: pd.DataFrame, recorded: float) -> tuple[float, float]:
    """A slider range (cosine) that spans where the decisions change, rounded to 0.01."""
    scores = decisions["top1_score"].to_numpy(dtype=np.float64)
    mates = decisions["mate_score"].to_numpy(dtype=np.float64)
    finite = np.concatenate([scores[np.isfinite(scores)], mates[np.isfinite(mates)], [recorded]])
    low = max(-0.99, np.floor((float(np.min(finite)) - 0.02) * 100) / 100)
    high = min(0.99, np.ceil((float(np.max(finite)) + 0.02) * 100) / 100)
    return float(low), float(max(high, low + 0.05))


def threshold_curve(decisions: pd.DataFrame, thresholds: FloatArray) -> pd.DataFrame:
    """Alerts, right and wrong alerts, misses, FPIR, FNIR and precision at each threshold."""
    from twin.recognition.outcomes import summarise

    subject = decisions["subject"].to_numpy(dtype=np.int64)
    top1_id = decisions["top1_id"].to_numpy(dtype=np.int64)
    score = decisions["top1_score"].to_numpy(dtype=np.float64)
    rows = [
        {"threshold": float(t), **summarise(subject, top1_id, score, float(t)).as_dict()}
        for t in thresholds
    ]
    return pd.DataFrame(rows)


def precision_by_base_rate(*, tpir: float, fpir: float, base_rates: FloatArray) -> pd.DataFrame:
    """Expected precision of alerts as the share of watchlisted faces among those searched changes.

    precision = TPIR·p / (TPIR·p + FPIR·(1 − p)): with a rare target, even a small FPIR makes most
    alerts wrong (the base-rate effect). Columns: ``base_rate``, ``precision``.
    """
    p = np.asarray(base_rates, dtype=np.float64)
    right = tpir * p
    wrong = fpir * (1.0 - p)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(right + wrong > 0, right / (right + wrong), np.nan)
    return pd.DataFrame({"base_rate": p, "precision": precision})


def expected_fpir(fmr_per_comparison: float, watchlist_size: int) -> float:
    """FPIR a watchlist of N implies: 1 − (1 − FMR)^N (NIST FRTE 1:N)."""
    return float(-np.expm1(watchlist_size * np.log1p(-fmr_per_comparison)))


def peak_minute(timeseries: pd.DataFrame) -> tuple[float, int]:
    """(start of the busiest minute in s after midnight, faces searched in it)."""
    if timeseries.empty:
        return 0.0, 0
    row = timeseries.iloc[int(np.argmax(timeseries["searches"].to_numpy()))]
    return float(row["start_s"]), int(row["searches"])


#: Windows up to this long are drawn per quarter hour on the overview, longer ones per hour, s.
QUARTERS_UP_TO_S: Final = 3 * SECONDS_PER_HOUR


def overview_period_s(window_start_s: float, window_end_s: float) -> float:
    """The overview's bar width: a quarter hour for windows up to 3 hours, else an hour (s)."""
    return 900.0 if window_end_s - window_start_s <= QUARTERS_UP_TO_S else SECONDS_PER_HOUR


def people_by_period(
    timeseries: pd.DataFrame, *, window_start_s: float, window_end_s: float, period_s: float
) -> pd.DataFrame:
    """People setting off and faces searched per clock period (an hour, a quarter) of the window.

    Columns: ``label`` ('07:30–08:00': the period, clipped to the window), ``people``, ``searches``.
    Minutes after the window (people still walking, the queue draining) count in its last period.
    """
    last = np.floor((window_end_s - 1.0) / period_s) * period_s
    period = np.minimum((timeseries["start_s"] // period_s) * period_s, last)
    grouped = timeseries.groupby(period)
    frame = pd.DataFrame(
        {
            "people": grouped["pedestrians_departed"].sum(),
            "searches": grouped["searches"].sum(),
        }
    )
    starts = np.maximum(frame.index.to_numpy(dtype=float), window_start_s)
    ends = np.minimum(frame.index.to_numpy(dtype=float) + period_s, window_end_s)
    frame.insert(
        0, "label", [f"{_clock(a)}–{_clock(b)}" for a, b in zip(starts, ends, strict=True)]
    )
    return frame.reset_index(drop=True)


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def camera_table(cameras: pd.DataFrame) -> pd.DataFrame:
    """The cameras as a reader sees them: plain column names, busiest first."""
    frame = pd.DataFrame(
        {
            "camera": cameras["camera_id"].astype(str),
            "where": cameras["name"].astype(str),
            "runs recognition": cameras["recognition"].map({True: "yes", False: "no"}),
            "people passing": cameras["passes"].astype(int),
            "faces searched": cameras["searches"].astype(int),
            "right alerts": cameras["true_alerts"].astype(int),
            "wrong alerts": cameras["false_alerts"].astype(int),
        }
    )
    return frame.sort_values("faces searched", ascending=False).reset_index(drop=True)
