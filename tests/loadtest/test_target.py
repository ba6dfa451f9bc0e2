"""The target is checked before any load: loopback only, a twin matcher, the right dimension."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from twin.errors import TwinInputError
from twin.loadtest.target import check_target, parse_url, require_loopback
from twin.matcher import Matcher
from twin.matcher.config import ServiceConfig
from twin.matcher.server import BackgroundServer

if TYPE_CHECKING:
    from tests.loadtest_fixtures import FakeServer, Reply

pytest_plugins = ["tests.loadtest_fixtures"]
PROBE = np.ones((1, 512), dtype=np.float32)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("http://127.0.0.1:8700", "http://127.0.0.1:8700"),
        ("http://localhost:8700/", "http://localhost:8700"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("http://127.0.0.1", "http://127.0.0.1:80"),
    ],
)
def test_target_urls(text: str, url: str) -> None:
    assert parse_url(text) == url


@pytest.mark.parametrize(
    "text", ["127.0.0.1:8700", "https://127.0.0.1:8700", "ftp://host", "http://:80", "http://h/v1"]
)
def test_bad_target_urls_are_refused(text: str) -> None:
    with pytest.raises(TwinInputError, match="--target"):
        parse_url(text)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"])
def test_loopback_targets_pass(url: str) -> None:
    require_loopback(url, allow_remote=False)


@pytest.mark.parametrize("url", ["http://10.1.2.3:8700", "http://192.0.2.7:80"])
def test_remote_targets_need_allow_remote(url: str) -> None:
    with pytest.raises(TwinInputError, match="--allow-remote"):
        require_loopback(url, allow_remote=False)
    require_loopback(url, allow_remote=True)  # allowed: no connection is made here


def test_a_twin_matcher_passes(served: str) -> None:
    target = check_target("inprocess", served, dim=512, token=None, probe=PROBE)
    assert (target.backend, target.dim, target.gallery_size) == ("flat", 512, 1000)


def test_a_matcher_of_another_dimension_is_refused() -> None:
    matcher = Matcher(64)
    matcher.add(np.arange(3, dtype=np.int64), np.eye(3, 64, dtype=np.float32))
    with (
        BackgroundServer(matcher, ServiceConfig(port=0)) as server,
        pytest.raises(TwinInputError, match="searches 64-d embeddings"),
    ):
        check_target(server.base_url, server.base_url, dim=512, token=None, probe=PROBE)


def test_a_token_the_service_wants_is_asked_for_before_any_load(lt_gallery: Matcher) -> None:
    with BackgroundServer(lt_gallery, ServiceConfig(port=0, token="s3cret")) as server:
        with pytest.raises(TwinInputError, match="wants a bearer token"):
            check_target("t", server.base_url, dim=512, token=None, probe=PROBE)
        check_target("t", server.base_url, dim=512, token="s3cret", probe=PROBE)


def test_unreachable_targets_are_refused(closed_url: str) -> None:
    with pytest.raises(TwinInputError, match="cannot reach"):
        check_target(closed_url, closed_url, dim=512, token=None, probe=PROBE)


@pytest.mark.parametrize(
    "health",
    [
        (404, b"not found"),
        (200, json.dumps({"status": "ok"}).encode()),
        (200, b"[1, 2, 3]"),
    ],
)
def test_services_that_are_not_twin_matchers_are_refused(
    fake_server: type[FakeServer], health: tuple[int, bytes]
) -> None:
    def reply(n: int) -> Reply:
        return health[0], {"Content-Type": "application/json"}, health[1]

    with fake_server(reply) as fake, pytest.raises(TwinInputError, match="not a twin matcher"):
        check_target(fake.url, fake.url, dim=512, token=None, probe=PROBE)
