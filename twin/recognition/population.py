"""The population: the people who make the day's trips, who they are and how often they come back.

Every trip (pedestrian) belongs to a person. People are of four kinds (`twin.scenario.PopulationConfig`):
commuters and students, residents, regular visitors and one-off visitors, each making a share of the
day's trips and coming a number of days a week. The recurrence model, seeded from the population stream:

- **kind of each trip**: drawn by the kinds' shares;
- **one day's trips to persons**: within a kind, the day's inbound and outbound trips are paired first in,
  first out by departure time (the i-th person of a kind to come in is the i-th to go out), so the
  morning's inbound commuter is the evening's outbound one; through trips pair the same way (the
  i-th earliest with the i-th of the day's second half); an internal trip belongs to a person of its
  kind already on site at that moment (one drawn at random, up to ``INTERNAL_TRIES`` tries); legs
  left without a partner are people who came or left outside the modelled trips (one trip each);
- **who comes back**: a kind with n people today and ``visits_per_week`` v draws them from a pool of
  ``n x 7 / v`` people (``n x 5 / v`` for weekday-only kinds), so a person comes on v days a week on
  average; ``v = 0`` means a new person every day (one-off visitors);
- **the watchlist**: its people are fixed by the seed (`twin.recognition.persons.watchlist_ids`). A
  person of the day is one of them with chance ``watchlist.prevalence`` (the share of trips made by
  watchlisted people, whatever the trips per person), a distinct row each: they keep their kind and
  their trips, and take the watchlist person's id, so their face is the enrolled person's.

A person's id is global and keys everything that belongs to the person: their group and their face
(`twin.recognition.persons`), so the same person has the same face on every day. Nobody here is a
real person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.crowd.demand import TRIP_KINDS, Trips
from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.persons import (
    KIND_SHIFT,
    ONE_OFF_DAY_STRIDE,
    PERSON_KINDS,
    person_groups,
    watchlist_ids,
)
from twin.scenario import FacesConfig, PopulationConfig, WatchlistConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

INTERNAL_TRIES = 16
DAYS_PER_WEEK = 7.0
WEEKDAYS_PER_WEEK = 5.0


@dataclass(frozen=True, slots=True)
class Population:
    """The day's people and the watchlist's people.

    Per trip: ``trip_person``, a row of the day's people. Per person of the day: global id, kind (index
    into PERSON_KINDS: what kind of visit they make), group and watchlist row (or NOT_ON_WATCHLIST). Per watchlist row: the global id
    and group of the person enrolled there.
    """

    group_names: tuple[str, ...]
    trip_person: IntArray
    person_id: IntArray
    person_kind: IntArray
    person_group: IntArray
    person_subject: IntArray
    watchlist_person: IntArray
    watchlist_group: IntArray

    @property
    def people(self) -> int:
        """Distinct people on site in the day."""
        return len(self.person_id)

    @property
    def pedestrian_group(self) -> IntArray:
        """Group index per trip (its person's)."""
        return self.person_group[self.trip_person]

    @property
    def pedestrian_subject(self) -> IntArray:
        """Watchlist row per trip (its person's), or NOT_ON_WATCHLIST."""
        return self.person_subject[self.trip_person]

    @property
    def watchlisted(self) -> npt.NDArray[np.bool_]:
        """True for trips made by people on the watchlist."""
        return np.asarray(self.pedestrian_subject != NOT_ON_WATCHLIST, dtype=np.bool_)


def _pair_by_rank(
    first_s: FloatArray, second_s: FloatArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Pair two sets of trips by departure rank: returns the paired rows of each (first, second) and
    the unpaired rows of each."""
    first = np.argsort(first_s, kind="stable")
    second = np.argsort(second_s, kind="stable")
    n = min(len(first), len(second))
    return first[:n], second[:n], first[n:], second[n:]


def _link_kind(
    trips: Trips, rows: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, int]:
    """Group one kind's trips (``rows``) into people: returns trip rows, each one's person (0-based
    within the kind) and the number of people."""
    kind = trips.kind[rows]
    inbound = rows[kind == TRIP_KINDS.index("inbound")]
    outbound = rows[kind == TRIP_KINDS.index("outbound")]
    through = rows[kind == TRIP_KINDS.index("through")]
    internal = rows[kind == TRIP_KINDS.index("internal")]

    pair_a: list[IntArray] = []
    pair_b: list[IntArray] = []
    singles: list[IntArray] = []
    a, b, rest_a, rest_b = _pair_by_rank(trips.start_s[inbound], trips.start_s[outbound])
    pair_a.append(inbound[a])
    pair_b.append(outbound[b])
    singles += [inbound[rest_a], outbound[rest_b]]
    ordered = through[np.argsort(trips.start_s[through], kind="stable")]
    half = len(ordered) // 2
    pair_a.append(ordered[:half])
    pair_b.append(ordered[half : 2 * half])
    singles.append(ordered[2 * half :])
    first = np.concatenate(pair_a)
    second = np.concatenate(pair_b)
    n_pairs = len(first)
    on_from = np.minimum(trips.start_s[first], trips.start_s[second])
    on_until = np.maximum(trips.start_s[first], trips.start_s[second])

    owner = np.full(len(internal), -1, dtype=np.int64)
    if n_pairs and len(internal):
        at = trips.start_s[internal]
        tries = rng.integers(0, n_pairs, size=(len(internal), INTERNAL_TRIES))
        fits = (on_from[tries] < at[:, None]) & (at[:, None] < on_until[tries])
        found = fits.any(axis=1)
        owner[found] = tries[found, np.argmax(fits[found], axis=1)]
    lone = np.concatenate([*singles, internal[owner < 0]])
    trip_rows = np.concatenate([first, second, internal[owner >= 0], lone])
    person = np.concatenate(
        [
            np.arange(n_pairs),
            np.arange(n_pairs),
            owner[owner >= 0],
            n_pairs + np.arange(len(lone)),
        ]
    ).astype(np.int64)
    return trip_rows, person, n_pairs + len(lone)


def _pool_indices(
    n: int, visits_per_week: float, weekdays_only: bool, day: int, rng: np.random.Generator
) -> IntArray:
    """Which members of the kind's pool are today's ``n`` people (indices within the kind)."""
    if visits_per_week <= 0.0:
        return np.int64(day) * ONE_OFF_DAY_STRIDE + np.arange(n, dtype=np.int64)
    available = WEEKDAYS_PER_WEEK if weekdays_only else DAYS_PER_WEEK
    pool = max(n, int(np.ceil(n * available / visits_per_week)))
    return np.sort(rng.choice(pool, size=n, replace=False)).astype(np.int64)


def make_population(
    trips: Trips,
    population: PopulationConfig,
    faces: FacesConfig,
    watchlist: WatchlistConfig,
    rng: np.random.Generator,
    *,
    seed: int,
    day: int = 0,
) -> Population:
    """Link the day's trips to people, give each a global id and group, and fill the watchlist."""
    kinds = [name for name in PERSON_KINDS if name in population.kinds]
    shares = np.array([population.kinds[name].share for name in kinds], dtype=np.float64)
    n_trips = len(trips)
    trip_kind = rng.choice(len(kinds), size=n_trips, p=shares / shares.sum())
    trip_person = np.empty(n_trips, dtype=np.int64)
    ids: list[IntArray] = []
    person_kind: list[IntArray] = []
    offset = 0
    for k, name in enumerate(kinds):
        rows = np.flatnonzero(trip_kind == k).astype(np.int64)
        trip_rows, person, n_people = _link_kind(trips, rows, rng)
        trip_person[trip_rows] = offset + person
        config = population.kinds[name]
        index = _pool_indices(n_people, config.visits_per_week, config.weekdays_only, day, rng)
        kind_code = PERSON_KINDS.index(name)
        ids.append((np.int64(kind_code) << KIND_SHIFT) | index)
        person_kind.append(np.full(n_people, kind_code, dtype=np.int64))
        offset += n_people
    person_id = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    group_shares = tuple(group.share for group in faces.groups)
    person_group = person_groups(seed, person_id, group_shares)

    # Some of the day's people are people of the watchlist, each a distinct row.
    watchlist_person = watchlist_ids(watchlist.size)
    watchlist_group = person_groups(seed, watchlist_person, group_shares)
    subject = np.full(len(person_id), NOT_ON_WATCHLIST, dtype=np.int64)
    listed = np.flatnonzero(rng.random(len(person_id)) < watchlist.prevalence)[: watchlist.size]
    if listed.size:
        taken = rng.choice(watchlist.size, size=listed.size, replace=False).astype(np.int64)
        subject[listed] = taken
        person_id[listed] = watchlist_person[taken]
        person_group[listed] = watchlist_group[taken]
    return Population(
        group_names=tuple(group.name for group in faces.groups),
        trip_person=trip_person,
        person_id=person_id,
        person_kind=np.concatenate(person_kind) if person_kind else np.empty(0, np.int64),
        person_group=person_group,
        person_subject=subject,
        watchlist_person=watchlist_person,
        watchlist_group=watchlist_group,
    )
