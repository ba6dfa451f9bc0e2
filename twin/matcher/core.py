"""The matcher: a watchlist gallery of face embeddings and the search of probes against it.

Each watchlist entry is an identity id (non-negative int64) with its embedding, a provenance tag
(where the enrolment came from) and an optional expiry date. Scores are cosine similarities:
embeddings are normalised to unit length on the way in (see `twin.matcher.inputs`), so the inner
product FAISS computes is the cosine. Entries are added and removed live; a lock makes every add,
remove and search atomic with respect to the others, so concurrent callers see the gallery before a
change or after it, never during.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from twin.matcher import inputs
from twin.matcher.backends import (
    BACKENDS,
    MISSING_SCORE,
    BackendName,
    BackendParams,
    FlatBackend,
    backend_from_state,
    make_backend,
)
from twin.matcher.errors import (
    DuplicateIdentityError,
    GalleryFileError,
    MatcherInputError,
    UnknownIdentityError,
)
from twin.matcher.precision import FLOAT32_KERNEL, PrecisionPath, check_precision
from twin.matcher.store import GalleryFile, read_gallery, write_gallery

Float32Array = npt.NDArray[np.float32]
Int64Array = npt.NDArray[np.int64]

NO_EXPIRY: Final = -1  # stored ordinal for "never expires"


@dataclass(frozen=True)
class SearchResult:
    """Top-k neighbours per probe, best first.

    ``scores`` (n, k) float32: cosine similarity, descending along each row; ``-inf`` where missing.
    ``ids`` (n, k) int64: identity ids; ``-1`` where fewer than k entries exist (or pass a threshold).
    """

    scores: Float32Array
    ids: Int64Array

    def thresholded(self, threshold: float) -> SearchResult:
        """The same result with candidates scoring below ``threshold`` (cosine) set to (-inf, -1)."""
        below = self.scores < threshold
        scores = np.where(below, MISSING_SCORE, self.scores).astype(np.float32, copy=False)
        return SearchResult(scores=scores, ids=np.where(below, np.int64(-1), self.ids))


@dataclass(frozen=True)
class WatchlistEntry:
    """What the gallery knows about one identity besides its embedding."""

    identity_id: int
    provenance: str
    expires: dt.date | None


class Matcher:
    """A watchlist gallery searched by cosine similarity with a FAISS backend.

    ``backend``: ``"flat"`` (exact), ``"ivf"`` or ``"hnsw"`` (approximate; tuned by ``params``).
    ``precision`` (flat only): ``"float32"``, ``"int8"`` (int8 scores, float32 re-scoring of the
    close calls: the same decisions, see `twin.matcher.precision`) or ``"auto"`` (int8 where the
    CPU has int8 dot-product units); `precision_path` says which path was taken.
    """

    def __init__(
        self,
        dim: int = 512,
        *,
        backend: BackendName = "flat",
        params: BackendParams | None = None,
        precision: str = "float32",
    ) -> None:
        check_precision(precision)
        if not isinstance(dim, int) or dim < 1:
            raise MatcherInputError(f"dim must be a positive integer, got {dim!r}")
        if backend not in BACKENDS:
            raise MatcherInputError(
                f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}"
            )
        self._dim = dim
        if backend != "flat" and precision == "int8":
            raise MatcherInputError(
                f"precision int8 needs the flat backend, got {backend!r}: "
                f"choose precision float32 or auto"
            )
        self._params = params or BackendParams()
        self._precision = precision
        self._backend = make_backend(backend, dim, self._params, precision)
        self._entries: dict[int, tuple[str, int]] = {}  # id -> (provenance, expiry ordinal or -1)
        self._lock = threading.RLock()  # serialises mutations and searches on the FAISS index

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return self._dim

    @property
    def backend(self) -> BackendName:
        """The backend's name: ``flat``, ``ivf`` or ``hnsw``."""
        return self._backend.name

    @property
    def params(self) -> BackendParams:
        """Backend tuning in force."""
        return self._params

    @property
    def precision_path(self) -> PrecisionPath:
        """The scoring path in force: requested and used precision, the kernel, and why."""
        if isinstance(self._backend, FlatBackend):
            return self._backend.precision
        return PrecisionPath(
            check_precision(self._precision), "float32", FLOAT32_KERNEL, f"{self.backend} backend"
        )

    @property
    def size(self) -> int:
        """Identities on the watchlist."""
        return len(self._entries)

    def __len__(self) -> int:
        return self.size

    def __contains__(self, identity_id: object) -> bool:
        return isinstance(identity_id, int | np.integer) and int(identity_id) in self._entries

    def ids(self) -> Int64Array:
        """Every identity id on the watchlist, ascending."""
        with self._lock:
            return np.array(sorted(self._entries), dtype=np.int64)

    def entry(self, identity_id: int) -> WatchlistEntry:
        """Provenance and expiry of one identity; `UnknownIdentityError` if absent."""
        with self._lock:
            if identity_id not in self._entries:
                raise UnknownIdentityError([int(identity_id)])
            provenance, ordinal = self._entries[identity_id]
        expires = None if ordinal == NO_EXPIRY else dt.date.fromordinal(ordinal)
        return WatchlistEntry(int(identity_id), provenance, expires)

    def add(
        self,
        ids: Int64Array,
        embeddings: Float32Array,
        *,
        provenance: str = "",
        expires: dt.date | None = None,
    ) -> None:
        """Enrol identities: ``ids`` (n,) int64, ``embeddings`` (n, dim) float32 (normalised here).

        Refuses ids already on the watchlist or repeated in ``ids`` (`DuplicateIdentityError`).
        """
        vectors = inputs.embeddings(embeddings, self._dim, what="gallery embeddings")
        checked = inputs.identity_ids(ids, count=vectors.shape[0])
        if not isinstance(provenance, str):
            raise MatcherInputError(f"provenance must be a string, got {type(provenance).__name__}")
        if expires is not None and not isinstance(expires, dt.date):
            raise MatcherInputError(
                f"expires must be a datetime.date, got {type(expires).__name__}"
            )
        ordinal = NO_EXPIRY if expires is None else expires.toordinal()
        with self._lock:
            clash = [int(i) for i in checked if int(i) in self._entries]
            if clash:
                raise DuplicateIdentityError(
                    f"identity id(s) already on the watchlist: {', '.join(map(str, clash[:10]))}"
                )
            self._backend.add(checked, vectors)
            self._entries.update((int(i), (provenance, ordinal)) for i in checked)

    def remove(self, ids: Int64Array) -> None:
        """Remove identities; `UnknownIdentityError` (nothing removed) if any id is not enrolled."""
        checked = inputs.identity_ids(ids)
        with self._lock:
            missing = [int(i) for i in checked if int(i) not in self._entries]
            if missing:
                raise UnknownIdentityError(missing)
            if checked.size:
                self._backend.remove(checked)
            for i in checked:
                del self._entries[int(i)]

    def expired(self, on: dt.date) -> Int64Array:
        """Ids whose expiry date is before ``on`` (they stay enrolled until removed)."""
        day = on.toordinal()
        with self._lock:
            found = [i for i, (_, o) in self._entries.items() if o != NO_EXPIRY and o < day]
        return np.array(sorted(found), dtype=np.int64)

    def search(self, probes: Float32Array, k: int = 1) -> SearchResult:
        """Top-``k`` identities per probe: ``probes`` (n, dim) float32, normalised here."""
        vectors = inputs.embeddings(probes, self._dim, what="probes")
        k = inputs.neighbours(k)
        with self._lock:
            scores, ids = self._backend.search(vectors, k)
        return SearchResult(scores=scores, ids=ids)

    def search_thresholded(self, probes: Float32Array, k: int, threshold: float) -> SearchResult:
        """As `search`, but candidates scoring below ``threshold`` (cosine) become (-inf, -1)."""
        limit = inputs.threshold(threshold)
        if not isinstance(self._backend, FlatBackend):
            return self.search(probes, k).thresholded(limit)
        vectors = inputs.embeddings(probes, self._dim, what="probes")
        k = inputs.neighbours(k)
        with self._lock:
            scores, ids = self._backend.search(vectors, k, floor=limit)
        return SearchResult(scores=scores, ids=ids).thresholded(limit)

    def save(self, path: Path | str) -> None:
        """Write the gallery to ``path`` atomically, with a SHA-256 checksum (see `store`)."""
        with self._lock:
            ids = np.fromiter(self._entries, dtype=np.int64, count=len(self._entries))
            provenance = np.array([self._entries[int(i)][0] for i in ids], dtype=np.str_)
            expires = np.array([self._entries[int(i)][1] for i in ids], dtype=np.int64)
            arrays = {f"backend_{name}": a for name, a in self._backend.state().items()}
            arrays.update(entry_ids=ids, entry_provenance=provenance, entry_expires=expires)
            header: dict[str, Any] = {
                "kind": "twin.matcher gallery",
                "backend": self.backend,
                "dim": self._dim,
                "size": self.size,
                "params": asdict(self._params),
            }
            write_gallery(Path(path), GalleryFile(header=header, arrays=arrays))

    @classmethod
    def load(cls, path: Path | str, *, precision: str = "float32") -> Matcher:
        """Read a gallery saved by `save`; `GalleryFileError` if missing, damaged or inconsistent."""
        saved = read_gallery(Path(path))
        header, arrays = saved.header, saved.arrays
        try:
            matcher = cls(
                int(header["dim"]),
                backend=header["backend"],
                params=BackendParams(**header["params"]),
                precision=precision,
            )
            state = {
                k.removeprefix("backend_"): v for k, v in arrays.items() if k.startswith("backend_")
            }
            matcher._backend = backend_from_state(
                header["backend"], matcher._dim, matcher._params, state, precision
            )
            ids, provenance, expires = (
                arrays["entry_ids"],
                arrays["entry_provenance"],
                arrays["entry_expires"],
            )
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise GalleryFileError(
                f"gallery contents are inconsistent: {exc}", source=path
            ) from exc
        matcher._entries = {
            int(i): (str(p), int(e)) for i, p, e in zip(ids, provenance, expires, strict=True)
        }
        if len(matcher._entries) != int(header.get("size", -1)):
            raise GalleryFileError("gallery entry count does not match its header", source=path)
        return matcher

    def __repr__(self) -> str:
        return (
            f"Matcher(dim={self._dim}, backend={self.backend!r}, size={self.size}, "
            f"precision={self.precision_path.used!r})"
        )
