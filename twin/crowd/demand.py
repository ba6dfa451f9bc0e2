"""Demand: who sets off from where, to where, and when, across a day.

A day's pedestrians (person-trips) are split between trip kinds (inbound from a gateway to a
destination, outbound back to a gateway, through from gateway to gateway, internal between
destinations), each with its own time-of-day profile. Every kind's trips add up exactly to its share
of the scenario's daily total; within an hour, departures are uniform (a piecewise-constant Poisson
process conditioned on its count), except at station gateways with a **timetable**: their walkers leave
in pulses, each train's passengers over its dispersal time; a timetable that gives its passengers per
train makes that gateway's walkers itself (its trains' loads follow the inbound profile, the footfall's
trips from it are left out). **Events** add a venue's egress or
arrival on top. Origins and destinations are drawn by the entrances' weights; walking speeds from the
published free-walking distribution (mean 1.34 m/s, sd 0.26 m/s: Weidmann 1993), truncated to the
scenario's limits.

People walk in **groups** of 2-4 (Moussaid et al. 2010: up to about 70% of people in a commercial
street walk in groups, mostly of 2-3): a group shares its route and start and walks at its slowest
member's pace, side by side. Trips to a destination may **dwell** there (lognormal). The window starts
**warm**: trips that set off up to ``warm_up_min`` before it are kept, so walkers already under way at
its start are on site (the day is taken as periodic: the minutes before 00:00 are this day's last).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from twin.errors import ScenarioError
from twin.scenario import HOURS_PER_DAY, SECONDS_PER_DAY, CrowdConfig, TripKindName
from twin.site.model import Entrance, Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROFILE_KINDS: tuple[TripKindName, ...] = ("inbound", "outbound", "through", "internal")
#: Every kind of trip, as recorded in results: the profile kinds, then trips to or from an event.
TRIP_KINDS: tuple[str, ...] = (*PROFILE_KINDS, "event")
EVENT_KIND = TRIP_KINDS.index("event")
SECONDS_PER_HOUR = 3600.0
# Members of a group set off within this many seconds of each other: *assumption*, 0-3 s.
GROUP_START_SPREAD_S = 2.0


@dataclass(frozen=True, slots=True)
class Trips:
    """The window's trips, sorted by departure time; row i is pedestrian i."""

    start_s: FloatArray  # departure, seconds after midnight (negative: the evening before)
    origin: IntArray  # index into Site.entrances
    destination: IntArray  # index into Site.entrances
    kind: IntArray  # index into TRIP_KINDS
    speed_m_s: FloatArray  # free walking speed
    dwell_s: FloatArray  # time spent at the destination after arriving, s (0: none)
    group: IntArray  # the row of the group's first member; -1 walking alone
    group_rank: IntArray  # place in the group, 0 for its first member and for those alone
    lateral_u: FloatArray  # where across the walkway, -1 (left edge) to 1 (right edge)
    route_u: FloatArray  # uniform draw that picks the route among the choices (twin.crowd.routes)

    def __len__(self) -> int:
        return len(self.start_s)

    def take(self, rows: IntArray) -> Trips:
        """The trips at ``rows``, in that order (group rows renumbered; -1 where left out)."""
        new_row = np.full(len(self), -1, dtype=np.int64)
        new_row[rows] = np.arange(rows.size)
        taken = {f.name: getattr(self, f.name)[rows] for f in fields(self)}
        group = taken["group"]
        taken["group"] = np.where(group >= 0, new_row[np.maximum(group, 0)], -1)
        return Trips(**taken)


def empty_trips() -> Trips:
    """No trips."""
    ints = np.empty(0, dtype=np.int64)
    floats = np.empty(0, dtype=np.float64)
    return Trips(floats, ints, ints, ints, floats, floats, ints, ints, floats, floats)


def _endpoints(site: Site, kind: TripKindName) -> tuple[list[int], list[int]]:
    entrances = site.entrances
    gateways = [i for i, e in enumerate(entrances) if e.role == "gateway"]
    destinations = [i for i, e in enumerate(entrances) if e.role == "destination"]
    return {
        "inbound": (gateways, destinations),
        "outbound": (destinations, gateways),
        "through": (gateways, gateways),
        "internal": (destinations, destinations),
    }[kind]


def _weights(entrances: tuple[Entrance, ...], indices: list[int]) -> FloatArray:
    weights: FloatArray = np.array([entrances[i].weight for i in indices], dtype=np.float64)
    return weights / float(weights.sum())


