"""The fundamental diagram: how fast people walk at the density they find (Weidmann 1993).

``v(rho) = v0 [1 - exp(-gamma (1/rho - 1/rho_jam))]`` with gamma 1.913 ped/m², jam density
5.4 ped/m² and the mean free speed v0 1.34 m/s (Weidmann 1993; facts.md). A walker with its own free
speed keeps its share of it: ``v_i(rho) = v_free_i * v(rho) / v0``. The specific flow ``rho v(rho)``
peaks at about 1.22 ped/(m s) near 1.75 ped/m² (the walkway's capacity).

Nobody moves at jam density, yet the walk keeps everyone creeping at ``capacity.min_speed_m_s`` so
that every walk ends; a walkway therefore stores at most the density at which the diagram gives
that speed (:func:`storage_density_ped_m2`), and the speed a walker takes always follows the diagram
for the density it finds.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Mean free walking speed, m/s (Weidmann 1993).
FREE_SPEED_M_S: Final = 1.34
#: Jam density: nobody moves at or beyond it, ped/m² (Weidmann 1993).
JAM_DENSITY_PED_M2: Final = 5.4
#: Weidmann's constant gamma, ped/m² (Weidmann 1993).
GAMMA_PED_M2: Final = 1.913
#: Below this density the diagram keeps all of free speed to double precision, ped/m² (about 0.047:
#: the exponential is below e^-40, far under half the spacing of doubles just below 1), so a walk
#: there need not evaluate it.
FULL_SPEED_BELOW_PED_M2: Final = 1.0 / (40.0 / GAMMA_PED_M2 + 1.0 / JAM_DENSITY_PED_M2)


def speed_share(density_ped_m2: float) -> float:
    """The share of free speed kept at a density (ped/m²): 1 when alone, 0 at jam density."""
    if density_ped_m2 <= 0.0:
        return 1.0
    if density_ped_m2 >= JAM_DENSITY_PED_M2:
        return 0.0
    return -math.expm1(-GAMMA_PED_M2 * (1.0 / density_ped_m2 - 1.0 / JAM_DENSITY_PED_M2))


def density_at_speed_share(share: float) -> float:
    """The density, ped/m², at which the diagram keeps ``share`` (in (0, 1)) of free speed: the
    inverse of :func:`speed_share`."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"a share of free speed strictly between 0 and 1, got {share}")
    return 1.0 / (1.0 / JAM_DENSITY_PED_M2 - math.log1p(-share) / GAMMA_PED_M2)


def storage_density_ped_m2(min_speed_m_s: float) -> float:
    """The most walkers per m² a walkway holds in this model, ped/m²: the density at which the
    diagram slows a walker of mean free speed to ``min_speed_m_s`` (the model's creeping speed in a
    jam). Below jam density by construction: 4.43 ped/m² at 0.1 m/s."""
    return density_at_speed_share(min(min_speed_m_s / FREE_SPEED_M_S, 1.0 - 1e-9))


def weidmann_speed_m_s(density_ped_m2: FloatArray | float) -> FloatArray:
    """Mean walking speed at each density, m/s (vectorised Weidmann)."""
    rho = np.clip(np.asarray(density_ped_m2, dtype=np.float64), 1e-9, JAM_DENSITY_PED_M2)
    return FREE_SPEED_M_S * -np.expm1(-GAMMA_PED_M2 * (1.0 / rho - 1.0 / JAM_DENSITY_PED_M2))


def specific_flow_ped_m_s(density_ped_m2: FloatArray | float) -> FloatArray:
    """Specific flow ``rho v(rho)`` at each density, ped/(m s)."""
    rho = np.asarray(density_ped_m2, dtype=np.float64)
    return rho * weidmann_speed_m_s(rho)
