"""Latin hypercube samples of assumption ranges (scipy.stats.qmc), mapped through each distribution.

Each of ``n`` samples takes one value of every assumption; a Latin hypercube puts exactly one sample
in each of ``n`` equal-probability slices of every range, so few samples cover every range evenly.
"""

from __future__ import annotations

from collections.abc import Mapping

from scipy.stats import qmc

from twin.errors import TwinInputError
from twin.scenario import AssumptionRange


def latin_hypercube(
    ranges: Mapping[str, AssumptionRange], samples: int, *, seed: int
) -> list[dict[str, float]]:
    """``samples`` draws of every range, by key: a scrambled Latin hypercube (seeded), each
    coordinate mapped through its distribution's quantile function."""
    if samples < 1:
        raise TwinInputError(f"--samples: must be at least 1, got {samples}")
    keys = list(ranges)
    if not keys:
        return [{} for _ in range(samples)]
    unit = qmc.LatinHypercube(d=len(keys), seed=seed).random(samples)
    return [
        {key: ranges[key].quantile(float(row[i])) for i, key in enumerate(keys)} for row in unit
    ]
