"""Reduced-precision exact search: int8 coarse scores, then float32 for every close call.

The flat backend can score a batch in int8 with onnxruntime's ``MatMulIntegerToFloat`` (its MLAS
kernels use AVX-512 VNNI, AVX-VNNI or AMX where present, AVX2 ``vpmaddubsw`` otherwise), then
re-score in float32 every gallery row whose coarse score could still, within a proven error bound,
be among the float32 top-k or pass the threshold. The decisions (top-k identities, alert or not) and
the returned scores are those of float32 exact search.

**The bound.** Gallery rows ``g`` and probes ``p`` are unit vectors (float32, d components).

- *Quantisation.* Each probe gets its own step ``s_p = max|p_i| / 127`` and codes
  ``q_p = round(p / s_p)`` in [-127, 127]; each gallery row its own step ``s_g = max|g_i| / 63`` and
  codes in [-63, 63]. With ``p^ = s_p q_p`` and ``g^ = s_g q_g``, the residuals ``dp = p - p^`` and
  ``dg = g - g^`` have components of at most half a step; their norms are measured exactly (float64)
  rather than bounded by ``sqrt(d) s / 2``.
- *Integer accumulation is exact.* The probe goes in as unsigned bytes ``q_p + 128`` (zero point
  128) and the gallery as signed bytes of magnitude <= 63. AVX2's ``vpmaddubsw`` adds two byte
  products into int16: ``2 * 255 * 63 = 32,130 < 32,767``, so it never saturates (this is why the
  gallery gets 7 bits: with 8, AVX2 kernels without VNNI could saturate). The int32 sum is at most
  ``d * 127 * 63`` (4.1 million at d=512), far from 2^31 and below 2^24, so it is also exact when
  converted to float32; only the two scale multiplications round (relative 2u, u = 2^-24).
- *The score's worst case.* ``p.g - p^.g^ = dp.g + p^.dg``, so by Cauchy-Schwarz
  ``|p.g - p^.g^| <= ||dp|| ||g|| + ||p^|| ||dg||`` ``<= ||dp|| + ||p^|| max_j ||dg_j||`` (``||g|| = 1``).
  The float32 score the exact search returns differs from ``p.g`` by at most ``gamma_d sum |p_i g_i|
  <= gamma_d`` (``gamma_d = d u / (1 - d u)``, the classical bound for a d-term dot product; sum
  ``|p_i g_i| <= 1`` by Cauchy-Schwarz). So for every row, ``|coarse - float32 score| <= E`` with
  ``E = ||dp|| + ||p^|| max ||dg|| + gamma_d + 16u`` (the last term covers the two scale products
  and float32 unit vectors whose norms differ from 1 by a few u).

**The candidates.** Let ``L`` be the k-th largest coarse score of a probe. At least k rows have
float32 scores >= ``L - E``, so each row of the float32 top-k has coarse score >= ``L - 2E``; with a
threshold ``t`` a row can only pass if its coarse score is >= ``t - E``. Every row meeting both is
re-scored in float32 and the top-k is taken from those (ties: the lower gallery row first), so
scores and identities are the float32 ones. For random 512-d unit vectors ``E`` is about 0.03 and a
probe re-scores a few dozen rows of 10,000.
"""

from __future__ import annotations

import functools
import itertools
import platform
import warnings
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from twin.matcher.blas import CPUINFO_PATH, cpu_features, usable_cores
from twin.matcher.errors import MatcherInputError

Float32Array = npt.NDArray[np.float32]
Int64Array = npt.NDArray[np.int64]
PrecisionName = Literal["float32", "int8", "auto"]
PRECISIONS: Final[tuple[PrecisionName, ...]] = ("float32", "int8", "auto")

