"""Service times: how long the real matcher takes per micro-batch on this machine.

The simulation gives each simulated micro-batch a service time drawn from these measurements, so
simulated latency is the latency of this matcher on this hardware. Probes are random unit vectors;
for the exact backend search time depends on batch size and gallery size only, not on content.
Between measured batch sizes a draw interpolates linearly, at the same quantile of both neighbours;
beyond the largest measured size it scales in proportion to batch size (compute-bound regime).
`ServiceTimeDraws` gives a pipeline's batches the draws of one `ServiceTimeTable.sample_s` call per
batch, with the uniforms drawn in blocks.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence, Sized
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from twin.matcher.errors import MatcherInputError

DEFAULT_BATCH_SIZES: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
#: Most uniforms `ServiceTimeDraws` draws at once.
MAX_BLOCK: Final = 4096

# How a batch size's service time is read off the table: from the samples of one measured size
# (scaled by a ratio of batch sizes beyond the largest), or interpolated between two neighbours.
_ONE: Final = 0
_SCALED: Final = 1
_BETWEEN: Final = 2
_Plan = tuple[int, tuple[float, ...], tuple[float, ...], float, int, int]


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
    _plans: dict[int, _Plan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )  # per batch size, how `_at_quantile` reads it

    def __post_init__(self) -> None:
        if not self.batch_sizes or len(self.batch_sizes) != len(self.samples_s):
            raise MatcherInputError("a service-time table needs one sample list per batch size")
        if list(self.batch_sizes) != sorted(set(self.batch_sizes)) or self.batch_sizes[0] < 1:
            raise MatcherInputError("service-time batch sizes must be distinct, ascending and >= 1")
        if any(not s for s in self.samples_s):
            raise MatcherInputError("every batch size needs at least one measured time")
        object.__setattr__(self, "samples_s", tuple(tuple(sorted(s)) for s in self.samples_s))

    def _plan(self, batch_size: int) -> _Plan:
        """How ``batch_size``'s service time is read off the table, kept for the next read: (kind,
        samples, upper neighbour's samples, weight of the upper neighbour, batch size, largest
        measured size)."""
        if batch_size < 1:
            raise MatcherInputError(f"batch size must be at least 1, got {batch_size}")
        sizes, samples = self.batch_sizes, self.samples_s
        hi = bisect.bisect_left(sizes, batch_size)
        plan: _Plan
        if batch_size >= sizes[-1]:
            plan = (_SCALED, samples[-1], (), 0.0, batch_size, sizes[-1])
        elif batch_size <= sizes[0] or sizes[hi] == batch_size:
            plan = (_ONE, samples[hi], (), 0.0, batch_size, sizes[-1])
        else:
            weight = (batch_size - sizes[hi - 1]) / (sizes[hi] - sizes[hi - 1])
            plan = (_BETWEEN, samples[hi - 1], samples[hi], weight, batch_size, sizes[-1])
        self._plans[batch_size] = plan
        return plan

    def _at_quantile(self, batch_size: int, quantile: float) -> float:
        plan = self._plans.get(batch_size)
        if plan is None:
            plan = self._plan(batch_size)
        kind, low, high, weight, size, largest = plan
        # the measured sample at ``quantile`` (0 <= q < 1) of each ascending sample it reads
        low_s = low[min(int(quantile * len(low)), len(low) - 1)]
        if kind == _ONE:
            return low_s
        if kind == _SCALED:
            return low_s * size / largest
        high_s = high[min(int(quantile * len(high)), len(high) - 1)]
        return low_s + weight * (high_s - low_s)

    def sample_s(self, batch_size: int, rng: np.random.Generator) -> float:
        """A service time (s) for one batch of ``batch_size`` probes, drawn from the measurements."""
        return self._at_quantile(batch_size, float(rng.random()))

    def draws(self, rng: np.random.Generator, *, searches: int, max_batch: int) -> ServiceTimeDraws:
        """Service times for the batches of a pipeline of ``searches`` searches in batches of at
        most ``max_batch``: `sample_s` per batch, with the uniforms drawn in blocks."""
        return ServiceTimeDraws(self, rng, searches=searches, max_batch=max_batch)

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


class ServiceTimeDraws:
    """Service times (s) for a pipeline's batches, drawn from ``table`` with ``rng``: the same times,
    in the same order, as one ``table.sample_s(len(batch), rng)`` call per batch.

    ``Generator.random(k)`` gives the numbers of ``k`` calls of ``Generator.random()`` and leaves the
    generator in the same state, so the uniforms are drawn in blocks. A block holds no more draws
    than batches are certain to come: the pipeline serves ``searches`` searches, each in one batch
    of at most ``max_batch``, so ``rng`` is never drawn beyond what per-batch calls draw.
    """

    def __init__(
        self,
        table: ServiceTimeTable,
        rng: np.random.Generator,
        *,
        searches: int,
        max_batch: int,
    ) -> None:
        if max_batch < 1:
            raise MatcherInputError(f"max_batch must be at least 1, got {max_batch}")
        self._table = table
        self._rng = rng
        self._unserved = searches  # searches not yet in a batch given a time
        self._max_batch = max_batch
        self._uniforms: list[float] = []  # drawn, not yet used; the next one last

    def __call__(self, batch: Sized) -> float:
        """The service time (s) of the next batch (``batch``: its searches; only its size counts)."""
        size = len(batch)
        if not self._uniforms:
            self._draw_block()
        quantile = self._uniforms.pop()
        self._unserved -= size
        return self._table._at_quantile(size, quantile)

    def _draw_block(self) -> None:
        """Draw as many uniforms as batches are certain to come (this one included)."""
        certain = -(-self._unserved // self._max_batch)
        block = self._rng.random(min(max(certain, 1), MAX_BLOCK)).tolist()
        block.reverse()
        self._uniforms = block


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
