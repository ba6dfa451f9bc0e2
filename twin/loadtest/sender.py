"""The open-loop sender: every request leaves at its intended time, answered or not, in its own process.

A closed-loop tester waits for an answer before sending the next request, so a stalled server slows
the test down instead of showing up in its latencies ("coordinated omission", which wrk2 and
HdrHistogram were built to avoid). This sender never waits for answers: one thread sleeps until each
request's intended time and writes it on a free kept-alive connection (opening another when none is
free, up to ``max_connections``; beyond that the request waits at the sender for the first
connection to come free, and its latency still counts from its intended time). A second thread reads
every answer as it arrives. Both run in a process of their own (`multiprocessing`, spawned), so the
load tester's other work, and an in-process service, do not delay the schedule.

The sender measures its own **lag**: how late it began each request against the schedule. A request
sent late by a sender that fell behind (a busy machine, a rate beyond what one Python process can
issue) would make the server look better than it is; the recorder marks such results invalid.

Statuses: the HTTP status of the answer, or `NOT_SENT` (stopped before its time came),
`CONNECTION_ERROR` (could not connect, or the connection failed before the answer) or `TIMEOUT` (no
answer within the request timeout).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from multiprocessing.synchronize import Event
from typing import Final
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from twin.loadtest.http import (
    NO_ANSWER_ID,
    Answer,
    ClosedAfterAnswer,
    Connection,
    ConnectionBrokenError,
    request_head,
)
from twin.loadtest.schedule import Schedule

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NOT_SENT: Final = 0
CONNECTION_ERROR: Final = -1
TIMEOUT: Final = -2

START_DELAY_S: Final = 0.05  # from receiving a schedule to its time zero: connections are opened
IDLE_REUSE_LIMIT_S: Final = 2.0  # a connection idle longer is replaced (uvicorn closes at 5 s)
STOP_GRACE_S: Final = 2.0  # after a stop, how long answers already in flight are awaited
POLL_S: Final = 0.05  # longest sleep without looking up: the step over, or a stop asked
# Shorter GIL hand-offs between the two threads (Python's default is 5 ms): the timing thread must
# get the interpreter back promptly when its request is due.
SWITCH_INTERVAL_S: Final = 0.0001
READY_TIMEOUT_S: Final = 60.0
# Real-time priority (SCHED_FIFO, the lowest level) when permitted: on a machine shared with busy
# processes, a normal thread waking for its next request waits up to a scheduler slice (measured:
# p99 3.6 ms behind a CPU-bound process on the same core, 0.02 ms at SCHED_FIFO). The threads sleep
# between requests, and the kernel's real-time throttling keeps a share of the core for others.
REALTIME_PRIORITY: Final = 1


@dataclass(frozen=True)
class SenderSettings:
    """Where the sender connects and how hard it may push."""

    base_url: str
    token: str | None = None
    max_connections: int = 512
    warm_connections: int = 16  # opened before each step's time zero
    request_timeout_s: float = 10.0  # an answer later than this after the last send is a timeout
    cpu: int | None = None  # pin the sender's process to this CPU
    realtime: bool = True  # ask for real-time scheduling (kept normal if not permitted)

    @property
    def host_port(self) -> tuple[str, int]:
        parts = urlsplit(self.base_url)
        return parts.hostname or "127.0.0.1", parts.port or 80


@dataclass(frozen=True)
class SentRecords:
    """What happened to each request of one schedule (times in seconds after its time zero)."""

    intended_s: FloatArray
    issued_s: FloatArray  # when the sender began the request (NaN: never)
    done_s: FloatArray  # when its answer arrived (NaN: none)
    status: npt.NDArray[np.int16]  # HTTP status, or NOT_SENT / CONNECTION_ERROR / TIMEOUT
    answer_id: IntArray  # per probe: top-1 id answered, NO_ANSWER_ID without a usable answer
    connections_opened: int
    backlogged: int  # requests that waited at the sender for a free connection
    max_in_flight: int  # most requests sent and not yet answered at once
    stopped: bool  # stopped before every request was sent (interrupt or duration cap)

    @property
    def lag_s(self) -> FloatArray:
        """How late the sender began each request it began (s)."""
        issued = ~np.isnan(self.issued_s)
        return np.asarray(self.issued_s[issued] - self.intended_s[issued], dtype=np.float64)


class SenderError(RuntimeError):
    """The sender's process failed or did not start."""


