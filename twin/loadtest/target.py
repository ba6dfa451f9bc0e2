"""The target: which matcher service a load test drives, checked before any load is sent.

A target is a URL of a running ``twin matcher serve`` (plain HTTP), or ``inprocess``: the scenario's
watchlist served by the same service code on a free loopback port in this process
(`twin.matcher.server.BackgroundServer`), with ``twin matcher serve``'s defaults.

Before any load: the host must resolve to loopback addresses only (127.0.0.0/8, ::1) unless remote
targets are allowed; ``/health`` must answer as a twin matcher (status, backend, dimension, gallery
size) and ``/openapi.json`` must name it; its dimension must be the scenario's; and one search must
be accepted (a token the service wants is asked for here, not discovered under load). Each refusal
is a `TwinInputError` naming ``--target``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import numpy as np
import numpy.typing as npt

from twin.errors import TwinInputError
from twin.matcher import Matcher

INPROCESS: Final = "inprocess"
CHECK_TIMEOUT_S: Final = 5.0
HEALTH_KEYS: Final = frozenset({"status", "backend", "dim", "gallery_size"})
OPENAPI_TITLE: Final = "twin matcher"


@dataclass(frozen=True)
class Target:
    """A checked matcher service: where it is and what it said about itself."""

    label: str  # the URL as given, or "inprocess"
    base_url: str  # scheme://host:port, no trailing slash
    backend: str
    dim: int
    gallery_size: int


def parse_url(text: str) -> str:
    """``http://host:port`` from a target URL; refuses other schemes, paths and missing hosts."""
    parts = urlsplit(text.strip())
    if parts.scheme != "http" or not parts.hostname:
        raise TwinInputError(
            f"--target: give a matcher URL such as http://127.0.0.1:8700, or {INPROCESS!r}; "
            f"got {text!r} (the load tester speaks plain HTTP)"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise TwinInputError(f"--target: give the service's root URL, without a path; got {text!r}")
    try:
        port = parts.port or 80
    except ValueError as exc:
        raise TwinInputError(f"--target: bad port in {text!r}") from exc
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def require_loopback(base_url: str, *, allow_remote: bool) -> None:
    """Refuse a host that resolves to anything but this machine, unless ``allow_remote``."""
    host = urlsplit(base_url).hostname or ""
    if allow_remote:
        return
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise TwinInputError(f"--target: cannot resolve {host!r}: {exc}") from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    remote = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback]
    if remote or not addresses:
        raise TwinInputError(
            f"--target: {host} resolves to {', '.join(remote or addresses) or 'nothing'}, beyond "
            "this machine; load tests go to loopback (127.0.0.0/8, ::1) unless --allow-remote"
        )


def _get_json(client: httpx.Client, path: str, label: str) -> tuple[int, Any]:
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        raise TwinInputError(f"--target: cannot reach {label}: {exc}") from exc
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def check_target(
    label: str,
    base_url: str,
    *,
    dim: int,
    token: str | None,
    probe: npt.NDArray[np.float32],
) -> Target:
    """Check that ``base_url`` is a twin matcher for ``dim``-d faces that accepts our searches."""
    with httpx.Client(base_url=base_url, timeout=CHECK_TIMEOUT_S) as client:
        status, health = _get_json(client, "/health", label)
        if not isinstance(health, dict) or not health.keys() >= HEALTH_KEYS:
            raise TwinInputError(
                f"--target: {label} is not a twin matcher (/health answered {status} without "
                "status, backend, dim and gallery_size)"
            )
        if health["status"] != "ok" or status != 200:
            raise TwinInputError(f"--target: {label} is not ready (status {health['status']!r})")
        _, openapi = _get_json(client, "/openapi.json", label)
        title = openapi.get("info", {}).get("title") if isinstance(openapi, dict) else None
        if title != OPENAPI_TITLE:
            raise TwinInputError(f"--target: {label} is not a twin matcher (/openapi.json)")
        if int(health["dim"]) != dim:
            raise TwinInputError(
                f"--target: {label} searches {health['dim']}-d embeddings; the scenario's faces "
                f"are {dim}-d"
            )
        if int(health["gallery_size"]) < 1:
            raise TwinInputError(f"--target: {label} has an empty gallery")
        _check_search(client, label, probe, token)
    return Target(
        label=label,
        base_url=base_url,
        backend=str(health["backend"]),
        dim=int(health["dim"]),
        gallery_size=int(health["gallery_size"]),
    )


def _check_search(
    client: httpx.Client, label: str, probe: npt.NDArray[np.float32], token: str | None
) -> None:
    headers = {"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = client.post(
            "/v1/search", params={"k": "1"}, content=probe.astype("<f4").tobytes(), headers=headers
        )
    except httpx.HTTPError as exc:
        raise TwinInputError(f"--target: cannot reach {label}: {exc}") from exc
    if response.status_code == 401:
        raise TwinInputError(
            f"--target: {label} wants a bearer token: give --token (or $TWIN_MATCHER_TOKEN)"
        )
    if response.status_code != 200:
        raise TwinInputError(
            f"--target: {label} refused a search ({response.status_code}): {response.text[:200]}"
        )


@contextlib.contextmanager
def in_process_service(matcher: Matcher, *, search_threads: int | None = None) -> Iterator[str]:
    """Serve ``matcher`` on a free loopback port in this process; yields its base URL.

    Same defaults as ``twin matcher serve`` (no extra wait to fill a batch; ``search_threads``:
    its worker's threads, default the usable cores), and the same shorter GIL switch interval
    between its event loop and its search worker.
    """
    from twin.matcher.config import ServiceConfig
    from twin.matcher.server import GIL_SWITCH_INTERVAL_S, BackgroundServer

    previous_s = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    try:
        config = ServiceConfig(port=0, max_wait_s=0.0, search_threads=search_threads)
        with BackgroundServer(matcher, config) as server:
            yield server.base_url
    finally:
        sys.setswitchinterval(previous_s)
