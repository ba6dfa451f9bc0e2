"""Benchmark: a simulated year of a scenario, and what the response funnel makes of its alerts.

A year of 365 whole days is too slow here (a King's Cross day's crowd alone takes about ten seconds),
so the scenario's day is simulated on ``--days`` independent seeds (numpy SeedSequence.spawn, every
stage for real) and scaled to 365 days: expected true and false alerts with 95% intervals (the wider
of the Student-t interval of the daily mean and the exact Poisson interval: twin/sweeps/year.py) and how
the funnel converts them into interventions. The first sampled day is published as a results
directory with the year in its manifest (``year``) and a ``days`` table, so that ``twin report``
shows it.

    python benchmarks/bench_year.py                                   # kings_cross_2016.toml, 20 days
    python benchmarks/bench_year.py --days 8 --out runs/kx2016-year --json
    python benchmarks/bench_year.py scenarios/small_plaza.toml --days 5
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from twin.results.publish import run_scenario
from twin.results.writer import ResultsWriter
from twin.scenario import load_scenario
from twin.sweeps.year import DAYS, days_table, simulate_days, year_estimate

DEFAULT_SCENARIO = "scenarios/kings_cross_2016.toml"
DEFAULT_DAYS = 20
HEADLINE = (
    ("true_alerts", "true alerts"),
    ("false_alerts", "false alerts"),
    ("incidents", "incidents"),
    ("reviewed", "reviewed"),
    ("dismissed", "dismissed"),
    ("expired", "expired unreviewed"),
    ("intercepted", "people stopped"),
    ("right_person", "  right person"),
    ("wrong_person", "  wrong person"),
    ("lost", "lost"),
    ("faces", "faces scanned"),
    ("cost_gbp", "staff cost (GBP)"),
)


def measure(scenario_path: str, *, days: int, seed: int | None, out: Path) -> dict[str, Any]:
    """Simulate the sampled days, publish the first with the year, and collect the figures."""
    scenario = load_scenario(scenario_path)
    base_seed = scenario.seed if seed is None else seed
    began = time.perf_counter()

    def progress(index: int, counts: dict[str, float]) -> None:
        print(
            f"day {index + 1}/{days}: {counts['alerts']:.0f} alerts "
            f"({counts['true_alerts']:.0f} true), {counts['intercepted']:.0f} stopped, "
            f"{time.perf_counter() - began:.0f} s",
            file=sys.stderr,
        )

    first, figures, seeds = simulate_days(scenario, days=days, seed=base_seed, on_day=progress)
    year = year_estimate(figures, seeds=seeds)

    def annex(writer: ResultsWriter) -> dict[str, Any]:
        writer.write_table(DAYS, days_table(figures, seeds))
        return {"year": year}

    run_scenario(scenario, out=out, simulated=first, extra=annex)
    return {
        "scenario": scenario.name,
        "base_seed": base_seed,
        "wall_seconds": time.perf_counter() - began,
        "results": str(out),
        "year": year,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days to sample (>= 2)")
    parser.add_argument("--seed", type=int, default=None, help="base seed (default: scenario's)")
    parser.add_argument("--out", type=Path, default=Path("runs/kx2016-year"))
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if args.days < 2:
        parser.error("--days must be at least 2")
    report = measure(args.scenario, days=args.days, seed=args.seed, out=args.out)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    year = report["year"]
    print(
        f"{report['scenario']}: a year of {year['days_per_year']} days from {year['days_sampled']} sampled days"
    )
    print(f"{'figure':<22}{'per day':>10}{'per year':>12}   95% interval")
    for key, label in HEADLINE:
        figure = year["figures"][key]
        low, high = figure["ci95_per_year"]
        print(
            f"{label:<22}{figure['per_day']:>10.3g}{figure['per_year']:>12,.0f}   {low:,.0f} to {high:,.0f}"
        )
    for name, share in year["conversion"].items():
        if share is None:
            shown = "n/a"
        elif name == "alerts_per_incident":
            shown = f"{share:.2f}"
        else:
            shown = f"{100 * share:.1f}%"
        print(f"{name.replace('_', ' '):<34}{shown:>8}")
    print(year["method"])
    print(f"wall time {report['wall_seconds']:.0f} s; results (twin report): {report['results']}")


if __name__ == "__main__":
    main()
