"""Camera planning: candidate mounts, capture chances, and the lazy greedy."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point

from tests.site_fixtures import feature, point, rect, tiny_site, write
from twin.analysis.planning import (
    LENSES,
    CaptureChances,
    candidate_mounts,
    capture_chances,
    greedy_plan,
    layout_value,
    plan_cameras,
)
from twin.crowd.flows import Flows
from twin.errors import TwinInputError
from twin.scenario import CamerasConfig
from twin.site.camera_layer import camera_layer_document
from twin.site.model import Site, load_site


@pytest.fixture(scope="module")
def tiny_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    document = tiny_site()
    document["features"] += [
        feature(point(50, 100), kind="entrance", id="north", role="destination", weight=1.0),
        feature(rect(53, 20, 60, 30), kind="building", id="kiosk"),  # 3 m from the walkway
    ]
    return write(tmp_path_factory.mktemp("plan"), document)


@pytest.fixture(scope="module")
def tiny(tiny_map: Path) -> Site:
    return load_site(tiny_map)


@pytest.fixture(scope="module")
def flows(tiny: Site) -> Flows:
    """300 walk north from the south gate; 100 walk from the west gate to the block's door."""
    return Flows(
        (tiny.route("south", "north"), tiny.route("west", "block-door")),
        np.array([300, 100], dtype=np.int64),
    )


def naive_greedy(chances: CaptureChances, walkers: np.ndarray, budget: int, n: int) -> list[int]:
    """Greedy by recomputing every gain at every step (the definition the lazy one must match)."""
    p = np.zeros((n, len(walkers)))
    p[chances.camera, chances.route] = chances.chance
    unseen = np.ones(len(walkers))
    picked: list[int] = []
    for _ in range(budget):
        gains = (p * (walkers * unseen)).sum(axis=1)
        gains[picked] = -1.0
        best = int(np.argmax(gains))
        picked.append(best)
        unseen *= 1.0 - p[best]
    return picked


@pytest.mark.parametrize("seed", range(5))
def test_lazy_greedy_matches_the_plain_greedy_and_gains_shrink(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_cameras, n_routes = 30, 40
    dense = rng.random((n_cameras, n_routes)) * (rng.random((n_cameras, n_routes)) < 0.2)
    camera, route = np.nonzero(dense)
    chances = CaptureChances(camera.astype(np.int64), route.astype(np.int64), dense[camera, route])
    walkers = rng.integers(1, 1000, n_routes)
    flows = Flows(tuple([None] * n_routes), walkers.astype(np.int64))  # type: ignore[arg-type]
    picked, gains = greedy_plan(chances, flows, budget=8, n_cameras=n_cameras)
    assert picked == naive_greedy(chances, walkers.astype(float), 8, n_cameras)
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(gains))
    value = layout_value(chances, flows, picked)
    assert value.walkers_captured == pytest.approx(sum(gains))


def test_candidates_stand_on_the_walked_walkways_with_two_headings(
    tiny: Site, flows: Flows
) -> None:
    candidates = candidate_mounts(tiny, flows, count=40, lens=LENSES["4mp"])
    assert len(candidates) == 40
    assert len({c.camera_id for c in candidates}) == 40
    assert all(tiny.boundary.covers(c.position) for c in candidates)
    assert not any(b.contains(c.position) for c in candidates for b in tiny.buildings)
    assert all(c.recognition_capable and c.width_px == 2560 for c in candidates)

    def on_a_wall(position: Point) -> bool:
        return any(position.distance(b.exterior) < 0.5 for b in tiny.buildings)

    walked = tiny.walk_surface.buffer(2.0)
    assert all(walked.covers(c.position) or on_a_wall(c.position) for c in candidates)
    # Looking both ways along the north-south walkway, slightly in from a pole beside it.
    headings = np.array([c.heading_deg for c in candidates])
    assert np.any(np.minimum(headings, 360.0 - headings) < 10.0)
    assert np.any(np.abs(headings - 180.0) < 10.0)
    # The kiosk stands 3 m from the north-south walkway: mounts beside it go on its face.
    assert any(on_a_wall(c.position) for c in candidates)


def test_a_camera_looking_at_approaching_walkers_captures_them(tiny: Site, flows: Flows) -> None:
    chances = capture_chances(tiny, flows, CamerasConfig(), min_px_per_m=250.0)
    # The map's camera looks south at the 300 walking north; the 100 going east never pass it.
    assert chances.camera.tolist() == [0]
    assert chances.route.tolist() == [0]
    assert chances.chance[0] > 0.99
    value = layout_value(chances, flows, [0])
    assert value.walkers_captured == pytest.approx(300.0 * chances.chance[0])
    assert value.share_captured == pytest.approx(value.walkers_captured / 400.0)


def test_plan_captures_both_flows_and_beats_the_single_camera(tiny: Site, flows: Flows) -> None:
    plan = plan_cameras(tiny, flows, budget=2, candidates=60)
    assert len(plan.cameras) == 2
    assert [c.camera_id for c in plan.cameras] == ["plan-001", "plan-002"]
    assert plan.gains[0] >= plan.gains[1] > 0
    assert plan.planned.walkers_captured > plan.current.walkers_captured
    assert plan.planned.share_captured > 0.9
    assert plan.current.cameras == 1


def test_budget_larger_than_the_candidates_is_refused_naming_the_flag(
    tiny: Site, flows: Flows
) -> None:
    with pytest.raises(TwinInputError, match=r"^--budget: 50 cameras is more than the 20"):
        plan_cameras(tiny, flows, budget=50, candidates=20)
    with pytest.raises(TwinInputError, match=r"^--budget"):
        plan_cameras(tiny, flows, budget=0)


def test_plan_layer_is_a_camera_layer_the_site_reads_back(
    tiny: Site, tiny_map: Path, flows: Flows, tmp_path: Path
) -> None:
    plan = plan_cameras(tiny, flows, budget=3, candidates=30)
    layer = tmp_path / "plan.geojson"
    layer.write_text(json.dumps(camera_layer_document(plan.cameras, crs=tiny.crs)))
    planned = load_site(tiny_map, cameras=layer)
    assert [c.camera_id for c in planned.cameras] == ["plan-001", "plan-002", "plan-003"]
    for mine, read in zip(plan.cameras, planned.cameras, strict=True):
        assert read.heading_deg == pytest.approx(mine.heading_deg)
        assert read.position.distance(Point(mine.x_m, mine.y_m)) < 1e-9
        assert read.view.equals_exact(mine.view, 1e-6)
