"""Scenario sections for the site map and the crowd that walks it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from twin.scenario.base import StrictModel, parse_clock

TripKindName = Literal["inbound", "outbound", "through", "internal"]

# Weekday shapes, relative arrivals per hour from 00:00 to 23:00. The morning peak follows the DfT
# figure that 55% of London rail arrivals fall between 07:00 and 10:00 (DfT, "Rail passenger numbers and
# crowding", 2019); the lunchtime and evening peaks are an *assumption* (no published counts for the
# estate's public realm).
INBOUND_WEEKDAY = (
    1,
    0.5,
    0.3,
    0.3,
    0.5,
    2,
    8,
    30,
    45,
    30,
    10,
    8,
    10,
    8,
    6,
    5,
    5,
    5,
    5,
    4,
    3,
    2,
    2,
    1,
)
OUTBOUND_WEEKDAY = (
    2,
    1,
    0.5,
    0.3,
    0.3,
    0.5,
    1,
    2,
    3,
    4,
    5,
    7,
    10,
    8,
    6,
    8,
    14,
    30,
    35,
    22,
    12,
    9,
    7,
    4,
)
THROUGH_WEEKDAY = (
    1,
    0.5,
    0.3,
    0.3,
    0.5,
    2,
    5,
    12,
    15,
    10,
    8,
    9,
    12,
    11,
    9,
    9,
    11,
    15,
    14,
    10,
    7,
    5,
    3,
    2,
)
INTERNAL_WEEKDAY = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    2,
    4,
    5,
    6,
    9,
    16,
    14,
    7,
    6,
    6,
    6,
    5,
    4,
    3,
    2,
    1,
    0.5,
)


class SiteConfig(StrictModel):
    """Where the site map is, and optionally a camera layer used instead of its cameras."""

    map: Path = Field(
        default=Path("../site_maps/kings_cross.geojson"),
        description="Site map (GeoJSON, docs/site_map_profile.md), relative to the scenario file.",
    )
    cameras: Path | None = Field(
        default=None,
        description=(
            "Camera layer (GeoJSON of camera features, e.g. from `twin cameras plan`) used instead "
            "of the map's cameras, relative to the scenario file; none: the map's own cameras."
        ),
    )


class TripKind(StrictModel):
    """One kind of trip: its share of the day's pedestrians and when in the day they set off."""

    share: Annotated[float, Field(ge=0.0, le=1.0, description="Share of daily pedestrians.")]
    hourly_profile: Annotated[
        tuple[Annotated[float, Field(ge=0.0)], ...],
        Field(
            min_length=24, max_length=24, description="Relative departures per hour, 00:00-23:00."
        ),
    ]

    @field_validator("hourly_profile")
    @classmethod
    def _some_departures(cls, profile: tuple[float, ...]) -> tuple[float, ...]:
        if sum(profile) <= 0:
            raise ValueError("hourly_profile needs at least one positive hour")
        return profile


def _default_trips() -> dict[TripKindName, TripKind]:
    # Trip mix: *assumption*. Commuters and visitors come in from the stations and streets (inbound),
    # leave again (outbound), some cross the estate (through), a few move within it (internal).
    return {
        "inbound": TripKind(share=0.40, hourly_profile=INBOUND_WEEKDAY),
        "outbound": TripKind(share=0.40, hourly_profile=OUTBOUND_WEEKDAY),
        "through": TripKind(share=0.14, hourly_profile=THROUGH_WEEKDAY),
        "internal": TripKind(share=0.06, hourly_profile=INTERNAL_WEEKDAY),
    }


class Timetable(StrictModel):
    """Trains arriving at a station gateway: its walkers leave in pulses, one per train."""

    gateway: str = Field(description="Entrance id of the station gateway (role 'gateway').")
    headway_s: Annotated[
        float, Field(gt=0.0, le=3600.0, description="Time between trains, s (> 0).")
    ]
    dispersal_s: Annotated[
        float,
        Field(
            gt=0.0,
            le=1800.0,
            description="A train's passengers leave the gateway over this long after it arrives, s.",
        ),
    ] = 120.0
    exit_width_m: Annotated[
        float, Field(gt=0.0, le=50.0, description="Clear width of the station exit, m (> 0).")
    ] = 6.0
    # Unset: the gateway's walkers come from the daily footfall and each takes the last train
    # before its drawn time. Set: the timetable makes them, and the footfall's trips from this
    # gateway are left out (docs/scenarios.md). *Assumption* per scenario (a peak-hour train).
    passengers_per_train: Annotated[
        int | None,
        Field(
            gt=0,
            le=5000,
            description=(
                "Passengers who leave the gateway from each train in the peak hour of the "
                "inbound profile (1-5000); off-peak trains bring that share of it."
            ),
        ),
    ] = None


