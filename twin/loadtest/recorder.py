"""Recording a step: latencies from the intended send time, failures, wrong answers, and its tables.

Latency is measured from when a request was *meant* to leave, not when it did: a request the sender
began late still counts the wait, so neither a slow server nor a slow sender can hide (the sender's
lag is reported beside it, and a step whose sender lagged more than `MAX_SENDER_LAG_MS` at p99 is
marked invalid). Percentiles come from HdrHistogram (`percentiles_ms`) over the requests answered
200; 503s are counted as rejections; other HTTP errors, broken connections
and requests unanswered within the timeout as errors. Mated probes the reference matcher identifies
(`twin.loadtest.probes`) are checked: answered with another identity, or with none, they are
*wrong answers*; left unanswered, *missing answers*.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from hdrh.histogram import HdrHistogram

from twin.loadtest.directory import REQUESTS, SECONDS
from twin.loadtest.probes import ProbePool
from twin.loadtest.schedule import Schedule
from twin.loadtest.sender import CONNECTION_ERROR, NOT_SENT, TIMEOUT, SentRecords

FloatArray = npt.NDArray[np.float64]

MAX_SENDER_LAG_MS: Final = 1.0  # a step whose sender lagged more at p99 is invalid
# HdrHistogram range, microseconds: 1 µs to an hour, 3 significant digits (as twin.results.run_tables).
HIST_MIN_US: Final = 1
HIST_MAX_US: Final = 3_600_000_000
HIST_DIGITS: Final = 3
PERCENTILES: Final = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}
OK: Final = 200
BUSY: Final = 503

# Outcome of a request (the `outcome` column).
ANSWERED, REJECTED, HTTP_ERROR = "answered", "rejected", "http_error"
BROKEN, TIMED_OUT, UNSENT = "connection_error", "timeout", "not_sent"


@dataclass(frozen=True)
class StepStats:
    """One step's figures. Rates per second, times in ms, the rest counts."""

    kind: str  # "rate" (constant Poisson rate) or "replay"
    offered_rate: float  # requests per second asked for
    sent_rate: float  # requests per second the schedule drew (Poisson: near the rate asked)
    achieved_rate: float  # answered (200) requests per second, until the last answer
    offered_probe_rate: float
    achieved_probe_rate: float
    requests: int
    probes: int
    answered: int  # 200s
    errors: int  # HTTP errors other than 503, broken connections, timeouts
    rejected: int  # 503s (the service's queue was full)
    timeouts: int
    connection_errors: int
    not_sent: int  # stopped before their time
    mated_checked: int  # checked mated probes sent
    wrong_answers: int  # ... answered with another identity or none
    missing_answers: int  # ... not answered (error, rejection, timeout)
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    p999_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    sender_lag_p50_ms: float | None
    sender_lag_p99_ms: float | None
    sender_lag_max_ms: float | None
    valid: bool  # the sender kept to its schedule (lag p99 under MAX_SENDER_LAG_MS)
    complete: bool  # every request was sent (no interrupt or cap)
    duration_s: float  # from time zero to the last answer or the end of the schedule
    backlogged: int  # requests that waited at the sender for a free connection
    max_in_flight: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the dashboard reads ``offered_rate`` ... ``rejected`` (docs/dashboard.md)."""
        return asdict(self)


def percentiles_ms(values_s: FloatArray) -> dict[str, float | None]:
    """p50, p90, p99, p99.9 and max (HdrHistogram) and the mean of durations; seconds in, ms out.

    The mean is the values' own: hdrh's ``get_mean_value`` walks every bucket in Python (0.07-0.4
    s a call measured here), which a table of per-second figures cannot afford.
    """
    values_s = np.asarray(values_s, dtype=np.float64)
    values_s = values_s[~np.isnan(values_s)]
    if values_s.size == 0:
        return {**dict.fromkeys(PERCENTILES), "max": None, "mean": None}
    histogram = HdrHistogram(HIST_MIN_US, HIST_MAX_US, HIST_DIGITS)
    micros = np.clip(np.rint(values_s * 1e6), HIST_MIN_US, HIST_MAX_US).astype(np.int64)
    values, counts = np.unique(micros, return_counts=True)
    for value, count in zip(values.tolist(), counts.tolist(), strict=True):
        histogram.record_value(value, count)
    at = histogram.get_percentile_to_value_dict(list(PERCENTILES.values()))
    figures: dict[str, float | None] = {
        name: at[percentile] / 1000.0 for name, percentile in PERCENTILES.items()
    }
    figures["max"] = histogram.get_max_value() / 1000.0
    figures["mean"] = float(values_s.mean() * 1000.0)
    return figures


def _outcomes(status: npt.NDArray[np.int16]) -> npt.NDArray[np.object_]:
    names = np.full(len(status), HTTP_ERROR, dtype=object)
    names[status == OK] = ANSWERED
    names[status == BUSY] = REJECTED
    names[status == CONNECTION_ERROR] = BROKEN
    names[status == TIMEOUT] = TIMED_OUT
    names[status == NOT_SENT] = UNSENT
    return names


def _probe_checks(
    schedule: Schedule, records: SentRecords, pool: ProbePool
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per probe: checked and sent; answered wrongly (200 with another or no id); unanswered."""
    rows = schedule.probe_rows
    per_request = schedule.probes_per_request
    status = np.repeat(records.status, per_request)
    checked = pool.checked[rows] & (status != NOT_SENT)
    wrong = checked & (status == OK) & (records.answer_id != pool.expected_id[rows])
    missing = checked & (status != OK)
    return checked, wrong, missing


