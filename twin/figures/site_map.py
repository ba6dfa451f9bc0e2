"""The site picture: the ground, the cameras and what each sees, and where people walked.

Pure functions from a `twin.site.model.Site` (and a run's pedestrians and cameras tables) to plotly: the
boundary, buildings, open spaces and walkways; entrances; each camera's view split into bands by the
grade a face gets there (EN 62676-4 DORI and the face-recognition grades of `twin.site.cameras`); a heat
map of pedestrian flow: how many people walked through each square of the site in the run, from their
routes on the walk graph; and, when a run records it, the identification-probability map. Coordinates
are drawn in metres from the site's south-west corner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from twin.figures.palette import (
    BLACK,
    BLUE,
    FLOW_SCALE,
    GRADE_COLOURS,
    GRADE_LABELS,
    GROUND,
    VERMILLION,
    styled,
)
from twin.site.cameras import DORI_GRADES, Camera
from twin.site.model import Site

FloatArray = npt.NDArray[np.float64]

#: Side of a flow-map square, m.
FLOW_CELL_M: Final = 10.0
# Routes are sampled this often (m) to find the squares they cross: under half a square.
_SAMPLE_STEP_M: Final = 2.0


@dataclass(frozen=True)
class FlowGrid:
    """People who walked through each square of the site: ``people[row, col]`` (NaN where none).

    ``x_m`` and ``y_m`` are the squares' centres in site metres (x east, y north).
    """

    x_m: FloatArray
    y_m: FloatArray
    people: FloatArray
    cell_m: float

    @property
    def busiest(self) -> float:
        """The most people through one square."""
        return float(np.nanmax(self.people)) if np.isfinite(self.people).any() else 0.0


def site_extent(site: Site) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of the boundary and everything drawn around it, m."""
    geometries = [site.boundary, *site.walkways, *(c.view for c in site.cameras)]
    bounds = np.array([g.bounds for g in geometries if not g.is_empty])
    return (
        float(bounds[:, 0].min()),
        float(bounds[:, 1].min()),
        float(bounds[:, 2].max()),
        float(bounds[:, 3].max()),
    )


