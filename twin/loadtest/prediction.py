"""The simulated pipeline against the real service, for the same window at the same offered load.

The twin's recognition pipeline (`twin.recognition.pipeline`, SimPy) predicts latencies from the matcher's
measured service times; the replay measures the real service on the same requests. Here the replayed
requests (their intended send times, compressed by the replay's speed) go through the simulated
pipeline too, with service times drawn from the table the run measured (`twin.matcher.timing`):
once batching as the scenario's pipeline does, once as the service does by default (whatever is
queued, no wait), and the latency distributions are set side by side, per probe, from the moment its
request leaves the camera. The run's own pipeline at real-time load is shown as well.

Why they differ is read off the service's own Prometheus counters over the replay (`/metrics`): the
batches it formed and its search time per batch, and the time each request spent in its handler
against the latency the sender saw (the rest is HTTP, the event loop, loopback and the sender, none of
which the simulation models). Every sentence of the explanation is built from those measurements.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Final

import httpx
import numpy as np
import numpy.typing as npt
from prometheus_client.parser import text_string_to_metric_families

from twin.loadtest.recorder import percentiles_ms
from twin.loadtest.schedule import Schedule
from twin.loadtest.sender import SentRecords
from twin.matcher.config import ServiceConfig
from twin.matcher.timing import ServiceTimeTable
from twin.recognition.pipeline import PipelineResult, run_pipeline

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METRICS_TIMEOUT_S: Final = 5.0
# How `twin matcher serve` batches by default: whatever is queued, up to this many probes, no wait.
SERVICE_MAX_BATCH: Final = ServiceConfig().max_batch_probes
_SAMPLES: Final = {
    "matcher_batch_probes_sum": "probes",
    "matcher_batch_probes_count": "batches",
    "matcher_search_seconds_sum": "search_s",
    "matcher_request_seconds_sum": "request_s",
    "matcher_request_seconds_count": "requests",
}


@dataclass(frozen=True)
class ServiceCounters:
    """Running totals from the service's ``/metrics``: batches, probes, search and handler time."""

    batches: float = 0.0
    probes: float = 0.0
    search_s: float = 0.0
    requests: float = 0.0
    request_s: float = 0.0

    def since(self, earlier: ServiceCounters) -> ServiceCounters:
        """What accrued between ``earlier`` and these totals."""
        return ServiceCounters(
            **{key: getattr(self, key) - getattr(earlier, key) for key in _SAMPLES.values()}
        )


def read_counters(base_url: str, token: str | None) -> ServiceCounters | None:
    """The service's totals now, or None when ``/metrics`` cannot be read."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(f"{base_url}/metrics", headers=headers, timeout=METRICS_TIMEOUT_S)
        response.raise_for_status()
        values: dict[str, float] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name in _SAMPLES:
                    values[_SAMPLES[sample.name]] = float(sample.value)
    except (httpx.HTTPError, ValueError):
        return None
    if set(values) != set(_SAMPLES.values()):
        return None
    return ServiceCounters(**values)


def simulate_replay(
    schedule: Schedule,
    *,
    table: ServiceTimeTable,
    max_batch: int,
    max_wait_s: float,
    rng: np.random.Generator,
) -> PipelineResult:
    """The replayed probes through the simulated pipeline: each arrives when its request is sent."""

    def drawn(batch: IntArray) -> float:
        return table.sample_s(len(batch), rng)

    return run_pipeline(
        schedule.probe_arrival_s(), max_batch=max_batch, max_wait_s=max_wait_s, service_time=drawn
    )


@dataclass(frozen=True)
class Comparison:
    """Both latency distributions (ms, per probe) and what the service's counters say of them."""

    offered_probe_rate: float  # probes per second over the replay
    speed: float
    simulated_at_1x_ms: dict[str, float | None]  # the run's own pipeline, at real-time load
    simulated_ms: dict[str, float | None]  # the replayed requests through the simulation
    simulated_as_service_ms: dict[str, float | None]  # ... batching as the service does
    real_ms: dict[str, float | None]  # the replayed requests through the service
    simulated_mean_batch_probes: float | None
    service_mean_batch_probes: float | None
    simulated_mean_search_ms: float | None  # per batch, in the simulated replay
    simulated_search_ms_at_service_batch: float | None  # the table's median at the service's batch
    service_mean_search_ms: float | None
    service_mean_handler_ms: float | None  # body received to answer ready, per request
    simulated_search_threads: int | None  # the threads the simulation's timings were measured with
    client_mean_ms: float | None  # the sender's latency, per answered request
    explanation: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["explanation"] = list(self.explanation)
        return data


def _mean(total: float, count: float) -> float | None:
    return total / count if count > 0 else None


