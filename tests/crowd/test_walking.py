"""The crowd walks as a crowd: it slows where dense, queues at bottlenecks, and passes the checks."""

from __future__ import annotations

import numpy as np
import pytest

from twin.crowd.fundamental import JAM_DENSITY_PED_M2, specific_flow_ped_m_s, weidmann_speed_m_s
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


def test_jupedsim_and_the_twin_both_slow_in_a_crowd() -> None:
    from twin.crowd.comparison import jupedsim_corridor

    sparse = jupedsim_corridor(0.5)
    dense = jupedsim_corridor(1.5)
    assert dense[0] > sparse[0]
    assert dense[1] < sparse[1]
