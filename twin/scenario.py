"""Scenarios: the validated, frozen description of one what-if.

A scenario is a human-written TOML file (see ``scenarios/`` and ``docs/scenarios.md``). It names a site
map, the crowd that walks it, which cameras run recognition, the synthetic faces and watchlist, the
matcher and the recognition pipeline. Every field has a unit in its name or its description and a
default; `load_scenario` validates the file once, at the border, and everything downstream trusts the
frozen `Scenario` it returns.

Overrides (``--set crowd.daily_pedestrians=150000``) are applied to the raw TOML before validation, so
they are checked by the same rules as the file.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from twin.errors import ScenarioError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = Path("scenarios/kings_cross_weekday.toml")
SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24

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


class StrictModel(BaseModel):
    """Base for every scenario section: unknown keys are errors and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _parse_clock(value: str) -> float:
    """'HH:MM' (00:00 to 24:00) -> seconds after midnight."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match:
        raise ValueError(f"expected a time of day as HH:MM, got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"expected a time of day from 00:00 to 24:00, got {value!r}")
    return float(hours * 3600 + minutes * 60)


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
        _parse_clock(value)
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
        return _parse_clock(self.window_start)

    @property
    def window_end_s(self) -> float:
        """Window end, seconds after midnight."""
        return _parse_clock(self.window_end)


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
    # Capture-quality factors (twin/quality.py). Published figures are quoted there; the defaults
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


class GroupConfig(StrictModel):
    """A demographic group of synthetic people and its share of the crowd and of the watchlist."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    share: Annotated[float, Field(gt=0.0, le=1.0)]
    fmr_multiplier: Annotated[
        float,
        Field(
            gt=0.0,
            le=1000.0,
            description=(
                "False-match rate relative to the best-served group (1 = as the profile says). NIST "
                "found 2-5x for women and up to 10-100x for some groups (NISTIR 8280, 2019)."
            ),
        ),
    ] = 1.0
    fnmr_multiplier: Annotated[
        float,
        Field(
            gt=0.0, le=100.0, description="False non-match rate relative to the best-served group."
        ),
    ] = 1.0


def _default_groups() -> tuple[GroupConfig, ...]:
    return (GroupConfig(name="all", share=1.0),)


class FacesConfig(StrictModel):
    """The synthetic faces: embedding size, recognition algorithm profile and groups of people."""

    embedding_dim: Annotated[int, Field(ge=8, le=4096)] = 512  # ArcFace-class: Deng et al. 2019
    algorithm: str = Field(
        default="npl_2023",
        description="Algorithm profile: a name in scenarios/algorithms/ or a path to a TOML file.",
    )
    genuine_score_sd: Annotated[
        float,
        Field(
            gt=0.0, le=0.5, description="Spread of genuine (mated) cosine similarity, *assumption*."
        ),
    ] = 0.08
    groups: tuple[GroupConfig, ...] = Field(
        default_factory=_default_groups, min_length=1, max_length=16
    )
    frames_per_track: Annotated[
        int,
        Field(
            ge=1,
            le=25,
            description=(
                "Frames searched per track (one person passing one camera): 1 is best-shot matching; "
                "more frames are searched and fused into one decision per track."
            ),
        ),
    ] = 1
    fusion: Literal["max", "top_n_mean"] = Field(
        default="max",
        description=(
            "How a track's frames become one decision: max (the best-scoring frame decides) or "
            "top_n_mean (the mean score of the n best frames against the best frame's candidate)."
        ),
    )
    fusion_top_n: Annotated[int, Field(ge=1, le=25)] = 3

    @model_validator(mode="after")
    def _groups_sum(self) -> FacesConfig:
        total = sum(group.share for group in self.groups)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"groups shares must sum to 1, got {total:.6g}")
        names = [group.name for group in self.groups]
        if len(set(names)) != len(names):
            raise ValueError(f"group names must be unique, got {names}")
        return self


class WatchlistConfig(StrictModel):
    """The watchlist the matcher searches, and how often its members pass through the site."""

    size: Annotated[int, Field(ge=1, le=1_000_000, description="Identities on the watchlist.")] = (
        10_000
    )
    prevalence: Annotated[
        float,
        Field(
            ge=0.0,
            le=0.5,
            description="Share of the day's trips made by people on the watchlist, *assumption*.",
        ),
    ] = 1e-4
    enrolment_quality: Annotated[
        float,
        Field(
            gt=0.0,
            le=1.0,
            description=(
                "Quality of the images the watchlist was enrolled from: 1 = good frontal photos; "
                "custody photos or CCTV stills lower it, raising misses and false alerts."
            ),
        ),
    ] = 1.0


