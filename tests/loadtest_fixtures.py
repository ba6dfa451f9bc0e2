"""Shared fixtures for the load tester's tests: a small scenario, its gallery, real services on loopback.

Loaded by the load-test modules through ``pytest_plugins`` (imported by them only for type names).
Every service here listens on 127.0.0.1 on a free port and is torn down when its fixture ends: the
real matcher service in a thread (`BackgroundServer`) or as a ``twin matcher serve`` subprocess, and
small stand-ins (`FakeServer`, through the ``fake_server`` fixture) that answer slowly, with errors,
or not as a matcher at all.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from twin.loadtest.probes import scenario_gallery
from twin.matcher import Matcher
from twin.matcher.config import ServiceConfig
from twin.matcher.server import BackgroundServer
from twin.recognition.gallery import Gallery
from twin.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
SHORT_TIMING = ("pipeline.timing_repeats=2",)

# (status, headers, body) for the n-th request a FakeServer receives.
Reply = tuple[int, dict[str, str], bytes]


@pytest.fixture(scope="session")
def lt_scenario() -> Scenario:
    """The small plaza (a 1,000-identity watchlist), with quick service-time measurement."""
    return load_scenario(PLAZA, overrides=SHORT_TIMING)


@pytest.fixture(scope="session")
def lt_faces(lt_scenario: Scenario) -> Gallery:
    return scenario_gallery(lt_scenario, lt_scenario.seed)


@pytest.fixture(scope="session")
def lt_gallery(lt_faces: Gallery) -> Matcher:
    """The plaza's watchlist as the service should hold it (ids 0..999)."""
    return lt_faces.matcher


@pytest.fixture(scope="module")
def served(lt_gallery: Matcher) -> Iterator[str]:
    """The real matcher service with the plaza's watchlist, in a thread; yields its base URL."""
    with BackgroundServer(lt_gallery, ServiceConfig(port=0, max_wait_s=0.0)) as server:
        yield server.base_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served_process(lt_gallery: Matcher, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``twin matcher serve --gallery`` with the plaza's watchlist, as a subprocess; yields its URL."""
    gallery = tmp_path_factory.mktemp("gallery") / "plaza.twg"
    lt_gallery.save(gallery)
    port = free_port()
    command = [sys.executable, "-m", "twin.cli.matcher", "serve", "--gallery", str(gallery)]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class FakeServer:
    """A loopback HTTP/1.1 server whose every answer comes from ``reply(n)`` (n counts requests).

    ``hold_s`` makes each request hold one shared lock that long: requests are answered one at a
    time, like a stalled service.
    """

    def __init__(self, reply: Callable[[int], Reply], *, hold_s: float = 0.0) -> None:
        self.count = 0
        lock = threading.Lock()
        counter = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                if length:
                    self.rfile.read(length)
                with counter:
                    n = server.count
                    server.count += 1
                if hold_s:
                    with lock:
                        time.sleep(hold_s)
                status, headers, body = reply(n)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815 (http.server's names)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@pytest.fixture()
def fake_server() -> type[FakeServer]:
    """The `FakeServer` class: ``with fake_server(reply, hold_s=...) as fake: fake.url``."""
    return FakeServer


@pytest.fixture()
def closed_url() -> str:
    """A loopback URL nobody listens on."""
    return f"http://127.0.0.1:{free_port()}"
