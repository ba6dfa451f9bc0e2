"""Requests generated from the service's own OpenAPI document, sent to the live service on loopback.

Bounded in count (a few dozen per operation) and time. Every answer must be below 500, and every
refusal a one-line JSON error; none may change the gallery in a way the request did not ask for.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from twin.matcher import Matcher
from twin.matcher.config import ServiceConfig
from twin.matcher.server import BackgroundServer

DIM = 4


@pytest.fixture(scope="module")
def live() -> Iterator[BackgroundServer]:
    rows = np.random.default_rng(5).standard_normal((20, DIM)).astype(np.float32)
    matcher = Matcher(DIM)
    matcher.add(np.arange(20, dtype=np.int64), rows, provenance="schema")
    with BackgroundServer(matcher, ServiceConfig(port=0, max_request_probes=8)) as running:
        yield running


@pytest.fixture(scope="module")
def api(live: BackgroundServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{live.base_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_get_a_5xx(case) -> None:
    response = case.call(timeout=10)
    assert response.status_code < 500 or response.status_code == 503, response.text[:300]
    if response.status_code >= 400:
        message = response.json()["error"]
        assert isinstance(message, str) and "\n" not in message
