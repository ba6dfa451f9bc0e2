"""Sweep results: what `twin sweep` leaves behind, read tolerantly for the dashboard.

A sweep directory (docs/dashboard.md) holds

- ``sweep.parquet``: one row per point and replication, with the point's scenario overrides as columns
  named by their dotted keys (``watchlist.size``) and every manifest figure as a column
  (``outcomes.fpir``, ``latency_ms.p99``, ...);
- ``summary.json``: per point, the mean and 95% confidence interval of each key metric:
  ``{"points": [{"params": {"watchlist.size": 7}, "replications": 5,
  "metrics": {"outcomes.fpir": {"mean": ..., "ci_low": ..., "ci_high": ...}}}], "failed": [...]}``.

The reader accepts the parameters under ``params``, ``parameters``, ``overrides`` or ``point``; the
metrics under ``metrics`` or beside them; an interval as ``ci_low``/``ci_high``, ``low``/``high``,
``ci_lower``/``ci_upper`` or a two-number ``ci95``/``ci``; a bare number as a mean without interval.
Without a usable ``summary.json`` it computes the means and t-intervals from ``sweep.parquet``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from twin.errors import ResultsError
from twin.scenario import Scenario

SUMMARY: Final = "summary.json"
SWEEP_TABLE: Final = "sweep.parquet"
CONFIDENCE: Final = 0.95
_PARAM_KEYS: Final = ("params", "parameters", "overrides", "point", "vary")
_NOT_METRICS: Final = frozenset(
    {*_PARAM_KEYS, "metrics", "replications", "n", "failed", "seed", "seeds", "id", "error"}
)
# Columns of sweep.parquet that are neither parameters nor metrics.
_BOOKKEEPING: Final = frozenset({"replication", "seed", "point", "point_id", "status", "error"})
#: Plain names (with units) for the metrics a sweep is likely to carry.
METRIC_LABELS: Final[dict[str, str]] = {
    "outcomes.fpir": "FPIR (share of non-watchlisted faces that raise an alert)",
    "outcomes.fnir": "FNIR (share of watchlisted faces missed)",
    "outcomes.precision": "precision (share of alerts that are right)",
    "counts.alerts": "alerts (count)",
    "counts.true_alerts": "right alerts (count)",
    "counts.false_alerts": "wrong alerts (count)",
    "counts.missed": "watchlisted faces missed (count)",
    "counts.searches": "faces searched (count)",
    "counts.watchlisted_unseen": "watchlisted people unseen (count)",
    "latency_ms.p50": "latency p50 (ms)",
    "latency_ms.p99": "latency p99 (ms)",
    "throughput.peak_captures_per_s": "busiest second (faces per second)",
    "wall_seconds": "wall time of a run (s)",
}


@dataclass(frozen=True)
class Sweep:
    """A sweep's points: one row per point and metric with ``mean``, ``ci_low``, ``ci_high``, ``n``.

    ``parameters`` are the varied keys (columns of ``points``); ``metrics`` the metric names.
    """

    path: Path
    points: pd.DataFrame
    parameters: tuple[str, ...]
    metrics: tuple[str, ...]
    failed: tuple[str, ...] = ()
    source: str = SUMMARY
    details: dict[str, Any] = field(default_factory=dict)


#: Short axis titles (with units) for the metrics in METRIC_LABELS.
METRIC_AXES: Final[dict[str, str]] = {
    "outcomes.fpir": "FPIR (share, 0 to 1)",
    "outcomes.fnir": "FNIR (share, 0 to 1)",
    "outcomes.precision": "precision (share, 0 to 1)",
    "throughput.peak_captures_per_s": "busiest second (faces/s)",
}


def metric_axis(metric: str) -> str:
    """A short axis title with the metric's unit."""
    return METRIC_AXES.get(metric, metric_label(metric))


def metric_label(metric: str) -> str:
    """A metric's plain name with its unit; for an unknown key, the key with the unit its name implies."""
    if metric in METRIC_LABELS:
        return METRIC_LABELS[metric]
    if metric.startswith("latency_ms.") or metric.endswith("_ms"):
        unit = "ms"
    elif metric.endswith(("_s", "_seconds")):
        unit = "s"
    elif metric.startswith("counts."):
        unit = "count"
    elif metric.rsplit(".", 1)[-1] in ("fpir", "fnir", "precision") or "fraction" in metric:
        unit = "share, 0 to 1"
    else:
        unit = "as recorded in the runs"
    return f"{metric} ({unit})"


def is_sweep_dir(folder: Path) -> bool:
    """Whether ``folder`` looks like a sweep directory."""
    return (folder / SWEEP_TABLE).is_file()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _interval(entry: Any) -> tuple[float | None, float | None, float | None, float | None]:
    """(mean, low, high, n) from one metric entry in any accepted spelling."""
    if not isinstance(entry, Mapping):
        return _number(entry), None, None, None
    mean = _number(entry.get("mean", entry.get("value")))
    low = high = None
    for low_key, high_key in (("ci_low", "ci_high"), ("low", "high"), ("ci_lower", "ci_upper")):
        if low_key in entry or high_key in entry:
            low, high = _number(entry.get(low_key)), _number(entry.get(high_key))
            break
    else:
        for key in ("ci95", "ci", "ci_95"):
            pair = entry.get(key)
            if isinstance(pair, list | tuple) and len(pair) == 2:
                low, high = _number(pair[0]), _number(pair[1])
                break
    return mean, low, high, _number(entry.get("n"))


