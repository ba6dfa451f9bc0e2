"""Scenario section for the cameras: which run recognition and what a usable capture needs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from twin.scenario.base import StrictModel


class CamerasConfig(StrictModel):
    """Which cameras run recognition and what a usable face capture needs."""

    recognition: Literal["capable", "tagged", "listed", "none"] = Field(
        default="capable",
        description=(
            "capable: every recognition-capable camera; tagged: cameras carrying one of "
            "recognition_tags; listed: the cameras in recognition_ids; none: no recognition."
        ),
    )
    recognition_tags: tuple[str, ...] = ()
    recognition_ids: tuple[str, ...] = ()
    min_face_px_per_m: Annotated[
        float,
        Field(
            gt=0.0,
            le=5000.0,
            description=(
                "Pixel density below which no face is captured for search (px/m). 250 px/m is EN "
                "62676-4's 'identify' grade, about 16 px between the eyes (facts.md)."
            ),
        ),
    ] = 250.0
    max_head_yaw_deg: Annotated[
        float,
        Field(
            gt=0.0, le=90.0, description="Head yaw beyond which no frontal face is captured (deg)."
        ),
    ] = 60.0
    head_yaw_sd_deg: Annotated[
        float,
        Field(
            ge=0.0,
            le=90.0,
            description="Spread of where people look relative to their walking direction (deg).",
        ),
    ] = 15.0
    # Capture-quality factors (twin/recognition/quality.py). Published figures are quoted there; the defaults
    # below that no source gives are *assumptions*.
    max_pitch_deg: Annotated[
        float,
        Field(
            gt=0.0,
            le=90.0,
            description=(
                "How far a camera may look down on a face before no face is captured (deg); "
                "*assumption*: engines tolerate pitch beyond the ideal few degrees at a cost."
            ),
        ),
    ] = 45.0
    dark_start_h: Annotated[
        float,
        Field(
            ge=0.0,
            le=24.0,
            description=(
                "Hour of the day the dark hours begin (h after midnight); *assumption*: London "
                "in early September, sunset about 19:50 BST."
            ),
        ),
    ] = 20.0
    dark_end_h: Annotated[
        float,
        Field(
            ge=0.0,
            le=24.0,
            description=(
                "Hour of the day the dark hours end (h after midnight; equal to dark_start_h: "
                "never dark); *assumption*: sunrise about 06:15 BST in early September."
            ),
        ),
    ] = 6.0
    twilight_h: Annotated[
        float,
        Field(
            ge=0.0,
            le=4.0,
            description="Hours over which light fades at dusk and returns at dawn (h).",
        ),
    ] = 0.5
    night_lighting_factor: Annotated[
        float,
        Field(
            gt=0.0,
            le=1.0,
            description=(
                "Lighting term of capture quality in the dark hours (0-1]; *assumption*: a lit "
                "public realm seen in infrared or low light."
            ),
        ),
    ] = 0.7
    exposure_day_s: Annotated[
        float,
        Field(
            gt=0.0,
            le=1.0,
            description=(
                "Exposure time in daylight (s; at most one frame, 1/fps); *assumption*: 1/250 s."
            ),
        ),
    ] = 0.004
    exposure_night_s: Annotated[
        float,
        Field(
            gt=0.0,
            le=1.0,
            description=(
                "Exposure time in the dark hours (s; at most one frame, 1/fps); *assumption*: "
                "1/50 s."
            ),
        ),
    ] = 0.02
    blur_half_quality_px: Annotated[
        float,
        Field(
            gt=0.0,
            le=1000.0,
            description=(
                "Motion blur that halves capture quality (px); *assumption*: a quarter of the "
                "32 px between the eyes that engines need."
            ),
        ),
    ] = 8.0

    @model_validator(mode="after")
    def _selection_named(self) -> CamerasConfig:
        if self.recognition == "tagged" and not self.recognition_tags:
            raise ValueError("recognition = 'tagged' needs recognition_tags")
        if self.recognition == "listed" and not self.recognition_ids:
            raise ValueError("recognition = 'listed' needs recognition_ids")
        return self
