"""Running the matcher service: on uvicorn in the foreground, or in a background thread.

On SIGINT/SIGTERM uvicorn stops accepting connections and answers the requests in flight (up to
``ServiceConfig.shutdown_timeout_s``); then the app's lifespan drains the search worker and stops it.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import Final

import uvicorn

from twin.matcher.core import Matcher
from twin.matcher.service import MatcherService, ServiceConfig, create_app

# The event loop and the search worker share the GIL. Python's default 5 ms switch interval lets
# the worker's Python-side work hold up request handling for whole milliseconds; 0.5 ms measured
# ~25% more single-probe requests per second with both threads on one core.
GIL_SWITCH_INTERVAL_S: Final = 0.0005


class BackgroundServer:
    """The service on a uvicorn server in a background thread (tests, in-process load tests).

    ``with BackgroundServer(matcher, config) as server:`` serves until the block ends, then shuts
    down gracefully; ``server.base_url`` is where it listens (``config.port=0`` picks a free port).
    """

    def __init__(self, matcher: Matcher, config: ServiceConfig | None = None) -> None:
        self.config = config or ServiceConfig(port=0)
        self.app = create_app(matcher, self.config)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=self.config.host,
                port=self.config.port,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=math.ceil(self.config.shutdown_timeout_s),
            )
        )
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
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=math.ceil(config.shutdown_timeout_s),
    )