class StepInterrupted(Exception):  # noqa: N818 (a signal to stop, not an error)
    """Ctrl-C during a step: the sender stopped; ``records`` holds what it measured."""

    def __init__(self, records: SentRecords | None) -> None:
        self.records = records
        super().__init__("interrupted")


@dataclass
class _Step:
    """One schedule in progress; shared by the timing thread and the reader."""

    schedule: Schedule
    t0_s: float
    issued: FloatArray
    done: FloatArray
    status: npt.NDArray[np.int16]
    answer_id: IntArray
    in_flight: int = 0
    max_in_flight: int = 0
    backlogged: int = 0
    finished: bool = False


class OpenLoop:
    """The sender's two threads over a pool of connections (runs inside the sender's process)."""

    def __init__(self, settings: SenderSettings, rows: list[bytes]) -> None:
        self._settings = settings
        self._host, self._port = settings.host_port
        self._head = request_head(self._host, self._port, token=settings.token)
        self._rows = rows  # each pool probe's request-body bytes
        self._epoll = select.epoll()
        self._by_fd: dict[int, Connection] = {}
        self._idle: list[Connection] = []  # a stack: the most recently used goes first
        self._backlog: deque[tuple[int, bytes, int]] = deque()  # (request, body, probes)
        self._lock = threading.Lock()  # guards the idle stack, the backlog and in-flight counts
        self._opening = 0  # connections being opened, counted against the limit
        self.opened = 0

    # --- connections -----------------------------------------------------------------------

    def _open(self) -> Connection:
        conn = Connection(self._host, self._port, head=self._head)
        self._by_fd[conn.fileno()] = conn
        self._epoll.register(conn.fileno(), select.EPOLLIN)
        self.opened += 1
        return conn

    def _drop(self, conn: Connection) -> None:
        with self._lock:
            if conn in self._idle:
                self._idle.remove(conn)
        fd = conn.fileno()
        if self._by_fd.pop(fd, None) is not None:
            with contextlib.suppress(OSError, ValueError):
                self._epoll.unregister(fd)
        conn.close()

    def _warm(self) -> None:
        """Replace stale idle connections and open enough for the step's start."""
        now = time.perf_counter()
        for conn in [c for c in self._idle if now - c.idle_since_s > IDLE_REUSE_LIMIT_S / 2]:
            self._drop(conn)
        while len(self._by_fd) < min(
            self._settings.warm_connections, self._settings.max_connections
        ):
            try:
                conn = self._open()
            except OSError:
                return  # the step will record the failures request by request
            with self._lock:
                self._idle.append(conn)

    def _take_idle(self, now_s: float) -> Connection | None:
        """A free connection (caller holds the lock), skipping any idle for too long."""
        while self._idle:
            conn = self._idle.pop()
            if now_s - conn.idle_since_s <= IDLE_REUSE_LIMIT_S:
                return conn
            self._by_fd.pop(conn.fileno(), None)
            with contextlib.suppress(OSError, ValueError):
                self._epoll.unregister(conn.fileno())
            conn.close()
        return None

    # --- sending ---------------------------------------------------------------------------

    def _body(self, schedule: Schedule, request: int) -> bytes:
        begin, end = schedule.probe_offsets[request], schedule.probe_offsets[request + 1]
        if end - begin == 1:
            return self._rows[int(schedule.probe_rows[begin])]
        return b"".join(self._rows[int(r)] for r in schedule.probe_rows[begin:end])

    def _dispatch(self, step: _Step, request: int, body: bytes, probes: int) -> None:
        """Send now on a free connection, or a new one, or queue at the sender if at the limit."""
        with self._lock:
            step.in_flight += 1
            step.max_in_flight = max(step.max_in_flight, step.in_flight)
            conn = self._take_idle(time.perf_counter())
            if conn is None:
                if len(self._by_fd) + self._opening >= self._settings.max_connections:
                    self._backlog.append((request, body, probes))
                    step.backlogged += 1
                    return
                self._opening += 1
        if conn is None:
            try:
                conn = self._open()
            except OSError:
                self._fail(step, request)
                return
            finally:
                with self._lock:
                    self._opening -= 1
        self._send(step, conn, request, body, probes)

    def _send(self, step: _Step, conn: Connection, request: int, body: bytes, probes: int) -> None:
        try:
            conn.send_search(request, body, probes)
        except ConnectionBrokenError:
            self._drop(conn)
            self._fail(step, request)

    def _fail(self, step: _Step, request: int) -> None:
        step.done[request] = time.perf_counter() - step.t0_s
        step.status[request] = CONNECTION_ERROR
        with self._lock:
            step.in_flight -= 1

    def _complete(self, step: _Step, answer: Answer, now_s: float) -> None:
        request = answer.request
        step.done[request] = now_s - step.t0_s
        step.status[request] = answer.status
        if answer.top1_id is not None:
            begin = step.schedule.probe_offsets[request]
            step.answer_id[begin : begin + len(answer.top1_id)] = answer.top1_id
        with self._lock:
            step.in_flight -= 1

    def _release(self, step: _Step, conn: Connection) -> None:
        """A connection came free: give it the oldest request waiting at the sender, or idle it."""
        with self._lock:
            if not self._backlog:
                self._idle.append(conn)
                return
            request, body, probes = self._backlog.popleft()
        self._send(step, conn, request, body, probes)

    # --- reading ---------------------------------------------------------------------------

    def _read(self, step: _Step) -> None:
        while not step.finished:
            events = self._epoll.poll(POLL_S)
            now_s = time.perf_counter()
            for fd, _ in events:
                conn = self._by_fd.get(fd)
                if conn is None:
                    continue
                try:
                    answer = conn.receive()
                except ClosedAfterAnswer as closed:
                    self._complete(step, closed.answer, now_s)
                    self._drop(conn)
                    continue
                except ConnectionBrokenError:
                    request = conn.request
                    self._drop(conn)
                    if request >= 0:
                        self._fail(step, request)
                    continue
                if answer is not None:
                    self._complete(step, answer, now_s)
                    self._release(step, conn)

    # --- one schedule ----------------------------------------------------------------------

    def run(self, schedule: Schedule, stop: Event) -> SentRecords:
        """Send ``schedule`` open loop; return what happened to each request."""
        n = schedule.requests
        step = _Step(
            schedule=schedule,
            t0_s=0.0,
            issued=np.full(n, np.nan),
            done=np.full(n, np.nan),
            status=np.zeros(n, dtype=np.int16),
            answer_id=np.full(schedule.probes, NO_ANSWER_ID, dtype=np.int64),
        )
        self._warm()
        step.t0_s = time.perf_counter() + START_DELAY_S
        reader = threading.Thread(target=self._read, args=(step,), name="sender-reader")
        reader.start()
        stopped = False
        intended = schedule.intended_s.tolist()
        sizes = schedule.probes_per_request.tolist()
        try:
            for request, at_s in enumerate(intended):
                body = self._body(schedule, request)
                if not _sleep_until(step.t0_s + at_s, stop):
                    stopped = True
                    break
                step.issued[request] = time.perf_counter() - step.t0_s
                self._dispatch(step, request, body, sizes[request])
            self._drain(step, stop, stopped)
        finally:
            step.finished = True
            reader.join()
        self._settle(step)
        return SentRecords(
            intended_s=schedule.intended_s,
            issued_s=step.issued,
            done_s=step.done,
            status=step.status,
            answer_id=step.answer_id,
            connections_opened=self.opened,
            backlogged=step.backlogged,
            max_in_flight=step.max_in_flight,
            stopped=stopped or stop.is_set(),
        )

    def _drain(self, step: _Step, stop: Event, stopped: bool) -> None:
        """Wait for the answers still due: up to the request timeout, or a short grace after a stop."""
        last_s = float(step.schedule.intended_s[-1]) if step.schedule.requests else 0.0
        deadline_s = max(time.perf_counter(), step.t0_s + last_s) + self._settings.request_timeout_s
        if stopped:
            deadline_s = time.perf_counter() + STOP_GRACE_S
        while step.in_flight > 0 and time.perf_counter() < deadline_s:
            if stop.is_set() and not stopped:
                stopped = True
                deadline_s = min(deadline_s, time.perf_counter() + STOP_GRACE_S)
            time.sleep(0.005)

    def _settle(self, step: _Step) -> None:
        """Requests begun and never answered are timeouts; their connections are closed."""
        with self._lock:
            self._backlog.clear()
        for conn in [c for c in self._by_fd.values() if c.request >= 0]:
            self._drop(conn)
        unanswered = ~np.isnan(step.issued) & np.isnan(step.done)
        step.status[unanswered] = TIMEOUT

    def close(self) -> None:
        """Close every connection."""
        for conn in list(self._by_fd.values()):
            self._drop(conn)
        self._epoll.close()