def compare(
    schedule: Schedule,
    records: SentRecords,
    simulated: PipelineResult,
    simulated_as_service: PipelineResult,
    *,
    simulated_at_1x_s: FloatArray,
    counters: ServiceCounters | None,
    table: ServiceTimeTable,
    simulated_search_threads: int | None,
    speed: float,
    max_batch: int,
    max_wait_ms: float,
    edge_batching: str,
) -> Comparison:
    """Set the simulated and real latencies of one replay side by side and explain the gap."""
    ok = records.status == 200
    per_request_s = records.done_s - records.intended_s
    real_probe_s = np.repeat(per_request_s[ok], schedule.probes_per_request[ok])
    real = percentiles_ms(real_probe_s)
    sim = percentiles_ms(simulated.latency_s)
    at_1x = percentiles_ms(np.asarray(simulated_at_1x_s, dtype=np.float64))
    batches = len(np.unique(simulated.batch_id)) if len(simulated.batch_id) else 0
    sim_batch = _mean(float(len(simulated.batch_id)), batches)
    sim_search_ms = _mean(simulated.busy_s * 1000.0, batches)
    client_ms = float(per_request_s[ok].mean() * 1000.0) if ok.any() else None
    service_batch = service_search_ms = handler_ms = table_ms = None
    if counters is not None:
        service_batch = _mean(counters.probes, counters.batches)
        service_search_ms = _mean(counters.search_s * 1000.0, counters.batches)
        handler_ms = _mean(counters.request_s * 1000.0, counters.requests)
    if service_batch is not None:
        table_ms = table.median_s(max(1, round(service_batch))) * 1000.0
    comparison = Comparison(
        offered_probe_rate=schedule.probe_rate_per_s,
        speed=speed,
        simulated_at_1x_ms=at_1x,
        simulated_ms=sim,
        simulated_as_service_ms=percentiles_ms(simulated_as_service.latency_s),
        real_ms=real,
        simulated_mean_batch_probes=sim_batch,
        service_mean_batch_probes=service_batch,
        simulated_mean_search_ms=sim_search_ms,
        simulated_search_ms_at_service_batch=table_ms,
        service_mean_search_ms=service_search_ms,
        service_mean_handler_ms=handler_ms,
        simulated_search_threads=simulated_search_threads,
        client_mean_ms=client_ms,
        explanation=(),
    )
    mean_request_probes = schedule.probes / schedule.requests if schedule.requests else 0.0
    explanation = _explain(
        comparison,
        max_batch=max_batch,
        max_wait_ms=max_wait_ms,
        edge_batching=edge_batching,
        mean_request_probes=mean_request_probes,
    )
    return replace(comparison, explanation=explanation)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _agreement(simulated_ms: float, service_ms: float) -> str:
    ratio = simulated_ms / service_ms if service_ms > 0 else float("inf")
    if 0.8 <= ratio <= 1.25:
        return "they agree within 25%"
    faster = "the service" if ratio > 1 else "the simulation"
    return f"{faster} is {max(ratio, 1 / ratio):.1f}x faster"


def _explain(
    c: Comparison,
    *,
    max_batch: int,
    max_wait_ms: float,
    edge_batching: str,
    mean_request_probes: float,
) -> tuple[str, ...]:
    lines = [
        f"At {c.offered_probe_rate:,.0f} probes/s (the window at {c.speed:g}x), the simulated "
        f"pipeline gives p50 {_ms(c.simulated_ms['p50'])} ms and p99 {_ms(c.simulated_ms['p99'])} "
        f"ms; the real service p50 {_ms(c.real_ms['p50'])} ms and p99 {_ms(c.real_ms['p99'])} ms "
        f"(the run's own pipeline at real-time load: p50 {_ms(c.simulated_at_1x_ms['p50'])} ms, "
        f"p99 {_ms(c.simulated_at_1x_ms['p99'])} ms)."
    ]
    batching = (
        f"The simulation batches as the scenario's pipeline does, up to {max_batch} probes"
        + (
            f" held up to {max_wait_ms:g} ms to fill, a wait that dominates its latency at light "
            "load"
            if max_wait_ms > 0
            else ""
        )
        + (
            f" (mean batch {c.simulated_mean_batch_probes:.1f} probes)"
            if c.simulated_mean_batch_probes is not None
            else ""
        )
        + "; the service searches whatever is queued as soon as its worker is free"
    )
    if c.service_mean_batch_probes is not None:
        batching += f" (mean batch {c.service_mean_batch_probes:.1f} probes)."
    else:
        batching += " (its /metrics could not be read)."
    lines.append(batching)
    as_service = c.simulated_as_service_ms
    policy = ""
    if as_service["p50"] is not None and c.simulated_ms["p50"] is not None:
        policy = (
            f", so the batching policy accounts for "
            f"{c.simulated_ms['p50'] - as_service['p50']:.1f} ms of the simulated p50"
        )
    lines.append(
        f"Batching as `twin matcher serve` does by default (no wait, up to {SERVICE_MAX_BATCH} "
        f"probes), the simulation gives p50 {_ms(as_service['p50'])} ms and p99 "
        f"{_ms(as_service['p99'])} ms{policy}."
    )
    table_ms, service_ms = c.simulated_search_ms_at_service_batch, c.service_mean_search_ms
    if table_ms is not None and service_ms is not None and c.service_mean_batch_probes:
        threads = (
            f" with {c.simulated_search_threads} search thread"
            + ("s" if c.simulated_search_threads != 1 else "")
            if c.simulated_search_threads
            else ""
        )
        size = max(1, round(c.service_mean_batch_probes))
        lines.append(
            f"Matcher time per batch: the service's batches took {service_ms:.2f} ms on average; "
            f"the times the simulation draws from (measured in this process at start-up"
            f"{threads}) give {table_ms:.2f} ms for a batch of {size}: "
            f"{_agreement(table_ms, service_ms)}."
        )
    if c.service_mean_handler_ms is not None and c.client_mean_ms is not None:
        outside = c.client_mean_ms - c.service_mean_handler_ms
        lines.append(
            f"A request spent {c.service_mean_handler_ms:.2f} ms on average in the service's "
            f"handler (body received to answer ready) of the {c.client_mean_ms:.2f} ms the sender "
            f"saw; the other {outside:.2f} ms are HTTP, the event loop, loopback and the sender, "
            "which the simulation does not model."
        )
    if edge_batching == "micro_batch":
        lines.append(
            f"Cameras send micro-batches of {mean_request_probes:.1f} probes on average; both "
            "latencies count from the moment a batch leaves the camera."
        )
    return tuple(lines)
