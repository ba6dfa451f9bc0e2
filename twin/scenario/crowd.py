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
        return self

    @property
    def window_start_s(self) -> float:
        """Window start, seconds after midnight."""
        return parse_clock(self.window_start)

    @property
    def window_end_s(self) -> float:
        """Window end, seconds after midnight."""
        return parse_clock(self.window_end)
