"""Scenario sections for the matcher, the recognition pipeline and the load test's edge devices."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from twin.scenario.base import StrictModel


class MatcherConfig(StrictModel):
    """The real FAISS matcher and its decision threshold."""

    backend: Literal["flat", "ivf", "hnsw"] = "flat"
    precision: Literal["float32", "int8", "auto"] = Field(
        default="float32",
        description=(
            "flat backend's scoring: float32, or int8 scores with every close call re-scored in "
            "float32 (the same decisions; auto: int8 where the CPU has int8 dot-product units)"
        ),
    )
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
        if self.precision == "int8" and self.backend != "flat":
            raise ValueError(f"precision int8 needs backend flat, got {self.backend!r}")
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
