"""Hostile requests to the matcher service on loopback: each refused with a JSON 4xx, none served.

Every case checks the status, one line of JSON error, and that the gallery is unchanged and the
server still answers a good search afterwards.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.support import assert_json_refusal
from twin.matcher import Matcher
from twin.matcher.config import ServiceConfig
from twin.matcher.server import BackgroundServer

DIM = 8
GALLERY = 50
ONE = [1.0] * DIM
DEEP = 100_000
HUGE_NUMBER = "9" * 5000
JSON_TYPE = {"Content-Type": "application/json"}
BINARY = {"Content-Type": "application/octet-stream"}


def _rows(n: int, seed: int = 3) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    matcher = Matcher(DIM)
    matcher.add(np.arange(GALLERY, dtype=np.int64), _rows(GALLERY), provenance="hostile")
    config = ServiceConfig(
        port=0,
        max_request_probes=16,
        max_batch_probes=64,
        max_body_bytes=64 * 1024,
        header_timeout_s=0.5,
        body_timeout_s=0.5,
    )
    with BackgroundServer(matcher, config) as running:
        yield running


@pytest.fixture()
def http(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        yield client
    _still_serving(server)


def _still_serving(server: BackgroundServer) -> None:
    """Nothing was enrolled or removed, and a good search still finds identity 5."""
    assert server.service.matcher.size == GALLERY
    probe = _rows(GALLERY)[5:6]
    response = httpx.post(
        f"{server.base_url}/v1/search", content=probe.tobytes(), headers=BINARY, timeout=10
    )
    assert response.status_code == 200 and response.json()["ids"] == [[5]]


# --- identities are never coerced (each of these was turned into an id before) -----------------

NOT_IDS = [
    [1.9], [1.0], [false := False], [True], ["2"], ["0"], [None], [-1], [-(2**63)], [2**63],
    [2**64], [[1]], [{"id": 1}], [1, "2"], [1, 2.5], [0.0], [1e0], [float("inf")], [], "1", 1,
    None, {"0": 1}, True,
]  # fmt: skip


@pytest.mark.parametrize("ids", NOT_IDS, ids=repr)
def test_remove_refuses_what_is_not_a_list_of_int64_ids(http, ids) -> None:
    body = json.dumps({"ids": ids}, allow_nan=True)
    message = assert_json_refusal(
        http.post("/v1/watchlist/remove", content=body, headers=JSON_TYPE), 400
    )
    assert message.startswith("ids")


@pytest.mark.parametrize("ids", NOT_IDS, ids=repr)
def test_enrol_refuses_what_is_not_a_list_of_int64_ids(http, ids) -> None:
    embeddings = [ONE] * (len(ids) if isinstance(ids, list) and ids else 1)
    body = json.dumps({"ids": ids, "embeddings": embeddings}, allow_nan=True)
    message = assert_json_refusal(http.post("/v1/watchlist", content=body, headers=JSON_TYPE), 400)
    assert message.startswith("ids")


NOT_EMBEDDINGS = [
    [[True] * DIM], [[False] * DIM], [["1"] * DIM], [[None] * DIM], [[ONE]], [ONE[:3]],
    [[*ONE, 1.0]], [ONE, ONE[:2]], ONE, "probes", 1, None, [[0.0] * DIM], [[1e400] * DIM],
    [[{"x": 1}] * DIM], [[[]] * DIM],
]  # fmt: skip
# 1e400 parses as infinity; json.dumps writes the Python float as "Infinity".


@pytest.mark.parametrize("probes", NOT_EMBEDDINGS, ids=repr)
def test_search_refuses_probes_that_are_not_numbers(http, probes) -> None:
    body = json.dumps({"probes": probes}, allow_nan=True)
    assert_json_refusal(http.post("/v1/search", content=body, headers=JSON_TYPE), 400)


@pytest.mark.parametrize("embeddings", NOT_EMBEDDINGS, ids=repr)
def test_enrol_refuses_embeddings_that_are_not_numbers(http, embeddings) -> None:
    body = json.dumps({"ids": [9000], "embeddings": embeddings}, allow_nan=True)
    assert_json_refusal(http.post("/v1/watchlist", content=body, headers=JSON_TYPE), 400)


@pytest.mark.parametrize(
    "literal",
    ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e39", HUGE_NUMBER, "1" + "0" * 400],
)
def test_search_refuses_non_finite_and_huge_numbers(http, literal) -> None:
    row = ", ".join([literal] + ["0.5"] * (DIM - 1))
    body = f'{{"probes": [[{row}]]}}'.encode()
    assert_json_refusal(http.post("/v1/search", content=body, headers=JSON_TYPE), {400, 413})


OPTIONS = [
    ("k", True), ("k", 1.0), ("k", "1"), ("k", 0), ("k", -1), ("k", 1025), ("k", 2**70),
    ("k", [1]), ("threshold", True), ("threshold", "0.5"), ("threshold", 2), ("threshold", -2),
    ("threshold", [0.5]), ("threshold", {"v": 1}), ("extra", 1), ("K", 1),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value"), OPTIONS, ids=repr)
def test_search_refuses_wrong_options_in_the_body(http, field, value) -> None:
    body = {"probes": [ONE], field: value}
    message = assert_json_refusal(http.post("/v1/search", json=body), 400)
    assert message.startswith(field)


@pytest.mark.parametrize(
    "query",
    [
        "k=abc", "k=1.5", "k=-1", "k=0", "k=99999999999", "k=1e3", "k=%00", "k=", "k=+1",
        "k=\u0661", "threshold=nan", "threshold=inf", "threshold=-inf", "threshold=abc",
        "threshold=2", "threshold=" + "1" * 5000, "threshold=",
    ],
)  # fmt: skip
def test_search_refuses_wrong_options_in_the_query(http, query) -> None:
    body = _rows(1).tobytes()
    assert_json_refusal(http.post(f"/v1/search?{query}", content=body, headers=BINARY), 400)


# --- JSON that is hostile as JSON -------------------------------------------------------------

HOSTILE_JSON = [
    b"[" * DEEP + b"]" * DEEP,
    b'{"ids":' + b"[" * DEEP + b"]" * DEEP + b"}",
    b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    b'{"ids": [' + HUGE_NUMBER.encode() + b"]}",
    b'{"ids": [-' + HUGE_NUMBER.encode() + b"]}",
    b'{"ids": [1e' + HUGE_NUMBER.encode() + b"]}",
    b"",
    b"null",
    b"[]",
    b"1",
    b'"ids"',
    b"true",
    b"{",
    b'{"ids": [1]',
    b'{"ids": [1]} trailing',
    b'{"ids": [1],}',
    b"{'ids': [1]}",
    b'\xef\xbb\xbf{"ids": [1]}',
    b'{"ids": [1\xff]}',
    b"\xff\xfe\x00\x00",
    b'{"ids": [01]}',
    b'{"ids": [0x1]}',
    b'{"ids": [.5]}',
    b'{"ids": [1.]}',
    b'{"ids": [+1]}',
    b'{"ids": [1], "ids": ["2"]}',
    b'{"\\ud800": 1}',
    b"\x00" * 64,
]


@pytest.mark.parametrize("body", HOSTILE_JSON, ids=lambda b: repr(b[:24]))
@pytest.mark.parametrize("path", ["/v1/search", "/v1/watchlist", "/v1/watchlist/remove"])
def test_hostile_json_is_a_400_not_a_crash(http, path, body) -> None:
    assert_json_refusal(http.post(path, content=body, headers=JSON_TYPE), {400, 413})


def test_a_long_provenance_is_refused(http) -> None:
    body = {"ids": [9001], "embeddings": [ONE], "provenance": "x" * 1001}
    message = assert_json_refusal(http.post("/v1/watchlist", json=body), 400)
    assert message.startswith("provenance")


@pytest.mark.parametrize("expires", ["soon", "2026-13-01", 20270101, True, "2027-01-01T00:00"])
def test_a_bad_expiry_is_refused(http, expires) -> None:
    body = {"ids": [9002], "embeddings": [ONE], "expires": expires}
    assert_json_refusal(http.post("/v1/watchlist", json=body), 400)


# --- routes, methods and content types -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/v2/search", "/v1/search/", "/v1/watchlist/remove/1", "/..%2f..%2fetc/passwd",
     "/%00", "/health/../metrics/x", "/" + "a" * 4000, "/v1/watchlist/-1", "/v1/watchlist/abc"],
)  # fmt: skip
def test_unknown_paths_answer_json_404(http, path) -> None:
    method = "DELETE" if path.startswith("/v1/watchlist/") else "GET"
    message = assert_json_refusal(http.request(method, path), 404)
    assert "no route" in message


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/search"), ("PUT", "/v1/search"), ("GET", "/v1/watchlist"),
     ("PUT", "/v1/watchlist"), ("PATCH", "/v1/watchlist/remove"), ("POST", "/health"),
     ("DELETE", "/health"), ("POST", "/metrics"), ("POST", "/openapi.json"),
     ("GET", "/v1/watchlist/3"), ("POST", "/v1/watchlist/3")],
)  # fmt: skip
def test_wrong_methods_answer_json_405(http, method, path) -> None:
    message = assert_json_refusal(http.request(method, path), 405)
    assert method in message


@pytest.mark.parametrize("identity", [str(2**63), str(2**64), "9" * 400])
def test_delete_of_an_id_beyond_int64_is_a_400(http, identity) -> None:
    assert_json_refusal(http.delete(f"/v1/watchlist/{identity}"), 400)


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"x" * 7, BINARY, 400),
        (b"", BINARY, 400),
        (np.full(DIM, np.nan, dtype="<f4").tobytes(), BINARY, 400),
        (np.full(DIM, np.inf, dtype="<f4").tobytes(), BINARY, 400),
        (np.zeros(DIM, dtype="<f4").tobytes(), BINARY, 400),
        (np.full(DIM, 3e38, dtype="<f4").tobytes(), BINARY, 400),
        (_rows(17).tobytes(), BINARY, 413),
        (b"\0" * (64 * 1024 + 1), BINARY, 413),
        (b"probes", {"Content-Type": "text/plain"}, 415),
        (b"probes", {"Content-Type": "multipart/form-data; boundary=x"}, 415),
        (b"probes", {}, 415),
        (_rows(1).tobytes(), JSON_TYPE, 400),
        (json.dumps({"probes": [ONE] * 17}).encode(), JSON_TYPE, 413),
    ],
)
def test_bad_search_bodies_get_a_4xx(http, content, headers, status) -> None:
    assert_json_refusal(http.post("/v1/search", content=content, headers=headers), status)


def test_a_declared_huge_body_is_refused_before_it_is_read(server) -> None:
    request = (
        b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 99999999999\r\n\r\n"
    )
    reply = _raw_exchange(server, request, wait_s=2.0)
    assert reply.startswith(b"HTTP/1.1 413") and b'"error"' in reply


# --- slow clients ----------------------------------------------------------------------------


def _raw_exchange(server: BackgroundServer, request: bytes, *, wait_s: float) -> bytes:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        sock.settimeout(wait_s + 3)
        chunks = []
        deadline = time.monotonic() + wait_s + 3
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.mark.parametrize(
    "partial",
    [b"", b"POST /v1/search HTTP/1.1\r\n", b"POST /v1/search HTTP/1.1\r\nHost: x\r\nX-Slow: 1"],
)
def test_headers_that_never_finish_get_408_and_the_connection_closes(server, partial) -> None:
    began = time.monotonic()
    reply = _raw_exchange(server, partial, wait_s=1.0)
    assert reply.startswith(b"HTTP/1.1 408") and b'"error"' in reply
    assert time.monotonic() - began < 4.0
    _still_serving(server)


@pytest.mark.parametrize("path", ["/v1/search", "/v1/watchlist", "/v1/watchlist/remove"])
def test_a_body_that_never_finishes_gets_408(server, path) -> None:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{"
    ).encode()
    reply = _raw_exchange(server, request, wait_s=1.0)
    assert reply.startswith(b"HTTP/1.1 408") and b"not received within" in reply
    _still_serving(server)


# --- generated bodies -------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ids=json_values)
def test_any_json_that_is_not_int64_ids_removes_nothing(http, server, ids) -> None:
    is_ids = (
        isinstance(ids, list)
        and ids
        and all(type(i) is int and 0 <= i < 2**63 for i in ids)
        and len(set(ids)) == len(ids)  # ids repeated within one call are refused (400)
    )
    response = http.post("/v1/watchlist/remove", json={"ids": ids})
    if is_ids:  # all unknown (>= GALLERY) or known: the known ones are removed, so put them back
        assert response.status_code in {200, 404, 409}
        if response.status_code == 200:
            known = np.array(ids, dtype=np.int64)
            server.service.matcher.add(known, _rows(GALLERY)[known], provenance="hostile")
        return
    assert_json_refusal(response, 400)
    assert server.service.matcher.size == GALLERY


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=256))
def test_any_bytes_as_json_get_a_4xx(http, body) -> None:
    response = http.post("/v1/search", content=body, headers=JSON_TYPE)
    assert 400 <= response.status_code < 500
    assert_json_refusal(response, response.status_code)