class CrowdEvent(StrictModel):
    """A venue letting people out (egress) or taking them in (arrival) at one time."""

    place: str = Field(description="Entrance id where the event is (role 'destination').")
    time: str = Field(description="Egress: when people start leaving; arrival: when it starts.")
    people: Annotated[int, Field(gt=0, le=200_000, description="People leaving or arriving.")]
    kind: Literal["egress", "arrival"] = "egress"
    duration_min: Annotated[
        float, Field(gt=0.0, le=240.0, description="Egress or build-up lasts this long, minutes.")
    ] = 20.0

    @field_validator("time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        parse_clock(value)
        return value

    @property
    def time_s(self) -> float:
        """The event's time, seconds after midnight."""
        return parse_clock(self.time)


class DwellConfig(StrictModel):
    """Trips that stop at their destination for a while (lunch on a square's steps)."""

    share: Annotated[
        float,
        Field(ge=0.0, le=1.0, description="Share of trips ending at a destination that dwell."),
    ] = 0.2  # *assumption*, 0.05-0.4
    median_s: Annotated[float, Field(gt=0.0, le=14_400.0, description="Median dwell, s.")] = 600.0
    sigma: Annotated[
        float, Field(gt=0.0, le=3.0, description="Lognormal shape of the dwell time.")
    ] = 0.8  # *assumption*, 0.5-1.2


class GroupsConfig(StrictModel):
    """People walking together: same route, same start, the slowest member's pace, side by side."""

    # Moussaid et al., PLoS ONE 2010: up to about 70% of people in a commercial street walk in groups,
    # mostly of 2-3. A weekday estate with commuters: *assumption* 0.5 (range 0.3-0.7).
    share: Annotated[
        float, Field(ge=0.0, le=0.9, description="Share of people who walk in a group of 2-4.")
    ] = 0.5
    # Sizes 2, 3, 4: mostly 2-3 (Moussaid et al. 2010); the split is an *assumption*.
    size_weights: Annotated[
        tuple[
            Annotated[float, Field(ge=0.0)],
            Annotated[float, Field(ge=0.0)],
            Annotated[float, Field(ge=0.0)],
        ],
        Field(description="Relative frequency of groups of 2, 3 and 4."),
    ] = (0.7, 0.25, 0.05)

    @field_validator("size_weights")
    @classmethod
    def _some_size(cls, weights: tuple[float, float, float]) -> tuple[float, float, float]:
        if sum(weights) <= 0:
            raise ValueError("size_weights needs at least one positive weight")
        return weights


class RoutesConfig(StrictModel):
    """Route choice among the k shortest routes by a logit on length."""

    k: Annotated[int, Field(ge=1, le=8, description="Routes considered per trip.")] = 3
    # P(route) ~ exp(-theta (length / shortest - 1)): a route 10% longer is chosen e^-1 as often at
    # theta 10. *Assumption*, 5-20.
    theta: Annotated[
        float, Field(ge=0.0, le=100.0, description="Logit scale on relative length.")
    ] = 10.0
    max_detour: Annotated[
        float,
        Field(ge=1.0, le=3.0, description="Routes longer than this x the shortest are left out."),
    ] = 1.3  # *assumption*, 1.1-1.5


class CapacityConfig(StrictModel):
    """Walkway and bottleneck capacities, ped/(m s) of clear width, and the model's limits."""

    # Weidmann 1993: maximum specific flow about 1.2-1.3 ped/(m s) near 1.75 ped/m2.
    walkway_ped_m_s: Annotated[float, Field(gt=0.0, le=3.0)] = 1.22
    # SFPE Handbook (Gwynne and Rosenbaum), stairs of 7 in riser, 11 in tread: 1.01 ped/(m s).
    stairs_ped_m_s: Annotated[float, Field(gt=0.0, le=3.0)] = 1.01
    # SFPE Handbook: doorways, corridors and ramps 1.32 ped/(m s) (1.316).
    doorway_ped_m_s: Annotated[float, Field(gt=0.0, le=3.0)] = 1.32
    # SFPE Handbook speed constants: stairs 7/11 in 1.08 against 1.40 on the level: 0.77 of the speed.
    stairs_speed_factor: Annotated[float, Field(gt=0.0, le=1.0)] = 0.77
    # Lowest speed of a walker in a jam, so every walk ends: *assumption*, 0.05-0.2 m/s. It also sets
    # the storage density (twin.crowd.fundamental.storage_density_ped_m2: 4.43 ped/m2 at 0.1 m/s).
    min_speed_m_s: Annotated[float, Field(gt=0.0, le=1.0)] = 0.1
    # Walkways are cut into cells no longer than this, m, where densities are counted: *assumption*.
    cell_m: Annotated[float, Field(gt=1.0, le=200.0)] = 50.0
    # Short edges are walked joined into stretches of at least this many metres (one speed each):
    # *assumption*, 20-60 m (the cells of macroscopic models are 10-50 m).
    stretch_m: Annotated[float, Field(gt=0.0, le=200.0)] = 50.0
    # Shortest stretch over which a density is counted, m (short pieces at junctions): *assumption*.
    min_cell_m: Annotated[float, Field(gt=0.0, le=50.0)] = 5.0
    # Narrowest effective walkway width, m (a map's clearance to buildings may be less): *assumption*.
    min_width_m: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0
    # A walker held at the end of its walkway by a full one ahead keeps its place there (spillback)
    # for at most this long, s, then steps aside and stops counting on it, so that opposite streams
    # (or a ring of full walkways) cannot lock each other for ever. Queue-based traffic models break
    # gridlock the same way after a "stuck time" (MATSim's queue simulation: Horni, Nagel and
    # Axhausen 2016, ch. 1). *Assumption*: 60 s, range 10-120 s.
    max_hold_s: Annotated[float, Field(gt=0.0, le=3600.0)] = 60.0


class CrowdConfig(StrictModel):
    """Who walks the site and when."""

    daily_pedestrians: Annotated[
        int,
        Field(
            gt=0,
            le=2_000_000,
            description="Person-trips through the site in a whole day (all windows together).",
        ),
    ] = 120_000
    window_start: str = Field(default="00:00", description="Start of the simulated window, HH:MM.")
    window_end: str = Field(default="24:00", description="End of the simulated window, HH:MM.")
    walking_speed_mean_m_s: Annotated[float, Field(gt=0.2, le=3.0)] = 1.34  # Weidmann 1993
    walking_speed_sd_m_s: Annotated[float, Field(ge=0.0, le=1.0)] = 0.26  # Weidmann 1993
    walking_speed_min_m_s: Annotated[float, Field(gt=0.0, le=3.0)] = 0.5
    walking_speed_max_m_s: Annotated[float, Field(gt=0.0, le=4.0)] = 2.5
    trips: dict[TripKindName, TripKind] = Field(default_factory=_default_trips)
    timetables: tuple[Timetable, ...] = ()
    events: tuple[CrowdEvent, ...] = ()
    # Trips that set off this long before the window and are still walking at its start are on site.
    warm_up_min: Annotated[float, Field(ge=0.0, le=240.0)] = 30.0  # *assumption*: longest walk
    dwell: DwellConfig = Field(default_factory=DwellConfig)
    groups: GroupsConfig = Field(default_factory=GroupsConfig)
    routes: RoutesConfig = Field(default_factory=RoutesConfig)
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)

    @field_validator("window_start", "window_end")
    @classmethod
    def _valid_clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CrowdConfig:
        if self.window_end_s <= self.window_start_s:
            raise ValueError(
                f"window_end ({self.window_end}) must be after window_start ({self.window_start})"
            )
        if self.walking_speed_max_m_s <= self.walking_speed_min_m_s:
            raise ValueError("walking_speed_max_m_s must exceed walking_speed_min_m_s")
        total = sum(kind.share for kind in self.trips.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"trips shares must sum to 1, got {total:.6g}")
        gateways = [timetable.gateway for timetable in self.timetables]
        if len(set(gateways)) != len(gateways):
            raise ValueError("timetables: one timetable per gateway")
        return self

    @property
    def window_start_s(self) -> float:
        """Window start, seconds after midnight."""
        return parse_clock(self.window_start)

    @property
    def window_end_s(self) -> float:
        """Window end, seconds after midnight."""
        return parse_clock(self.window_end)
