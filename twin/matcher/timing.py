"""Service times: how long the real matcher takes per micro-batch on this machine.

The simulation gives each simulated micro-batch a service time drawn from these measurements, so
simulated latency is the latency of this matcher on this hardware. Probes are random unit vectors;
for the exact backend search time depends on batch size and gallery size only, not on content.
Between measured batch sizes a draw interpolates linearly, at the same quantile of both neighbours;
beyond the largest measured size it scales in proportion to batch size (compute-bound regime).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from twin.matcher.errors import MatcherInputError

DEFAULT_BATCH_SIZES: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Searchable(Protocol):
    """Anything with the matcher's dimension and search call."""

    @property
    def dim(self) -> int: ...

    def search(self, probes: npt.NDArray[np.float32], k: int = 1) -> Any: ...


@dataclass(frozen=True)
class ServiceTimeTable:
    """Measured wall times (s) of ``matcher.search`` per batch size, ascending batch sizes."""

    batch_sizes: tuple[int, ...]
    samples_s: tuple[tuple[float, ...], ...]  # per batch size, sorted ascending
    metadata: dict[str, Any] = field(default_factory=dict)  # e.g. backend, gallery_size, k

    def __post_init__(self) -> None:
        if not self.batch_sizes or len(self.batch_sizes) != len(self.samples_s):
            raise MatcherInputError("a service-time table needs one sample list per batch size")
        if list(self.batch_sizes) != sorted(set(self.batch_sizes)) or self.batch_sizes[0] < 1:
            raise MatcherInputError("service-time batch sizes must be distinct, ascending and >= 1")
        if any(not s for s in self.samples_s):
            raise MatcherInputError("every batch size needs at least one measured time")
        object.__setattr__(self, "samples_s", tuple(tuple(sorted(s)) for s in self.samples_s))

    def _at_quantile(self, batch_size: int, quantile: float) -> float:
        if batch_size < 1:
            raise MatcherInputError(f"batch size must be at least 1, got {batch_size}")
        sizes = self.batch_sizes
        if batch_size >= sizes[-1]:
            return _inverted_cdf(self.samples_s[-1], quantile) * batch_size / sizes[-1]
        if batch_size <= sizes[0]:
            return _inverted_cdf(self.samples_s[0], quantile)
        hi = bisect.bisect_left(sizes, batch_size)
        if sizes[hi] == batch_size:
            return _inverted_cdf(self.samples_s[hi], quantile)
        lo = hi - 1
        weight = (batch_size - sizes[lo]) / (sizes[hi] - sizes[lo])
        low_s = _inverted_cdf(self.samples_s[lo], quantile)
        high_s = _inverted_cdf(self.samples_s[hi], quantile)
        return low_s + weight * (high_s - low_s)

    def sample_s(self, batch_size: int, rng: np.random.Generator) -> float:
        """A service time (s) for one batch of ``batch_size`` probes, drawn from the measurements."""
        return self._at_quantile(batch_size, float(rng.random()))

    def median_s(self, batch_size: int) -> float:
        """The median service time (s) at ``batch_size``, interpolated like `sample_s`."""
        return self._at_quantile(batch_size, 0.5)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "batch_sizes": list(self.batch_sizes),
            "samples_s": [list(s) for s in self.samples_s],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServiceTimeTable:
        """Inverse of `to_dict`."""
        try:
            return cls(
                batch_sizes=tuple(int(b) for b in data["batch_sizes"]),
                samples_s=tuple(tuple(float(t) for t in s) for s in data["samples_s"]),
                metadata=dict(data.get("metadata", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MatcherInputError(f"not a service-time table: {exc}") from exc


def _inverted_cdf(sorted_samples: tuple[float, ...], quantile: float) -> float:
    """The measured sample at ``quantile`` (0 <= q < 1) of an ascending sample."""
    index = min(int(quantile * len(sorted_samples)), len(sorted_samples) - 1)
    return sorted_samples[index]


def measure_service_times(
    matcher: Searchable,
    batch_sizes: Sequence[int] = DEFAULT_BATCH_SIZES,
    *,
    repeats: int,
    rng: np.random.Generator,
    k: int = 1,
) -> ServiceTimeTable:
    """Time ``repeats`` real ``matcher.search`` calls (after one warm-up) at each batch size.

    Probes are random unit vectors drawn from ``rng``. Rounds interleave the batch sizes so that a
    burst of machine noise spreads over all sizes instead of landing on one.
    """
    sizes = sorted({int(b) for b in batch_sizes})
    if not sizes or sizes[0] < 1:
        raise MatcherInputError(f"batch sizes must be positive integers, got {list(batch_sizes)}")
    if repeats < 1:
        raise MatcherInputError(f"repeats must be at least 1, got {repeats}")
    probes = rng.standard_normal((sizes[-1], matcher.dim), dtype=np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    for size in sizes:
        matcher.search(probes[:size], k)
    samples: list[list[float]] = [[] for _ in sizes]
    for _ in range(repeats):
        for column, size in enumerate(sizes):
            batch = probes[:size]
            began = time.perf_counter()
            matcher.search(batch, k)
            samples[column].append(time.perf_counter() - began)
    metadata: dict[str, Any] = {"k": k, "repeats": repeats}
    for name in ("backend", "size"):
        value = getattr(matcher, name, None)
        if isinstance(value, str | int):
            metadata["gallery_size" if name == "size" else name] = value
    return ServiceTimeTable(
        batch_sizes=tuple(sizes),
        samples_s=tuple(tuple(s) for s in samples),
        metadata=metadata,
    )
