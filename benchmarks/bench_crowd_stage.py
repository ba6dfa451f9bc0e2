"""Benchmark: the crowd stage as a run times it, each time in a fresh process.

A run's crowd stage (``manifest.json``'s ``stage_seconds.crowd``) makes the day's trips, walks
them and keeps the passes from the window's start, in a process that has just loaded the site:
its first route choices, camera passes and memory are all fresh, which a benchmark that repeats
the stage in one process would not see. This one starts a new Python process for each
measurement and times just that stage in it (wall, CPU, page faults, peak memory).

The machine is shared and its speed moves by half from one minute to the next, so compare
versions in the same session: ``--baseline DIR`` runs a checkout of another version (its
directory, put first on ``PYTHONPATH``) alternately with this one and reports the median ratio;
``--source`` runs the walk from its Python source instead of the compiled build.

    python benchmarks/bench_crowd_stage.py                           # King's Cross, whole day, 3 runs
    git worktree add /tmp/before HEAD~5
    python benchmarks/bench_crowd_stage.py --baseline /tmp/before --runs 4 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from crowd_window import DEFAULT_SCENARIO

# The stage as twin.run.runner times it: trips, the walk, the warm start.
_STAGE = """
import json, resource, sys, time
from twin.crowd.demand import generate_trips
from twin.crowd.walking import on_site_from, simulate_crowd
from twin.recognition.deployment import deploy
from twin.scenario import load_scenario
from twin.site.scenario_site import load_scenario_site
from twin.streams import streams_for

scenario = load_scenario(sys.argv[1])
site = deploy(load_scenario_site(scenario), scenario.cameras).site
began, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
trips = generate_trips(site, scenario.crowd, streams_for(scenario.seed).demand)
crowd = simulate_crowd(site, trips, scenario.crowd, passes_from_s=scenario.crowd.window_start_s)
trips, crowd = on_site_from(trips, crowd, scenario.crowd.window_start_s)
wall = time.perf_counter() - began
after = resource.getrusage(resource.RUSAGE_SELF)
child = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "crowd_stage_s": wall,
    "cpu_user_s": after.ru_utime - before.ru_utime,
    "cpu_system_s": after.ru_stime - before.ru_stime,
    "page_faults": after.ru_minflt - before.ru_minflt,
    "child_process_cpu_s": child.ru_utime + child.ru_stime,
    "peak_memory_gb": after.ru_maxrss / 1e6,
    "pedestrians": len(trips),
    "passes": len(crowd.passes),
}))
"""


def run_stage(scenario: str, *, path_first: str | None, source: bool) -> dict[str, Any]:
    """One crowd stage in a new process: its figures."""
    environment = dict(os.environ)
    if path_first:
        environment["PYTHONPATH"] = os.pathsep.join(
            [path_first, *filter(None, [environment.get("PYTHONPATH")])]
        )
    if source:
        environment["TWIN_COMPILED"] = "0"
    done = subprocess.run(
        [sys.executable, "-P", "-c", _STAGE, scenario],  # -P: not this directory first
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench_crowd_stage: the stage failed:\n{done.stderr.strip()}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes of each version")
    parser.add_argument("--baseline", help="a checkout of another version to alternate with")
    parser.add_argument("--source", action="store_true", help="walk from the Python source")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.baseline and not (Path(args.baseline) / "twin").is_dir():
        parser.error(f"--baseline {args.baseline}: no twin package there")
    this: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    for run in range(args.runs):
        order = [False, True] if run % 2 == 0 else [True, False]
        for is_baseline in order if args.baseline else [False]:
            figures = run_stage(
                args.scenario,
                path_first=args.baseline if is_baseline else None,
                source=args.source,
            )
            (baseline if is_baseline else this).append(figures)
            label = "baseline" if is_baseline else "this"
            print(f"{label}: {figures['crowd_stage_s']:.2f} s", file=sys.stderr, flush=True)
    result: dict[str, Any] = {
        "scenario": args.scenario,
        "runs": args.runs,
        "crowd_stage_s": [f["crowd_stage_s"] for f in this],
        "median_crowd_stage_s": statistics.median(f["crowd_stage_s"] for f in this),
        "last": this[-1],
    }
    if baseline:
        result["baseline_crowd_stage_s"] = [f["crowd_stage_s"] for f in baseline]
        result["median_ratio_to_baseline"] = statistics.median(
            a["crowd_stage_s"] / b["crowd_stage_s"] for a, b in zip(this, baseline, strict=True)
        )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for key, value in result.items():
        print(f"{key:<26}{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
