"""Demand: who sets off from where, to where, and when, across a day.

A day's pedestrians (person-trips) are split between trip kinds (inbound from a gateway to a
destination, outbound back to a gateway, through from gateway to gateway, internal between
destinations), each with its own time-of-day profile. Every kind's trips add up exactly to its share
of the scenario's daily total; within an hour, departures are uniform (a piecewise-constant Poisson
process conditioned on its count). Origins and destinations are drawn by the entrances' weights; walking
speeds from the published free-walking distribution (mean 1.34 m/s, sd 0.26 m/s: Weidmann 1993),
truncated to the scenario's limits. Only trips that set off inside the scenario's window are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.scenario import HOURS_PER_DAY, CrowdConfig, TripKindName
from twin.site.model import Entrance, Site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TRIP_KINDS: tuple[TripKindName, ...] = ("inbound", "outbound", "through", "internal")
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Trips:
    """The window's trips, sorted by departure time; row i is pedestrian i."""

    start_s: FloatArray  # departure, seconds after midnight
    origin: IntArray  # index into Site.entrances
    destination: IntArray  # index into Site.entrances
    kind: IntArray  # index into TRIP_KINDS
    speed_m_s: FloatArray

    def __len__(self) -> int:
        return len(self.start_s)


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


def generate_trips(site: Site, crowd: CrowdConfig, rng: np.random.Generator) -> Trips:
    """The trips that set off inside the scenario's window, sorted by departure time."""
    kinds_present = []
    for kind in TRIP_KINDS:
        origins, destinations = _endpoints(site, kind)
        usable = (
            len(origins) > 0 and len(destinations) > 0 and len(set(origins) | set(destinations)) > 1
        )
        kinds_present.append(kind in crowd.trips and usable)
    shares = np.array(
        [
            crowd.trips[k].share if present else 0.0
            for k, present in zip(TRIP_KINDS, kinds_present, strict=True)
        ]
    )
    if shares.sum() <= 0:
        no_ints = np.empty(0, dtype=np.int64)
        return Trips(np.empty(0), no_ints, no_ints, no_ints, np.empty(0))
    per_kind = rng.multinomial(crowd.daily_pedestrians, shares / shares.sum())
    starts: list[FloatArray] = []
    origin_parts: list[IntArray] = []
    dest_parts: list[IntArray] = []
    kind_parts: list[IntArray] = []
    for kind_index, (kind, count) in enumerate(zip(TRIP_KINDS, per_kind, strict=True)):
        if count == 0:
            continue
        profile = np.asarray(crowd.trips[kind].hourly_profile, dtype=np.float64)
        per_hour = rng.multinomial(count, profile / profile.sum())
        hour = np.repeat(np.arange(HOURS_PER_DAY), per_hour)
        start = (hour + rng.random(count)) * SECONDS_PER_HOUR
        origins, destinations = _endpoints(site, kind)
        origin, destination = _draw_pairs(rng, int(count), origins, destinations, site)
        starts.append(start)
        origin_parts.append(origin)
        dest_parts.append(destination)
        kind_parts.append(np.full(count, kind_index, dtype=np.int64))
    start_s = np.concatenate(starts)
    speed = rng.normal(crowd.walking_speed_mean_m_s, crowd.walking_speed_sd_m_s, start_s.size)
    speed = np.clip(speed, crowd.walking_speed_min_m_s, crowd.walking_speed_max_m_s)
    keep = (start_s >= crowd.window_start_s) & (start_s < crowd.window_end_s)
    order = np.argsort(np.where(keep, start_s, np.inf), kind="stable")[: int(keep.sum())]
    return Trips(
        start_s=start_s[order],
        origin=np.concatenate(origin_parts)[order].astype(np.int64),
        destination=np.concatenate(dest_parts)[order].astype(np.int64),
        kind=np.concatenate(kind_parts)[order],
        speed_m_s=speed[order],
    )
