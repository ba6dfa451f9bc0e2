"""Recording a step: latency from the intended send time, the sender's lag, failures, wrong answers."""

from __future__ import annotations

import numpy as np
import pytest

from twin.loadtest.http import NO_ANSWER_ID
from twin.loadtest.probes import ProbePool
from twin.loadtest.recorder import (
    MAX_SENDER_LAG_MS,
    request_table,
    second_table,
    step_stats,
)
from twin.loadtest.schedule import NO_CAMERA, Schedule
from twin.loadtest.sender import CONNECTION_ERROR, NOT_SENT, TIMEOUT, SentRecords

N = 8


def _pool() -> ProbePool:
    # rows 0-3 strangers; rows 4-7 watchlisted people 40-43, all checked except row 7
    expected = np.array([-1, -1, -1, -1, 40, 41, 42, 43], dtype=np.int64)
    checked = np.array([False] * 4 + [True, True, True, False])
    return ProbePool(np.zeros((N, 4), dtype=np.float32), expected, checked)


def _schedule() -> Schedule:
    return Schedule(
        intended_s=np.arange(N, dtype=np.float64) * 0.1,
        probe_offsets=np.arange(N + 1, dtype=np.int64),
        probe_rows=np.arange(N, dtype=np.int64),
        camera=np.full(N, NO_CAMERA, dtype=np.int64),
        span_s=0.8,
    )


def _records(
    *,
    lag_s: float = 0.0001,
    service_s: float = 0.005,
    status: list[int] | None = None,
    answers: list[int] | None = None,
    stopped: bool = False,
) -> SentRecords:
    intended = np.arange(N, dtype=np.float64) * 0.1
    codes = np.array(status or [200] * N, dtype=np.int16)
    issued = np.where(codes == NOT_SENT, np.nan, intended + lag_s)
    done = np.where(np.isin(codes, [NOT_SENT, TIMEOUT]), np.nan, issued + service_s)
    return SentRecords(
        intended_s=intended,
        issued_s=issued,
        done_s=done,
        status=codes,
        answer_id=np.array(answers or [-1, 3, -1, -1, 40, 41, 42, 99], dtype=np.int64),
        connections_opened=2,
        backlogged=0,
        max_in_flight=1,
        stopped=stopped,
    )


def test_latency_counts_from_the_intended_send_time() -> None:
    # a sender 20 ms late and a 5 ms service: the wait counts, 25 ms each
    stats = step_stats("rate", _schedule(), _records(lag_s=0.020), _pool(), offered_rate=10.0)
    assert stats.p50_ms == pytest.approx(25.0, rel=0.01)
    assert stats.max_ms == pytest.approx(25.0, rel=0.01)
    assert stats.sender_lag_p99_ms == pytest.approx(20.0, rel=0.01)
    assert not stats.valid  # and the late sender makes the step invalid


def test_a_punctual_sender_is_valid() -> None:
    stats = step_stats("rate", _schedule(), _records(lag_s=0.0002), _pool(), offered_rate=10.0)
    assert stats.valid and stats.sender_lag_p99_ms is not None
    assert stats.sender_lag_p99_ms < MAX_SENDER_LAG_MS
    assert stats.offered_rate == 10.0 and stats.sent_rate == pytest.approx(N / 0.8)
    assert stats.answered == N and stats.errors == stats.rejected == 0
    assert stats.achieved_rate == pytest.approx(N / 0.8)


def test_wrong_answers_are_counted_only_for_checked_mated_probes() -> None:
    # row 7 answered 99 but is not checked; rows 4-6 answered right; strangers are never checked
    stats = step_stats("rate", _schedule(), _records(), _pool())
    assert stats.mated_checked == 3 and stats.wrong_answers == 0
    wrong = _records(answers=[-1, -1, -1, -1, 40, 7, NO_ANSWER_ID, 43])
    stats = step_stats("rate", _schedule(), wrong, _pool())
    assert stats.wrong_answers == 2  # another identity, and a 200 without a usable answer


def test_failures_are_sorted_into_rejections_errors_and_missing_answers() -> None:
    status = [200, 503, 500, CONNECTION_ERROR, 503, TIMEOUT, 200, NOT_SENT]
    stats = step_stats("rate", _schedule(), _records(status=status, stopped=True), _pool())
    assert stats.answered == 2 and stats.rejected == 2
    assert stats.errors == 3 and stats.timeouts == 1 and stats.connection_errors == 1
    assert stats.not_sent == 1 and not stats.complete
    assert stats.mated_checked == 3  # rows 4, 5, 6 were sent
    assert stats.missing_answers == 2 and stats.wrong_answers == 0  # rows 4 and 5 unanswered
    assert stats.p50_ms == pytest.approx(5.1, rel=0.02)  # from the two 200s only


def test_tables_have_a_row_per_request_and_per_second() -> None:
    schedule, records = _schedule(), _records(status=[200] * 6 + [503, 500])
    stats = step_stats("rate", schedule, records, _pool(), offered_rate=10.0)
    requests = request_table(3, stats, schedule, records, _pool()).to_pandas()
    assert len(requests) == N and set(requests["step"]) == {3}
    assert requests["outcome"].tolist()[-2:] == ["rejected", "http_error"]
    assert requests["latency_ms"].iloc[0] == pytest.approx(5.1, rel=0.01)
    assert requests["checked_probes"].sum() == 3
    seconds = second_table(3, "rate", schedule, records).to_pandas()
    assert seconds["offered"].sum() == N and seconds["answered"].sum() == 6
    assert seconds["rejected"].sum() == 1 and seconds["errors"].sum() == 1
