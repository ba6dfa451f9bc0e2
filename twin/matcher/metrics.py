"""The service's Prometheus metrics: queue depth, batch sizes, latency, rejections.

Each service app has its own registry (so tests can run several in one process); ``/metrics`` renders
it in the Prometheus text format with `prometheus_client`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from twin.matcher.batching import BatchStats

LATENCY_BUCKETS_S: Final = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
)  # fmt: skip
BATCH_BUCKETS_PROBES: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


class ServiceMetrics:
    """Instruments for one service instance, in their own registry."""

    def __init__(
        self, queue_probes: Callable[[], float], gallery_size: Callable[[], float]
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.queue_depth = Gauge(
            "matcher_queue_depth_probes",
            "Probes waiting for the search worker.",
            registry=self.registry,
        )
        self.queue_depth.set_function(queue_probes)
        self.gallery = Gauge(
            "matcher_gallery_identities", "Identities on the watchlist.", registry=self.registry
        )
        self.gallery.set_function(gallery_size)
        self.batch_probes = Histogram(
            "matcher_batch_probes",
            "Probes per search call (micro-batch size).",
            buckets=BATCH_BUCKETS_PROBES,
            registry=self.registry,
        )
        self.batch_jobs = Histogram(
            "matcher_batch_requests",
            "Requests merged into one search call.",
            buckets=BATCH_BUCKETS_PROBES,
            registry=self.registry,
        )
        self.search_seconds = Histogram(
            "matcher_search_seconds",
            "Wall time of one search call on the worker.",
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "matcher_request_seconds",
            "Wall time of one search request, from body received to response ready.",
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.probes = Counter(
            "matcher_probes", "Probes searched.", registry=self.registry
        )  # exported as matcher_probes_total
        self.rejected = Counter(
            "matcher_rejected_requests",
            "Requests refused, by reason.",
            ["reason"],
            registry=self.registry,
        )

    def observe_batch(self, stats: BatchStats) -> None:
        """Record one search call (called on the worker thread)."""
        self.batch_probes.observe(stats.probes)
        self.batch_jobs.observe(stats.jobs)
        self.search_seconds.observe(stats.search_s)
        self.probes.inc(stats.probes)

    def render(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)
