"""``twin crowd``: validate the crowd model as the field validates crowd simulators, and export a
run's walkers as trajectories.

Mounted by the ``twin`` command as ``twin crowd``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.support import refuse_bad_input, stdout
from twin.errors import TwinInputError

crowd_app = typer.Typer(
    help="The crowd model: validation against RiMEA test cases and Weidmann's diagram.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@crowd_app.command("validate")
@refuse_bad_input
def validate(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    jupedsim: Annotated[
        bool, typer.Option("--jupedsim/--no-jupedsim", help="Include the JuPedSim comparison.")
    ] = True,
) -> None:
    """Run the crowd validation checks (RiMEA 1, the fundamental diagram, a bottleneck) and the
    comparison with JuPedSim, and print each with its figure and tolerance. Exit code 1 if any
    fails.

    Example:

      twin crowd validate --json
    """
    from twin.crowd.validation import run_checks

    checks = run_checks()
    if jupedsim:
        from twin.crowd.comparison import comparison_checks

        checks += comparison_checks()
    if as_json:
        typer.echo(json.dumps({"checks": [c.as_dict() for c in checks]}, indent=2))
    else:
        table = Table(title="Crowd validation")
        for column in ("check", "figure", "expected", "result", "setting"):
            table.add_column(column)
        for check in checks:
            table.add_row(
                check.name,
                f"{check.figure:.3f}",
                check.expected,
                "pass" if check.passed else "FAIL",
                check.detail,
            )
        stdout.print(table)
    if not all(check.passed for check in checks):
        raise typer.Exit(1)


def _clock(text: str, option: str) -> float:
    from twin.scenario import parse_clock

    try:
        return parse_clock(text)
    except ValueError as exc:
        raise TwinInputError(f"{option}: {text!r}; allowed: a time of day HH:MM") from exc


def _area(text: str) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise TwinInputError(
            f"--area: {text!r}; allowed: X0,Y0,X1,Y1 in the site's metres, X0 < X1 and Y0 < Y1"
        ) from exc
    if not (x0 < x1 and y0 < y1):
        raise TwinInputError(f"--area: {text!r}; allowed: X0,Y0,X1,Y1 with X0 < X1 and Y0 < Y1")
    return x0, y0, x1, y1


@crowd_app.command("trajectories")
@refuse_bad_input
def export_trajectories(
    run: Annotated[Path, typer.Argument(help="A results directory (from `twin run`).")],
    out: Annotated[Path, typer.Option("--out", help="Trajectory text file to write.")],
    area: Annotated[
        str | None, typer.Option("--area", help="X0,Y0,X1,Y1: only positions inside, metres.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="From HH:MM (default: window start).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="To HH:MM (default: window end).")] = None,
    fps: Annotated[float, typer.Option("--fps", help="Frames per second.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Write a run's walkers as trajectories PedPy's `load_trajectory` reads (id, frame, x, y in
    metres, frame rate in the header), replaying the run's crowd from its scenario and seed.

    Example:

      twin crowd trajectories runs/today --out boulevard.txt --area 529900,182900,530000,183000 \\
        --from 08:00 --to 08:05 --fps 10
    """
    import numpy as np
    import shapely

    from twin.crowd.demand import generate_trips
    from twin.crowd.trajectories import trajectories, write_pedpy_text
    from twin.crowd.walking import on_site_from, simulate_crowd
    from twin.results.reader import read_results
    from twin.scenario import scenario_from_dict
    from twin.site.scenario_site import load_scenario_site

    if not 0 < fps <= 100:
        raise TwinInputError(f"--fps: {fps:g}; allowed: more than 0 and at most 100")
    box = _area(area) if area is not None else None
    results = read_results(run)
    scenario = scenario_from_dict(results.manifest["scenario"]["resolved"], label=str(run))
    window = scenario.crowd
    from_s = _clock(start, "--from") if start is not None else window.window_start_s
    to_s = _clock(end, "--to") if end is not None else window.window_end_s
    if not (window.window_start_s <= from_s < to_s <= window.window_end_s):
        raise TwinInputError(
            f"--from/--to: {start or window.window_start}-{end or window.window_end}; allowed: a span "
            f"inside the run's window {window.window_start}-{window.window_end}, --from before --to"
        )
    site = load_scenario_site(scenario)
    if box is not None and not shapely.box(*box).intersects(site.boundary.buffer(50.0)):
        x0, y0, x1, y1 = site.boundary.bounds
        raise TwinInputError(
            f"--area: {area}; allowed: an area overlapping the site "
            f"({x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f})"
        )
    demand = np.random.default_rng(
        np.random.SeedSequence(int(results.manifest["seed"])).spawn(1)[0]
    )
    trips = generate_trips(site, window, demand)
    walked = simulate_crowd(site, trips, window, passes_from_s=window.window_start_s)
    trips, walked = on_site_from(trips, walked, window.window_start_s)
    found = trajectories(trips, walked, from_s=from_s, to_s=to_s, fps=fps, area=box)
    write_pedpy_text(found, out)
    summary = {
        "out": str(out),
        "rows": len(found),
        "walkers": int(np.unique(found.pedestrian).size),
        "fps": fps,
        "from_s": from_s,
        "to_s": to_s,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        stdout.print(
            f"wrote {summary['rows']:,} positions of {summary['walkers']:,} walkers to {out} "
            f"at {fps:g} fps"
        )
