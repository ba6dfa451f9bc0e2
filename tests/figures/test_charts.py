"""The dashboard's figures, built without streamlit from a real plaza run: units on every axis,
colours only from the colour-blind-safe palette, and the site drawn as the map says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import shapely

from twin.analysis import run_frames
from twin.figures import bench, charts, palette, site_map
from twin.loadtest.reader import read_loadtest
from twin.results.reader import read_results
from twin.site.cameras import DORI_GRADES
from twin.site.model import Site, load_site
from twin.sweeps.reader import read_sweep

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit, DashboardRuns

pytest_plugins = ["tests.dashboard_fixtures"]

ALLOWED_COLOURS = {
    c.lower()
    for c in (
        *palette.CATEGORICAL,
        palette.GREY,
        *palette.GRADE_COLOURS.values(),
        *palette.GROUND.values(),
        "#b5d6b5",
        "#9a9a9a",
        "white",
    )
}


@pytest.fixture(scope="module")
def run(dashboard_runs: DashboardRuns) -> dict[str, Any]:
    results = read_results(dashboard_runs.plaza)
    return {
        "manifest": results.manifest,
        **{name: results.table(name).to_pandas() for name in results.manifest["tables"]},
    }


@pytest.fixture(scope="module")
def plaza_site(kit: DashboardKit) -> Site:
    return load_site(kit.root / "site_maps" / "small_plaza.geojson")


def _figures(run: dict[str, Any], kit: DashboardKit, tmp: Any) -> Iterator[go.Figure]:
    manifest = run["manifest"]
    timeseries, decisions = run["timeseries"], run["decisions"]
    frame = run_frames.throughput_by_bin(timeseries, 300)
    yield charts.people_by_period(
        run_frames.people_by_period(
            timeseries, window_start_s=27_000.0, window_end_s=32_400.0, period_s=3600.0
        ),
        period="hour",
    )
    yield charts.throughput(frame, peak_start_s=25_200.0, bin_label="5 minutes")
    yield charts.queue_depth(frame)
    yield charts.latency_over_time(
        run_frames.latency_by_bin(decisions, start_s=25_200.0, bin_s=300),
        log_scale=True,
        peak_start_s=None,
    )
    yield charts.latency_histogram(decisions["latency_ms"], p50=30.0, p99=90.0, log_scale=False)
    judged = run_frames.rejudge(decisions, 0.2)
    for split in run_frames.SPLITS:
        yield charts.outcomes_by(run_frames.outcomes_by(decisions, judged, split), split)
    yield charts.threshold_tradeoff(
        run_frames.threshold_curve(decisions, np.linspace(0, 0.9, 10)), chosen=0.3, recorded=0.24
    )
    yield charts.precision_base_rate(
        run_frames.precision_by_base_rate(tpir=0.9, fpir=1e-4, base_rates=np.logspace(-6, -1, 5)),
        run_base_rate=1e-3,
        run_precision=0.5,
    )
    yield charts.outcome_comparison(manifest, manifest)
    yield charts.searches_comparison(frame, frame, bin_label="5-minute")
    test = read_loadtest(kit.write_loadtest(tmp / "lt"))
    yield bench.latency_vs_throughput(
        test.steps, knee_rate=test.knee_rate, slo_ms=test.slo_ms, log_scale=True
    )
    yield bench.achieved_vs_offered(test.steps)
    sweep = read_sweep(kit.write_sweep(tmp / "sw"))
    yield bench.metric_vs_parameter(
        sweep.points,
        parameter="watchlist.size",
        metric="latency_ms.p99",
        colour_by="matcher.threshold_cosine",
        log_x=True,
    )


def _colours(figure: go.Figure) -> set[str]:
    found: set[str] = set()
    for trace in figure.data:
        for path in (("marker", "color"), ("line", "color"), ("fillcolor",)):
            node: Any = trace
            for part in path:
                node = getattr(node, part, None)
            values = node if isinstance(node, list | tuple | np.ndarray) else [node]
            found.update(str(v).lower() for v in values if isinstance(v, str))
    return found


def test_every_chart_has_units_and_palette_colours(
    run: dict[str, Any], kit: DashboardKit, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("figures")
    built = list(_figures(run, kit, tmp))
    assert len(built) == 15
    for figure in built:
        x_title = figure.layout.xaxis.title.text
        y_title = figure.layout.yaxis.title.text
        assert x_title and "(" in x_title, x_title
        assert y_title and "(" in y_title, y_title
        assert _colours(figure) <= ALLOWED_COLOURS, _colours(figure) - ALLOWED_COLOURS


def test_the_peak_minute_is_marked(run: dict[str, Any]) -> None:
    frame = run_frames.throughput_by_bin(run["timeseries"], 60)
    figure = charts.throughput(frame, peak_start_s=27_000.0, bin_label="1 minute")
    assert len(figure.layout.shapes) == 1
    assert figure.layout.annotations[0].text == "busiest minute"


def test_comparison_table_shows_the_change() -> None:
    before = {"counts": {"true_alerts": 3, "false_alerts": 1}, "latency_ms": {"p99": 80.0}}
    after = {"counts": {"true_alerts": 5, "false_alerts": 4}, "latency_ms": {"p99": 70.0}}
    table = charts.comparison_table(before, after).set_index("figure")
    assert table.loc["right alerts", "change"] == 2
    assert table.loc["latency p99 (ms)", "change"] == -10
    assert pd.isna(table.loc["people", "change"])


def test_grade_bands_partition_each_view(plaza_site: Site) -> None:
    for camera in plaza_site.cameras:
        bands = site_map.grade_bands(camera)
        assert [g for g, _ in bands] == [g for g, _ in DORI_GRADES if g in dict(bands)]
        union = shapely.union_all([band for _, band in bands])
        # Together the bands cover the view out to where a face still reaches 'detect' (25 px/m).
        detect_m = camera.distance_for_px_per_m(DORI_GRADES[-1][1])
        seen = camera.view.intersection(camera.position.buffer(detect_m, quad_segs=32))
        assert union.area == pytest.approx(seen.area, rel=0.01)
        total = sum(band.area for _, band in bands)
        assert total == pytest.approx(union.area, rel=1e-6)  # no overlap between bands


def test_flow_counts_each_person_once_per_square(plaza_site: Site, run: dict[str, Any]) -> None:
    pedestrians = run["pedestrians"]
    grid = site_map.flow_grid(plaza_site, pedestrians, cell_m=5.0)
    assert grid.people.shape == (len(grid.y_m), len(grid.x_m))
    assert 0 < grid.busiest <= len(pedestrians)
    one = site_map.flow_grid(plaza_site, pedestrians.iloc[:1], cell_m=5.0)
    assert set(np.unique(one.people[np.isfinite(one.people)])) == {1.0}


@pytest.mark.parametrize("colour_by", site_map.VIEW_COLOURINGS)
def test_site_maps_draw_ground_cameras_and_layers(
    plaza_site: Site, run: dict[str, Any], colour_by: str
) -> None:
    cameras = run["cameras"]
    figure = site_map.coverage_map(plaza_site, cameras=cameras, colour_by=colour_by, names=True)
    names = {trace.name for trace in figure.data}
    assert {"buildings", "walkways", "site boundary", "ways in and out"} <= names
    assert "camera running face recognition" in names
    assert "(m)" in figure.layout.xaxis.title.text and "(m)" in figure.layout.yaxis.title.text
    assert figure.layout.yaxis.scaleanchor == "x"
    if colour_by == "grade":
        assert any(str(n).startswith("view: face recognition") for n in names)
    else:
        assert "view of a camera running face recognition" in names
    running = sum(len(t.x) for t in figure.data if t.name == "camera running face recognition")
    assert running == int(cameras["recognition"].sum())
    grid = site_map.flow_grid(plaza_site, run["pedestrians"])
    flow = site_map.flow_map(plaza_site, grid, cameras=cameras)
    heatmaps = [t for t in flow.data if t.type == "heatmap"]
    assert len(heatmaps) == 1 and "people per" in heatmaps[0].colorbar.title.text


def test_the_probability_map_puts_each_cell_in_place(plaza_site: Site) -> None:
    cells = pd.DataFrame(
        {
            "x_m": [530_010.0, 530_020.0, 530_010.0],
            "y_m": [183_010.0, 183_010.0, 183_020.0],
            "probability": [0.5, 1.0, 0.0],
        }
    )
    figure = site_map.probability_map(plaza_site, cells)
    heatmap = next(t for t in figure.data if t.type == "heatmap")
    z = np.asarray(heatmap.z, dtype=float)
    assert z.shape == (2, 2)
    assert z[0, 0] == 50.0 and z[0, 1] == 100.0 and z[1, 0] == 0.0 and np.isnan(z[1, 1])
    assert "(%)" in heatmap.colorbar.title.text