def step_stats(
    kind: str,
    schedule: Schedule,
    records: SentRecords,
    pool: ProbePool,
    *,
    offered_rate: float | None = None,
) -> StepStats:
    """The figures of one step; ``offered_rate`` is the rate asked for (default: the schedule's
    mean, requests over its span)."""
    status = records.status
    ok = status == OK
    latency_s = records.done_s - records.intended_s
    latency = percentiles_ms(latency_s[ok])
    lag = percentiles_ms(records.lag_s)
    sent = status != NOT_SENT
    ends = [schedule.span_s if not records.stopped else 0.0]
    if sent.any():
        ends.append(float(np.nanmax(records.issued_s)))
    if ok.any():
        ends.append(float(np.nanmax(records.done_s[ok])))
    duration_s = max(ends) if max(ends) > 0 else schedule.span_s
    probes_answered = int(schedule.probes_per_request[ok].sum())
    checked, wrong, missing = _probe_checks(schedule, records, pool)
    lag_p99 = lag["p99"]
    return StepStats(
        kind=kind,
        offered_rate=schedule.request_rate_per_s if offered_rate is None else offered_rate,
        sent_rate=schedule.request_rate_per_s,
        achieved_rate=int(ok.sum()) / duration_s,
        offered_probe_rate=schedule.probe_rate_per_s,
        achieved_probe_rate=probes_answered / duration_s,
        requests=schedule.requests,
        probes=schedule.probes,
        answered=int(ok.sum()),
        errors=int((sent & ~ok & (status != BUSY)).sum()),
        rejected=int((status == BUSY).sum()),
        timeouts=int((status == TIMEOUT).sum()),
        connection_errors=int((status == CONNECTION_ERROR).sum()),
        not_sent=int((~sent).sum()),
        mated_checked=int(checked.sum()),
        wrong_answers=int(wrong.sum()),
        missing_answers=int(missing.sum()),
        p50_ms=latency["p50"],
        p90_ms=latency["p90"],
        p99_ms=latency["p99"],
        p999_ms=latency["p999"],
        max_ms=latency["max"],
        mean_ms=latency["mean"],
        sender_lag_p50_ms=lag["p50"],
        sender_lag_p99_ms=lag_p99,
        sender_lag_max_ms=lag["max"],
        valid=lag_p99 is not None and lag_p99 < MAX_SENDER_LAG_MS,
        complete=not records.stopped,
        duration_s=duration_s,
        backlogged=records.backlogged,
        max_in_flight=records.max_in_flight,
    )


