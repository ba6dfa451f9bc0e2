"""The camera graph: transitions between consecutive cameras of one walker, and their timing."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from tests.site_fixtures import camera_props, feature, point, tiny_site, write
from twin.analysis.camera_graph import camera_graph, graph_document, read_graph, write_graph
from twin.crowd.walking import Passes
from twin.site.model import Site, load_site


@pytest.fixture(scope="module")
def three_cameras(tmp_path_factory: pytest.TempPathFactory) -> Site:
    document = tiny_site()
    document["features"] += [
        feature(point(49, 30), **camera_props(id="cam-2", heading_deg=0.0)),
        feature(point(30, 51), **camera_props(id="cam-3", heading_deg=90.0)),
    ]
    return load_site(write(tmp_path_factory.mktemp("graph"), document))


def walks(*rows: tuple[int, int, float]) -> Passes:
    """Passes from (pedestrian, camera index, best moment s) rows, in time order."""
    ordered = sorted(rows, key=lambda row: row[2])
    pedestrian, camera, best = (np.asarray(column) for column in zip(*ordered, strict=True))
    best = best.astype(np.float64)
    n = len(ordered)
    return Passes(
        pedestrian=pedestrian.astype(np.int64),
        camera=camera.astype(np.int64),
        enter_s=best - 2.0,
        best_s=best,
        exit_s=best + 2.0,
        px_per_m=np.full(n, 300.0),
        distance_m=np.full(n, 10.0),
        facing_deg=np.zeros(n),
        speed_m_s=np.full(n, 1.34),
    )


def test_consecutive_cameras_of_a_walker_make_a_timed_edge(three_cameras: Site) -> None:
    passes = walks(
        (0, 0, 100.0), (0, 1, 130.0), (0, 2, 190.0),  # 0 -> 1 in 30 s, 1 -> 2 in 60 s
        (1, 0, 500.0), (1, 1, 540.0),  # 0 -> 1 in 40 s
        (2, 1, 105.0), (2, 1, 120.0), (2, 0, 150.0),  # back into the same view: no self-loop
    )  # fmt: skip
    graph = camera_graph(three_cameras, passes)
    assert set(graph.edges) == {("cam-1", "cam-2"), ("cam-2", "cam-3"), ("cam-2", "cam-1")}
    forward = graph.edges["cam-1", "cam-2"]
    assert forward["transitions"] == 2
    assert forward["transit_mean_s"] == pytest.approx(35.0)
    assert forward["transit_min_s"] == 30.0 and forward["transit_max_s"] == 40.0
    assert forward["transit_p50_s"] == pytest.approx(35.0)
    assert forward["log_mean"] == pytest.approx((np.log(30.0) + np.log(40.0)) / 2)
    assert graph.edges["cam-2", "cam-1"]["transit_mean_s"] == pytest.approx(30.0)
    assert graph.nodes["cam-2"]["passes"] == 4
    assert graph.nodes["cam-1"]["x_m"] == 51.0


def test_rare_links_can_be_left_out(three_cameras: Site) -> None:
    passes = walks((0, 0, 1.0), (0, 1, 9.0), (1, 0, 3.0), (1, 1, 12.0), (2, 1, 4.0), (2, 2, 20.0))
    graph = camera_graph(three_cameras, passes, min_transitions=2)
    assert list(graph.edges) == [("cam-1", "cam-2")]
    assert graph.number_of_nodes() == 3


@pytest.mark.parametrize("suffix", [".json", ".graphml"])
def test_graph_round_trips_through_its_files(
    three_cameras: Site, tmp_path: Path, suffix: str
) -> None:
    passes = walks((0, 0, 1.0), (0, 1, 9.0), (1, 1, 3.0), (1, 2, 12.0))
    graph = camera_graph(three_cameras, passes)
    path = tmp_path / f"graph{suffix}"
    write_graph(graph, path)
    back = read_graph(path)
    assert set(back.edges) == set(graph.edges)
    assert back.edges["cam-1", "cam-2"]["transit_p50_s"] == pytest.approx(8.0)
    assert bool(back.nodes["cam-3"]["recognition_capable"]) is True
    assert graph_document(graph)["directed"] is True


def test_unknown_format_is_refused(three_cameras: Site, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.json or|\.graphml"):
        write_graph(nx.DiGraph(), tmp_path / "graph.csv")