def _sleep_until(due_s: float, stop: Event) -> bool:
    """Sleep until ``due_s`` (``time.perf_counter``); False if asked to stop meanwhile.

    Long waits are sliced so that a stop is seen within `POLL_S`; the last slice ends on time.
    """
    while (wait_s := due_s - time.perf_counter()) > POLL_S:
        time.sleep(POLL_S)
        if stop.is_set():
            return False
    if wait_s > 0:
        time.sleep(wait_s)
    return not stop.is_set()


def _scheduling(realtime: bool) -> str:
    """Ask for real-time scheduling if wanted; say what the process runs at."""
    if not realtime:
        return "normal"
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
    except OSError as exc:
        return f"normal (real-time scheduling refused: {exc.strerror or exc})"
    return f"real-time (SCHED_FIFO {REALTIME_PRIORITY})"


def _sender_main(
    pipe: Pipe, stop: Event, settings: SenderSettings, pool: bytes, row_bytes: int
) -> None:
    """The sender process: ignore Ctrl-C and SIGTERM (the parent stops it), then run schedules.

    ``timeout``, systemd and ``docker stop`` signal the whole process group: were the sender to die
    of it, the parent would lose every record of the step in flight and could write nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if settings.cpu is not None:
        os.sched_setaffinity(0, {settings.cpu})
    scheduling = _scheduling(settings.realtime)  # before the threads start: they inherit it
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    rows = [pool[i : i + row_bytes] for i in range(0, len(pool), row_bytes)]
    loop = OpenLoop(settings, rows)
    pipe.send(("ready", scheduling))
    try:
        while True:
            try:
                schedule = pipe.recv()
            except EOFError:
                return
            if schedule is None:
                return
            pipe.send(loop.run(schedule, stop))
    finally:
        loop.close()


class SenderProcess:
    """The sender in its own process: started once, then one schedule at a time.

    ``pool`` holds every probe a schedule may name, as (rows, dim) float32.
    """

    def __init__(self, settings: SenderSettings, pool: npt.NDArray[np.float32]) -> None:
        context = mp.get_context("spawn")
        self._stop = context.Event()
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_sender_main,
            args=(child, self._stop, settings, pool.astype("<f4").tobytes(), 4 * pool.shape[1]),
            name="twin-loadtest-sender",
            daemon=True,
        )
        self._child = child
        self.scheduling = "not started"  # the sender's scheduling class, once started

    def __enter__(self) -> SenderProcess:
        self._process.start()
        self._child.close()
        message = self._pipe.recv() if self._pipe.poll(READY_TIMEOUT_S) else None
        if not (isinstance(message, tuple) and message[0] == "ready"):
            self.close()
            raise SenderError("the sender's process did not start")
        self.scheduling = str(message[1])
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stop(self) -> None:
        """Ask the sender to stop sending now (answers in flight get a short grace)."""
        self._stop.set()

    def run(self, schedule: Schedule, *, deadline_s: float | None = None) -> SentRecords:
        """Send ``schedule`` and return its records.

        ``deadline_s`` (``time.monotonic()``) stops the step when reached. Ctrl-C stops it too, and
        raises `StepInterrupted` carrying what was measured (a second Ctrl-C gives that up).
        """
        self._stop.clear()
        self._pipe.send(schedule)
        try:
            return self._wait(deadline_s)
        except KeyboardInterrupt:
            self._stop.set()
            try:
                records = self._wait(None, limit_s=STOP_GRACE_S + 5.0)
            except (KeyboardInterrupt, SenderError):
                records = None
            raise StepInterrupted(records) from None

    def _wait(self, deadline_s: float | None, limit_s: float | None = None) -> SentRecords:
        until_s = None if limit_s is None else time.monotonic() + limit_s
        while not self._pipe.poll(0.05):
            now_s = time.monotonic()
            if deadline_s is not None and now_s >= deadline_s:
                self._stop.set()
            if not self._process.is_alive():
                raise SenderError(f"the sender's process died (exit code {self._process.exitcode})")
            if until_s is not None and now_s >= until_s:
                raise SenderError("the sender did not finish after being stopped")
        records: SentRecords = self._pipe.recv()
        return records

    def close(self) -> None:
        """End the sender's process (politely, then firmly)."""
        if self._process.is_alive():
            with contextlib.suppress(OSError):
                self._pipe.send(None)
            self._process.join(5.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5.0)
        self._pipe.close()