def request_table(
    step: int, stats: StepStats, schedule: Schedule, records: SentRecords, pool: ProbePool
) -> pa.Table:
    """One row per request: when it was meant to go, went and came back, and how it ended."""
    checked, wrong, _ = _probe_checks(schedule, records, pool)
    owner = np.repeat(np.arange(schedule.requests), schedule.probes_per_request)
    n = schedule.requests
    return pa.table(
        {
            "step": np.full(n, step, dtype=np.int32),
            "kind": pa.array([stats.kind] * n, pa.string()).dictionary_encode(),
            "offered_rate": np.full(n, stats.offered_rate),
            "request": np.arange(n, dtype=np.int64),
            "camera": schedule.camera,
            "probes": schedule.probes_per_request.astype(np.int32),
            "intended_s": records.intended_s,
            "issued_s": records.issued_s,
            "done_s": records.done_s,
            "lag_ms": (records.issued_s - records.intended_s) * 1000.0,
            "latency_ms": (records.done_s - records.intended_s) * 1000.0,
            "status": records.status,
            "outcome": pa.array(_outcomes(records.status), pa.string()).dictionary_encode(),
            "checked_probes": np.bincount(owner, weights=checked, minlength=n).astype(np.int32),
            "wrong_probes": np.bincount(owner, weights=wrong, minlength=n).astype(np.int32),
        }
    )


def second_table(step: int, kind: str, schedule: Schedule, records: SentRecords) -> pa.Table:
    """One row per second of the step (by intended send time): offered, sent, outcomes, latency."""
    intended = records.intended_s
    n_seconds = max(1, int(np.ceil(max(schedule.span_s, float(intended.max(initial=0.0))))))
    second = np.clip(intended.astype(np.int64), 0, n_seconds - 1)
    status = records.status
    ok = status == OK
    done = records.done_s[ok]
    answered_second = np.clip(np.nan_to_num(done).astype(np.int64), 0, n_seconds - 1)

    def count(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(second[mask], minlength=n_seconds).astype(np.int64)

    p50, p99, lag99 = (np.full(n_seconds, np.nan) for _ in range(3))
    latency_s = records.done_s - intended
    lag_s = records.issued_s - intended
    for s in np.unique(second):
        mine = second == s
        figures = percentiles_ms(latency_s[mine & ok])
        lag = percentiles_ms(lag_s[mine & ~np.isnan(lag_s)])
        p50[s] = np.nan if figures["p50"] is None else figures["p50"]
        p99[s] = np.nan if figures["p99"] is None else figures["p99"]
        lag99[s] = np.nan if lag["p99"] is None else lag["p99"]
    sent = status != NOT_SENT
    return pa.table(
        {
            "step": np.full(n_seconds, step, dtype=np.int32),
            "kind": pa.array([kind] * n_seconds, pa.string()).dictionary_encode(),
            "second": np.arange(n_seconds, dtype=np.int64),
            "offered": count(np.ones(len(second), dtype=np.bool_)),
            "sent": count(sent),
            "answered": count(ok),
            "rejected": count(status == BUSY),
            "errors": count(sent & ~ok & (status != BUSY)),
            "answers_arrived": np.bincount(answered_second, minlength=n_seconds).astype(np.int64),
            "latency_p50_ms": p50,
            "latency_p99_ms": p99,
            "sender_lag_p99_ms": lag99,
        }
    )


@dataclass
class Measured:
    """Steps measured so far, in the order run."""

    schedules: list[Schedule] = field(default_factory=list)
    records: list[SentRecords] = field(default_factory=list)
    stats: list[StepStats] = field(default_factory=list)

    def add(self, schedule: Schedule, records: SentRecords, stats: StepStats) -> None:
        self.schedules.append(schedule)
        self.records.append(records)
        self.stats.append(stats)


def tables(measured: Measured, pool: ProbePool) -> dict[str, pa.Table]:
    """The per-request and per-second tables of every step, in the order run."""
    requests, seconds = [], []
    for step, (stats, schedule, records) in enumerate(
        zip(measured.stats, measured.schedules, measured.records, strict=True)
    ):
        requests.append(request_table(step, stats, schedule, records, pool))
        seconds.append(second_table(step, stats.kind, schedule, records))
    return {
        REQUESTS: pa.concat_tables(requests, promote_options="permissive"),
        SECONDS: pa.concat_tables(seconds, promote_options="permissive"),
    }
