"""The matcher as a network service: an HTTP API over one matcher, micro-batched by one worker.

Routes: ``POST /v1/search`` (binary float32 or JSON probes), ``POST /v1/watchlist`` (enrol),
``POST /v1/watchlist/remove``, ``DELETE /v1/watchlist/{id}``, ``GET /health``, ``GET /metrics``
(Prometheus) and ``GET /openapi.json``. Every refusal is a 4xx (or 503 with Retry-After when the
queue is full) with a JSON ``{"error": ...}`` saying what was wrong, on every route (unknown paths and
methods included); one bad request never disturbs the others. JSON bodies are strict pydantic models
(`twin.matcher.bodies`): nothing is coerced into an identity id or a probe value. A body that arrives
slower than ``body_timeout_s`` is refused with 408; the Retry-After of a 503 is the time the queue
takes to drain at its measured rate (`twin.matcher.drain`). Binding beyond loopback requires a bearer token. The app's lifespan starts and stops the
search worker; `twin.matcher.server` runs it on uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from twin.matcher import inputs
from twin.matcher.batching import BatchStats, QueueFullError, SearchWorker, WorkerStoppedError
from twin.matcher.bodies import MAX_ID, EnrolBody, RemoveBody, SearchBody, ValidationError, describe
from twin.matcher.config import ServiceConfig
from twin.matcher.core import Matcher, SearchResult
from twin.matcher.drain import DrainRate
from twin.matcher.errors import DuplicateIdentityError, MatcherInputError, UnknownIdentityError
from twin.matcher.metrics import ServiceMetrics
from twin.matcher.openapi import openapi_document

BINARY: Final = "application/octet-stream"
JSON: Final = "application/json"
CLOSE: Final = {"Connection": "close"}  # the rest of an unread body cannot be skipped safely
OPEN_PATHS: Final = frozenset({"/health", "/openapi.json"})  # answered without a token

Header = tuple[bytes, bytes]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
BodyT = TypeVar("BodyT", SearchBody, EnrolBody, RemoveBody)


class _ClientGoneError(Exception):
    """The client disconnected before its request body arrived."""


class _RefusalError(Exception):
    """A request refused with an HTTP status and a message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        super().__init__(message)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class BearerTokenMiddleware:
    """Refuses requests without ``Authorization: Bearer <token>`` (except `OPEN_PATHS`)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if not hmac.compare_digest(given, self._expected):
            response = _error(
                401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="matcher"'}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class MatcherService:
    """Request handlers bound to one matcher, its worker and its metrics."""

    def __init__(self, matcher: Matcher, config: ServiceConfig) -> None:
        self.matcher = matcher
        self.config = config
        self.metrics = ServiceMetrics(
            queue_probes=lambda: float(self.worker.queued_probes),
            gallery_size=lambda: float(self.matcher.size),
        )
        self.drain = DrainRate()
        self.worker = SearchWorker(
            matcher,
            max_batch_probes=config.max_batch_probes,
            max_wait_s=config.max_wait_s,
            max_queue_probes=config.max_queue_probes,
            threads=config.search_threads,
            on_batch=self._observe_batch,
        )
        self._openapi = openapi_document(
            dim=matcher.dim,
            max_request_probes=config.max_request_probes,
            max_body_bytes=config.max_body_bytes,
        )

    def _observe_batch(self, stats: BatchStats) -> None:
        self.metrics.observe_batch(stats)
        self.drain.observe(stats.probes, stats.search_s)

    # --- request parsing -------------------------------------------------------------------

    async def _body(self, request: Request) -> bytes:
        return await self._receive_body(request.headers.get("content-length"), request.receive)

    async def _receive_body(self, declared: str | None, receive: Receive) -> bytes:
        """The request body, refused with 413 as soon as it passes ``max_body_bytes``."""
        limit = self.config.max_body_bytes
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _RefusalError(
                413, f"body of {declared} bytes exceeds the limit of {limit} bytes", CLOSE
            )
        chunks, total = [], 0
        loop = asyncio.get_running_loop()
        deadline_s = loop.time() + self.config.body_timeout_s
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline_s - loop.time()))
            except TimeoutError as exc:
                raise _RefusalError(
                    408, f"request body not received within {self.config.body_timeout_s:g} s", CLOSE
                ) from exc
            if message["type"] == "http.disconnect":
                raise _ClientGoneError
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                raise _RefusalError(413, f"body exceeds the limit of {limit} bytes", CLOSE)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    def _parse(model: type[BodyT], body: bytes) -> BodyT:
        """The body validated strictly as ``model`` (depth and number size bounded), or a 400."""
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            raise _RefusalError(400, describe(exc)) from exc

    def _matrix(self, rows: list[list[float]], what: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        if len(rows) > self.config.max_request_probes:
            raise _RefusalError(
                413, f"{len(rows)} {what} exceed the limit of {self.config.max_request_probes}"
            )
        try:  # values beyond float32 become infinite here, and are refused with the others
            with np.errstate(over="ignore"):
                matrix = np.array(rows, dtype=np.float32)
        except (ValueError, TypeError) as exc:
            raise _RefusalError(400, f"{what} must be arrays of numbers of equal length") from exc
        if matrix.ndim == 1 and matrix.size == 0:
            matrix = matrix.reshape(0, self.matcher.dim)
        return matrix

    def _probes(
        self, body: bytes, content_type: str
    ) -> tuple[np.ndarray[Any, Any], SearchBody | None]:
        dim = self.matcher.dim
        if content_type == BINARY:
            row_bytes = 4 * dim
            if len(body) % row_bytes:
                raise _RefusalError(
                    400,
                    f"binary body of {len(body)} bytes is not a whole number of probes "
                    f"({dim} float32 = {row_bytes} bytes each)",
                )
            n = len(body) // row_bytes
            if n == 0:
                raise _RefusalError(400, f"probes are empty: at least one row of {dim} values")
            if n > self.config.max_request_probes:
                raise _RefusalError(
                    413, f"{n} probes exceed the limit of {self.config.max_request_probes}"
                )
            # values (NaN, infinity, zero rows) are checked on the worker, once per batch
            return np.frombuffer(body, dtype="<f4").reshape(n, dim), None
        if content_type == JSON:
            document = self._parse(SearchBody, body)
            matrix = self._matrix(document.probes, "probes")
            return inputs.embeddings(matrix, dim, what="probes"), document
        raise _RefusalError(
            415, f"send probes as {BINARY} (float32) or {JSON}, not {content_type!r}"
        )

    @staticmethod
    def _search_options(
        query: dict[str, str], document: SearchBody | None
    ) -> tuple[int, float | None]:
        """k and threshold from the JSON body, else the query string (digits and a finite number)."""
        k_value: object = document.k if document is not None and document.k is not None else 1
        raw: object = document.threshold if document is not None else None
        if (document is None or document.k is None) and "k" in query:
            text = query["k"]
            if not (text.isascii() and text.isdigit() and len(text) <= 5):
                raise _RefusalError(400, f"k: must be an integer from 1 to {inputs.MAX_K}")
            k_value = int(text)
        if raw is None and "threshold" in query:
            try:
                raw = float(query["threshold"]) if len(query["threshold"]) <= 32 else math.nan
            except ValueError as exc:
                raise _RefusalError(400, "threshold: must be a number from -1 to 1") from exc
        k = inputs.neighbours(k_value)
        threshold = None if raw is None else inputs.threshold(raw)
        return k, threshold

    # --- responses -------------------------------------------------------------------------

    @staticmethod
    def _result_body(result: SearchResult, accept: str) -> tuple[bytes, bytes, list[Header]]:
        """Response body, its media type and extra headers for a search result."""
        n, k = result.ids.shape
        if BINARY in accept:
            body = result.ids.astype("<i8").tobytes() + result.scores.astype("<f4").tobytes()
            return body, BINARY.encode(), [(b"x-result-shape", f"{n},{k}".encode())]
        scores = [[s if math.isfinite(s) else None for s in row] for row in result.scores.tolist()]
        document = {"ids": result.ids.tolist(), "scores": scores}
        return json.dumps(document, separators=(",", ":")).encode(), JSON.encode(), []

    # --- handlers --------------------------------------------------------------------------

    async def search(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``POST /v1/search`` as a plain ASGI app: the hot path, kept free of per-request objects."""
        headers = dict(scope["headers"])
        try:
            body = await self._receive_body(
                headers.get(b"content-length", b"").decode("latin-1") or None, receive
            )
            began_s = time.perf_counter()
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            content_type = content_type.split(";")[0].strip().lower()
            raw, document = self._probes(body, content_type)
            query_string = scope["query_string"]
            query = (
                dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
                if query_string
                else {}
            )
            k, threshold = self._search_options(query, document)
            result = await self.worker.search(raw, k, threshold)
        except _ClientGoneError:
            return
        except _RefusalError as refusal:
            await self._refused(refusal)(scope, receive, send)
            return
        except MatcherInputError as exc:
            await self._refused(_RefusalError(400, exc.message))(scope, receive, send)
            return
        except QueueFullError as exc:
            retry_after_s = self.drain.retry_after_s(exc.queued_probes)
            await self._busy("queue_full", str(exc), retry_after_s)(scope, receive, send)
            return
        except WorkerStoppedError as exc:
            await self._busy("draining", str(exc), 1.0)(scope, receive, send)
            return
        accept = headers.get(b"accept", b"").decode("latin-1")
        payload, media_type, extra = self._result_body(result, accept)
        start_headers = [
            (b"content-type", media_type),
            (b"content-length", str(len(payload)).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": start_headers})
        await send({"type": "http.response.body", "body": payload})
        self.metrics.request_seconds.observe(time.perf_counter() - began_s)

    async def enrol(self, request: Request) -> Response:
        try:
            document = self._parse(EnrolBody, await self._body(request))
            ids = np.array(document.ids, dtype=np.int64)
            embeddings = self._matrix(document.embeddings, "embeddings")
            provenance, expires = document.provenance, document.expires
            await self.worker.mutate(
                lambda: self.matcher.add(ids, embeddings, provenance=provenance, expires=expires)
            )
        except _RefusalError as refusal:
            return self._refused(refusal)
        except DuplicateIdentityError as exc:
            return self._refused(_RefusalError(409, exc.message))
        except MatcherInputError as exc:
            return self._refused(_RefusalError(400, exc.message))
        except (ValueError, TypeError, OverflowError) as exc:
            return self._refused(_RefusalError(400, f"bad enrolment: {exc}"))
        except WorkerStoppedError as exc:
            return self._busy("draining", str(exc), 1.0)
        return JSONResponse({"added": int(ids.size), "size": self.matcher.size}, status_code=201)

    async def remove(self, request: Request) -> Response:
        try:
            if "identity_id" in request.path_params:
                identity_id = int(request.path_params["identity_id"])
                if identity_id > MAX_ID:
                    raise _RefusalError(400, f"identity id must be 0 to {MAX_ID}")
                raw_ids = [identity_id]
            else:
                raw_ids = self._parse(RemoveBody, await self._body(request)).ids
            ids = np.array(raw_ids, dtype=np.int64)
            await self.worker.mutate(lambda: self.matcher.remove(ids))
        except _RefusalError as refusal:
            return self._refused(refusal)
        except UnknownIdentityError as exc:
            return self._refused(_RefusalError(404, exc.message))
        except MatcherInputError as exc:
            return self._refused(_RefusalError(400, exc.message))
        except (ValueError, TypeError, OverflowError) as exc:
            return self._refused(_RefusalError(400, f"ids must be an array of integers: {exc}"))
        except WorkerStoppedError as exc:
            return self._busy("draining", str(exc), 1.0)
        return JSONResponse({"removed": int(ids.size), "size": self.matcher.size})

    async def health(self, request: Request) -> Response:
        body = {
            "status": "ok" if self.worker.accepting else "draining",
            "backend": self.matcher.backend,
            "dim": self.matcher.dim,
            "gallery_size": self.matcher.size,
            "queue_probes": self.worker.queued_probes,
        }
        return JSONResponse(body, status_code=200 if self.worker.accepting else 503)

    async def metrics_page(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type="text/plain; version=0.0.4")

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(self._openapi)

    def _refused(self, refusal: _RefusalError) -> Response:
        self.metrics.rejected.labels(reason=str(refusal.status)).inc()
        return _error(refusal.status, refusal.message, refusal.headers)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """Unknown paths (404), wrong methods (405) and any other HTTP error, as JSON."""
        if isinstance(exc, HTTPException):
            message = {
                404: f"no route {request.url.path}",
                405: f"method {request.method} not allowed on {request.url.path}",
            }.get(exc.status_code, str(exc.detail))
            return self._refused(_RefusalError(exc.status_code, message, dict(exc.headers or {})))
        return _error(500, "internal error: the request failed; the server keeps serving")

    def _busy(self, reason: str, message: str, retry_after_s: float) -> Response:
        self.metrics.rejected.labels(reason=reason).inc()
        return _error(503, message, {"Retry-After": str(max(1, math.ceil(retry_after_s)))})

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.worker.start()
        try:
            yield
        finally:
            self.worker.stop(timeout_s=self.config.shutdown_timeout_s)


class SearchFastPath:
    """Hands ``POST /v1/search`` straight to its handler, past the router: the hot path."""

    def __init__(self, app: ASGIApp, handler: ASGIApp) -> None:
        self.app = app
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/search" and scope["method"] == "POST":
            await self._handler(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _AsgiEndpoint:
    """Wraps a method so that Starlette's router calls it as an ASGI app, not request->response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def create_app(matcher: Matcher, config: ServiceConfig | None = None) -> Starlette:
    """The ASGI app serving ``matcher`` (its worker starts and stops with the app's lifespan)."""
    config = config or ServiceConfig()
    config.check()
    service = MatcherService(matcher, config)
    routes = [
        Route("/v1/search", _AsgiEndpoint(service.search), methods=["POST"]),
        Route("/v1/watchlist", service.enrol, methods=["POST"]),
        Route("/v1/watchlist/remove", service.remove, methods=["POST"]),
        Route("/v1/watchlist/{identity_id:int}", service.remove, methods=["DELETE"]),
        Route("/health", service.health, methods=["GET"]),
        Route("/metrics", service.metrics_page, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=service.lifespan,
        exception_handlers={HTTPException: service.http_error, Exception: service.http_error},
    )
    app.router.redirect_slashes = False  # "/v1/search/" is not a route: a JSON 404, not a 307
    app.state.service = service
    app.add_middleware(SearchFastPath, handler=service.search)
    if config.token:  # added last, so it runs first
        app.add_middleware(BearerTokenMiddleware, token=config.token)
    return app
