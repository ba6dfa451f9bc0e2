"""Benchmark: inspecting a site's coverage and planning its cameras, on this machine.

Prints wall times against the issue's targets: ``twin site inspect`` on the King's Cross map under
10 s, and planning 50 cameras from 500 candidates on a day of flows under 60 s. Each command runs
as a real process (imports included), then the work itself is timed in-process stage by stage.

    python benchmarks/bench_site.py                      # King's Cross, the default weekday
    python benchmarks/bench_site.py --json
    python benchmarks/bench_site.py --map site_maps/small_plaza.geojson --scenario scenarios/small_plaza.toml
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
TARGET_INSPECT_S = 10.0
TARGET_PLAN_S = 60.0
T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def command_s(*args: str) -> float:
    """Wall time of ``python -m twin.cli.site ARGS`` as a fresh process, s."""
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "twin.cli.site", *args],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--map", default="site_maps/kings_cross.geojson")
    parser.add_argument("--scenario", default="scenarios/kings_cross_weekday.toml")
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    from twin.analysis.coverage import coverage_report
    from twin.analysis.planning import plan_cameras
    from twin.crowd.flows import scenario_flows
    from twin.scenario import load_scenario
    from twin.site.model import load_site

    map_path, scenario_path = str(ROOT / args.map), str(ROOT / args.scenario)
    with tempfile.TemporaryDirectory() as scratch:
        inspect_s = command_s("site", "inspect", map_path, "--json")
        inspect_day_s = command_s(
            "site", "inspect", map_path, "--scenario", scenario_path, "--json"
        )
        inspect_html_s = command_s(
            "site", "inspect", map_path, "--html", str(Path(scratch) / "site.html")
        )
        plan_command_s = command_s(
            "cameras",
            "plan",
            map_path,
            "--budget",
            str(args.budget),
            "--candidates",
            str(args.candidates),
            "--scenario",
            scenario_path,
            "--out",
            str(Path(scratch) / "plan.geojson"),
            "--json",
        )

    scenario = load_scenario(scenario_path)
    site, load_s = timed(lambda: load_site(map_path))
    flows, flows_s = timed(lambda: scenario_flows(site, scenario.crowd, seed=scenario.seed))
    report, coverage_s = timed(lambda: coverage_report(site, config=scenario.cameras, flows=flows))
    plan, plan_s = timed(
        lambda: plan_cameras(
            site,
            flows,
            budget=args.budget,
            config=scenario.cameras,
            candidates=args.candidates,
        )
    )
    figures: dict[str, Any] = {
        "map": args.map,
        "scenario": args.scenario,
        "cameras": len(site.cameras),
        "walkers": flows.total_walkers,
        "routes": len(flows.routes),
        "inspect_command_s": inspect_s,
        "inspect_with_scenario_command_s": inspect_day_s,
        "inspect_with_html_command_s": inspect_html_s,
        "plan_command_s": plan_command_s,
        "load_site_s": load_s,
        "flows_s": flows_s,
        "coverage_s": coverage_s,
        "plan_s": plan_s,
        "budget": args.budget,
        "candidates": plan.candidates,
        "planned_share_captured": plan.planned.share_captured,
        "current_share_captured": plan.current.share_captured,
        "coverage_face_min": report.coverage["face_min"],
        "target_inspect_s": TARGET_INSPECT_S,
        "target_plan_s": TARGET_PLAN_S,
        "meets_targets": max(inspect_s, inspect_day_s, inspect_html_s) <= TARGET_INSPECT_S
        and plan_command_s <= TARGET_PLAN_S,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"map                          {args.map} ({len(site.cameras)} cameras)")
    print(
        f"flows                        {flows.total_walkers:,} walkers on {len(flows.routes)} routes"
    )
    print(f"twin site inspect            {inspect_s:6.2f} s (target <= {TARGET_INSPECT_S:.0f} s)")
    print(f"  with --scenario            {inspect_day_s:6.2f} s")
    print(f"  with --html                {inspect_html_s:6.2f} s")
    print(
        f"twin cameras plan            {plan_command_s:6.2f} s for {args.budget} of "
        f"{plan.candidates} candidates (target <= {TARGET_PLAN_S:.0f} s)"
    )
    print("in-process:")
    print(f"  load the site              {load_s:6.2f} s")
    print(f"  a day of flows             {flows_s:6.2f} s")
    print(f"  coverage report            {coverage_s:6.2f} s")
    print(f"  plan                       {plan_s:6.2f} s")
    print(
        f"plan vs current             {plan.planned.share_captured:.1%} vs "
        f"{plan.current.share_captured:.1%} of walkers captured "
        f"({plan.planned.cameras} vs {plan.current.cameras} cameras)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
