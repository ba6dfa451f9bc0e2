"""Are two results directories the same run? Every table compared, wall-clock columns left out.

    python benchmarks/same_results.py RUN_A RUN_B [--json]

Use it to show that a change which should not alter behaviour (a refactor, a faster kernel) leaves a
fixed-seed run's tables identical: run the scenario before and after with the same seed, then compare.
Exit 0 when every table matches, 1 when any differs (the first differing column is named).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# Columns measured on the wall clock (matcher timings, the queueing they cause, and the response's
# clock times, which start when an alert arrives after its measured latency): they differ between runs
# by design, whatever the seed. Outcomes, counts and identities are compared.
WALL_CLOCK_COLUMNS = frozenset(
    {
        "batch_id",
        "batch_size",
        "queue_ms",
        "service_ms",
        "latency_ms",
        "queue_depth_max",
        "latency_p50_ms",
        "latency_p99_ms",
        "matcher_busy_fraction",
        "queued_s",
        "review_start_s",
        "review_end_s",
        "closed_s",
        "dispatched_s",
        "arrival_s",
        "intercepted_s",
    }
)


def _close(a: pa.ChunkedArray, b: pa.ChunkedArray, atol: float) -> bool:
    """Floating columns equal within ``atol`` (same nulls, same infinities); others exactly."""
    if atol <= 0 or not pa.types.is_floating(a.type) or a.type != b.type:
        return bool(a.equals(b))
    x, y = a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False)
    same_nan = np.array_equal(np.isnan(x), np.isnan(y))
    finite = np.isfinite(x) & np.isfinite(y)
    return bool(
        same_nan
        and np.array_equal(np.where(finite, 0, x), np.where(finite, 0, y), equal_nan=True)
        and np.all(np.abs(x[finite] - y[finite]) <= atol)
    )


def _first_difference(a: pa.Table, b: pa.Table, atol: float = 0.0) -> str | None:
    if a.column_names != b.column_names:
        return f"columns {a.column_names} != {b.column_names}"
    if a.num_rows != b.num_rows:
        return f"{a.num_rows} rows != {b.num_rows} rows"
    for name in a.column_names:
        if not _close(a.column(name), b.column(name), atol):
            return f"column {name!r}"
    return None


def compare(run_a: Path, run_b: Path, atol: float = 0.0) -> dict[str, str | None]:
    """Per table present in either run: None when identical, else what differs first.

    ``atol`` > 0 lets floating columns differ by that much (e.g. float32 rounding of scores)."""
    names = sorted(
        {p.stem for p in run_a.glob("*.parquet")} | {p.stem for p in run_b.glob("*.parquet")}
    )
    verdicts: dict[str, str | None] = {}
    for name in names:
        path_a, path_b = run_a / f"{name}.parquet", run_b / f"{name}.parquet"
        if not (path_a.exists() and path_b.exists()):
            verdicts[name] = "present in one run only"
            continue
        a, b = pq.read_table(path_a), pq.read_table(path_b)
        keep = [c for c in a.column_names if c not in WALL_CLOCK_COLUMNS]
        keep_b = [c for c in b.column_names if c not in WALL_CLOCK_COLUMNS]
        verdicts[name] = _first_difference(a.select(keep), b.select(keep_b), atol)
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_a", type=Path)
    parser.add_argument("run_b", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--atol",
        type=float,
        default=0.0,
        help="let floating columns differ by this much (default: exact)",
    )
    args = parser.parse_args()
    verdicts = compare(args.run_a, args.run_b, args.atol)
    same = bool(verdicts) and all(v is None for v in verdicts.values())
    if args.json:
        print(json.dumps({"identical": same, "tables": verdicts}, indent=2))
    else:
        for name, verdict in verdicts.items():
            print(f"{name:<20} {'identical' if verdict is None else 'DIFFERS: ' + verdict}")
        print("identical" if same else "the runs differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