class MatcherConfig(StrictModel):
    """The real FAISS matcher and its decision threshold."""

    backend: Literal["flat", "ivf", "hnsw"] = "flat"
    top_k: Annotated[int, Field(ge=1, le=100)] = 1
    threshold_cosine: Annotated[float, Field(gt=-1.0, lt=1.0)] | None = Field(
        default=None,
        description="Cosine threshold; by default derived from the algorithm profile's FMR.",
    )
    threshold_vendor: Annotated[float, Field(gt=0.0, lt=1.0)] | None = Field(
        default=None,
        description=(
            "Threshold on the vendor's own score scale (e.g. NPL's 0.6, 0.58, 0.56), mapped to a "
            "cosine through the profile's FMR; overrides the profile's operating threshold."
        ),
    )

    @model_validator(mode="after")
    def _one_threshold(self) -> MatcherConfig:
        if self.threshold_cosine is not None and self.threshold_vendor is not None:
            raise ValueError("set threshold_cosine or threshold_vendor, not both")
        return self

    search_chunk: Annotated[int, Field(ge=1, le=65_536)] = 8192


class PipelineConfig(StrictModel):
    """The recognition pipeline: capture queue, micro-batches, one matcher worker."""

    max_batch: Annotated[int, Field(ge=1, le=4096, description="Largest micro-batch (probes).")] = (
        64
    )
    max_wait_ms: Annotated[
        float,
        Field(ge=0.0, le=10_000.0, description="Longest a probe waits for its batch to fill (ms)."),
    ] = 20.0
    service_time: Literal["table", "measured"] = Field(
        default="table",
        description=(
            "table: each batch's service time is drawn from real matcher timings measured at start-up; "
            "measured: each batch is searched for real and its own wall time is its service time."
        ),
    )
    timing_repeats: Annotated[int, Field(ge=1, le=1000)] = 15


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
    """After the alert (twin/response.py): operators review, officers intervene, a ledger records.

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


class LoadtestConfig(StrictModel):
    """How the load test (twin/loadtest/) sends the site's faces to a matcher service.

    Each camera's edge device sends either one request per capture (a track's frames together) or
    per-camera micro-batches: captures held until ``edge_max_batch_probes`` probes are waiting or the
    oldest has waited ``edge_max_wait_ms`` (wall time at the device).
    """

    edge_batching: Literal["per_capture", "micro_batch"] = Field(
        default="per_capture",
        description="per_capture: one request per capture; micro_batch: per-camera micro-batches.",
    )
    edge_max_batch_probes: Annotated[
        int, Field(ge=1, le=1024, description="Most probes in one edge micro-batch request.")
    ] = 16
    edge_max_wait_ms: Annotated[
        float,
        Field(ge=0.0, le=10_000.0, description="Longest a capture waits at the edge to fill (ms)."),
    ] = 100.0
    mated_share: Annotated[
        float,
        Field(
            ge=0.0,
            le=1.0,
            description=(
                "Share of the rate sweep's probes taken of watchlisted people, so that answers are "
                "checked under load (a test design choice, not a property of the site)."
            ),
        ),
    ] = 0.1


class Scenario(StrictModel):
    """One complete what-if: site, crowd, cameras, faces, watchlist, matcher and pipeline."""

    name: Annotated[str, Field(min_length=1, max_length=200)] = "unnamed scenario"
    description: str = ""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    site: SiteConfig = Field(default_factory=SiteConfig)
    crowd: CrowdConfig = Field(default_factory=CrowdConfig)
    cameras: CamerasConfig = Field(default_factory=CamerasConfig)
    faces: FacesConfig = Field(default_factory=FacesConfig)
    watchlist: WatchlistConfig = Field(default_factory=WatchlistConfig)
    matcher: MatcherConfig = Field(default_factory=MatcherConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    response: ResponseConfig = Field(default_factory=ResponseConfig)
    loadtest: LoadtestConfig = Field(default_factory=LoadtestConfig)
    source: Path | None = Field(default=None, exclude=True, description="The file it came from.")

    def resolved(self) -> dict[str, Any]:
        """The scenario as plain JSON-ready data, with the site map and camera layer paths absolute."""
        data = self.model_dump(mode="json")
        data["site"]["map"] = str(self.site_map_path)
        layer = self.camera_layer_path
        data["site"]["cameras"] = str(layer) if layer is not None else None
        return data

    def sha256(self) -> str:
        """Hash of the resolved scenario (file paths excluded, the files' content included)."""
        data = self.model_dump(mode="json")
        data["site"]["map"] = hashlib.sha256(self.site_map_path.read_bytes()).hexdigest()
        layer = self.camera_layer_path
        if layer is not None and layer.is_file():
            data["site"]["cameras"] = hashlib.sha256(layer.read_bytes()).hexdigest()
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def site_map_path(self) -> Path:
        """The site map, resolved against the scenario file's folder."""
        return self._resolve(self.site.map)

    @property
    def camera_layer_path(self) -> Path | None:
        """The camera layer replacing the map's cameras, if any, resolved like the map."""
        return self._resolve(self.site.cameras) if self.site.cameras is not None else None

    def _resolve(self, path: Path) -> Path:
        base = self.source.parent if self.source is not None else Path.cwd()
        return (base / path).resolve()


def _set_dotted(data: dict[str, Any], dotted: str, value: Any, *, source: str) -> None:
    keys = dotted.split(".")
    node: Any = data
    for key in keys[:-1]:
        child = node.get(key)
        if child is None:
            child = {}
            node[key] = child
        if not isinstance(child, dict):
            raise ScenarioError(f"--set {dotted}: {key} is not a section", source=source)
        node = child
    node[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """'a.b=value' -> ('a.b', value), the value read as TOML (numbers, booleans, lists, strings)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", key):
        raise ScenarioError(
            f"--set {text!r}: expected KEY=VALUE with a dotted key, e.g. crowd.daily_pedestrians=150000"
        )
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def format_validation_error(exc: ValidationError, *, reference: str = "docs/scenarios.md") -> str:
    """One line for a pydantic error: the field's dotted path, what is wrong, the value given."""
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"unknown key (see {reference} for the allowed keys)"
    given = first.get("input")
    shown = (
        "" if isinstance(given, dict | list) or first["type"] == "missing" else f" (got {given!r})"
    )
    more = len(exc.errors()) - 1
    suffix = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
    return f"{location}: {message}{shown}{suffix}"


def scenario_from_dict(
    data: dict[str, Any],
    *,
    source: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    label: str | None = None,
) -> Scenario:
    """Validate raw scenario data (after applying ``--set`` overrides) into a frozen Scenario.

    ``source`` is the file the data came from (relative paths inside resolve against its folder);
    ``label`` is how error messages name it (default: the source path).
    """
    label = label or (str(source) if source is not None else "scenario")
    data = json.loads(json.dumps(data, default=str))  # a deep copy that the overrides may edit
    for text in overrides:
        key, value = parse_override(text)
        _set_dotted(data, key, value, source=label)
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc), source=label) from exc
    if not scenario.site_map_path.is_file():
        raise ScenarioError(
            f"site.map: no site map at {scenario.site_map_path} (paths are relative to the scenario file)",
            source=label,
        )
    return scenario


def find_scenario(path: str | Path | None) -> Path:
    """The scenario file to use: the given path, or the default King's Cross weekday."""
    if path is None:
        for candidate in (DEFAULT_SCENARIO, PROJECT_ROOT / DEFAULT_SCENARIO):
            if candidate.is_file():
                return candidate
        raise ScenarioError(
            f"no scenario given and {DEFAULT_SCENARIO} not found; name a scenario file"
        )
    return Path(path)


def load_scenario(
    path: str | Path | None = None, *, overrides: list[str] | tuple[str, ...] = ()
) -> Scenario:
    """Read, override and validate a scenario TOML file. Raises ScenarioError with one clear line."""
    scenario_path = find_scenario(path)
    try:
        text = scenario_path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ScenarioError("no such scenario file", source=scenario_path) from exc
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the scenario file: {exc}", source=scenario_path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", source=scenario_path) from exc
    return scenario_from_dict(
        data, source=scenario_path.resolve(), overrides=overrides, label=str(scenario_path)
    )
