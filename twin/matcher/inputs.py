"""The matcher's border: embeddings and identity ids checked once, then trusted.

Embeddings must be a 2-D float32 array of shape (n, dim) with finite values. They need not be unit
length: every embedding (gallery and probe) is **normalised** to unit length here, so scores are
cosine similarities in [-1, 1]. A zero (or vanishingly short) vector has no direction and is refused.
Arrays already unit length (within `UNIT_NORM_TOLERANCE`) and C-contiguous are used without a copy.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from twin.matcher.errors import DuplicateIdentityError, MatcherInputError

__all__ = [
    "MAX_K",
    "MatcherInputError",
    "embeddings",
    "identity_ids",
    "neighbours",
    "threshold",
]

Float32Array = npt.NDArray[np.float32]
Int64Array = npt.NDArray[np.int64]

UNIT_NORM_TOLERANCE: Final = 1e-4  # |norm - 1| below which an embedding counts as unit length
MIN_NORM: Final = 1e-12  # norms at or below this are refused as zero vectors
MAX_K: Final = 1024  # most neighbours one search may ask for


def embeddings(values: object, dim: int, *, what: str = "embeddings") -> Float32Array:
    """Check ``values`` as ``(n, dim)`` float32 embeddings, n >= 1, and return them unit length."""
    if not isinstance(values, np.ndarray):
        raise MatcherInputError(
            f"{what} must be a numpy array of float32, got {type(values).__name__}"
        )
    if values.dtype != np.float32:
        raise MatcherInputError(f"{what} must be float32, got {values.dtype}")
    if values.ndim != 2:
        raise MatcherInputError(f"{what} must be 2-D (n, {dim}), got shape {values.shape}")
    if values.shape[1] != dim:
        raise MatcherInputError(
            f"{what} have dimension {values.shape[1]}, the matcher's dimension is {dim}"
        )
    if values.shape[0] == 0:
        raise MatcherInputError(f"{what} are empty: at least one row of {dim} values is needed")
    array = np.ascontiguousarray(values)
    norms = np.sqrt(np.einsum("ij,ij->i", array, array))
    if not np.isfinite(norms).all():
        bad = np.flatnonzero(~np.isfinite(array).all(axis=1))
        if bad.size:
            raise MatcherInputError(
                f"{what} contain NaN or infinity in {bad.size} row(s), first at row {int(bad[0])}"
            )
        big = int(np.flatnonzero(~np.isfinite(norms))[0])
        raise MatcherInputError(f"{what} row {big} is too large to normalise in float32")
    short = np.flatnonzero(norms <= MIN_NORM)
    if short.size:
        raise MatcherInputError(
            f"{what} row {int(short[0])} is a zero vector: it has no direction to compare"
        )
    if np.abs(norms - 1.0).max() <= UNIT_NORM_TOLERANCE:
        return array
    normalised: Float32Array = (array / norms[:, None]).astype(np.float32, copy=False)
    return normalised


def identity_ids(values: object, *, count: int | None = None) -> Int64Array:
    """Check ``values`` as a 1-D array of distinct non-negative int64 identity ids."""
    if not isinstance(values, np.ndarray):
        raise MatcherInputError(f"ids must be a numpy array of int64, got {type(values).__name__}")
    if values.ndim != 1:
        raise MatcherInputError(f"ids must be 1-D, got shape {values.shape}")
    if not np.issubdtype(values.dtype, np.integer):
        raise MatcherInputError(f"ids must be integers (int64), got {values.dtype}")
    ids = values.astype(np.int64, copy=False)
    if count is not None and ids.shape[0] != count:
        raise MatcherInputError(f"got {ids.shape[0]} ids for {count} embeddings: one id per row")
    if ids.size and int(ids.min()) < 0:
        raise MatcherInputError("ids must be non-negative (-1 marks 'no match' in results)")
    unique, counts = np.unique(ids, return_counts=True)
    if unique.size != ids.size:
        raise DuplicateIdentityError(f"ids repeat within one call: {int(unique[counts > 1][0])}")
    return ids


def neighbours(k: object) -> int:
    """Check ``k``, the number of neighbours per probe: an int in [1, MAX_K]."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise MatcherInputError(f"k must be an integer, got {type(k).__name__}")
    if not 1 <= int(k) <= MAX_K:
        raise MatcherInputError(f"k must be between 1 and {MAX_K}, got {k}")
    return int(k)


def threshold(value: object) -> float:
    """Check a cosine threshold: a finite number in [-1, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise MatcherInputError(f"threshold must be a number, got {type(value).__name__}")
    result = float(value)
    if not -1.0 <= result <= 1.0:
        raise MatcherInputError(f"threshold must be a cosine between -1 and 1, got {value}")
    return result
