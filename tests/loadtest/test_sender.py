"""The open-loop sender in its own process, against real and deliberately misbehaving services."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from twin.loadtest.http import NO_ANSWER_ID
from twin.loadtest.probes import ProbePool, sweep_pool
from twin.loadtest.recorder import step_stats
from twin.loadtest.schedule import NO_CAMERA, Schedule, poisson_schedule
from twin.loadtest.sender import CONNECTION_ERROR, SenderProcess, SenderSettings
from twin.matcher import Matcher
from twin.recognition.gallery import Gallery

if TYPE_CHECKING:
    from tests.loadtest_fixtures import FakeServer, Reply

pytest_plugins = ["tests.loadtest_fixtures"]


@pytest.fixture(scope="module")
def pool(lt_faces: Gallery) -> ProbePool:
    return sweep_pool(lt_faces, size=256, mated_share=0.25, rng=np.random.default_rng(3))


def _burst(n: int, *, at_s: float = 0.0, pool_size: int = 256) -> Schedule:
    """``n`` single-probe requests all meant for the same moment."""
    return Schedule(
        intended_s=np.full(n, at_s),
        probe_offsets=np.arange(n + 1, dtype=np.int64),
        probe_rows=np.arange(n, dtype=np.int64) % pool_size,
        camera=np.full(n, NO_CAMERA, dtype=np.int64),
        span_s=max(at_s, 0.1),
    )


def test_every_request_is_answered_with_the_reference_answer(
    served: str, pool: ProbePool, lt_gallery: Matcher
) -> None:
    schedule = poisson_schedule(150.0, 1.0, pool_size=len(pool), rng=np.random.default_rng(4))
    with SenderProcess(SenderSettings(served, realtime=False), pool.embeddings) as sender:
        records = sender.run(schedule)
    assert np.all(records.status == 200)
    expected = lt_gallery.search(pool.embeddings[schedule.probe_rows], k=1).ids[:, 0]
    np.testing.assert_array_equal(records.answer_id, expected)
    assert np.all(records.done_s >= records.intended_s) and not records.stopped
    stats = step_stats("rate", schedule, records, pool, offered_rate=150.0)
    assert stats.wrong_answers == 0 and stats.mated_checked > 10


def test_each_probe_of_a_batched_request_gets_its_own_answer(
    served: str, pool: ProbePool, lt_gallery: Matcher
) -> None:
    # requests of 1 to 7 probes, as edge micro-batches send them
    rng = np.random.default_rng(8)
    sizes = rng.integers(1, 8, size=60)
    schedule = Schedule(
        intended_s=np.sort(rng.uniform(0.0, 0.6, size=60)),
        probe_offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        probe_rows=rng.integers(0, len(pool), size=int(sizes.sum())).astype(np.int64),
        camera=rng.integers(0, 5, size=60).astype(np.int64),
        span_s=0.6,
    )
    with SenderProcess(SenderSettings(served, realtime=False), pool.embeddings) as sender:
        records = sender.run(schedule)
    assert np.all(records.status == 200)
    expected = lt_gallery.search(pool.embeddings[schedule.probe_rows], k=1).ids[:, 0]
    np.testing.assert_array_equal(records.answer_id, expected)


def test_a_stalled_server_shows_in_latency_not_in_the_schedule(
    pool: ProbePool, fake_server: type[FakeServer]
) -> None:
    # The service answers one request at a time, 100 ms each. A closed-loop tester would report
    # about 100 ms per request and send slower; the open-loop sender keeps to its schedule and the
    # queue shows up in the latencies it records from the intended send times.
    def reply(n: int) -> Reply:
        return 200, {"X-Result-Shape": "1,1"}, np.array([n], "<i8").tobytes() + b"\0" * 4

    schedule = poisson_schedule(40.0, 0.3, pool_size=len(pool), rng=np.random.default_rng(5))
    with (
        fake_server(reply, hold_s=0.1) as fake,
        SenderProcess(SenderSettings(fake.url, realtime=False), pool.embeddings) as sender,
    ):
        records = sender.run(schedule)
    assert np.all(records.status == 200)
    latency_s = records.done_s - records.intended_s
    assert latency_s.max() > 0.1 * schedule.requests - 0.3 - 0.05  # the queue, in full
    assert np.nanmax(records.issued_s - records.intended_s) < 0.05  # sent on time regardless


def test_errors_rejections_and_closed_connections_are_counted(
    pool: ProbePool, fake_server: type[FakeServer]
) -> None:
    def reply(n: int) -> Reply:
        kind = n % 4
        if kind == 0:
            return 500, {}, b'{"error": "boom"}'
        if kind == 1:
            return 503, {"Retry-After": "1"}, b'{"error": "queue full"}'
        if kind == 2:
            return 200, {"Connection": "close", "X-Result-Shape": "1,1"}, b"\0" * 12
        return 200, {}, b"not a search answer"

    schedule = poisson_schedule(100.0, 0.4, pool_size=len(pool), rng=np.random.default_rng(6))
    with (
        fake_server(reply) as fake,
        SenderProcess(SenderSettings(fake.url, realtime=False), pool.embeddings) as sender,
    ):
        records = sender.run(schedule)
    stats = step_stats("rate", schedule, records, pool)
    assert set(records.status.tolist()) == {200, 500, 503}
    assert stats.rejected >= 5 and stats.errors >= 5 and stats.connection_errors == 0
    assert stats.answered + stats.rejected + stats.errors == schedule.requests
    # a 200 that is not a search answer gives no answer; checked probes among them are wrong
    malformed = (records.status == 200) & ~np.isin(records.answer_id, [0])
    assert np.all(records.answer_id[malformed] == NO_ANSWER_ID)


def test_an_unreachable_service_is_connection_errors_not_a_crash(
    pool: ProbePool, closed_url: str
) -> None:
    with SenderProcess(SenderSettings(closed_url, realtime=False), pool.embeddings) as sender:
        records = sender.run(_burst(20, at_s=0.05))
    assert np.all(records.status == CONNECTION_ERROR)


def test_an_impossible_rate_is_marked_invalid(served: str, pool: ProbePool) -> None:
    # 5,000 requests meant within 50 ms: no single process issues them on time
    schedule = poisson_schedule(100_000.0, 0.05, pool_size=len(pool), rng=np.random.default_rng(7))
    with SenderProcess(SenderSettings(served, realtime=False), pool.embeddings) as sender:
        records = sender.run(schedule)
    stats = step_stats("rate", schedule, records, pool, offered_rate=100_000.0)
    assert not stats.valid and stats.sender_lag_p99_ms is not None
    assert stats.sender_lag_p99_ms > 1.0
    assert stats.answered + stats.rejected + stats.errors == schedule.requests