def flow_grid(site: Site, pedestrians: pd.DataFrame, *, cell_m: float = FLOW_CELL_M) -> FlowGrid:
    """Count the people whose route crosses each ``cell_m`` square (each person once per square).

    ``pedestrians`` needs ``origin`` and ``destination`` (entrance ids). Routes are the site's shortest
    walks (`Site.route`), computed once per origin-destination pair.
    """
    x0, y0, x1, y1 = site_extent(site)
    columns = max(1, int(np.ceil((x1 - x0) / cell_m)))
    rows = max(1, int(np.ceil((y1 - y0) / cell_m)))
    people = np.zeros((rows, columns), dtype=np.float64)
    pairs = (
        pd.DataFrame(
            {
                "origin": pedestrians["origin"].astype(str),
                "destination": pedestrians["destination"].astype(str),
            }
        )
        .value_counts()
        .reset_index(name="count")
    )
    for origin, destination, count in zip(
        pairs["origin"], pairs["destination"], pairs["count"], strict=True
    ):
        if origin == destination:
            continue
        try:
            line = site.route(origin, destination).line
        except (KeyError, ValueError):  # an entrance the current map no longer has
            continue
        along = np.append(np.arange(0.0, line.length, _SAMPLE_STEP_M), line.length)
        points = shapely.get_coordinates(shapely.line_interpolate_point(line, along))
        col = np.clip(((points[:, 0] - x0) // cell_m).astype(np.int64), 0, columns - 1)
        row = np.clip(((points[:, 1] - y0) // cell_m).astype(np.int64), 0, rows - 1)
        cells = np.unique(row * columns + col)
        people.flat[cells] += float(count)
    people[people == 0] = np.nan
    return FlowGrid(
        x_m=np.asarray(x0 + (np.arange(columns) + 0.5) * cell_m, dtype=np.float64),
        y_m=np.asarray(y0 + (np.arange(rows) + 0.5) * cell_m, dtype=np.float64),
        people=people,
        cell_m=cell_m,
    )


def grade_bands(camera: Camera) -> list[tuple[str, BaseGeometry]]:
    """A camera's view split by the grade a face gets there, best grade first.

    Each band is the part of the view between the distances at which the face gets the grade's pixel
    density and the next better grade's (`Camera.distance_for_px_per_m`). Empty bands are left out.
    """
    bands: list[tuple[str, BaseGeometry]] = []
    if camera.view.is_empty:
        return bands
    inner: BaseGeometry | None = None
    apex = camera.position
    for grade, px_per_m in DORI_GRADES:
        reach_m = camera.distance_for_px_per_m(px_per_m)
        if reach_m <= 0.0:
            continue
        disk = apex.buffer(reach_m, quad_segs=32)
        band = camera.view.intersection(disk)
        if inner is not None:
            band = band.difference(inner)
        inner = disk
        if not band.is_empty and band.area > 0.01:
            bands.append((grade, band))
    return bands


def _polygons(geometry: BaseGeometry) -> Iterable[Polygon]:
    if isinstance(geometry, Polygon):
        yield geometry
    elif isinstance(geometry, MultiPolygon):
        yield from geometry.geoms
    elif isinstance(geometry, GeometryCollection):  # from an intersection: keep its polygons
        for part in geometry.geoms:
            yield from _polygons(part)


def _rings_xy(
    geometries: Iterable[BaseGeometry], x0: float, y0: float
) -> tuple[list[float | None], list[float | None]]:
    """Exterior rings of the polygons, as one None-separated path (for one filled trace)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for geometry in geometries:
        for polygon in _polygons(geometry):
            coords = np.asarray(polygon.exterior.coords)
            xs.extend((coords[:, 0] - x0).tolist())
            ys.extend((coords[:, 1] - y0).tolist())
            xs.append(None)
            ys.append(None)
    return xs, ys


def _lines_xy(
    lines: Iterable[BaseGeometry], x0: float, y0: float
) -> tuple[list[float | None], list[float | None]]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for line in lines:
        coords = shapely.get_coordinates(line)
        xs.extend((coords[:, 0] - x0).tolist())
        ys.extend((coords[:, 1] - y0).tolist())
        xs.append(None)
        ys.append(None)
    return xs, ys


def _camera_hover(camera: Camera, row: pd.Series | None) -> str:
    text = (
        f"<b>{camera.camera_id}</b>: {camera.name}<br>"
        f"{camera.width_px}×{camera.height_px} px, {camera.hfov_deg:g}° lens, "
        f"{camera.mount_height_m:g} m up"
    )
    if row is not None:
        text += (
            f"<br>recognition: {'on' if bool(row['recognition']) else 'off'}"
            f"<br>people passing: {int(row['passes']):,}; faces searched: {int(row['searches']):,}"
            f"<br>alerts: {int(row['true_alerts'])} right, {int(row['false_alerts'])} wrong"
        )
    return text


def _ground(figure: go.Figure, site: Site, x0: float, y0: float, *, legend: bool = True) -> None:
    """Open spaces, buildings and walkways: the drawing every map starts from."""
    ground: list[tuple[str, list[BaseGeometry], str, str]] = [
        ("open spaces", [s.polygon for s in site.open_spaces], GROUND["open_space"], "#b5d6b5"),
        ("buildings", list(site.buildings), GROUND["building"], "#9a9a9a"),
    ]
    for name, geometries, fill, edge in ground:
        if geometries:
            xs, ys = _rings_xy(geometries, x0, y0)
            figure.add_scatter(
                x=xs,
                y=ys,
                fill="toself",
                fillcolor=fill,
                line={"color": edge, "width": 0.8},
                mode="lines",
                name=name,
                hoverinfo="skip",
                showlegend=legend,
            )
    xs, ys = _lines_xy(site.walkways, x0, y0)
    figure.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": GROUND["walkway"], "width": 1.5},
        name="walkways",
        hoverinfo="skip",
        showlegend=legend,
    )


def _boundary_and_entrances(figure: go.Figure, site: Site, x0: float, y0: float) -> None:
    xs, ys = _rings_xy([site.boundary], x0, y0)
    figure.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": GROUND["boundary"], "width": 2, "dash": "dash"},
        name="site boundary",
        hoverinfo="skip",
    )
    for role, symbol in (("gateway", "square"), ("destination", "diamond")):
        chosen = [e for e in site.entrances if e.role == role]
        if chosen:
            figure.add_scatter(
                x=[e.x_m - x0 for e in chosen],
                y=[e.y_m - y0 for e in chosen],
                mode="markers",
                marker={"symbol": symbol, "size": 9, "color": BLACK, "line": {"width": 0}},
                name="ways in and out" if role == "gateway" else "destinations",
                hovertext=[f"{e.name} ({e.entrance_id})" for e in chosen],
                hoverinfo="text",
            )


def running_recognition(site: Site, cameras: pd.DataFrame | None) -> dict[str, bool]:
    """Per camera id, whether it ran recognition in the run (else: whether it is capable)."""
    ran: dict[str, bool] = {}
    if cameras is not None:
        ran = {
            str(c): bool(r)
            for c, r in zip(cameras["camera_id"], cameras["recognition"], strict=True)
        }
    return {c.camera_id: ran.get(c.camera_id, c.recognition_capable) for c in site.cameras}


def _camera_markers(
    figure: go.Figure,
    site: Site,
    cameras: pd.DataFrame | None,
    x0: float,
    y0: float,
    *,
    names: bool,
) -> None:
    rows = (
        {str(row["camera_id"]): row for _, row in cameras.iterrows()} if cameras is not None else {}
    )
    running = running_recognition(site, cameras)
    size = 12 if len(site.cameras) <= 30 else 8
    for on, label, colour, symbol in (
        (True, "camera running face recognition", VERMILLION, "triangle-up"),
        (False, "camera without recognition", BLUE, "circle"),
    ):
        chosen = [c for c in site.cameras if running[c.camera_id] == on]
        if not chosen:
            continue
        figure.add_scatter(
            x=[c.x_m - x0 for c in chosen],
            y=[c.y_m - y0 for c in chosen],
            mode="markers+text" if names else "markers",
            text=[c.camera_id for c in chosen] if names else None,
            textposition="top center",
            textfont={"size": 11, "color": BLACK},
            marker={
                "symbol": symbol,
                "size": size,
                "color": colour,
                "line": {"width": 1.5, "color": "white"},
            },
            name=label,
            hovertext=[_camera_hover(c, rows.get(c.camera_id)) for c in chosen],
            hoverinfo="text",
        )


def _finish(figure: go.Figure, height: int) -> go.Figure:
    styled(
        figure,
        x_title="metres east of the site's south-west corner (m)",
        y_title="metres north (m)",
        height=height,
    )
    figure.update_layout(
        hovermode="closest",
        legend={"orientation": "v", "x": 1.02, "y": 1.0, "xanchor": "left", "yanchor": "top"},
        margin={"l": 60, "r": 20, "t": 10, "b": 40},
    )
    figure.update_yaxes(scaleanchor="x", scaleratio=1.0, showgrid=False, zeroline=False)
    figure.update_xaxes(showgrid=False, zeroline=False)
    return figure


#: How camera views are coloured on the coverage map.
VIEW_COLOURINGS: Final = ("grade", "recognition")


def coverage_map(
    site: Site,
    *,
    cameras: pd.DataFrame | None = None,
    colour_by: str = "grade",
    names: bool = False,
    height: int = 780,
) -> go.Figure:
    """The site with each camera's view: by the grade a face gets there, or by whether the camera
    ran recognition in the run (``cameras``: the run's cameras table)."""
    x0, y0, _, _ = site_extent(site)
    figure = go.Figure()
    _ground(figure, site, x0, y0)
    if colour_by == "grade":
        bands: dict[str, list[BaseGeometry]] = {grade: [] for grade, _ in DORI_GRADES}
        for camera in site.cameras:
            for grade, band in grade_bands(camera):
                bands[grade].append(band)
        for grade, _ in reversed(DORI_GRADES):
            if bands[grade]:
                xs, ys = _rings_xy(bands[grade], x0, y0)
                figure.add_scatter(
                    x=xs,
                    y=ys,
                    fill="toself",
                    fillcolor=GRADE_COLOURS[grade],
                    opacity=0.6,
                    line={"width": 0},
                    mode="lines",
                    name=f"view: {GRADE_LABELS[grade]}",
                    hoverinfo="skip",
                )
    elif colour_by == "recognition":
        running = running_recognition(site, cameras)
        for on, label, colour in (
            (False, "view of a camera without recognition", BLUE),
            (True, "view of a camera running face recognition", VERMILLION),
        ):
            views = [c.view for c in site.cameras if running[c.camera_id] == on]
            if views:
                xs, ys = _rings_xy(views, x0, y0)
                figure.add_scatter(
                    x=xs,
                    y=ys,
                    fill="toself",
                    fillcolor=colour,
                    opacity=0.35,
                    line={"width": 0.5, "color": colour},
                    mode="lines",
                    name=label,
                    hoverinfo="skip",
                )
    else:
        raise ValueError(f"colour_by must be one of {VIEW_COLOURINGS}, got {colour_by!r}")
    _boundary_and_entrances(figure, site, x0, y0)
    _camera_markers(figure, site, cameras, x0, y0, names=names)
    return _finish(figure, height)


def _heat_map(
    site: Site,
    *,
    x_m: FloatArray,
    y_m: FloatArray,
    values: FloatArray,
    colourscale: str,
    colourbar: str,
    hover: str,
    cameras: pd.DataFrame | None,
    names: bool,
    height: int,
    zmax: float | None = None,
) -> go.Figure:
    x0, y0, _, _ = site_extent(site)
    figure = go.Figure()
    _ground(figure, site, x0, y0, legend=False)
    figure.add_heatmap(
        x=x_m - x0,
        y=y_m - y0,
        z=values,
        colorscale=colourscale,
        zmin=0,
        zmax=zmax,
        opacity=0.85,
        hovertemplate=hover + "<extra></extra>",
        colorbar={
            "title": {"text": colourbar, "side": "right"},
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            "y": -0.12,
            "yanchor": "top",
            "len": 0.6,
            "thickness": 14,
        },
    )
    _boundary_and_entrances(figure, site, x0, y0)
    _camera_markers(figure, site, cameras, x0, y0, names=names)
    _finish(figure, height)
    figure.update_layout(margin={"b": 110})
    return figure


def flow_map(
    site: Site,
    flow: FlowGrid,
    *,
    cameras: pd.DataFrame | None = None,
    names: bool = False,
    height: int = 780,
) -> go.Figure:
    """The site with a heat map of how many people walked through each square during the run."""
    return _heat_map(
        site,
        x_m=flow.x_m,
        y_m=flow.y_m,
        values=flow.people,
        colourscale=FLOW_SCALE,
        colourbar=f"people per {flow.cell_m:g} m square",
        hover="%{z:,.0f} people walked through this square",
        cameras=cameras,
        names=names,
        height=height,
    )


#: Columns of the optional ``id_probability`` table of a run (docs/dashboard.md).
PROBABILITY_COLUMNS: Final = ("x_m", "y_m", "probability")


def probability_map(
    site: Site,
    cells: pd.DataFrame,
    *,
    cameras: pd.DataFrame | None = None,
    names: bool = False,
    height: int = 780,
) -> go.Figure:
    """The identification-probability map: per grid cell (centre ``x_m``, ``y_m``), the chance
    (``probability``, 0 to 1) that a person passing there is captured at recognition grade."""
    xs = np.unique(cells["x_m"].to_numpy(dtype=np.float64))
    ys = np.unique(cells["y_m"].to_numpy(dtype=np.float64))
    grid = np.full((len(ys), len(xs)), np.nan)
    rows = np.searchsorted(ys, cells["y_m"].to_numpy(dtype=np.float64))
    cols = np.searchsorted(xs, cells["x_m"].to_numpy(dtype=np.float64))
    grid[rows, cols] = cells["probability"].to_numpy(dtype=np.float64) * 100.0
    return _heat_map(
        site,
        x_m=xs,
        y_m=ys,
        values=grid,
        colourscale="Viridis",
        colourbar="chance of being captured at recognition grade (%)",
        hover="%{z:.0f}% chance of a recognition-grade capture here",
        cameras=cameras,
        names=names,
        height=height,
        zmax=100.0,
    )


def flow_cell_m(site: Site) -> float:
    """A square size that gives the flow map about 80 squares across, between 2 and 10 m."""
    x0, y0, x1, y1 = site_extent(site)
    return float(min(FLOW_CELL_M, max(2.0, round(max(x1 - x0, y1 - y0) / 80.0))))
