"""Scenario sections for the synthetic faces, their groups, and the watchlist."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from twin.scenario.base import StrictModel


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
