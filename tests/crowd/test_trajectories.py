"""Trajectories exported from the walk, measured with PedPy as planners measure real crowds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedpy
import pytest

from twin.crowd.fundamental import weidmann_speed_m_s
from twin.crowd.trajectories import WalkWhereabouts, trajectories, write_pedpy_text
from twin.crowd.validation import FD_WIDTH_M, corridor_trips, feed_corridor, measured_density_speed

FEED_PED_S = 3.5
FROM_S, TO_S = 400.0, 520.0


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    walked = feed_corridor(FEED_PED_S)
    n = len(walked.arrive_s)
    trips = corridor_trips(np.zeros(n), np.zeros(n))  # lateral_u 0: the centre line
    found = trajectories(trips, walked, from_s=FROM_S, to_s=TO_S, fps=5.0)
    out = Path(tmp_path_factory.mktemp("traj")) / "corridor.txt"
    write_pedpy_text(found, out)
    data = pedpy.load_trajectory(trajectory_file=out)
    half = FD_WIDTH_M / 2.0
    area = pedpy.MeasurementArea([(125, -half), (175, -half), (175, half), (125, half)])
    density = pedpy.compute_classic_density(traj_data=data, measurement_area=area)
    speed = pedpy.compute_individual_speed(
        traj_data=data, frame_step=3, speed_calculation=pedpy.SpeedCalculation.BORDER_SINGLE_SIDED
    )
    mean_speed = pedpy.compute_mean_speed_per_frame(
        traj_data=data, measurement_area=area, individual_speed=speed
    )
    line = pedpy.MeasurementLine([(150.0, -half), (150.0, half)])
    n_t, _ = pedpy.compute_n_t(traj_data=data, measurement_line=line)
    crossed = n_t["cumulative_pedestrians"].to_numpy()
    own_density, _ = measured_density_speed(walked, from_s=FROM_S, to_s=TO_S)
    return {
        "frame_rate": data.frame_rate,
        "density": float(density["density"].mean()),
        "speed": float(mean_speed["speed"].mean()),
        "flow": float((crossed[-1] - crossed[0]) / (TO_S - FROM_S)),
        "own_density": own_density,
    }


def test_pedpy_reads_the_frame_rate(measured: dict[str, float]) -> None:
    assert measured["frame_rate"] == 5.0


def test_pedpy_density_matches_the_walk(measured: dict[str, float]) -> None:
    assert measured["density"] == pytest.approx(measured["own_density"], rel=0.05)


def test_pedpy_speed_follows_weidmann(measured: dict[str, float]) -> None:
    expected = float(weidmann_speed_m_s(measured["density"]))
    assert measured["speed"] == pytest.approx(expected, rel=0.10)


def test_pedpy_flow_is_the_feed(measured: dict[str, float]) -> None:
    assert measured["flow"] == pytest.approx(FEED_PED_S, rel=0.10)


def test_whereabouts_follow_the_walk_as_it_happened() -> None:
    walked = feed_corridor(FEED_PED_S)
    # The corridor's own trips (feed_corridor's draws), walked on the centre line.
    rng = np.random.default_rng(0)
    n = len(walked.arrive_s)
    start = np.sort(rng.uniform(0.0, 600.0, n))
    trips = corridor_trips(start, np.clip(rng.normal(1.34, 0.26, n), 0.5, 2.5))
    found = trajectories(trips, walked, from_s=FROM_S, to_s=TO_S, fps=5.0)
    where = WalkWhereabouts.of(trips, walked)
    slow = 0
    for pedestrian in np.unique(found.pedestrian)[::25]:
        rows = found.pedestrian == pedestrian
        times = found.frame[rows] / found.fps
        xy, on_site = where.track(int(pedestrian), times)
        # On the centre line (lateral_u 0) the replay and the whereabouts are the same points.
        assert np.allclose(xy[:, 0], found.x_m[rows], atol=1e-6)
        assert np.allclose(xy[:, 1], found.y_m[rows], atol=1e-6)
        assert on_site.all()
        walked_m = np.hypot(*np.diff(xy, axis=0).T).sum()
        slow += walked_m < 0.9 * 1.34 * (times[-1] - times[0])
    assert slow > 0  # the crowded corridor slowed some of them below their free speed
    _, on_site = where.track(0, np.array([trips.start_s[0] - 5.0]))
    assert not on_site[0]


def test_the_walking_direction_at_a_routes_very_start_points_along_it() -> None:
    from shapely.geometry import LineString

    from twin.crowd.records import points_and_directions

    line = LineString([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)])
    along_m = np.array([0.0, 0.2, 5.0, 15.0, 20.0])
    here, direction = points_and_directions(np.full(5, line, dtype=object), along_m)
    assert here == pytest.approx(np.array([[0, 0], [0.2, 0], [5, 0], [10, 5], [10, 10]]))
    # Along +x on the first leg (the start included), along +y on the second (the end included).
    assert (direction[:3, 0] > 0).all() and np.abs(direction[:3, 1]).max() < 1e-12
    assert (direction[3:, 1] > 0).all() and np.abs(direction[3:, 0]).max() < 1e-12