PROBE_LEVELS: Final = 127  # probe codes in [-127, 127], sent as uint8 with zero point 128
GALLERY_LEVELS: Final = (
    63  # gallery codes in [-63, 63]: vpmaddubsw's int16 pair sum cannot saturate
)
ZERO_POINT: Final = 128
UNIT_ROUNDOFF: Final = 2.0**-24  # float32
# The scale products (2u relative on a score of magnitude <= 1) and unit vectors whose float32
# norms differ from 1 by a few u: 16u covers both with room.
SLACK: Final = 16 * UNIT_ROUNDOFF
RESCORE_PROBES: Final = 16  # probes re-scored together against the union of their candidate rows
COARSE_CELLS: Final = 1 << 21  # coarse scores held at once (8 MiB of float32): probes per chunk


def check_precision(name: object) -> PrecisionName:
    """``name`` if it is a known precision, else `MatcherInputError` listing the allowed ones."""
    for known in PRECISIONS:
        if name == known:
            return known
    raise MatcherInputError(f"unknown precision {name!r}: choose one of {', '.join(PRECISIONS)}")


@dataclass(frozen=True)
class PrecisionPath:
    """Which scoring path a matcher took, and why: ``used`` is ``float32`` or ``int8``."""

    requested: PrecisionName
    used: Literal["float32", "int8"]
    kernel: str
    reason: str

    def summary(self) -> str:
        """One line: ``int8 (onnxruntime 1.32.0 MatMulIntegerToFloat, AVX2 ...)``."""
        return f"{self.used} ({self.kernel}; {self.reason})"

    def to_dict(self) -> dict[str, str]:
        return {
            "requested": self.requested,
            "used": self.used,
            "kernel": self.kernel,
            "reason": self.reason,
        }


def _cpuinfo_flags() -> frozenset[str]:
    try:
        text = CPUINFO_PATH.read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def int8_units(machine: str, features: frozenset[str], flags: frozenset[str]) -> str | None:
    """The CPU's int8 dot-product units MLAS uses, best first; None if it has none of them."""
    if machine.lower() in ("x86_64", "amd64"):
        if "amx_int8" in flags:
            return "AMX int8"
        if "AVX512VNNI" in features or "avx512_vnni" in flags:
            return "AVX-512 VNNI"
        if "avx_vnni" in flags:
            return "AVX-VNNI"
        if "AVX2" in features or "avx2" in flags:
            return "AVX2 vpmaddubsw (no VNNI on this CPU)"
        return None
    if machine.lower() in ("aarch64", "arm64") and "ASIMDDP" in features:
        return "NEON sdot/udot"
    return None


# Units whose int8 products outrun float32 FMA by enough to pay for the re-scoring: `auto` takes
# int8 only with these. AVX2's vpmaddubsw needs three instructions per 32 products (against one FMA
# per 8): measured here (AMD EPYC, AVX2 only) no faster than float32 sgemm once the close calls are
# re-scored, so `int8` there is exact but not faster.
FAST_UNITS: Final = frozenset({"AMX int8", "AVX-512 VNNI", "AVX-VNNI", "NEON sdot/udot"})


@functools.cache
def _onnxruntime_version() -> str | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    return str(onnxruntime.__version__)


FLOAT32_KERNEL: Final = "FAISS float32 (sgemm / sgemv)"
_reported: set[tuple[str, str]] = set()


def resolve_precision(requested: object) -> PrecisionPath:
    """The path a requested precision takes on this machine; a fallback is warned about once."""
    name = check_precision(requested)
    if name == "float32":
        return PrecisionPath(name, "float32", FLOAT32_KERNEL, "requested")
    units = int8_units(platform.machine(), cpu_features(), _cpuinfo_flags())
    version = _onnxruntime_version()
    if name == "auto" and units is not None and units not in FAST_UNITS:
        return PrecisionPath(
            name, "float32", FLOAT32_KERNEL, f"auto: only {units}, not faster than float32 here"
        )
    if units is not None and version is not None:
        kernel = f"onnxruntime {version} MatMulIntegerToFloat, {units}"
        why = "requested" if name == "int8" else "auto: the CPU has int8 dot-product units"
        return PrecisionPath(name, "int8", kernel, why + "; float32 re-scores the close calls")
    missing = "onnxruntime is not installed" if version is None else "no int8 dot-product units"
    path = PrecisionPath(name, "float32", FLOAT32_KERNEL, f"{missing}: fell back to float32")
    if name == "int8" and (name, missing) not in _reported:
        _reported.add((name, missing))
        warnings.warn(f"precision int8: {missing}; searching in float32", stacklevel=2)
    return path