def _scalar(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def points_from_summary(data: Any) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """(points, parameters, failed) from a summary.json document; raises ValueError if unusable."""
    raw = data.get("points") if isinstance(data, Mapping) else data
    if not isinstance(raw, list) or not raw:
        raise ValueError("no 'points' list")
    rows: list[dict[str, Any]] = []
    parameters: list[str] = []
    for point in raw:
        if not isinstance(point, Mapping):
            continue
        params: Mapping[str, Any] = {}
        for key in _PARAM_KEYS:
            if isinstance(point.get(key), Mapping):
                params = point[key]
                break
        for name in params:
            if name not in parameters:
                parameters.append(str(name))
        metrics = point.get("metrics")
        if not isinstance(metrics, Mapping):
            metrics = {k: v for k, v in point.items() if k not in _NOT_METRICS}
        replications = _number(point.get("replications", point.get("n")))
        for metric, entry in metrics.items():
            mean, low, high, n = _interval(entry)
            if mean is None:
                continue
            rows.append(
                {
                    **{str(k): _scalar(v) for k, v in params.items()},
                    "metric": str(metric),
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": n if n is not None else replications,
                }
            )
    if not rows:
        raise ValueError("no point has a metric with a mean")
    failed = data.get("failed", []) if isinstance(data, Mapping) else []
    failed_names = tuple(str(f) for f in failed) if isinstance(failed, list) else ()
    return pd.DataFrame(rows), tuple(parameters), failed_names


def is_scenario_field(key: str) -> bool:
    """Whether a dotted key names a scenario field (``watchlist.size``), as a sweep varies them."""
    model: Any = Scenario
    for part in key.split("."):
        fields = getattr(model, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            return False
        annotation = fields[part].annotation
        model = annotation if isinstance(annotation, type) else None
    return True


def points_from_table(table: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """(points, parameters) computed from sweep.parquet: mean and 95% t-interval per point.

    Parameters are the columns that name scenario fields (the sweep's overrides); metrics are the
    other numeric columns (manifest figures).
    """
    parameters = tuple(
        str(c) for c in table.columns if is_scenario_field(str(c)) and c not in _BOOKKEEPING
    )
    metrics = [
        c
        for c in table.columns
        if c not in parameters and c not in _BOOKKEEPING and _is_metric_column(table[c])
    ]
    if not parameters or not metrics:
        raise ValueError("no column names a scenario field (the varied parameters) or no metric")
    from scipy import stats  # only for sweeps without a summary

    rows = []
    for key, part in table.groupby(list(parameters), dropna=False):
        values = key if isinstance(key, tuple) else (key,)
        for metric in metrics:
            sample = part[metric].to_numpy(dtype=float)
            sample = sample[np.isfinite(sample)]
            if sample.size == 0:
                continue
            mean = float(sample.mean())
            low = high = None
            if sample.size > 1:
                half = float(
                    stats.t.ppf(0.5 + CONFIDENCE / 2, sample.size - 1)
                    * sample.std(ddof=1)
                    / math.sqrt(sample.size)
                )
                low, high = mean - half, mean + half
            rows.append(
                {
                    **dict(zip(parameters, values, strict=True)),
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": float(sample.size),
                }
            )
    return pd.DataFrame(rows), parameters


def _is_metric_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def read_sweep(folder: str | Path) -> Sweep:
    """Read a sweep directory; a `ResultsError` names what is wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError("no sweep directory here", source=folder)
    summary_path, table_path = folder / SUMMARY, folder / SWEEP_TABLE
    problems: list[str] = []
    if summary_path.is_file():
        try:
            data = json.loads(summary_path.read_text(encoding="utf-8"))
            points, parameters, failed = points_from_summary(data)
            details = (
                {k: v for k, v in data.items() if isinstance(v, str | int | float)}
                if isinstance(data, Mapping)
                else {}
            )
            return _sweep(folder, points, parameters, failed, SUMMARY, details)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
            problems.append(f"{SUMMARY} unusable ({exc})")
    else:
        problems.append(f"no {SUMMARY}")
    if table_path.is_file():
        try:
            table = pq.read_table(table_path).to_pandas()
            points, parameters = points_from_table(table)
            return _sweep(folder, points, parameters, (), SWEEP_TABLE, {})
        except (OSError, pa.ArrowException, ValueError) as exc:
            problems.append(f"{SWEEP_TABLE} unusable ({exc})")
    else:
        problems.append(f"no {SWEEP_TABLE}")
    raise ResultsError("not a readable sweep: " + "; ".join(problems), source=folder)


def _sweep(
    folder: Path,
    points: pd.DataFrame,
    parameters: tuple[str, ...],
    failed: tuple[str, ...],
    source: str,
    details: dict[str, Any],
) -> Sweep:
    for name in ("mean", "ci_low", "ci_high", "n"):
        points[name] = pd.to_numeric(points[name], errors="coerce")
    metrics = tuple(dict.fromkeys(points["metric"].astype(str)))
    return Sweep(
        path=folder,
        points=points,
        parameters=parameters,
        metrics=metrics,
        failed=failed,
        source=source,
        details=details,
    )
