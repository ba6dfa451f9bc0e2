"""Running the matcher service: on uvicorn in the foreground, or in a background thread.

On SIGINT/SIGTERM uvicorn stops accepting connections and answers the requests in flight (up to
``ServiceConfig.shutdown_timeout_s``); then the app's lifespan drains the search worker and stops it.
uvicorn has no limit on how long a client may take over its request headers (a slow client could hold
a connection forever), so the HTTP protocol here adds one: headers not complete within
``ServiceConfig.header_timeout_s`` of the connection opening (or of a kept-alive request beginning)
get a JSON 408 and the connection is closed. Slow bodies are bounded in the service itself.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import threading
import time
from typing import Any, Final

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from twin.matcher.config import ServiceConfig
from twin.matcher.core import Matcher
from twin.matcher.service import MatcherService, create_app

# The event loop and the search worker share the GIL. Python's default 5 ms switch interval lets
# the worker's Python-side work hold up request handling for whole milliseconds; 0.5 ms measured
# ~25% more single-probe requests per second with both threads on one core.
GIL_SWITCH_INTERVAL_S: Final = 0.0005


def _timed_protocol(header_timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with a deadline on each request's headers."""

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._header_timer is None:
                self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._header_timer = self.loop.call_later(header_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self.transport.is_closing():
                return
            body = json.dumps(
                {"error": f"request headers not received within {header_timeout_s:g} s"}
            ).encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            self.transport.close()

    return HeaderTimeoutProtocol


def _uvicorn_config(app: Any, config: ServiceConfig) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        http=_timed_protocol(config.header_timeout_s),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=math.ceil(config.shutdown_timeout_s),
    )


class BackgroundServer:
    """The service on a uvicorn server in a background thread (tests, in-process load tests).

    ``with BackgroundServer(matcher, config) as server:`` serves until the block ends, then shuts
    down gracefully; ``server.base_url`` is where it listens (``config.port=0`` picks a free port).
    """

    def __init__(self, matcher: Matcher, config: ServiceConfig | None = None) -> None:
        self.config = config or ServiceConfig(port=0)
        self.app = create_app(matcher, self.config)
        self._server = uvicorn.Server(_uvicorn_config(self.app, self.config))
        self._thread: threading.Thread | None = None

    @property
    def service(self) -> MatcherService:
        """The handlers, worker and metrics behind the app."""
        service: MatcherService = self.app.state.service
        return service

    @property
    def base_url(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://{self.config.host}:{port}"

    def start(self, timeout_s: float = 30.0) -> None:
        """Start serving; return once the server accepts connections."""
        self._thread = threading.Thread(target=self._server.run, name="matcher-http", daemon=True)
        self._thread.start()
        deadline_s = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline_s:
                raise RuntimeError("matcher service did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop accepting, answer in-flight requests, drain the worker, end the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(self.config.shutdown_timeout_s + 5.0)
            self._thread = None

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(matcher: Matcher, config: ServiceConfig) -> None:
    """Serve ``matcher`` with uvicorn until SIGINT/SIGTERM, then shut down gracefully."""
    app = create_app(matcher, config)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    uvicorn.Server(_uvicorn_config(app, config)).run()
