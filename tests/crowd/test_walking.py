"""The crowd walks as a crowd: it slows where dense, queues at bottlenecks, and passes the checks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from twin.crowd.density import minute_density
from twin.crowd.fundamental import (
    FULL_SPEED_BELOW_PED_M2,
    JAM_DENSITY_PED_M2,
    density_at_speed_share,
    specific_flow_ped_m_s,
    speed_share,
    storage_density_ped_m2,
    weidmann_speed_m_s,
)
from twin.crowd.routes import logit_shares
from twin.crowd.validation import (
    bottleneck,
    corridor_site,
    corridor_trips,
    feed_corridor,
    measured_density_speed,
    rimea_1,
)
from twin.crowd.walking import simulate_crowd
from twin.scenario import CrowdConfig


def test_weidmann_diagram_peaks_near_published_capacity() -> None:
    rho = np.linspace(0.1, 5.3, 2000)
    flow = specific_flow_ped_m_s(rho)
    assert 1.15 < flow.max() < 1.3
    assert 1.5 < rho[np.argmax(flow)] < 2.0
    assert float(weidmann_speed_m_s(JAM_DENSITY_PED_M2)) == pytest.approx(0.0, abs=1e-9)


def test_below_the_full_speed_density_the_diagram_keeps_all_of_free_speed() -> None:
    # The walk skips the diagram below this density: it must give exactly 1 there.
    for density in np.linspace(1e-6, FULL_SPEED_BELOW_PED_M2, 1000).tolist():
        assert speed_share(density) == 1.0
    assert speed_share(4 * FULL_SPEED_BELOW_PED_M2) < 1.0


def test_rimea_1_travel_time_is_in_range() -> None:
    assert rimea_1().passed


def test_walkers_slow_down_as_the_corridor_fills() -> None:
    sparse = measured_density_speed(feed_corridor(0.5), from_s=300.0, to_s=600.0)
    dense = measured_density_speed(feed_corridor(4.5), from_s=300.0, to_s=600.0)
    assert dense[0] > 5 * sparse[0]
    assert dense[1] < sparse[1] - 0.15


def test_a_lone_walker_is_not_slowed() -> None:
    site = corridor_site(100.0, 3.0)
    walked = simulate_crowd(site, corridor_trips(np.zeros(1), np.full(1, 1.2)), CrowdConfig())
    assert walked.arrive_s[0] == pytest.approx(100.0 / 1.2, rel=0.01)


def test_a_queue_forms_at_a_bottleneck_runs_at_capacity_and_clears() -> None:
    checks = bottleneck()
    assert all(check.passed for check in checks), [c for c in checks if not c.passed]


def test_nobody_queues_when_demand_is_below_capacity() -> None:
    site = corridor_site(60.0, 3.0, steps_from_m=20.0, steps_width_m=1.0)
    start = np.arange(30) * 3.0  # one walker every 3 s, a third of the steps' capacity
    walked = simulate_crowd(site, corridor_trips(start, np.full(30, 1.34)), CrowdConfig())
    assert walked.queues.wait_s.max() == pytest.approx(0.0)


def test_logit_prefers_shorter_routes() -> None:
    shares = logit_shares(np.array([100.0, 110.0, 130.0]), 10.0)
    assert shares.sum() == pytest.approx(1.0)
    assert shares[0] > shares[1] > shares[2]
    assert shares[1] / shares[0] == pytest.approx(np.exp(-1.0))


def test_logit_gives_a_route_of_no_length_to_everyone() -> None:
    shares = logit_shares(np.array([0.0]), 10.0)
    assert shares.tolist() == [1.0]
    assert logit_shares(np.array([0.0, 5.0]), 10.0).tolist() == [1.0, 0.0]


def test_jupedsim_and_the_twin_both_slow_in_a_crowd() -> None:
    from twin.crowd.comparison import jupedsim_corridor

    sparse = jupedsim_corridor(0.5)
    dense = jupedsim_corridor(1.5)
    assert dense[0] > sparse[0]
    assert dense[1] < sparse[1]


@pytest.mark.parametrize("density", [0.3, 1.75, 4.0, 5.0])
def test_storage_density_inverts_the_diagram(density: float) -> None:
    assert density_at_speed_share(speed_share(density)) == pytest.approx(density, rel=1e-9)
    assert storage_density_ped_m2(0.1) < JAM_DENSITY_PED_M2
    assert speed_share(storage_density_ped_m2(0.1)) * 1.34 == pytest.approx(0.1)


def _jam_config() -> CrowdConfig:
    return CrowdConfig.model_validate(
        {"routes": {"k": 1}, "capacity": {"cell_m": 20.0, "stretch_m": 20.0}}
    )


def test_a_queue_spills_back_and_the_walkway_stays_below_jam() -> None:
    # Steps half a metre wide (0.5 ped/s) fed at 4 ped/s: the queue fills the walkway behind them.
    site = corridor_site(80.0, 2.0, steps_from_m=40.0, steps_width_m=0.5)
    n = 1200
    start = np.sort(np.random.default_rng(1).uniform(0.0, 300.0, n))
    walked = simulate_crowd(site, corridor_trips(start, np.full(n, 1.34)), _jam_config())
    density = minute_density(walked, from_s=0.0, to_s=float(walked.arrive_s.max()) + 60.0)
    most = storage_density_ped_m2(0.1)
    assert np.isfinite(walked.arrive_s).all()
    assert density.density_ped_m2.max() <= most + 1e-6 < JAM_DENSITY_PED_M2
    # Walkers queueing at the steps stand on the walkway before them: it fills close to storage
    # (a point queue would leave it nearly empty), and later walkers are held back at the origin.
    before_steps = density.walkway == 0
    assert density.density_ped_m2[before_steps].max() > 0.8 * most
    assert len(walked.holds) > 0
    assert walked.holds.wait_s.max() > 60.0


def test_opposite_streams_on_a_full_walkway_do_not_lock() -> None:
    site = corridor_site(40.0, 1.0)
    n = 800
    rng = np.random.default_rng(2)
    trips = corridor_trips(np.sort(rng.uniform(0.0, 120.0, n)), np.full(n, 1.34))
    origin = (rng.random(n) < 0.5).astype(np.int64)
    trips = replace(trips, origin=origin, destination=1 - origin)
    walked = simulate_crowd(site, trips, _jam_config())
    density = minute_density(walked, from_s=0.0, to_s=float(walked.arrive_s.max()) + 60.0)
    assert np.isfinite(walked.arrive_s).all() and walked.arrive_s.size == n
    assert density.density_ped_m2.max() < JAM_DENSITY_PED_M2
    # Facing streams fill the walkway; holders step aside after capacity.max_hold_s.
    assert (walked.holds.wait_s >= 60.0 - 1e-6).any()
