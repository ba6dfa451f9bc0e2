"""The scenario's calendar: which days of the week its day is run on in a period (``twin year``).

A period of N consecutive days starts on ``first_day`` and runs the scenario's day on each day of the
week the calendar names; the other days pass without a simulated day (the deployment is not modelled
then, and the period's figures say so). On a Saturday or a Sunday the footfall is the scenario's
weekday footfall times ``weekend_footfall`` and nobody of a weekday-only kind (commuters, students)
comes.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, field_validator

from twin.scenario.base import StrictModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: Final[tuple[Weekday, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKEND: Final[frozenset[str]] = frozenset({"sat", "sun"})


class CalendarConfig(StrictModel):
    """Which days of the week a period runs the scenario's day on, and how a weekend differs."""

    first_day: Weekday = Field(
        default="mon", description="Day of the week of a period's first day."
    )
    days: Annotated[
        tuple[Weekday, ...],
        Field(
            min_length=1,
            description="Days of the week the scenario's day is run on (mon ... sun); others are not modelled.",
        ),
    ] = WEEKDAYS
    # *Assumption*: no source in reference/facts.md gives King's Cross weekend footfall against a
    # weekday's. 0.6 is the middle of a plausible 0.4-1.0 (an office-led estate empties at weekends;
    # its shops, Granary Square and the stations do not). Its range is in the scenario's assumptions.
    weekend_footfall: Annotated[
        float,
        Field(
            gt=0.0,
            le=3.0,
            description="A Saturday's or Sunday's footfall as a share of the scenario's (assumption, 0.4-1.0).",
        ),
    ] = 0.6

    @field_validator("days")
    @classmethod
    def _distinct(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise ValueError("names a day of the week twice (each of mon ... sun at most once)")
        return tuple(day for day in WEEKDAYS if day in days)

    def weekday(self, day: int) -> Weekday:
        """The day of the week of day ``day`` (0 = the period's first day)."""
        return WEEKDAYS[(WEEKDAYS.index(self.first_day) + day) % len(WEEKDAYS)]

    def runs_on(self, day: int) -> bool:
        """Whether the scenario's day is run on day ``day`` of a period."""
        return self.weekday(day) in self.days