def _draw_pairs(
    rng: np.random.Generator,
    n: int,
    origins: list[int],
    destinations: list[int],
    site: Site,
) -> tuple[IntArray, IntArray]:
    """Draw n (origin, destination) pairs by weight, origin and destination never the same."""
    origin_w = _weights(site.entrances, origins)
    dest_w = _weights(site.entrances, destinations)
    pair_w = np.outer(origin_w, dest_w)
    origin_idx = np.asarray(origins)
    dest_idx = np.asarray(destinations)
    pair_w[origin_idx[:, None] == dest_idx[None, :]] = 0.0
    flat = pair_w.ravel() / pair_w.sum()
    chosen = rng.choice(flat.size, size=n, p=flat)
    return origin_idx[chosen // len(destinations)], dest_idx[chosen % len(destinations)]


def _entrance_index(site: Site, entrance_id: str, field: str, role: str) -> int:
    """The index of an entrance named by the scenario, or one line naming the field."""
    for index, entrance in enumerate(site.entrances):
        if entrance.entrance_id == entrance_id and entrance.role == role:
            return index
    known = ", ".join(e.entrance_id for e in site.entrances if e.role == role)
    raise ScenarioError(
        f"{field}: no {role} entrance {entrance_id!r} on this site map; allowed: {known}"
    )


def _profile_trips(
    site: Site, crowd: CrowdConfig, rng: np.random.Generator
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """The day's trips of the profile kinds: (start_s, origin, destination, kind), unsorted."""
    kinds_present = []
    for kind in PROFILE_KINDS:
        origins, destinations = _endpoints(site, kind)
        usable = (
            len(origins) > 0 and len(destinations) > 0 and len(set(origins) | set(destinations)) > 1
        )
        kinds_present.append(kind in crowd.trips and usable)
    shares = np.array(
        [
            crowd.trips[k].share if present else 0.0
            for k, present in zip(PROFILE_KINDS, kinds_present, strict=True)
        ]
    )
    no_ints = np.empty(0, dtype=np.int64)
    if shares.sum() <= 0:
        return np.empty(0), no_ints, no_ints, no_ints
    per_kind = rng.multinomial(crowd.daily_pedestrians, shares / shares.sum())
    starts, origin_parts, dest_parts, kind_parts = [np.empty(0)], [no_ints], [no_ints], [no_ints]
    for kind_index, (kind, count) in enumerate(zip(PROFILE_KINDS, per_kind, strict=True)):
        if count == 0:
            continue
        profile = np.asarray(crowd.trips[kind].hourly_profile, dtype=np.float64)
        per_hour = rng.multinomial(count, profile / profile.sum())
        hour = np.repeat(np.arange(HOURS_PER_DAY), per_hour)
        starts.append((hour + rng.random(count)) * SECONDS_PER_HOUR)
        origins, destinations = _endpoints(site, kind)
        origin, destination = _draw_pairs(rng, int(count), origins, destinations, site)
        origin_parts.append(origin)
        dest_parts.append(destination)
        kind_parts.append(np.full(count, kind_index, dtype=np.int64))
    return (
        np.concatenate(starts),
        np.concatenate(origin_parts).astype(np.int64),
        np.concatenate(dest_parts).astype(np.int64),
        np.concatenate(kind_parts),
    )


def _timetable_pulses(
    site: Site, crowd: CrowdConfig, start_s: FloatArray, origin: IntArray, rng: np.random.Generator
) -> FloatArray:
    """Departures from timetabled gateways moved into pulses: each walker takes the last train at or
    before the time drawn for them and leaves the gateway within the train's dispersal time."""
    start_s = start_s.copy()
    for number, timetable in enumerate(crowd.timetables):
        if timetable.passengers_per_train is not None:
            continue  # its walkers come from its trains (_train_trips)
        gateway = _entrance_index(
            site, timetable.gateway, f"crowd.timetables.{number}.gateway", "gateway"
        )
        rows = np.flatnonzero(origin == gateway)
        train_s = np.floor(start_s[rows] / timetable.headway_s) * timetable.headway_s
        start_s[rows] = train_s + rng.random(rows.size) * timetable.dispersal_s
    return start_s


def _train_trips(
    site: Site,
    crowd: CrowdConfig,
    start_s: FloatArray,
    origin: IntArray,
    destination: IntArray,
    kind: IntArray,
    rng: np.random.Generator,
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """The day's trips with those of gateways whose timetable gives ``passengers_per_train``
    replaced by their trains' passengers: a train every ``headway_s`` from 00:00, each bringing
    ``passengers_per_train`` times the hour's inbound profile over its peak hour's (rounded), who
    leave within ``dispersal_s``, bound inbound (to a destination) or through (to another gateway)
    by the two kinds' shares, ends drawn by the entrances' weights."""
    kinds: tuple[TripKindName, ...] = ("inbound", "through")
    reference = crowd.trips.get("inbound") or crowd.trips.get("through")
    profile = (
        np.asarray(reference.hourly_profile, dtype=np.float64)
        if reference is not None
        else np.ones(HOURS_PER_DAY)
    )
    profile = profile / profile.max()
    keep = np.ones(start_s.size, dtype=bool)
    parts = [(start_s, origin, destination, kind)]
    for number, timetable in enumerate(crowd.timetables):
        if timetable.passengers_per_train is None:
            continue
        gateway = _entrance_index(
            site, timetable.gateway, f"crowd.timetables.{number}.gateway", "gateway"
        )
        keep &= origin != gateway
        train_s = np.arange(0.0, SECONDS_PER_DAY, timetable.headway_s)
        hour = np.minimum((train_s // SECONDS_PER_HOUR).astype(np.int64), HOURS_PER_DAY - 1)
        load = np.round(timetable.passengers_per_train * profile[hour]).astype(np.int64)
        n = int(load.sum())
        start = np.repeat(train_s, load) + rng.random(n) * timetable.dispersal_s
        ends = {k: [i for i in _endpoints(site, k)[1] if i != gateway] for k in kinds}
        shares = np.array(
            [crowd.trips[k].share if k in crowd.trips and ends[k] else 0.0 for k in kinds]
        )
        if shares.sum() <= 0 or n == 0:
            continue
        which = rng.choice(len(kinds), size=n, p=shares / shares.sum())
        ends_of = np.zeros(n, dtype=np.int64)
        for k_index, k in enumerate(kinds):
            rows = np.flatnonzero(which == k_index)
            if rows.size:
                weights = _weights(site.entrances, ends[k])
                ends_of[rows] = np.asarray(ends[k])[rng.choice(len(ends[k]), rows.size, p=weights)]
        trip_kind = np.asarray([PROFILE_KINDS.index(k) for k in kinds], dtype=np.int64)[which]
        parts.append((start, np.full(n, gateway, dtype=np.int64), ends_of, trip_kind))
    parts[0] = (start_s[keep], origin[keep], destination[keep], kind[keep])
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]).astype(np.int64),
        np.concatenate([p[2] for p in parts]).astype(np.int64),
        np.concatenate([p[3] for p in parts]).astype(np.int64),
    )


def _event_trips(
    site: Site, crowd: CrowdConfig, rng: np.random.Generator
) -> tuple[FloatArray, IntArray, IntArray]:
    """Trips leaving (egress) or coming to (arrival) each event: (start_s, origin, destination)."""
    gateways = [i for i, e in enumerate(site.entrances) if e.role == "gateway"]
    starts, origins, destinations = [np.empty(0)], [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for number, event in enumerate(crowd.events):
        place = _entrance_index(site, event.place, f"crowd.events.{number}.place", "destination")
        span_s = event.duration_min * 60.0
        # Egress: people leave at a falling rate (a triangular profile from the event's time);
        # build-up: arrivals rise to the event's time. The triangular shapes are an *assumption*.
        weights = _weights(site.entrances, gateways)
        ends = np.asarray(gateways)[rng.choice(len(gateways), size=event.people, p=weights)]
        if event.kind == "egress":
            start = event.time_s + span_s * (1.0 - np.sqrt(1.0 - rng.random(event.people)))
            origin, destination = np.full(event.people, place), ends
        else:
            start = event.time_s - span_s * (1.0 - np.sqrt(rng.random(event.people)))
            origin, destination = ends, np.full(event.people, place)
        starts.append(start)
        origins.append(origin.astype(np.int64))
        destinations.append(destination.astype(np.int64))
    return np.concatenate(starts), np.concatenate(origins), np.concatenate(destinations)


def _form_groups(trips: Trips, crowd: CrowdConfig, rng: np.random.Generator) -> Trips:
    """Tie a share of walkers into groups of 2-4 who share route, start and the slowest pace."""
    n = len(trips)
    in_groups = rng.permutation(n)[: round(crowd.groups.share * n)]
    weights = np.asarray(crowd.groups.size_weights, dtype=np.float64)
    sizes = 2 + rng.choice(3, size=max(1, in_groups.size // 2), p=weights / weights.sum())
    ends = np.cumsum(sizes)
    sizes, ends = sizes[ends <= in_groups.size], ends[ends <= in_groups.size]
    if sizes.size == 0:
        return trips
    member = in_groups[: int(ends[-1])]
    first = np.repeat(member[ends - sizes], sizes)  # each member's group leader
    rank = np.arange(member.size) - np.repeat(ends - sizes, sizes)
    slowest = np.minimum.reduceat(trips.speed_m_s[member], ends - sizes)
    start_s = trips.start_s.copy()
    start_s[member] = trips.start_s[first] + rng.random(member.size) * GROUP_START_SPREAD_S
    start_s[first[rank == 0]] = trips.start_s[first[rank == 0]]
    columns: dict[str, Any] = {
        "origin": trips.origin.copy(),
        "destination": trips.destination.copy(),
        "kind": trips.kind.copy(),
        "lateral_u": trips.lateral_u.copy(),
        "route_u": trips.route_u.copy(),
        "dwell_s": trips.dwell_s.copy(),
    }
    for column in columns.values():
        column[member] = column[first]
    speed = trips.speed_m_s.copy()
    speed[member] = np.repeat(slowest, sizes)
    group = np.full(n, -1, dtype=np.int64)
    group[member] = first
    group_rank = np.zeros(n, dtype=np.int64)
    group_rank[member] = rank
    return replace(
        trips, start_s=start_s, speed_m_s=speed, group=group, group_rank=group_rank, **columns
    )


def generate_trips(site: Site, crowd: CrowdConfig, rng: np.random.Generator) -> Trips:
    """The trips that set off inside the scenario's window (or its warm-up before it), sorted by
    departure time."""
    start_s, origin, destination, kind = _profile_trips(site, crowd, rng)
    start_s = _timetable_pulses(site, crowd, start_s, origin, rng)
    if any(t.passengers_per_train is not None for t in crowd.timetables):
        start_s, origin, destination, kind = _train_trips(
            site, crowd, start_s, origin, destination, kind, rng
        )
    event_start, event_origin, event_destination = _event_trips(site, crowd, rng)
    start_s = np.concatenate([start_s, event_start])
    origin = np.concatenate([origin, event_origin])
    destination = np.concatenate([destination, event_destination])
    kind = np.concatenate([kind, np.full(event_start.size, EVENT_KIND, dtype=np.int64)])
    n = start_s.size
    speed = rng.normal(crowd.walking_speed_mean_m_s, crowd.walking_speed_sd_m_s, n)
    speed = np.clip(speed, crowd.walking_speed_min_m_s, crowd.walking_speed_max_m_s)
    to_destination = np.array([e.role == "destination" for e in site.entrances], dtype=bool)
    dwells = to_destination[destination] & (rng.random(n) < crowd.dwell.share)
    dwell_s = np.where(
        dwells, crowd.dwell.median_s * np.exp(crowd.dwell.sigma * rng.standard_normal(n)), 0.0
    )
    trips = Trips(
        start_s=start_s,
        origin=origin,
        destination=destination,
        kind=kind,
        speed_m_s=speed,
        dwell_s=dwell_s,
        group=np.full(n, -1, dtype=np.int64),
        group_rank=np.zeros(n, dtype=np.int64),
        lateral_u=rng.uniform(-1.0, 1.0, n),
        route_u=rng.random(n),
    )
    trips = _form_groups(trips, crowd, rng)
    # The warm-up before the window: the day is periodic, so before 00:00 comes this day's evening.
    warm_from_s = crowd.window_start_s - crowd.warm_up_min * 60.0
    start_s = trips.start_s
    inside = trips.take(np.flatnonzero((start_s >= warm_from_s) & (start_s < crowd.window_end_s)))
    evening = trips.take(np.flatnonzero(start_s >= warm_from_s + SECONDS_PER_DAY))
    both = _concat(inside, replace(evening, start_s=evening.start_s - SECONDS_PER_DAY))
    return both.take(np.argsort(both.start_s, kind="stable"))


def _concat(first: Trips, second: Trips) -> Trips:
    """The trips of ``first`` then those of ``second`` (its group rows moved along)."""
    moved = replace(second, group=np.where(second.group >= 0, second.group + len(first), -1))
    return Trips(
        **{
            f.name: np.concatenate([getattr(first, f.name), getattr(moved, f.name)])
            for f in fields(Trips)
        }
    )
