"""One kept-alive HTTP/1.1 connection to the matcher service: a search request out, its answer back.

The open-loop sender writes each request at its own moment on one thread and reads answers on
another, with many requests in flight over many connections. A connection carries one request at a
time: the service answers a connection's requests strictly in order, so pipelining would only queue
them behind each other.

Answers are parsed by httptools (llhttp, the parser uvicorn itself runs): about 1 µs an answer,
where h11 took 56 µs, which at thousands of requests a second decided whether one Python process can
keep to its schedule. A request is always the same ``POST /v1/search?k=1`` with a
``Content-Length`` and a binary body of ``n x dim`` little-endian float32; the answer is the service's
binary layout (``n·k`` int64 ids, then ``n·k`` float32 scores, shape in ``X-Result-Shape``), of which
the top-1 id per probe is kept.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from typing import Final

import httptools
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

SEARCH_PATH: Final = "/v1/search?k=1"
NO_ANSWER_ID: Final = -2  # a probe whose request got no usable answer (-1 is "no candidate")
RECV_BYTES: Final = 256 * 1024
CONNECT_TIMEOUT_S: Final = 3.0  # a connection not made by then fails its request


@dataclass(frozen=True, slots=True)
class Answer:
    """The end of one request: its HTTP status and, for a 200, the top-1 id of each probe."""

    request: int
    status: int
    top1_id: IntArray | None


class ConnectionBrokenError(Exception):
    """The connection failed or the server closed it; its request (if any) gets no answer."""


class ClosedAfterAnswer(ConnectionBrokenError):  # noqa: N818 (an answer, then a close)
    """The answer arrived and the server then closed the connection ("Connection: close")."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        super().__init__("the server closed the connection after answering")


def request_head(host: str, port: int, *, token: str | None) -> bytes:
    """The fixed part of every search request's head, up to its ``Content-Length`` value."""
    lines = [
        f"POST {SEARCH_PATH} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/octet-stream",
        "Accept: application/octet-stream",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")


def top1_ids(body: bytes, shape: bytes | None, probes: int) -> IntArray | None:
    """Top-1 id per probe from a binary search answer, or None if the answer is not well formed."""
    try:
        n, k = (int(part) for part in (shape or b"").split(b","))
    except ValueError:
        return None
    if n != probes or k < 1 or len(body) != 12 * n * k:
        return None
    ids = np.frombuffer(body, dtype="<i8", count=n * k).reshape(n, k)
    return ids[:, 0].astype(np.int64)


class Connection:
    """A socket to the service and a response parser; at most one request in flight."""

    def __init__(self, host: str, port: int, *, head: bytes) -> None:
        self.sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
        self.sock.settimeout(None)  # then blocking: reads happen only once epoll says data is there
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = head
        self._parser = httptools.HttpResponseParser(self)
        self.request = -1  # the request in flight, -1 when idle
        self.probes = 0  # probes in that request
        self.idle_since_s = time.perf_counter()
        self._shape: bytes | None = None
        self._body: list[bytes] = []
        self._finished: Answer | None = None
        self._keep_alive = True  # read in the parser's callback: llhttp forgets it afterwards

    def fileno(self) -> int:
        return self.sock.fileno()

    def send_search(self, request: int, body: bytes, probes: int) -> None:
        """Write one search request; raises `ConnectionBrokenError` if the socket fails."""
        self.request, self.probes = request, probes
        self._shape, self._body, self._finished = None, [], None
        try:
            self.sock.sendmsg([self._head, b"%d\r\n\r\n" % len(body), body])
        except OSError as exc:
            raise ConnectionBrokenError(str(exc)) from exc

    def receive(self) -> Answer | None:
        """Read what the socket has; the finished answer, if this completed one.

        Raises `ConnectionBrokenError` when the server closed the connection or broke the protocol, and
        `ClosedAfterAnswer` when it closed it right after answering.
        """
        try:
            data = self.sock.recv(RECV_BYTES)
        except OSError as exc:
            raise ConnectionBrokenError(str(exc)) from exc
        if not data:
            raise ConnectionBrokenError("the server closed the connection")
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ConnectionBrokenError(f"bad HTTP from the server: {exc}") from exc
        answer, self._finished = self._finished, None
        if answer is not None and not self._keep_alive:
            raise ClosedAfterAnswer(answer)
        return answer

    # --- httptools callbacks ---------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"x-result-shape":
            self._shape = value

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        ids = top1_ids(b"".join(self._body), self._shape, self.probes) if status == 200 else None
        self._finished = Answer(self.request, status, ids)
        self._keep_alive = self._parser.should_keep_alive()
        self.request = -1
        self.idle_since_s = time.perf_counter()

    def close(self) -> None:
        """Close the socket (idempotent)."""
        with contextlib.suppress(OSError):
            self.sock.close()
