"""The people table and the manifest's per-person figures: outcomes counted per person, not per search.

One row per person on site in the run (`twin.recognition.population`): their kind, group and watchlist
row, how many trips they made (visits), how many of their captures were searched, and the alerts right
and wrong on them, counted from the real matcher's decisions (the ``decisions`` table's ``person``
column links every decision to its row here), and how often officers stopped them. Repeat alerts are
merged into incidents by the watchlist identity they name (`twin.response.incidents`): an innocent
person who looks like one watchlisted person raises one incident per visit, and may be stopped on
more than one visit. Column names are documented in docs/results.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from twin.crowd.demand import Trips
from twin.recognition.decisions import Decisions
from twin.recognition.faces import NOT_ON_WATCHLIST
from twin.recognition.outcomes import PeopleOutcomes, per_person
from twin.recognition.persons import PERSON_KINDS
from twin.recognition.population import Population
from twin.response.simulation import INTERCEPTED, ResponseResult


def people_outcomes(population: Population, decisions: Decisions) -> PeopleOutcomes:
    """Each person's visits, captures and alerts in the run."""
    return PeopleOutcomes.count(
        trip_person=population.trip_person,
        people=population.people,
        search_trip=decisions.captures.passes.pedestrian[decisions.rows],
        codes=decisions.outcome,
    )


def people_stops(
    population: Population, response: ResponseResult | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per person: times stopped by an officer, and of those, times they were not the person on the
    watchlist the alert named (wrongly stopped). Zeros when the run has no response stage."""
    people = population.people
    stopped = []
    wrong = []
    if response is not None:
        for record in response.records:
            if record.outcome == INTERCEPTED and record.pedestrian >= 0:
                stopped.append(record.pedestrian)
                if record.right_person is False:
                    wrong.append(record.pedestrian)
    trip_person = population.trip_person

    def per_person(trips: list[int]) -> npt.NDArray[np.int64]:
        rows = trip_person[np.asarray(trips, dtype=np.int64)]
        return np.bincount(rows, minlength=people).astype(np.int64)

    return per_person(stopped), per_person(wrong)


def people_table(
    population: Population,
    trips: Trips,
    decisions: Decisions,
    response: ResponseResult | None,
    outcomes: PeopleOutcomes,
) -> pa.Table:
    """One row per person of the run."""
    groups = np.array(population.group_names, dtype=object)
    kinds = np.array(PERSON_KINDS, dtype=object)
    stops, wrong_stops = people_stops(population, response)
    first_s = np.full(population.people, np.inf)
    np.minimum.at(first_s, population.trip_person, trips.start_s)
    return pa.table(
        {
            "person": np.arange(population.people, dtype=np.int64),
            "person_id": population.person_id,
            "kind": pa.array(kinds[population.person_kind], pa.string()).dictionary_encode(),
            "group": pa.array(groups[population.person_group], pa.string()).dictionary_encode(),
            "subject": population.person_subject,
            "watchlisted": population.person_subject != NOT_ON_WATCHLIST,
            "first_start_s": first_s,
            "visits": outcomes.visits.astype(np.int32),
            "captures": outcomes.captures.astype(np.int32),
            "searches": (outcomes.captures * decisions.matches.frames).astype(np.int32),
            "true_alerts": outcomes.true_alerts.astype(np.int32),
            "false_alerts": outcomes.false_alerts.astype(np.int32),
            "stops": stops.astype(np.int32),
            "wrong_stops": wrong_stops.astype(np.int32),
        }
    )


def people_counts(population: Population, outcomes: PeopleOutcomes) -> dict[str, int]:
    """The manifest's per-person ``counts``."""
    innocent = population.person_subject == NOT_ON_WATCHLIST
    return {
        "people": population.people,
        "people_scanned": int((outcomes.captures > 0).sum()),
        "innocent_people_flagged": int((innocent & (outcomes.false_alerts > 0)).sum()),
        "watchlisted_people_alerted": int((~innocent & (outcomes.true_alerts > 0)).sum()),
    }


def people_figures(
    population: Population, response: ResponseResult | None, outcomes: PeopleOutcomes
) -> dict[str, Any]:
    """The manifest's ``outcomes.per_person`` (`twin.recognition.outcomes.per_person`)."""
    figures = per_person(
        outcomes,
        trip_person=population.trip_person,
        person_subject=population.person_subject,
        person_group=population.person_group,
        group_names=population.group_names,
    )
    _, wrong_stops = people_stops(population, response)
    innocent = wrong_stops[population.person_subject == NOT_ON_WATCHLIST]
    figures["stops"] = {
        "innocent_people_stopped": int((innocent > 0).sum()),
        "innocent_people_stopped_twice_or_more": int((innocent >= 2).sum()),
        "most_stops_of_an_innocent_person": int(innocent.max()) if innocent.size else 0,
    }
    return figures


def flagged_in_words(manifest: dict[str, Any]) -> str:
    """The per-person outcome in one plain sentence, e.g. "34 innocent people were wrongly flagged,
    one of them 6 times, out of 51,200 people scanned." Empty for a manifest without per-person figures."""
    counts = manifest.get("counts", {})
    figures = manifest.get("outcomes", {}).get("per_person")
    if figures is None or "innocent_people_flagged" not in counts:
        return ""
    flagged = int(counts["innocent_people_flagged"])
    scanned = f"out of {int(counts['people_scanned']):,} people scanned"
    if flagged == 0:
        return f"No innocent person was wrongly flagged, {scanned}."
    most = int(figures["max_per_flagged"])
    who = "1 innocent person was" if flagged == 1 else f"{flagged:,} innocent people were"
    if most == 1:
        how_often = "once" if flagged == 1 else "each once"
    else:
        how_often = f"{most} times" if flagged == 1 else f"one of them {most} times"
    return f"{who} wrongly flagged, {how_often}, {scanned}."
