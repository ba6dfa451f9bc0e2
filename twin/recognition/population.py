"""The population: who each pedestrian is, as far as recognition is concerned.

Every pedestrian belongs to one of the scenario's groups (by the groups' shares). A share of the day's
trips, the watchlist's prevalence, is made by people on the watchlist: each such trip is assigned a
watchlist member at random (a member may come more than once). Watchlist members belong to groups by
the same shares. Nobody here is a real person: identities are row numbers and random vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.scenario import FacesConfig, WatchlistConfig

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Population:
    """Per pedestrian: group index and watchlist row (or NOT_ON_WATCHLIST); per watchlist member:
    group index."""

    group_names: tuple[str, ...]
    pedestrian_group: IntArray
    pedestrian_subject: IntArray
    watchlist_group: IntArray

    @property
    def watchlisted(self) -> npt.NDArray[np.bool_]:
        """True for pedestrians who are on the watchlist."""
        return np.asarray(self.pedestrian_subject != NOT_ON_WATCHLIST, dtype=np.bool_)


def make_population(
    n_pedestrians: int,
    faces: FacesConfig,
    watchlist: WatchlistConfig,
    rng: np.random.Generator,
) -> Population:
    """Draw groups and watchlist membership for a window's pedestrians."""
    shares = np.array([group.share for group in faces.groups], dtype=np.float64)
    shares /= shares.sum()
    watchlist_group = rng.choice(len(shares), size=watchlist.size, p=shares).astype(np.int64)
    pedestrian_group = rng.choice(len(shares), size=n_pedestrians, p=shares).astype(np.int64)
    subject = np.full(n_pedestrians, NOT_ON_WATCHLIST, dtype=np.int64)
    watchlisted = np.flatnonzero(rng.random(n_pedestrians) < watchlist.prevalence)
    if watchlisted.size:
        members = rng.integers(0, watchlist.size, size=watchlisted.size)
        subject[watchlisted] = members
        pedestrian_group[watchlisted] = watchlist_group[members]
    return Population(
        group_names=tuple(group.name for group in faces.groups),
        pedestrian_group=pedestrian_group,
        pedestrian_subject=subject,
        watchlist_group=watchlist_group,
    )
