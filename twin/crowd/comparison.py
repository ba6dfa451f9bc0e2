"""A comparison with JuPedSim (a microscopic crowd simulator, PyPI ``jupedsim``) on the same corridor.

Walkers are fed into a corridor 100 m long and 4 m wide at several steady flows, once in JuPedSim's
collision-free speed model (default parameters, agents 0.2 m in radius, free speeds from Weidmann's
distribution) and once in this twin's mesoscopic walk; density and mean speed are measured on the
middle 20 m over the second half of the run. The models differ by design (JuPedSim's default
parameters walk slower than Weidmann's diagram in a crowd), so the comparison is shown, not
enforced: its check is that both slow down as density rises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from twin.crowd.validation import Check, corridor_site, corridor_trips, measured_density_speed
from twin.crowd.walking import simulate_crowd
from twin.scenario import CrowdConfig

LENGTH_M: Final = 100.0
WIDTH_M: Final = 4.0
FEEDS_PED_S: Final = (0.5, 1.5, 2.5)
DURATION_S: Final = 200.0
STEP_S: Final = 0.05
# JuPedSim agents' radius, m (its documented default for the collision-free speed model).
RADIUS_M: Final = 0.2
# Where and when speeds and densities are measured, m and s.
MEASURE_FROM_M, MEASURE_TO_M = 40.0, 60.0


@dataclass(frozen=True)
class Pair:
    """Both models at one feed: density (ped/m²) and mean speed (m/s) each."""

    feed_ped_s: float
    twin_density: float
    twin_speed: float
    jupedsim_density: float
    jupedsim_speed: float


def jupedsim_corridor(feed_ped_s: float, *, seed: int = 0) -> tuple[float, float]:
    """Density and mean speed in JuPedSim's collision-free speed model at a feed (ped/s)."""
    import jupedsim as jps
    import shapely

    rng = np.random.default_rng(seed)
    half = WIDTH_M / 2.0
    sim = jps.Simulation(
        model=jps.CollisionFreeSpeedModel(),
        geometry=shapely.box(0.0, -half, LENGTH_M, half),
        dt=STEP_S,
    )
    exit_id = sim.add_exit_stage(shapely.box(LENGTH_M - 1.0, -half, LENGTH_M, half))
    journey = sim.add_journey(jps.JourneyDescription([exit_id]))
    next_s, pending = 0.0, 0
    densities: list[float] = []
    speeds: list[float] = []
    before: dict[int, tuple[float, float]] = {}
    while sim.elapsed_time() < DURATION_S:
        now = sim.elapsed_time()
        while next_s <= now:
            pending += 1
            next_s += rng.exponential(1.0 / feed_ped_s)
        while pending:
            parameters = jps.CollisionFreeSpeedModelAgentParameters(
                journey_id=journey,
                stage_id=exit_id,
                position=(0.5, float(rng.uniform(-half + 0.3, half - 0.3))),
                desired_speed=float(np.clip(rng.normal(1.34, 0.26), 0.5, 2.5)),
                radius=RADIUS_M,
            )
            try:
                sim.add_agent(parameters)
            except Exception:  # the entrance is occupied: try again next step
                break
            pending -= 1
        measuring = now > DURATION_S / 2.0
        if measuring:
            before = {agent.id: agent.position for agent in sim.agents()}
        sim.iterate()
        if measuring:
            inside = [
                agent
                for agent in sim.agents()
                if MEASURE_FROM_M <= agent.position[0] <= MEASURE_TO_M and agent.id in before
            ]
            densities.append(len(inside) / ((MEASURE_TO_M - MEASURE_FROM_M) * WIDTH_M))
            if inside:
                speeds.append(
                    float(
                        np.mean(
                            [
                                np.hypot(
                                    a.position[0] - before[a.id][0], a.position[1] - before[a.id][1]
                                )
                                / STEP_S
                                for a in inside
                            ]
                        )
                    )
                )
    return float(np.mean(densities)), float(np.mean(speeds)) if speeds else 0.0


def twin_corridor(feed_ped_s: float, *, seed: int = 0) -> tuple[float, float]:
    """Density and mean speed in this twin's walk at a feed (ped/s), same corridor and period."""
    rng = np.random.default_rng(seed)
    n = max(1, int(feed_ped_s * DURATION_S))
    start = np.sort(rng.uniform(0.0, DURATION_S, n))
    speed = np.clip(rng.normal(1.34, 0.26, n), 0.5, 2.5)
    config = CrowdConfig.model_validate(
        {"routes": {"k": 1}, "capacity": {"cell_m": 20.0, "stretch_m": 20.0}}
    )
    walked = simulate_crowd(corridor_site(LENGTH_M, WIDTH_M), corridor_trips(start, speed), config)
    return measured_density_speed(walked, from_s=DURATION_S / 2.0, to_s=DURATION_S)


def compare() -> list[Pair]:
    """Both models at every feed."""
    return [Pair(feed, *twin_corridor(feed), *jupedsim_corridor(feed)) for feed in FEEDS_PED_S]


def comparison_checks() -> list[Check]:
    """The comparison as checks: one row per feed, shown; the check is that both slow in a crowd."""
    pairs = compare()
    checks = [
        Check(
            f"JuPedSim comparison at {p.feed_ped_s:g} ped/s: twin speed, m/s",
            p.twin_speed,
            f"shown beside JuPedSim {p.jupedsim_speed:.3f} m/s at {p.jupedsim_density:.2f} ped/m2",
            True,
            f"twin density {p.twin_density:.2f} ped/m2; {LENGTH_M:g} x {WIDTH_M:g} m corridor",
        )
        for p in pairs
    ]
    twin_slows = pairs[-1].twin_speed < pairs[0].twin_speed
    jps_slows = pairs[-1].jupedsim_speed < pairs[0].jupedsim_speed
    checks.append(
        Check(
            "JuPedSim comparison: both slow as density rises",
            pairs[-1].twin_speed - pairs[0].twin_speed,
            "twin and JuPedSim speeds both lower at the highest feed than at the lowest",
            twin_slows and jps_slows,
            f"JuPedSim {pairs[0].jupedsim_speed:.2f} -> {pairs[-1].jupedsim_speed:.2f} m/s",
        )
    )
    return checks
