"""The matcher service, tested against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from twin.errors import TwinInputError
from twin.matcher import Matcher, SearchResult
from twin.matcher.client import HttpClient, InProcessClient, MatcherClient
from twin.matcher.config import ServiceConfig, is_loopback
from twin.matcher.errors import (
    DuplicateIdentityError,
    MatcherInputError,
    ServiceAuthError,
    UnknownIdentityError,
)
from twin.matcher.server import BackgroundServer

DIM = 512
GALLERY = 2000
BINARY = {"Content-Type": "application/octet-stream"}


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.standard_normal((n, DIM), dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class SlowMatcher(Matcher):
    """A real matcher whose every search also takes ``delay_s``: keeps the worker busy on demand."""

    delay_s = 0.0

    def search(self, probes: np.ndarray, k: int = 1) -> SearchResult:
        time.sleep(self.delay_s)
        return super().search(probes, k)


@pytest.fixture(scope="module")
def gallery() -> np.ndarray:
    return unit_rows(np.random.default_rng(11), GALLERY)


@pytest.fixture(scope="module")
def server(gallery: np.ndarray) -> Iterator[BackgroundServer]:
    matcher = SlowMatcher(DIM)
    matcher.add(np.arange(GALLERY, dtype=np.int64), gallery, provenance="test")
    config = ServiceConfig(
        port=0, max_request_probes=64, max_body_bytes=64 * 4 * DIM * 20, max_batch_probes=256
    )
    with BackgroundServer(matcher, config) as running:
        yield running


@pytest.fixture()
def http(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        yield client


def _alive(http: httpx.Client, gallery: np.ndarray) -> None:
    """The server still answers a good request correctly."""
    response = http.post("/v1/search", content=gallery[5:6].tobytes(), headers=BINARY)
    assert response.status_code == 200
    assert response.json()["ids"] == [[5]]


@pytest.mark.parametrize("kind", ["in-process", "http"])
def test_both_clients_give_the_in_process_answer(kind, server, gallery) -> None:
    matcher = server.service.matcher
    client: MatcherClient = (
        InProcessClient(matcher) if kind == "in-process" else HttpClient(server.base_url)
    )
    assert isinstance(client, MatcherClient)
    probes = np.concatenate([gallery[:3], unit_rows(np.random.default_rng(2), 2)])
    with client:
        result = client.search(probes, k=4)
        thresholded = client.search_thresholded(probes, k=4, threshold=0.5)
    want = matcher.search(probes, k=4)
    np.testing.assert_array_equal(result.ids, want.ids)
    np.testing.assert_allclose(result.scores, want.scores, atol=1e-6)
    np.testing.assert_array_equal(thresholded.ids[:3, 0], [0, 1, 2])
    assert (thresholded.ids[:3, 1:] == -1).all() and (thresholded.ids[3:] == -1).all()


def test_json_search_with_k_and_threshold(http, gallery) -> None:
    body = {"probes": gallery[7:9].tolist(), "k": 2, "threshold": 0.5}
    response = http.post("/v1/search", json=body)
    assert response.status_code == 200
    assert response.json()["ids"] == [[7, -1], [8, -1]]
    assert response.json()["scores"][0][1] is None


def test_binary_response_layout(http, gallery) -> None:
    headers = {**BINARY, "Accept": "application/octet-stream"}
    response = http.post("/v1/search?k=2", content=gallery[3:4].tobytes(), headers=headers)
    assert response.headers["X-Result-Shape"] == "1,2"
    first_id, second_id, first_score, _ = struct.unpack("<qqff", response.content)
    assert first_id == 3 and second_id >= 0 and first_score == pytest.approx(1.0, abs=1e-5)


def _nan_body() -> bytes:
    probes = np.ones((2, DIM), dtype=np.float32)
    probes[1, 9] = np.nan
    return probes.tobytes()


def _inf_body() -> bytes:
    probes = np.ones((1, DIM), dtype=np.float32)
    probes[0, 0] = np.inf
    return probes.tobytes()


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"content": b"\0" * (4 * DIM - 4), "headers": BINARY}, 400, "whole number of probes"),
        ({"json": {"probes": [[0.1] * (DIM - 1)]}}, 400, "dimension 511"),
        ({"content": _nan_body(), "headers": BINARY}, 400, "NaN or infinity"),
        ({"content": _inf_body(), "headers": BINARY}, 400, "NaN or infinity"),
        (
            {
                "content": b'{"probes": [[NaN' + b", 0.5" * (DIM - 1) + b"]]}",
                "headers": {"Content-Type": "application/json"},
            },
            400,
            "NaN or infinity",
        ),
        ({"content": b"", "headers": BINARY}, 400, "empty"),
        ({"json": {"probes": []}}, 400, "empty"),
        ({"json": {"probes": [[0.0] * DIM]}}, 400, "zero vector"),
        ({"json": {"probes": [[1.0] * DIM, [1.0] * 3]}}, 400, "equal length"),
        ({"json": {"vectors": []}}, 400, "probes: field required"),
        (
            {"content": b'{"probes": [[1.0, ', "headers": {"Content-Type": "application/json"}},
            400,
            "malformed JSON",
        ),
        ({"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, 400, "object"),
        (
            {"content": b"probes", "headers": {"Content-Type": "text/plain"}},
            415,
            "application/octet-stream",
        ),
        (
            {"content": b"\0" * (4 * DIM * 65), "headers": BINARY},
            413,
            "65 probes exceed the limit of 64",
        ),
        ({"json": {"probes": [[1.0] * DIM] * 65}}, 413, "65 probes exceed"),
        ({"content": b"\0" * (4 * DIM * 64 * 20 + 1), "headers": BINARY}, 413, "exceeds the limit"),
        (
            {"json": {"probes": [[1.0] * DIM], "k": 0}},
            400,
            "k: input should be greater than or equal to 1",
        ),
        (
            {"json": {"probes": [[1.0] * DIM], "k": "two"}},
            400,
            "k: input should be a valid integer",
        ),
        (
            {"json": {"probes": [[1.0] * DIM], "threshold": 3}},
            400,
            "threshold: input should be less than",
        ),
    ],
)
def test_bad_search_requests_get_a_4xx_saying_why(http, gallery, kwargs, status, message) -> None:
    response = http.post("/v1/search", **kwargs)
    assert response.status_code == status
    assert message in response.json()["error"]
    _alive(http, gallery)


def test_watchlist_changes_over_http(server, http, gallery) -> None:
    client = HttpClient(server.base_url)
    new = unit_rows(np.random.default_rng(3), 2)
    client.add(np.array([90001, 90002], dtype=np.int64), new, provenance="http test")
    assert client.search(new, k=1).ids[:, 0].tolist() == [90001, 90002]
    assert server.service.matcher.entry(90001).provenance == "http test"
    with pytest.raises(DuplicateIdentityError):
        client.add(np.array([90001], dtype=np.int64), new[:1])
    client.remove(np.array([90001], dtype=np.int64))
    assert http.delete("/v1/watchlist/90002").status_code == 200
    assert 90001 not in client.search(new, k=3).ids
    with pytest.raises(UnknownIdentityError, match="90001"):
        client.remove(np.array([90001], dtype=np.int64))
    client.close()


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/v1/watchlist/remove", {"ids": [123456789]}, 404, "unknown identity"),
        ("/v1/watchlist/remove", {"ids": ["x"]}, 400, "ids[0]: input should be a valid integer"),
        (
            "/v1/watchlist",
            {"ids": [0], "embeddings": [[1.0] * DIM]},
            409,
            "already on the watchlist",
        ),
        ("/v1/watchlist", {"ids": [5, 6], "embeddings": [[1.0] * DIM]}, 400, "one id per row"),
        ("/v1/watchlist", {"ids": [7], "embeddings": [[1.0] * 3]}, 400, "dimension 3"),
        (
            "/v1/watchlist",
            {"ids": [8], "embeddings": [[1.0] * DIM], "expires": "soon"},
            400,
            "expires: input should be a valid date",
        ),
    ],
)
def test_bad_watchlist_requests_get_a_4xx(http, gallery, path, body, status, message) -> None:
    response = http.post(path, json=body)
    assert response.status_code == status
    assert message in response.json()["error"]
    _alive(http, gallery)


def test_unknown_id_in_path_is_404(http) -> None:
    response = http.delete("/v1/watchlist/987654321")
    assert response.status_code == 404 and "987654321" in response.json()["error"]


def test_watchlist_changes_are_atomic_while_searches_continue(server, gallery) -> None:
    """Searches running throughout see the identity either enrolled with its vector, or absent."""
    probe = unit_rows(np.random.default_rng(4), 1)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_loop() -> None:
        with HttpClient(server.base_url) as client:
            while not stop.is_set():
                try:
                    seen.append(int(client.search(probe, k=1).ids[0, 0]))
                except BaseException as exc:
                    errors.append(exc)
                    return

    searchers = [threading.Thread(target=search_loop) for _ in range(3)]
    for thread in searchers:
        thread.start()
    with HttpClient(server.base_url) as admin:
        for _ in range(5):
            admin.add(np.array([77777], dtype=np.int64), probe)
            time.sleep(0.02)
            admin.remove(np.array([77777], dtype=np.int64))
            time.sleep(0.02)
    stop.set()
    for thread in searchers:
        thread.join()
    assert not errors
    assert 77777 in seen and len(set(seen)) == 2  # the enrolled identity, or the best other


def test_concurrent_requests_are_micro_batched(server, gallery) -> None:
    matcher = server.service.matcher
    assert isinstance(matcher, SlowMatcher)
    metrics = server.service.metrics
    batches_before = metrics.batch_probes._sum.get(), _count(metrics)

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as client:
            calls = [
                client.post("/v1/search", content=gallery[i : i + 1].tobytes(), headers=BINARY)
                for i in range(40)
            ]
            return await asyncio.gather(*calls)

    matcher.delay_s = 0.02
    try:
        responses = asyncio.run(burst())
    finally:
        matcher.delay_s = 0.0
    assert [r.json()["ids"][0][0] for r in responses] == list(range(40))
    probes_searched = metrics.batch_probes._sum.get() - batches_before[0]
    search_calls = _count(metrics) - batches_before[1]
    assert probes_searched == 40
    assert search_calls < 40  # several requests shared a search call


def test_a_bad_request_in_a_merged_batch_fails_alone(server, gallery) -> None:
    matcher = server.service.matcher
    nan_probe = np.ones((1, DIM), dtype=np.float32)
    nan_probe[0, 1] = np.nan

    async def mixed() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as client:
            bodies = [gallery[i : i + 1].tobytes() for i in range(12)]
            bodies.insert(6, nan_probe.tobytes())
            calls = [client.post("/v1/search", content=b, headers=BINARY) for b in bodies]
            return await asyncio.gather(*calls)

    matcher.delay_s = 0.02
    try:
        responses = asyncio.run(mixed())
    finally:
        matcher.delay_s = 0.0
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 6 + [400] + [200] * 6
    assert "NaN or infinity" in responses[6].json()["error"]
    found = [r.json()["ids"][0][0] for i, r in enumerate(responses) if i != 6]
    assert found == list(range(12))


def _count(metrics) -> float:
    return sum(
        s.value for s in metrics.batch_probes.collect()[0].samples if s.name.endswith("_count")
    )


def test_full_queue_answers_503_with_retry_after(gallery) -> None:
    matcher = SlowMatcher(DIM)
    matcher.add(np.arange(100, dtype=np.int64), gallery[:100])
    config = ServiceConfig(port=0, max_batch_probes=4, max_queue_probes=4, max_request_probes=4)
    with BackgroundServer(matcher, config) as running:
        matcher.delay_s = 0.2

        async def flood() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=running.base_url, timeout=20) as client:
                body = gallery[:4].tobytes()
                calls = [client.post("/v1/search", content=body, headers=BINARY) for _ in range(8)]
                return await asyncio.gather(*calls)

        responses = asyncio.run(flood())
        matcher.delay_s = 0.0
        statuses = sorted(r.status_code for r in responses)
        assert 200 in statuses and 503 in statuses and set(statuses) <= {200, 503}
        busy = next(r for r in responses if r.status_code == 503)
        assert int(busy.headers["Retry-After"]) >= 1 and "queue full" in busy.json()["error"]
        page = httpx.get(f"{running.base_url}/metrics").text
        assert 'matcher_rejected_requests_total{reason="queue_full"}' in page
        ok = httpx.post(
            f"{running.base_url}/v1/search", content=body_of(gallery[:1]), headers=BINARY
        )
        assert ok.status_code == 200  # the queue drained; service answers again


def body_of(probes: np.ndarray) -> bytes:
    return probes.astype("<f4").tobytes()


def test_lone_request_on_idle_server_goes_at_once(gallery) -> None:
    matcher = Matcher(DIM)
    matcher.add(np.arange(100, dtype=np.int64), gallery[:100])
    with BackgroundServer(matcher, ServiceConfig(port=0, max_wait_s=5.0)) as running:
        began = time.perf_counter()
        response = httpx.post(
            f"{running.base_url}/v1/search", content=body_of(gallery[:1]), headers=BINARY
        )
        assert response.status_code == 200
        assert time.perf_counter() - began < 2.5  # far below the 5 s max wait


def test_token_is_required_when_configured(gallery) -> None:
    matcher = Matcher(DIM)
    matcher.add(np.arange(10, dtype=np.int64), gallery[:10])
    with BackgroundServer(matcher, ServiceConfig(port=0, token="s3cret")) as running:
        url = running.base_url
        denied = httpx.post(f"{url}/v1/search", content=body_of(gallery[:1]), headers=BINARY)
        assert denied.status_code == 401 and "bearer token" in denied.json()["error"]
        wrong = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert httpx.get(f"{url}/health").status_code == 200
        with pytest.raises(ServiceAuthError):
            HttpClient(url).search(gallery[:1])
        with HttpClient(url, token="s3cret") as client:
            assert client.search(gallery[:1]).ids[0, 0] == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_binding_beyond_loopback_needs_a_token(host) -> None:
    assert not is_loopback(host)
    with pytest.raises(TwinInputError, match="--token"):
        ServiceConfig(host=host).check()
    ServiceConfig(host=host, token="t").check()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")


def test_health_metrics_and_openapi(http, gallery) -> None:
    http.post("/v1/search", content=b"", headers=BINARY)  # one refusal to count
    health = http.get("/health").json()
    assert health["status"] == "ok" and health["dim"] == DIM and health["gallery_size"] >= GALLERY
    page = http.get("/metrics").text
    for name in (
        "matcher_queue_depth_probes",
        "matcher_batch_probes_bucket",
        "matcher_request_seconds_bucket",
        "matcher_search_seconds_count",
        'matcher_rejected_requests_total{reason="400"}',
    ):
        assert name in page
    assert http.get("/v1/search").status_code == 405
    spec = http.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/v1/search", "/v1/watchlist", "/v1/watchlist/remove", "/health", "/metrics"} <= set(
        spec["paths"]
    )


def test_graceful_shutdown_answers_in_flight_requests(gallery) -> None:
    matcher = SlowMatcher(DIM)
    matcher.add(np.arange(100, dtype=np.int64), gallery[:100])
    running = BackgroundServer(matcher, ServiceConfig(port=0))
    running.start()
    url = running.base_url
    matcher.delay_s = 0.5
    results: list[httpx.Response] = []
    caller = threading.Thread(
        target=lambda: results.append(
            httpx.post(
                f"{url}/v1/search", content=body_of(gallery[4:5]), headers=BINARY, timeout=10
            )
        )
    )
    caller.start()
    time.sleep(0.2)  # the request is in the worker now
    running.stop()
    caller.join()
    assert results[0].status_code == 200 and results[0].json()["ids"] == [[4]]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=2)


def test_http_client_checks_inputs_like_the_matcher(server) -> None:
    with HttpClient(server.base_url) as client:
        with pytest.raises(MatcherInputError, match="dimension 3"):
            client.search(np.ones((1, 3), dtype=np.float32))
        with pytest.raises(MatcherInputError, match="float32"):
            client.search(np.ones((1, DIM)))
