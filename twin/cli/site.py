"""``twin site`` and ``twin cameras``: inspect a site's coverage, plan cameras, draw the camera graph.

Two typer sub-apps the ``twin`` command mounts: :data:`site_app` (``inspect``, and ``import``
from `twin.cli.site_import`) and
:data:`cameras_app` (``plan``, ``graph``). Every command that prints figures also takes ``--json``
and then prints one JSON document. Bad input (a malformed map, a camera with an impossible lens or
height, a budget larger than the candidates) gets one line on standard error naming the file, the
camera or the flag, and exit code 2. ``python -m twin.cli.site site inspect MAP`` runs them without
the main command.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.table import Table

from twin.cli.limits import check_candidates, check_map_size, check_px_per_m
from twin.cli.site_import import import_command
from twin.cli.support import refuse_bad_input, stdout
from twin.errors import TwinInputError

if TYPE_CHECKING:
    from twin.crowd.flows import Flows
    from twin.scenario import CamerasConfig, Scenario
    from twin.site.model import Site

P = ParamSpec("P")
R = TypeVar("R")

site_app = typer.Typer(
    help="The site: its map, its cameras and what they cover.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
cameras_app = typer.Typer(
    help="Cameras: plan a layout for the walkers, and the graph of walks between cameras.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@site_app.callback()
def _site() -> None:
    """The site: its map, its cameras and what they cover."""


@cameras_app.callback()
def _cameras() -> None:
    """Cameras: plan a layout for the walkers, and the graph of walks between cameras."""


MapArgument = Annotated[
    Path, typer.Argument(metavar="MAP", help="Site map (GeoJSON in projected metres).")
]
ScenarioOption = Annotated[
    Path | None,
    typer.Option(
        "--scenario",
        "-s",
        help="Scenario TOML: its crowd (a day of simulated walkers) and capture rules.",
    ),
]
LayerOption = Annotated[
    Path | None,
    typer.Option("--cameras", help="Camera layer (GeoJSON) to use instead of the map's cameras."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Run even beyond the documented size limits.")
]
HtmlOption = Annotated[
    Path | None, typer.Option("--html", help="Write the picture as an HTML page (opens offline).")
]
PngOption = Annotated[
    Path | None, typer.Option("--png", help="Write the picture as a PNG (needs Chromium).")
]


def _load(
    map_path: Path, scenario_path: Path | None, layer: Path | None, *, force: bool = False
) -> tuple[Site, Scenario | None, CamerasConfig]:
    from twin.scenario import CamerasConfig, load_scenario
    from twin.site.model import load_site

    check_map_size(map_path, force=force)

    scenario = load_scenario(scenario_path) if scenario_path is not None else None
    site = load_site(map_path, cameras=layer)
    return site, scenario, scenario.cameras if scenario is not None else CamerasConfig()


def _flows(site: Site, scenario: Scenario | None) -> Flows | None:
    from twin.crowd.flows import scenario_flows

    if scenario is None:
        return None
    return scenario_flows(site, scenario.crowd, seed=scenario.seed)


def _pictures(figure: Any, html: Path | None, png: Path | None) -> dict[str, str | None]:
    from twin.figures.site_pictures import write_html, write_png

    if html is not None:
        write_html(figure, html)
    if png is not None:
        write_png(figure, png)
    return {"html": str(html) if html else None, "png": str(png) if png else None}


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100.0 * share:.1f}%"


@site_app.command("inspect")
@refuse_bad_input
def inspect(
    map_path: MapArgument,
    scenario: ScenarioOption = None,
    cameras: LayerOption = None,
    as_json: JsonOption = False,
    html: HtmlOption = None,
    png: PngOption = None,
    cell_m: Annotated[
        float, typer.Option("--cell-m", help="Square of the identification map, m.")
    ] = 10.0,
    force: ForceOption = False,
) -> None:
    """Area, cameras, coverage by grade (DORI and face recognition), blind spots, and a picture.

    Coverage is the share of walkway length (and, with --scenario, of a simulated day's pedestrian-metres) where some camera puts at least each grade's pixels per metre on a face.

    Examples:

      twin site inspect site_maps/kings_cross.geojson --html kx.html

      twin site inspect site_maps/kings_cross.geojson --scenario scenarios/kings_cross_weekday.toml --json
    """
    from twin.analysis.coverage import coverage_report
    from twin.site.optics import DORI_GRADES

    if not cell_m > 0:
        raise TwinInputError(f"--cell-m: {cell_m}; allowed: metres > 0")
    began = time.perf_counter()
    site, loaded, config = _load(map_path, scenario, cameras, force=force)
    flows = _flows(site, loaded)
    report = coverage_report(site, config=config, flows=flows, cell_m=cell_m)
    pictures: dict[str, str | None] = {"html": None, "png": None}
    if html is not None or png is not None:
        from twin.figures.site_pictures import coverage_figure

        pictures = _pictures(coverage_figure(site, blind=report.blind_spots), html, png)
    figures = {
        "site": site.name,
        "map": str(map_path),
        "scenario": str(scenario) if scenario else None,
        "area_ha": site.area_ha,
        "camera_count": len(site.cameras),
        "recognition_capable": sum(c.recognition_capable for c in site.cameras),
        "walkers": flows.total_walkers if flows is not None else None,
        **report.as_dict(),
        "id_probability_cells": len(report.grid.probability),
        **pictures,
        "wall_s": time.perf_counter() - began,
    }
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    stdout.print(
        f"[bold]{site.name}[/]: {site.area_ha:.2f} ha, {len(site.cameras)} cameras "
        f"({figures['recognition_capable']} recognition-capable), "
        f"{report.walkway_length_m:,.0f} m of walkway inside the boundary"
    )
    table = Table(title="Coverage by grade (seen at this grade or better)")
    table.add_column("grade")
    table.add_column("px/m", justify="right")
    table.add_column("walkway length", justify="right")
    table.add_column("by recognition-capable", justify="right")
    table.add_column("pedestrian-metres", justify="right")
    for name, px_per_m in DORI_GRADES:
        table.add_row(
            name,
            f"{px_per_m:g}",
            _percent(report.coverage[name]),
            _percent(report.coverage_recognition[name]),
            _percent(report.pedestrian_coverage[name] if report.pedestrian_coverage else None),
        )
    stdout.print(table)
    stdout.print(
        f"Blind spots: {len(report.blind_spots)} stretches, {report.blind_length_m:,.0f} m "
        f"({_percent(report.blind_length_m / report.walkway_length_m)} of walkway) seen by no "
        "camera at 'detect' grade"
    )
    for spot in report.blind_spots[:5]:
        stdout.print(
            f"  {spot.walkway or 'unnamed walkway'} at ({spot.x_m:.0f}, {spot.y_m:.0f}): "
            f"{spot.length_m:.0f} m" + (f", {spot.walkers:,.0f} walkers" if flows else "")
        )
    stdout.print(
        "Chance of a recognition-grade capture at a point walked, averaged over "
        f"{'pedestrian-metres' if flows else 'walkway length'}: "
        f"{_percent(report.mean_capture_chance)}"
    )
    for kind in ("html", "png"):
        if pictures[kind]:
            stdout.print(f"Picture: {pictures[kind]}")


@cameras_app.command("plan")
@refuse_bad_input
def plan(
    map_path: MapArgument,
    budget: Annotated[int, typer.Option("--budget", "-n", help="Cameras to place.")],
    scenario: ScenarioOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the plan as a GeoJSON camera layer."),
    ] = None,
    candidates: Annotated[
        int, typer.Option("--candidates", help="Candidate mounts to choose from.")
    ] = 500,
    lens: Annotated[
        str, typer.Option("--lens", help="Lens of every camera: 1080p, 4mp, 4k.")
    ] = "4mp",
    min_px_per_m: Annotated[
        float | None,
        typer.Option(
            "--min-px-per-m",
            help="Pixels per metre a capture needs. Default: the scenario's min_face_px_per_m.",
        ),
    ] = None,
    as_json: JsonOption = False,
    html: HtmlOption = None,
    png: PngOption = None,
    force: ForceOption = False,
) -> None:
    """Choose camera positions and headings that capture the most walkers at recognition grade.

    Candidates are wall mounts on building faces and poles along the walkways people walk (a day of the scenario's flows; without --scenario, the default crowd of 120,000 trips, seed 0). A lazy greedy maximises the expected walkers captured at least once, and the plan is compared with the map's current recognition cameras on the same flows.

    A scenario uses the layer with \\[site] cameras = "FILE" (relative to the scenario file).

    Example:

      twin cameras plan site_maps/kings_cross.geojson --budget 50 --out plan.geojson
    """
    from twin.analysis.planning import LENSES, plan_cameras
    from twin.crowd.flows import scenario_flows
    from twin.scenario import CrowdConfig
    from twin.site.camera_layer import camera_layer_document

    if lens not in LENSES:
        raise TwinInputError(f"--lens: {lens!r}; allowed: {', '.join(LENSES)}")
    check_candidates(candidates, force=force)
    check_px_per_m(min_px_per_m)
    if budget < 1:
        raise TwinInputError(f"--budget: {budget}; allowed: at least 1 camera")
    began = time.perf_counter()
    site, loaded, config = _load(map_path, scenario, None, force=force)
    flows = (
        scenario_flows(site, loaded.crowd, seed=loaded.seed)
        if loaded is not None
        else scenario_flows(site, CrowdConfig(), seed=0)
    )
    chosen = plan_cameras(
        site,
        flows,
        budget=budget,
        config=config,
        candidates=candidates,
        lens=lens,
        min_px_per_m=min_px_per_m,
    )
    figures: dict[str, Any] = {
        "site": site.name,
        "map": str(map_path),
        "scenario": str(scenario) if scenario else None,
        "budget": budget,
        "candidates": chosen.candidates,
        "lens": chosen.lens,
        "min_px_per_m": chosen.min_px_per_m,
        "walkers": flows.total_walkers,
        "planned": chosen.planned.as_dict(),
        "current": chosen.current.as_dict(),
        "out": str(out) if out else None,
    }
    if out is not None:
        layer = camera_layer_document(
            chosen.cameras,
            crs=site.crs,
            properties={
                "name": f"{site.name}: {budget} planned cameras",
                "source": "twin cameras plan",
                "attribution": site.attribution,
                **{k: figures[k] for k in ("map", "scenario", "budget", "candidates", "lens")},
                "planned": figures["planned"],
                "current": figures["current"],
            },
        )
        try:
            out.write_text(json.dumps(layer, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise TwinInputError(f"--out: cannot write {out} ({exc.strerror})") from exc
    if html is not None or png is not None:
        from twin.figures.site_pictures import plan_figure

        figures.update(_pictures(plan_figure(site, site.with_cameras(chosen.cameras)), html, png))
    figures["wall_s"] = time.perf_counter() - began
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    table = Table(title=f"{site.name}: {budget} cameras from {chosen.candidates} candidates")
    table.add_column("layout")
    table.add_column("cameras", justify="right")
    table.add_column("walkers captured", justify="right")
    table.add_column("share", justify="right")
    table.add_column("captures", justify="right")
    for label, value in (("plan", chosen.planned), ("current", chosen.current)):
        table.add_row(
            label,
            str(value.cameras),
            f"{value.walkers_captured:,.0f}",
            _percent(value.share_captured),
            f"{value.captures:,.0f}",
        )
    stdout.print(table)
    stdout.print(
        f"Capture: at least {chosen.min_px_per_m:g} px/m on the face, head within "
        f"{config.max_head_yaw_deg:g}° of the camera; {flows.total_walkers:,} walkers"
    )
    if out is not None:
        stdout.print(
            f'Camera layer: {out} (a scenario uses it with [site] cameras = "PATH", the path '
            "relative to the scenario file)",
            markup=False,
        )


@cameras_app.command("graph")
@refuse_bad_input
def graph(
    map_path: MapArgument,
    scenario: ScenarioOption = None,
    cameras: LayerOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the graph: .json (node-link) or .graphml."),
    ] = None,
    min_transitions: Annotated[
        int, typer.Option("--min-transitions", help="Leave out links walked fewer times.")
    ] = 1,
    as_json: JsonOption = False,
    html: HtmlOption = None,
    png: PngOption = None,
    force: ForceOption = False,
) -> None:
    """The camera graph: cameras linked by the walks simulated people make between them.

    Each link carries the transit-time distribution of a day of the scenario's crowd, walked in SimPy (without --scenario, the default crowd, seed 0).

    Example:

      twin cameras graph site_maps/small_plaza.geojson --out plaza-graph.graphml --html graph.html
    """
    from twin.analysis.camera_graph import GRAPH_FORMATS, camera_graph, write_graph
    from twin.crowd.demand import generate_trips
    from twin.crowd.walking import simulate_crowd
    from twin.scenario import CrowdConfig
    from twin.streams import streams_for

    if out is not None and out.suffix.lower() not in GRAPH_FORMATS:
        raise TwinInputError(f"--out: {out}; allowed: a file ending {' or '.join(GRAPH_FORMATS)}")
    if min_transitions < 1:
        raise TwinInputError(f"--min-transitions: {min_transitions}; allowed: at least 1")
    began = time.perf_counter()
    site, loaded, _ = _load(map_path, scenario, cameras, force=force)
    crowd, seed = (loaded.crowd, loaded.seed) if loaded is not None else (CrowdConfig(), 0)
    walked = simulate_crowd(site, generate_trips(site, crowd, streams_for(seed).demand), crowd)
    built = camera_graph(site, walked.passes, min_transitions=min_transitions)
    if out is not None:
        try:
            write_graph(built, out)
        except OSError as exc:
            raise TwinInputError(f"--out: cannot write {out} ({exc.strerror})") from exc
    busiest = sorted(built.edges(data=True), key=lambda e: -int(e[2]["transitions"]))[:10]
    figures: dict[str, Any] = {
        "site": site.name,
        "cameras": built.number_of_nodes(),
        "links": built.number_of_edges(),
        "transitions": sum(int(d["transitions"]) for _, _, d in built.edges(data=True)),
        "busiest": [
            {
                "from": a,
                "to": b,
                "transitions": int(d["transitions"]),
                "transit_p50_s": round(float(d["transit_p50_s"]), 1),
                "transit_p95_s": round(float(d["transit_p95_s"]), 1),
            }
            for a, b, d in busiest
        ],
        "out": str(out) if out else None,
    }
    if html is not None or png is not None:
        from twin.figures.site_pictures import graph_figure

        figures.update(_pictures(graph_figure(site, built), html, png))
    figures["wall_s"] = time.perf_counter() - began
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    stdout.print(
        f"[bold]{site.name}[/]: {figures['cameras']} cameras, {figures['links']} links walked "
        f"{figures['transitions']:,} times"
    )
    table = Table(title="Busiest links")
    for column in ("from", "to", "walkers", "median transit (s)", "95th percentile (s)"):
        table.add_column(column, justify="right" if column != "from" else "left")
    for row in figures["busiest"]:
        table.add_row(
            row["from"],
            row["to"],
            f"{row['transitions']:,}",
            f"{row['transit_p50_s']:g}",
            f"{row['transit_p95_s']:g}",
        )
    stdout.print(table)
    if out is not None:
        stdout.print(f"Graph: {out}")


site_app.command("import")(import_command)


def main() -> None:
    """``python -m twin.cli.site``: both sub-apps without the main ``twin`` command."""
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    app.add_typer(site_app, name="site")
    app.add_typer(cameras_app, name="cameras")
    app()


if __name__ == "__main__":
    main()
