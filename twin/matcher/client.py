"""One way to call a matcher, wherever it runs: in this process or behind the HTTP service.

The SimPy pipeline and the load tester take a `MatcherClient` and do not care which. Both
implementations check inputs the same way (`twin.matcher.inputs`) and raise the same errors for the
same mistakes; the HTTP one adds `ServiceBusyError` (503, with the server's Retry-After) and
`ServiceAuthError` (401).
"""

from __future__ import annotations

import datetime as dt
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

import httpx
import numpy as np
import numpy.typing as npt

from twin.matcher import inputs
from twin.matcher.core import Matcher, SearchResult
from twin.matcher.errors import (
    DuplicateIdentityError,
    MatcherInputError,
    ServiceAuthError,
    ServiceBusyError,
    ServiceError,
    UnknownIdentityError,
)

Float32Array = npt.NDArray[np.float32]
Int64Array = npt.NDArray[np.int64]
BINARY = "application/octet-stream"


@runtime_checkable
class MatcherClient(Protocol):
    """Search and watchlist changes against a matcher; see `Matcher` for the meaning of each."""

    @property
    def dim(self) -> int: ...

    def search(self, probes: Float32Array, k: int = 1) -> SearchResult: ...

    def search_thresholded(
        self, probes: Float32Array, k: int, threshold: float
    ) -> SearchResult: ...

    def add(
        self,
        ids: Int64Array,
        embeddings: Float32Array,
        *,
        provenance: str = "",
        expires: dt.date | None = None,
    ) -> None: ...

    def remove(self, ids: Int64Array) -> None: ...

    def close(self) -> None: ...


class _ClosesOnExit:
    """``with client:`` closes the client on the way out."""

    def close(self) -> None:
        """Release what the client holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class InProcessClient(_ClosesOnExit):
    """A `MatcherClient` calling a `Matcher` in this process directly."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher

    @property
    def dim(self) -> int:
        return self.matcher.dim

    def search(self, probes: Float32Array, k: int = 1) -> SearchResult:
        return self.matcher.search(probes, k)

    def search_thresholded(self, probes: Float32Array, k: int, threshold: float) -> SearchResult:
        return self.matcher.search_thresholded(probes, k, threshold)

    def add(
        self,
        ids: Int64Array,
        embeddings: Float32Array,
        *,
        provenance: str = "",
        expires: dt.date | None = None,
    ) -> None:
        self.matcher.add(ids, embeddings, provenance=provenance, expires=expires)

    def remove(self, ids: Int64Array) -> None:
        self.matcher.remove(ids)

    def close(self) -> None:
        """Nothing to release."""


class HttpClient(_ClosesOnExit):
    """A `MatcherClient` calling the matcher service over HTTP (binary float32 both ways).

    ``base_url`` e.g. ``http://127.0.0.1:8700``; ``token`` is sent as a bearer token when given;
    ``timeout_s`` bounds each request. The connection is kept alive between calls.
    """

    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.health()["dim"])
        return self._dim

    def health(self) -> dict[str, Any]:
        """The service's ``/health`` document."""
        document: dict[str, Any] = self._call("GET", "/health").json()
        return document

    def search(self, probes: Float32Array, k: int = 1) -> SearchResult:
        return self._search(probes, k, None)

    def search_thresholded(self, probes: Float32Array, k: int, threshold: float) -> SearchResult:
        return self._search(probes, k, inputs.threshold(threshold))

    def _search(self, probes: Float32Array, k: int, threshold: float | None) -> SearchResult:
        vectors = inputs.embeddings(probes, self.dim, what="probes")
        params: dict[str, str] = {"k": str(inputs.neighbours(k))}
        if threshold is not None:
            params["threshold"] = repr(threshold)
        response = self._call(
            "POST",
            "/v1/search",
            content=vectors.astype("<f4", copy=False).tobytes(),
            params=params,
            headers={"Content-Type": BINARY, "Accept": BINARY},
        )
        n, k_out = (int(v) for v in response.headers["X-Result-Shape"].split(","))
        body = response.content
        ids = np.frombuffer(body, dtype="<i8", count=n * k_out).reshape(n, k_out)
        scores = np.frombuffer(body, dtype="<f4", offset=8 * n * k_out).reshape(n, k_out)
        return SearchResult(scores=scores.astype(np.float32), ids=ids.astype(np.int64))

    def add(
        self,
        ids: Int64Array,
        embeddings: Float32Array,
        *,
        provenance: str = "",
        expires: dt.date | None = None,
    ) -> None:
        vectors = inputs.embeddings(embeddings, self.dim, what="gallery embeddings")
        checked = inputs.identity_ids(ids, count=vectors.shape[0])
        document = {
            "ids": checked.tolist(),
            "embeddings": vectors.tolist(),
            "provenance": provenance,
            "expires": None if expires is None else expires.isoformat(),
        }
        self._call("POST", "/v1/watchlist", json=document)

    def remove(self, ids: Int64Array) -> None:
        checked = inputs.identity_ids(ids)
        self._call("POST", "/v1/watchlist/remove", json={"ids": checked.tolist()})

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceError(f"matcher service at {self._http.base_url} failed: {exc}") from exc
        if response.status_code < 400:
            return response
        try:
            message = str(response.json().get("error", response.text))
        except ValueError:
            message = response.text
        status = response.status_code
        if status == 503:
            retry_after_s = float(response.headers.get("Retry-After", "1"))
            raise ServiceBusyError(message, retry_after_s=retry_after_s)
        if status == 401:
            raise ServiceAuthError(message)
        if status == 404 and path.startswith("/v1/watchlist"):
            raise UnknownIdentityError([], message=message)
        if status == 409:
            raise DuplicateIdentityError(message)
        if 400 <= status < 500:
            raise MatcherInputError(f"matcher service refused the request ({status}): {message}")
        raise ServiceError(f"matcher service error {status}: {message}")

    def close(self) -> None:
        """Close the kept-alive connection."""
        self._http.close()