def _int8_session(codes_t: npt.NDArray[np.int8], scales: Float32Array) -> Any:
    """An onnxruntime session computing ``(uint8 probes - 128) @ codes_t * scales`` (float32)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    dim, rows = codes_t.shape
    node = helper.make_node(
        "MatMulIntegerToFloat",
        ["probes", "codes", "probe_scale", "row_scales", "zero_point"],
        ["scores"],
        domain="com.microsoft",
    )
    graph = helper.make_graph(
        [node],
        "int8_coarse_scores",
        [helper.make_tensor_value_info("probes", TensorProto.UINT8, [None, dim])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, rows])],
        initializer=[
            numpy_helper.from_array(codes_t, "codes"),
            numpy_helper.from_array(np.array(1.0, dtype=np.float32), "probe_scale"),
            numpy_helper.from_array(scales, "row_scales"),
            numpy_helper.from_array(np.array(ZERO_POINT, dtype=np.uint8), "zero_point"),
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = usable_cores()
    options.inter_op_num_threads = 1
    # No spinning: a spinning pool alternating with FAISS's OpenMP team starves both on few cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def quantise(
    vectors: Float32Array, levels: int
) -> tuple[npt.NDArray[np.int8], Float32Array, npt.NDArray[np.float64]]:
    """Per-row symmetric codes in [-levels, levels], their steps (float32) and residual norms."""
    peak = np.abs(vectors).max(axis=1)
    steps = (np.maximum(peak, np.float32(1e-30)) / np.float32(levels)).astype(np.float32)
    codes = np.clip(np.rint(vectors / steps[:, None]), -levels, levels).astype(np.int8)
    residual = vectors.astype(np.float64) - codes * steps[:, None].astype(np.float64)
    return codes, steps, np.sqrt(np.einsum("ij,ij->i", residual, residual))


class Int8Gallery:
    """The int8 codes of a flat gallery, row for row, and the exact search built on them."""

    def __init__(self, dim: int) -> None:
        self._dim = dim
        self._codes = np.empty((0, dim), dtype=np.int8)
        self._steps = np.empty(0, dtype=np.float32)
        self._residuals = np.empty(0, dtype=np.float64)
        self._session: Any = None  # built on the first search after a change

    @property
    def rows(self) -> int:
        return int(self._steps.size)

    def add(self, vectors: Float32Array) -> None:
        codes, steps, residuals = quantise(vectors, GALLERY_LEVELS)
        self._codes = np.concatenate([self._codes, codes])
        self._steps = np.concatenate([self._steps, steps])
        self._residuals = np.concatenate([self._residuals, residuals])
        self._session = None

    def keep(self, rows: npt.NDArray[np.bool_]) -> None:
        """Drop every row where ``rows`` is False (the FAISS index removes the same, in order)."""
        self._codes = self._codes[rows]
        self._steps = self._steps[rows]
        self._residuals = self._residuals[rows]
        self._session = None

    def error_bounds(
        self, probes: Float32Array
    ) -> tuple[npt.NDArray[np.uint8], Float32Array, npt.NDArray[np.float64]]:
        """Probe bytes, steps and the bound E per probe (cosine; see the module docstring)."""
        codes, steps, residuals = quantise(probes, PROBE_LEVELS)
        coded_norm = np.linalg.norm(codes * steps[:, None].astype(np.float64), axis=1)
        worst_row = float(self._residuals.max()) if self._residuals.size else 0.0
        gamma = self._dim * UNIT_ROUNDOFF / (1 - self._dim * UNIT_ROUNDOFF)
        bound = residuals + coded_norm * worst_row + gamma + SLACK
        return (codes.astype(np.int16) + ZERO_POINT).astype(np.uint8), steps, bound

    def _scaled_products(self, codes: npt.NDArray[np.uint8]) -> Float32Array:
        """``(codes - 128) . gallery codes * gallery step``: the coarse cosine over the probe step."""
        if self._session is None:
            self._session = _int8_session(np.ascontiguousarray(self._codes.T), self._steps)
        out: Float32Array = self._session.run(None, {"probes": codes})[0]
        return out

    def coarse_scores(self, probes: Float32Array) -> tuple[Float32Array, npt.NDArray[np.float64]]:
        """The int8 estimate of every (probe, row) cosine, and each probe's error bound E."""
        codes, steps, bound = self.error_bounds(probes)
        return self._scaled_products(codes) * steps[:, None], bound

    def candidates(
        self, probes: Float32Array, k: int, floor: float | None
    ) -> tuple[Int64Array, Int64Array]:
        """(probe, row) pairs that must be re-scored in float32 for an exact top-k (and floor)."""
        n, rows = probes.shape[0], self.rows
        chunk = max(1, min(n, COARSE_CELLS // max(rows, 1)))
        found_probes: list[Int64Array] = []
        found_rows: list[Int64Array] = []
        for begin in range(0, n, chunk):
            part = probes[begin : begin + chunk]
            codes, steps, bound = self.error_bounds(part)
            coarse = self._scaled_products(codes)  # cosine / probe step
            if k >= rows:
                kth = np.full(part.shape[0], -np.inf)
            elif k == 1:
                kth = coarse.max(axis=1)
            else:
                kth = np.partition(coarse, rows - k, axis=1)[:, rows - k]
            cut = kth.astype(np.float64) - 2 * bound / steps
            if floor is not None:
                cut = np.maximum(cut, (floor - bound) / steps)
            # Rounded down, so the float32 comparison never drops a row the float64 cut keeps.
            cut32 = np.nextafter(cut.astype(np.float32), np.float32(-np.inf))
            which, row = np.nonzero(coarse >= cut32[:, None])
            found_probes.append(which.astype(np.int64) + begin)
            found_rows.append(row.astype(np.int64))
        return np.concatenate(found_probes), np.concatenate(found_rows)


def exact_top_k(
    probes: Float32Array,
    gallery: Float32Array,
    pairs: tuple[Int64Array, Int64Array],
    k: int,
    missing: np.float32,
) -> tuple[Float32Array, Int64Array]:
    """Float32 scores of the candidate pairs, and each probe's top-k rows (ties: lower row first).

    ``pairs`` come grouped by probe, as `Int8Gallery.candidates` returns them. Each group of
    `RESCORE_PROBES` probes is scored against the union of its candidate rows in one matrix
    product (numpy's BLAS, held to one thread by `configure_threads`), then the pairs are read off.
    """
    which, rows = pairs
    n = probes.shape[0]
    scores = np.empty(which.size, dtype=np.float32)
    bounds = np.searchsorted(which, np.arange(0, n + RESCORE_PROBES, RESCORE_PROBES))
    for group, (start, stop) in enumerate(itertools.pairwise(bounds)):
        if start == stop:
            continue
        union, where = np.unique(rows[start:stop], return_inverse=True)
        first = group * RESCORE_PROBES
        block = probes[first : first + RESCORE_PROBES] @ gallery[union].T
        scores[start:stop] = block[which[start:stop] - first, where]
    order = np.lexsort((rows, -scores, which))
    which, rows, scores = which[order], rows[order], scores[order]
    rank = np.arange(which.size) - np.searchsorted(which, which)
    keep = rank < k
    out_scores = np.full((n, k), missing, dtype=np.float32)
    out_rows = np.full((n, k), -1, dtype=np.int64)
    out_scores[which[keep], rank[keep]] = scores[keep]
    out_rows[which[keep], rank[keep]] = rows[keep]
    return out_scores, out_rows
