"""``twin site import``: a planner's own site from an OpenStreetMap extract, in one command.

Registered on the ``twin site`` group by `twin.cli.site`; the work is `twin.site.osm.importer`.
Prints the map's figures (``--json``: one JSON document) and, when OpenStreetMap maps no camera,
how to plan a camera layer with ``twin cameras plan``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.support import refuse_bad_input, stdout


@refuse_bad_input
def import_command(
    osm_file: Annotated[
        Path,
        typer.Argument(
            metavar="OSM_FILE",
            help="OpenStreetMap extract: .osm.pbf, .osm XML or GeoJSON (longitude, latitude).",
        ),
    ],
    boundary: Annotated[
        Path,
        typer.Option(
            "--boundary", "-b", help="The site's outline: one GeoJSON Polygon (lon, lat)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Site map to write (GeoJSON).")],
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", "-s", help="Also write a scenario TOML skeleton here."),
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs",
            help="Projected CRS in metres, e.g. EPSG:32630. Default: the national grid "
            "(EPSG:27700 in Great Britain), else the UTM zone.",
        ),
    ] = None,
    overlay: Annotated[
        Path | None,
        typer.Option(
            "--overlay",
            help="GeoJSON of what OpenStreetMap cannot know: cameras, entrances with published "
            "counts, links (docs/site_import.md).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Import a site from OpenStreetMap: walk network, buildings, open spaces, entrances, cameras.

    Writes a site map in projected metres (docs/site_map_profile.md) that twin run accepts as it stands, with the ODbL attribution in its properties, and with --scenario a scenario whose every assumption is marked. Nothing is written if the input is bad.

    Examples:

      twin site import city.osm.pbf --boundary site.geojson --out site.geojson --scenario site.toml

      twin site import extract.geojson -b site.geojson -o site.geojson --crs EPSG:32630 --json
    """
    from twin.site.osm.importer import import_site

    report = import_site(osm_file, boundary, out, scenario=scenario, crs=crs, overlay=overlay)
    figures = report.as_dict()
    advice = None
    if not report.site.cameras:
        layer = out.with_name(f"{out.stem}-cameras.geojson")
        advice = (
            f"twin cameras plan {out} --budget 20"
            + (f" --scenario {scenario}" if scenario else "")
            + f" --out {layer}"
        )
    figures["plan_cameras"] = advice
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    table = Table(title=f"{report.site.name}: imported into {report.crs}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = (
        ("area inside the boundary", f"{figures['area_ha']:.2f} ha"),
        ("buildings / open spaces", f"{figures['buildings']} / {figures['open_spaces']}"),
        ("walkways (edges)", f"{figures['walkways']}"),
        ("walkway length (inside the boundary)", f"{figures['walkway_length_inside_m']:,.0f} m"),
        ("gateways / destinations", f"{figures['gateways']} / {figures['destinations']}"),
        (
            "cameras (recognition-capable)",
            f"{figures['cameras']} ({figures['recognition_capable']})",
        ),
        ("entrances left out (too far from a walkway)", f"{len(report.dropped_entrances)}"),
        ("wall time", f"{figures['wall_s']:.1f} s"),
    )
    for name, value in rows:
        table.add_row(name, value)
    stdout.print(table)
    stdout.print(f"Site map: {out}", markup=False)
    if scenario is not None:
        stdout.print(
            f"Scenario: {scenario} (every figure no source gives is marked *assumption*)",
            markup=False,
        )
    if advice is not None:
        stdout.print(
            f"No cameras are mapped here. Plan a layer: {advice}, then set "
            '[site] cameras = "LAYER" and [cameras] recognition = "capable" in the scenario.',
            markup=False,
        )
    stdout.print(f"Attribution: {report.site.attribution}", markup=False)
