"""Scenario sections for what happens after an alert: operators, officers, provenance."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from twin.scenario.base import StrictModel


class PostConfig(StrictModel):
    """An officer post: where officers wait between interventions, and how many wait there.

    Name the place one way: an ``entrance`` id of the site map, a walk-graph ``node`` id, or a point
    ``x_m``, ``y_m`` (projected metres) within 30 m of the walk graph.
    """

    name: Annotated[str, Field(max_length=100)] = ""
    entrance: str | None = Field(default=None, description="An entrance id on the site map.")
    node: Annotated[int, Field(ge=0)] | None = Field(default=None, description="A walk-graph node.")
    x_m: float | None = Field(default=None, description="Easting of the post (m).")
    y_m: float | None = Field(default=None, description="Northing of the post (m).")
    officers: Annotated[int, Field(ge=1, le=100, description="Officers at the post.")] = 1

    @model_validator(mode="after")
    def _one_place(self) -> PostConfig:
        ways = [self.entrance is not None, self.node is not None]
        ways.append(self.x_m is not None or self.y_m is not None)
        if sum(ways) != 1:
            raise ValueError("a post needs exactly one of entrance, node, or x_m and y_m")
        if (self.x_m is None) != (self.y_m is None):
            raise ValueError("a post given by position needs both x_m and y_m")
        return self


class ProvenanceConfig(StrictModel):
    """Where the watchlist came from: recorded with every entry in the oversight ledger."""

    supplied_by: Annotated[str, Field(min_length=1, max_length=300)] = "not recorded"
    legal_basis: Annotated[str, Field(min_length=1, max_length=300)] = "not recorded"
    authorised_by: Annotated[str, Field(min_length=1, max_length=300)] = "not recorded"
    retention_days: Annotated[
        int,
        Field(ge=1, le=3650, description="Days a watchlist entry stays valid before it expires."),
    ] = 28


class ResponseConfig(StrictModel):
    """After the alert (twin/response/simulation.py): operators review, officers intervene, a ledger records.

    Published figures are quoted in docs/response.md; the defaults no source gives are
    *assumptions*.
    """

    operators: Annotated[
        int, Field(ge=1, le=1000, description="Operators reviewing alerts at any one time.")
    ] = 2
    review_time_mean_s: Annotated[
        float, Field(gt=0.0, le=3600.0, description="Mean time to review one alert (s).")
    ] = 30.0
    review_time_cv: Annotated[
        float,
        Field(ge=0.0, le=5.0, description="Coefficient of variation of the review time (gamma)."),
    ] = 0.5
    alert_expiry_s: Annotated[
        float,
        Field(gt=0.0, le=86_400.0, description="An alert not reviewed within this expires (s)."),
    ] = 300.0
    credible_base_logit: Annotated[float, Field(ge=-20.0, le=20.0)] = 0.5
    credible_logit_per_score_0_1: Annotated[
        float,
        Field(ge=0.0, le=50.0, description="Log-odds per 0.1 of displayed cosine above threshold."),
    ] = 1.0
    credible_logit_per_quality: Annotated[
        float, Field(ge=0.0, le=50.0, description="Log-odds per unit of probe quality (0-1).")
    ] = 1.0
    discernment_logit: Annotated[
        float,
        Field(
            ge=0.0,
            le=50.0,
            description=(
                "Log-odds, per unit of probe quality, by which the reviewer's own look at the two "
                "faces pulls the judgement towards the truth."
            ),
        ),
    ] = 1.0
    predicted_walk_speed_m_s: Annotated[
        float,
        Field(
            gt=0.0,
            le=5.0,
            description="Walking speed the system assumes when predicting where a person went (m/s).",
        ),
    ] = 1.34  # Weidmann 1993 mean free walking speed
    officer_speed_m_s: Annotated[
        float, Field(gt=0.0, le=8.0, description="Officers' speed to an alert's place (m/s).")
    ] = 2.0
    dispatch_delay_s: Annotated[
        float, Field(ge=0.0, le=3600.0, description="From judged credible to officer moving (s).")
    ] = 20.0
    sighting_radius_m: Annotated[
        float,
        Field(
            gt=0.0,
            le=500.0,
            description="How near the person must be for the officer to find them (m).",
        ),
    ] = 25.0
    stop_duration_s: Annotated[
        float, Field(ge=0.0, le=86_400.0, description="An intervention's length (s).")
    ] = 600.0
    search_time_s: Annotated[
        float,
        Field(ge=0.0, le=86_400.0, description="Time an officer searches before giving up (s)."),
    ] = 120.0
    posts: tuple[PostConfig, ...] = Field(
        default=(),
        max_length=200,
        description=(
            "Officer posts; none: one post of two officers at the walk-graph node nearest the "
            "recognition cameras' centre."
        ),
    )
    transit_speed_min_m_s: Annotated[
        float, Field(gt=0.0, le=5.0, description="Slowest walk assumed when merging alerts (m/s).")
    ] = 0.5
    transit_speed_max_m_s: Annotated[
        float, Field(gt=0.0, le=10.0, description="Fastest walk assumed when merging alerts (m/s).")
    ] = 2.5
    merge_slack_s: Annotated[
        float,
        Field(
            ge=0.0,
            le=86_400.0,
            description="Extra time allowed between one person's sightings (s).",
        ),
    ] = 120.0
    operator_cost_gbp_per_h: Annotated[float, Field(ge=0.0, le=10_000.0)] = 25.0
    officer_cost_gbp_per_h: Annotated[float, Field(ge=0.0, le=10_000.0)] = 40.0
    provenance: ProvenanceConfig = Field(default_factory=ProvenanceConfig)

    @model_validator(mode="after")
    def _speeds_ordered(self) -> ResponseConfig:
        if self.transit_speed_max_m_s <= self.transit_speed_min_m_s:
            raise ValueError("transit_speed_max_m_s must exceed transit_speed_min_m_s")
        return self
