"""Search backends: the FAISS indexes that hold the watchlist's vectors and find nearest neighbours.

All three use inner product on unit vectors (= cosine similarity) and work in the caller's identity
ids. Inputs arrive already checked (`twin.matcher.inputs`); the `Matcher` keeps ids unique and known.

- ``flat``: exact. `faiss.IndexFlatIP`; batches go through FAISS's BLAS path (sgemm blocks with a
  top-k reduction). One or two probes go through a matrix-vector product (sgemv) over the same
  gallery memory instead: FAISS's single-query path either scans with one core or packs the gallery
  for sgemm, both well below the memory-bandwidth bound.
  With ``precision`` ``int8`` (or ``auto`` on a CPU with int8 dot-product units) it scores in int8
  first and re-scores the close calls in float32, with the same decisions (`twin.matcher.precision`).
- ``ivf``: approximate. `faiss.IndexIVFFlat` over a flat coarse quantizer, trained on the first vectors
  added (``nlist`` lists, ``nprobe`` of them scanned per probe). Removal is native.
- ``hnsw``: approximate. `faiss.IndexHNSWFlat` graph. FAISS cannot delete graph nodes, so removed
  identities are masked out of searches and the graph is rebuilt once masked nodes pass
  `HNSW_REBUILD_DEAD_FRACTION` of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import numpy as np
import numpy.typing as npt

from twin.matcher.blas import faiss, matrix_vector_product
from twin.matcher.errors import MatcherInputError
from twin.matcher.precision import Int8Gallery, PrecisionPath, exact_top_k, resolve_precision

Float32Array = npt.NDArray[np.float32]
Int64Array = npt.NDArray[np.int64]
BackendName = Literal["flat", "ivf", "hnsw"]
BACKENDS: Final[tuple[BackendName, ...]] = ("flat", "ivf", "hnsw")

GEMV_MAX_PROBES: Final = 2  # batches this small use sgemv per probe instead of FAISS's search
MISSING_SCORE: Final = np.float32(-np.inf)  # score where fewer than k neighbours exist
HNSW_REBUILD_DEAD_FRACTION: Final = 0.25
IVF_MIN_POINTS_PER_LIST: Final = 39  # FAISS warns below this many training points per list


@dataclass(frozen=True)
class BackendParams:
    """Tuning for the approximate backends (ignored by ``flat``)."""

    ivf_nlist: int | None = None  # lists; None: about 4·sqrt(n) of the first add, >= 39 points each
    ivf_nprobe: int = 16  # lists scanned per probe
    hnsw_m: int = 32  # graph neighbours per node
    hnsw_ef_construction: int = 80  # candidate list while building
    hnsw_ef_search: int = 64  # candidate list while searching (>= k is enforced)

    def __post_init__(self) -> None:
        for name in ("ivf_nprobe", "hnsw_m", "hnsw_ef_construction", "hnsw_ef_search"):
            if getattr(self, name) < 1:
                raise MatcherInputError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.ivf_nlist is not None and self.ivf_nlist < 1:
            raise MatcherInputError(f"ivf_nlist must be at least 1, got {self.ivf_nlist}")


class Backend(Protocol):
    """One FAISS index behind the matcher, addressed by identity ids."""

    name: BackendName

    def add(self, ids: Int64Array, vectors: Float32Array) -> None: ...

    def remove(self, ids: Int64Array) -> None: ...

    def search(self, probes: Float32Array, k: int) -> tuple[Float32Array, Int64Array]: ...

    def state(self) -> dict[str, npt.NDArray[Any]]: ...


def _missing_to_sentinel(scores: Float32Array, labels: Int64Array) -> None:
    scores[labels < 0] = MISSING_SCORE


def _flat_view(index: Any, dim: int) -> Float32Array:
    """The vectors inside a `faiss.IndexFlat`, as a numpy view (no copy); valid until the next add."""
    n = int(index.ntotal)
    if n == 0:
        return np.empty((0, dim), dtype=np.float32)
    view: Float32Array = faiss.rev_swig_ptr(index.get_xb(), n * dim).reshape(n, dim)
    return view


def _top_k(scores: Float32Array, k: int) -> tuple[Float32Array, Int64Array]:
    """The k largest of a 1-D score vector, descending (ties: lower row first), padded with (-inf, -1)."""
    n = scores.shape[0]
    out_scores = np.full(k, MISSING_SCORE, dtype=np.float32)
    out_rows = np.full(k, -1, dtype=np.int64)
    if n == 0:
        return out_scores, out_rows
    if k == 1:
        best = int(np.argmax(scores))  # the first of equal maxima
        out_scores[0], out_rows[0] = scores[best], best
        return out_scores, out_rows
    take = min(k, n)
    if take < n:
        kth = scores[np.argpartition(-scores, take - 1)[take - 1]]
        above = np.flatnonzero(scores > kth)
        rows = np.concatenate([above, np.flatnonzero(scores == kth)[: take - above.size]])
    else:
        rows = np.arange(n)
    rows = rows[np.lexsort((rows, -scores[rows]))]
    out_scores[:take], out_rows[:take] = scores[rows], rows
    return out_scores, out_rows


def _ties_by_row(scores: Float32Array, rows: Int64Array) -> tuple[Float32Array, Int64Array]:
    """FAISS's top-k rows reordered so equal scores come lower row first (it keeps the lower rows
    at the k-th place already; its heap leaves equal scores in any order)."""
    if scores.shape[1] < 2:
        return scores, rows
    order = np.lexsort((rows, -scores), axis=-1)
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)


class FlatBackend:
    """Exact inner-product search over every gallery vector."""

    name: BackendName = "flat"

    def __init__(self, dim: int, precision: str = "float32") -> None:
        self._dim = dim
        self._index: Any = faiss.IndexFlatIP(dim)
        self._row_ids = np.empty(0, dtype=np.int64)  # identity id of each stored row, in row order
        self.precision: PrecisionPath = resolve_precision(precision)
        self._int8 = Int8Gallery(dim) if self.precision.used == "int8" else None

    def add(self, ids: Int64Array, vectors: Float32Array) -> None:
        self._index.add(vectors)
        self._row_ids = np.concatenate([self._row_ids, ids])
        if self._int8 is not None:
            self._int8.add(vectors)

    def remove(self, ids: Int64Array) -> None:
        doomed = np.isin(self._row_ids, ids)
        rows = np.flatnonzero(doomed).astype(np.int64)
        self._index.remove_ids(faiss.IDSelectorBatch(rows))  # keeps the other rows in order
        self._row_ids = self._row_ids[~doomed]
        if self._int8 is not None:
            self._int8.keep(~doomed)

    def search(
        self, probes: Float32Array, k: int, floor: float | None = None
    ) -> tuple[Float32Array, Int64Array]:
        """Top-k rows; ``floor`` (cosine) lets the int8 path skip rows that cannot reach it."""
        if self._int8 is not None and self._int8.rows:
            close_calls = self._int8.candidates(probes, k, floor)
            gallery = _flat_view(self._index, self._dim)
            scores, rows = exact_top_k(probes, gallery, close_calls, k, MISSING_SCORE)
        elif probes.shape[0] <= GEMV_MAX_PROBES:
            gallery = _flat_view(self._index, self._dim)
            products = np.empty(gallery.shape[0], dtype=np.float32)
            pairs = []
            for probe in probes:
                matrix_vector_product(gallery, probe, products)
                pairs.append(_top_k(products, k))
            scores = np.stack([s for s, _ in pairs])
            rows = np.stack([r for _, r in pairs])
        else:
            scores, rows = _ties_by_row(*self._index.search(probes, k))
        _missing_to_sentinel(scores, rows)
        return scores, self._ids_of(rows)

    def _ids_of(self, rows: Int64Array) -> Int64Array:
        ids = (
            np.where(rows >= 0, self._row_ids[np.maximum(rows, 0)], -1)
            if self._row_ids.size
            else rows
        )
        return ids.astype(np.int64, copy=False)

    def state(self) -> dict[str, npt.NDArray[Any]]:
        return {"index": faiss.serialize_index(self._index), "row_ids": self._row_ids}

    @classmethod
    def from_state(
        cls, dim: int, state: dict[str, npt.NDArray[Any]], precision: str = "float32"
    ) -> FlatBackend:
        backend = cls(dim, precision)
        backend._index = faiss.deserialize_index(state["index"])
        backend._row_ids = state["row_ids"].astype(np.int64)
        if backend._int8 is not None:
            backend._int8.add(_flat_view(backend._index, dim))
        return backend


class IvfBackend:
    """Approximate search scanning the ``nprobe`` nearest of ``nlist`` inverted lists."""

    name: BackendName = "ivf"

    def __init__(self, dim: int, params: BackendParams) -> None:
        self._dim = dim
        self._params = params
        self._index: Any = None  # built and trained on the first add

    def _build(self, vectors: Float32Array) -> Any:
        n = vectors.shape[0]
        nlist = self._params.ivf_nlist
        if nlist is None:
            nlist = max(1, min(round(4 * math.sqrt(n)), n // IVF_MIN_POINTS_PER_LIST))
        if nlist > n:
            raise MatcherInputError(
                f"ivf backend needs at least ivf_nlist={nlist} vectors in its first add to train, got {n}"
            )
        quantizer = faiss.IndexFlatIP(self._dim)
        index = faiss.IndexIVFFlat(quantizer, self._dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(self._params.ivf_nprobe, nlist)
        return index

    @property
    def nlist(self) -> int | None:
        return None if self._index is None else int(self._index.nlist)

    def add(self, ids: Int64Array, vectors: Float32Array) -> None:
        if self._index is None:
            self._index = self._build(vectors)
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: Int64Array) -> None:
        if self._index is not None:
            self._index.remove_ids(faiss.IDSelectorBatch(ids))

    def search(self, probes: Float32Array, k: int) -> tuple[Float32Array, Int64Array]:
        if self._index is None:
            n = probes.shape[0]
            return np.full((n, k), MISSING_SCORE, np.float32), np.full((n, k), -1, np.int64)
        scores, ids = self._index.search(probes, k)
        _missing_to_sentinel(scores, ids)
        return scores, ids

    def state(self) -> dict[str, npt.NDArray[Any]]:
        if self._index is None:
            return {}
        return {"index": faiss.serialize_index(self._index)}

    @classmethod
    def from_state(
        cls, dim: int, params: BackendParams, state: dict[str, npt.NDArray[Any]]
    ) -> IvfBackend:
        backend = cls(dim, params)
        if "index" in state:
            backend._index = faiss.deserialize_index(state["index"])
        return backend


class HnswBackend:
    """Approximate search walking a navigable small-world graph; removals are masked, then rebuilt."""

    name: BackendName = "hnsw"

    def __init__(self, dim: int, params: BackendParams) -> None:
        self._dim = dim
        self._params = params
        self._index = self._new_index()
        self._node_ids = np.empty(0, dtype=np.int64)  # identity id of each graph node
        self._alive = np.empty(0, dtype=bool)  # False for nodes of removed identities
        self._bitmap = np.empty(0, dtype=np.uint8)  # packed _alive, kept alive for FAISS's selector

    def _new_index(self) -> Any:
        index = faiss.IndexHNSWFlat(self._dim, self._params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self._params.hnsw_ef_construction
        index.hnsw.efSearch = self._params.hnsw_ef_search
        return index

    @property
    def dead_nodes(self) -> int:
        return int(self._alive.size - np.count_nonzero(self._alive))

    def add(self, ids: Int64Array, vectors: Float32Array) -> None:
        self._index.add(vectors)
        self._node_ids = np.concatenate([self._node_ids, ids])
        self._alive = np.concatenate([self._alive, np.ones(ids.size, dtype=bool)])
        self._bitmap = np.packbits(self._alive, bitorder="little")

    def remove(self, ids: Int64Array) -> None:
        self._alive &= ~np.isin(self._node_ids, ids)
        if self.dead_nodes > HNSW_REBUILD_DEAD_FRACTION * self._alive.size:
            self._rebuild()
        self._bitmap = np.packbits(self._alive, bitorder="little")

    def _rebuild(self) -> None:
        storage = faiss.downcast_index(self._index.storage)
        keep = np.flatnonzero(self._alive)
        vectors = np.ascontiguousarray(_flat_view(storage, self._dim)[keep])
        ids = self._node_ids[keep]
        self._index = self._new_index()
        self._node_ids = np.empty(0, dtype=np.int64)
        self._alive = np.empty(0, dtype=bool)
        if ids.size:
            self.add(ids, vectors)

    def search(self, probes: Float32Array, k: int) -> tuple[Float32Array, Int64Array]:
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
        params.efSearch = max(self._params.hnsw_ef_search, k)
        if self.dead_nodes:
            params.sel = faiss.IDSelectorBitmap(self._alive.size, faiss.swig_ptr(self._bitmap))
        scores, nodes = self._index.search(probes, k, params=params)
        _missing_to_sentinel(scores, nodes)
        ids = (
            np.where(nodes >= 0, self._node_ids[np.maximum(nodes, 0)], -1)
            if self._node_ids.size
            else nodes
        )
        return scores, ids.astype(np.int64, copy=False)

    def state(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "index": faiss.serialize_index(self._index),
            "node_ids": self._node_ids,
            "alive": self._alive,
        }

    @classmethod
    def from_state(
        cls, dim: int, params: BackendParams, state: dict[str, npt.NDArray[Any]]
    ) -> HnswBackend:
        backend = cls(dim, params)
        backend._index = faiss.deserialize_index(state["index"])
        backend._index.hnsw.efSearch = params.hnsw_ef_search
        backend._node_ids = state["node_ids"].astype(np.int64)
        backend._alive = state["alive"].astype(bool)
        backend._bitmap = np.packbits(backend._alive, bitorder="little")
        return backend


def make_backend(
    name: str, dim: int, params: BackendParams, precision: str = "float32"
) -> FlatBackend | IvfBackend | HnswBackend:
    """A new, empty backend by name (``precision`` applies to ``flat``)."""
    if name == "flat":
        return FlatBackend(dim, precision)
    if name == "ivf":
        return IvfBackend(dim, params)
    if name == "hnsw":
        return HnswBackend(dim, params)
    raise MatcherInputError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")


def backend_from_state(
    name: str,
    dim: int,
    params: BackendParams,
    state: dict[str, npt.NDArray[Any]],
    precision: str = "float32",
) -> FlatBackend | IvfBackend | HnswBackend:
    """A backend restored from `Backend.state` arrays."""
    if name == "flat":
        return FlatBackend.from_state(dim, state, precision)
    if name == "ivf":
        return IvfBackend.from_state(dim, params, state)
    if name == "hnsw":
        return HnswBackend.from_state(dim, params, state)
    raise MatcherInputError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")
