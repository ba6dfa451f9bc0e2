"""The matcher service's settings, checked before a gallery is built or a port is bound.

Every limit has a range (`ServiceConfig.check`): a setting outside it, NaN or infinity is refused with
one line naming the option, so a server never starts in a state where it cannot answer.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Final

from twin.errors import TwinInputError

DEFAULT_PORT: Final = 8700
MAX_PROBES: Final = 65_536  # most probes per request or per search call
MAX_BODY_BYTES: Final = 1 << 30  # 1 GiB: the largest body any limit may allow
MAX_WAIT_S: Final = 10.0  # a batch held open longer would outlast the clients' timeouts
MAX_THREADS: Final = 1024


@dataclass(frozen=True)
class ServiceConfig:
    """Where the service listens and the limits it enforces."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str | None = None  # required when host is not loopback
    max_request_probes: int = 1024  # probes in one request
    max_body_bytes: int = 16 * 1024 * 1024  # request body, binary or JSON
    max_batch_probes: int = 1024  # probes in one search call (micro-batch)
    max_wait_s: float = (
        0.002  # longest a merged batch waits for more requests once the worker is free
    )
    max_queue_probes: int = 8192  # probes waiting before requests get 503
    search_threads: int | None = None  # worker's OpenMP/BLAS threads; None: usable cores
    shutdown_timeout_s: float = 10.0  # longest wait for in-flight requests on shutdown
    header_timeout_s: float = 10.0  # longest a client may take to send a request's headers
    body_timeout_s: float = 30.0  # longest a client may take to send a request's body

    def check(self) -> None:
        """Refuse unsafe or impossible settings (`TwinInputError`), naming the CLI option and range."""
        if self.token is not None and (not self.token.strip() or self.token != self.token.strip()):
            raise TwinInputError(
                "--token: must be printable characters without leading or trailing whitespace"
            )
        if self.token is not None and not self.token.isprintable():
            raise TwinInputError("--token: must be printable characters (no control characters)")
        if not is_loopback(self.host) and not self.token:
            raise TwinInputError(
                f"binding to {self.host} exposes the matcher beyond this machine: "
                "give --token (clients then send 'Authorization: Bearer <token>')"
            )
        _in_range("--port", self.port, 0, 65535)
        _in_range("--max-request-probes", self.max_request_probes, 1, MAX_PROBES)
        _in_range("--max-batch", self.max_batch_probes, 1, MAX_PROBES)
        _in_range("--max-queue", self.max_queue_probes, 1, 64 * MAX_PROBES)
        _in_range("--max-body-bytes", self.max_body_bytes, 1, MAX_BODY_BYTES)
        _in_range("--max-wait-ms", self.max_wait_s * 1000.0, 0, int(MAX_WAIT_S * 1000))
        if self.search_threads is not None:
            _in_range("--threads", self.search_threads, 1, MAX_THREADS)
        for name, seconds in (
            ("shutdown_timeout_s", self.shutdown_timeout_s),
            ("header_timeout_s", self.header_timeout_s),
            ("body_timeout_s", self.body_timeout_s),
        ):
            _in_range(name, seconds, 0.001, 3600.0)
        if self.max_request_probes > self.max_batch_probes:
            raise TwinInputError(
                f"--max-request-probes ({self.max_request_probes}) cannot exceed "
                f"--max-batch ({self.max_batch_probes})"
            )
        if self.max_queue_probes < self.max_batch_probes:
            raise TwinInputError(
                f"--max-queue ({self.max_queue_probes}) must be at least "
                f"--max-batch ({self.max_batch_probes})"
            )


def _in_range(option: str, value: float, low: float, high: float) -> None:
    """Refuse a setting that is not a finite number in [low, high] (NaN and infinity included)."""
    if isinstance(value, bool) or not math.isfinite(value) or not low <= value <= high:
        shown = [f"{v:,}" if isinstance(v, int) else f"{v:g}" for v in (low, high)]
        raise TwinInputError(f"{option}: must be between {shown[0]} and {shown[1]}, got {value!r}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
