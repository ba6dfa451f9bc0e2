from __future__ import annotations

import numpy as np

from twin.crowd.demand import TRIP_KINDS, Trips
from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.persons import PERSON_KINDS, person_kind
from twin.recognition.population import Population, make_population
from twin.scenario import FacesConfig, GroupConfig, PopulationConfig, WatchlistConfig

HOUR_S = 3600.0


def day_of_trips(rng: np.random.Generator, n: int = 4000) -> Trips:
    """Inbound trips in the morning, outbound in the evening, a few through and internal at noon."""
    kind = rng.choice(4, size=n, p=[0.4, 0.4, 0.14, 0.06])
    start = np.select(
        [kind == 0, kind == 1],
        [rng.uniform(7, 10, n), rng.uniform(16, 19, n)],
        rng.uniform(11, 14, n),
    )
    start[kind == TRIP_KINDS.index("through")] = rng.uniform(6, 22, int((kind == 2).sum()))
    order = np.argsort(start)
    zeros = np.zeros(n, dtype=np.int64)
    return Trips(
        start_s=start[order] * HOUR_S,
        origin=zeros,
        destination=zeros,
        kind=kind[order].astype(np.int64),
        speed_m_s=np.ones(n),
        dwell_s=np.zeros(n),
        group=np.full(n, -1, dtype=np.int64),
        group_rank=zeros,
        lateral_u=np.zeros(n),
        route_u=np.full(n, 0.5),
    )


def population_of(
    trips: Trips, seed: int = 3, *, prevalence: float = 0.01, day: int = 0
) -> Population:
    faces = FacesConfig(groups=(GroupConfig(name="a", share=0.3), GroupConfig(name="b", share=0.7)))
    return make_population(
        trips,
        PopulationConfig(),
        faces,
        WatchlistConfig(size=500, prevalence=prevalence),
        np.random.default_rng(seed),
        seed=seed,
        day=day,
    )


def test_inbound_and_outbound_trips_are_one_person_each() -> None:
    trips = day_of_trips(np.random.default_rng(0))
    population = population_of(trips)
    per_person = np.bincount(population.trip_person, minlength=population.people)
    assert per_person.min() >= 1
    # Most people make two trips: in the morning and out in the evening.
    two = np.flatnonzero(per_person == 2)
    assert two.size > 0.6 * population.people
    inbound, outbound = TRIP_KINDS.index("inbound"), TRIP_KINDS.index("outbound")
    first_legs = 0
    for person in two[:200]:
        rows = np.flatnonzero(population.trip_person == person)
        kinds = sorted(trips.kind[rows].tolist())
        if kinds == sorted([inbound, outbound]):
            first_legs += 1
            came = rows[trips.kind[rows] == inbound][0]
            left = rows[trips.kind[rows] == outbound][0]
            assert trips.start_s[came] < trips.start_s[left]
    assert first_legs > 100


def test_people_have_kinds_by_the_shares_and_distinct_ids() -> None:
    trips = day_of_trips(np.random.default_rng(1), n=20_000)
    population = population_of(trips)
    assert np.unique(population.person_id).size == population.people
    others = population.person_subject == NOT_ON_WATCHLIST
    assert np.array_equal(person_kind(population.person_id[others]), population.person_kind[others])
    trips_by_kind = np.bincount(
        population.person_kind[population.trip_person], minlength=len(PERSON_KINDS)
    ) / len(trips)
    shares = [PopulationConfig().kinds[name].share for name in PERSON_KINDS]
    assert np.allclose(trips_by_kind, shares, atol=0.02)


def test_the_same_seed_gives_the_same_people_and_groups_persist_across_days() -> None:
    trips = day_of_trips(np.random.default_rng(2))
    one = population_of(trips, seed=5)
    again = population_of(trips, seed=5)
    assert np.array_equal(one.person_id, again.person_id)
    assert np.array_equal(one.trip_person, again.trip_person)
    other_day = population_of(trips, seed=5, day=1)
    common, here, there = np.intersect1d(one.person_id, other_day.person_id, return_indices=True)
    # Residents come every day: the same people return, with the same group.
    assert common.size > 0
    assert np.array_equal(one.person_group[here], other_day.person_group[there])
    one_off = PERSON_KINDS.index("one_off_visitor")
    assert not np.any(person_kind(common) == one_off)


def test_watchlisted_people_hold_distinct_rows_of_the_watchlist() -> None:
    trips = day_of_trips(np.random.default_rng(4))
    population = population_of(trips, prevalence=0.05)
    listed = np.flatnonzero(population.person_subject != NOT_ON_WATCHLIST)
    assert listed.size > 10
    rows = population.person_subject[listed]
    assert np.unique(rows).size == rows.size
    assert np.array_equal(population.watchlist_person[rows], population.person_id[listed])
    assert np.array_equal(population.watchlist_group[rows], population.person_group[listed])
    # The watchlist's people are fixed by the seed: whoever comes, the gallery is the same.
    assert np.array_equal(
        population_of(day_of_trips(np.random.default_rng(9)), prevalence=0.05).watchlist_person,
        population.watchlist_person,
    )
    # All of a watchlisted person's trips are watchlisted.
    trips_listed = population.watchlisted
    assert np.all(np.isin(population.trip_person[trips_listed], listed))
