"""Scenario sections for the synthetic faces, their groups, and the watchlist."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

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
    within_person_correlation: Annotated[
        float,
        Field(
            ge=0.0,
            lt=1.0,
            description=(
                "Share of a capture's similarity to somebody else's template that belongs to the "
                "person rather than to the capture (the correlation between two reference-quality "
                "captures' impostor scores against one template), 0 <= r < 1. *Assumption*: 0.7, "
                "range 0.5-0.9 (in a real embedding it is about the cosine between two images of "
                "one person, high for ArcFace-class models on fair images; no published figure); "
                "0 makes every capture an independent draw."
            ),
        ),
    ] = 0.7

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


PersonKindName = Literal["commuter", "resident", "regular_visitor", "one_off_visitor"]


class PersonKind(StrictModel):
    """One kind of person on the site: their share of the day's trips and how often they come."""

    share: Annotated[
        float, Field(ge=0.0, le=1.0, description="Share of the day's person-trips they make.")
    ]
    visits_per_week: Annotated[
        float,
        Field(
            ge=0.0,
            le=7.0,
            description=(
                "Days a week a person of this kind is on site (0: once ever, a new person every day)."
            ),
        ),
    ]
    weekdays_only: bool = Field(
        default=False, description="Comes on weekdays only (commuters, students)."
    )


def _default_person_kinds() -> dict[PersonKindName, PersonKind]:
    # King's Cross (facts.md): about 40,000 people living, working and studying on the estate at
    # build-out (estate website; London Society 2017), about 1,900 homes, about 10 million visitors a
    # year (27,000 a day). With two trips per person-day in a 120,000-trip weekday: commuters and
    # students about 0.45 of trips, residents (1,900 homes, about 2 people each) about 0.07, visitors
    # the rest. The split of visitors into regulars and one-off visitors and the regulars' frequency
    # are an *assumption* (regulars 0.1-0.3 of trips, 0.5-3 visits a week); commuters' 4 days a week
    # is an *assumption* for hybrid working (range 3-5).
    return {
        "commuter": PersonKind(share=0.45, visits_per_week=4.0, weekdays_only=True),
        "resident": PersonKind(share=0.07, visits_per_week=7.0),
        "regular_visitor": PersonKind(share=0.18, visits_per_week=1.0),
        "one_off_visitor": PersonKind(share=0.30, visits_per_week=0.0),
    }


class PopulationConfig(StrictModel):
    """Who makes the day's trips: kinds of people, their shares of trips and how often they return."""

    kinds: dict[PersonKindName, PersonKind] = Field(
        default_factory=_default_person_kinds,
        description=(
            "Per kind: share, visits_per_week, weekdays_only. What a scenario gives is laid over the "
            "defaults, field by field; a share of 0 leaves a kind out."
        ),
    )

    @field_validator("kinds", mode="before")
    @classmethod
    def _over_defaults(cls, given: Any) -> Any:
        if not isinstance(given, dict):
            return given
        merged: dict[str, Any] = {
            name: kind.model_dump() for name, kind in _default_person_kinds().items()
        }
        for name, fields in given.items():
            if isinstance(fields, dict) and isinstance(merged.get(name), dict):
                merged[name] = {**merged[name], **fields}
            else:
                merged[name] = fields
        return merged

    @model_validator(mode="after")
    def _shares_sum(self) -> PopulationConfig:
        total = sum(kind.share for kind in self.kinds.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"kinds shares must sum to 1, got {total:.6g}")
        for name, kind in self.kinds.items():
            if kind.weekdays_only and kind.visits_per_week > 5.0:
                raise ValueError(
                    f"kinds.{name}.visits_per_week: at most 5 for weekdays_only, "
                    f"got {kind.visits_per_week:g}"
                )
        return self
