"""Dynamic micro-batching: many callers' probes merged into few search calls by one worker thread.

Callers (the service's request handlers, on an asyncio loop) submit jobs; one worker thread takes
everything waiting, up to ``max_batch_probes``, and searches it in one call. A lone job on an idle
worker goes at once; under load, jobs queue while the worker is busy and the next batch takes them
all, so batches grow with load on their own. ``max_wait_s`` optionally holds a batch that already
merges several jobs (so: under load) up to that long after the worker became free, to fill it:
bigger batches cost less arithmetic per probe. The queue is bounded (``max_queue_probes``): a job
that would overflow it is refused at once with `QueueFullError`, never dropped silently. Watchlist
changes go through the same queue, so they land between two searches, atomically, and only one
thread ever computes (no oversubscription).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from twin.matcher import inputs
from twin.matcher.blas import configure_threads
from twin.matcher.core import Matcher, SearchResult
from twin.matcher.errors import MatcherInputError

Float32Array = npt.NDArray[np.float32]
_STOP: Final = object()  # sentinel: the worker finishes what is queued before it, then exits


class QueueFullError(Exception):
    """The worker's queue cannot take this job now; retry after ``retry_after_s`` seconds."""

    def __init__(self, queued_probes: int, retry_after_s: float) -> None:
        self.queued_probes = queued_probes
        self.retry_after_s = retry_after_s
        super().__init__(f"search queue full ({queued_probes} probes waiting)")


class WorkerStoppedError(Exception):
    """The worker is shutting down and takes no new jobs."""


@dataclass
class _SearchJob:
    probes: Float32Array  # (n, dim) float32; values are checked on the worker, batch-wise
    k: int
    threshold: float | None
    future: asyncio.Future[SearchResult]
    loop: asyncio.AbstractEventLoop
    enqueued_s: float = field(default_factory=time.perf_counter)

    @property
    def n(self) -> int:
        return int(self.probes.shape[0])


@dataclass
class _Mutation:
    apply: Callable[[], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


@dataclass(frozen=True)
class BatchStats:
    """One search call made by the worker."""

    jobs: int
    probes: int
    search_s: float
    oldest_wait_s: float


def _settle(pairs: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, value, error in pairs:
        if future.done():  # the caller gave up (e.g. client disconnected)
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


class SearchWorker:
    """One thread that runs every search and watchlist change against one matcher."""

    def __init__(
        self,
        matcher: Matcher,
        *,
        max_batch_probes: int = 1024,
        max_wait_s: float = 0.0,
        max_queue_probes: int = 8192,
        threads: int | None = None,
        on_batch: Callable[[BatchStats], None] | None = None,
    ) -> None:
        if max_batch_probes < 1 or max_queue_probes < max_batch_probes or max_wait_s < 0:
            raise ValueError("need max_batch_probes >= 1, max_queue_probes >= it, max_wait_s >= 0")
        self.matcher = matcher
        self.max_batch_probes = max_batch_probes
        self.max_wait_s = max_wait_s
        self.max_queue_probes = max_queue_probes
        self._threads = threads
        self._on_batch = on_batch
        self._items: deque[_SearchJob | _Mutation | object] = deque()
        self._ready = threading.Condition()  # guards _items, _queued_probes, _accepting, _filling
        self._queued_probes = 0
        self._accepting = False
        self._filling = False  # the worker holds a merged batch open, waiting for more jobs
        self._thread: threading.Thread | None = None
        self._recent_search_s_per_probe = 1e-4  # smoothed, for Retry-After estimates

    @property
    def queued_probes(self) -> int:
        """Probes waiting for the worker (not counting the batch it is searching)."""
        return self._queued_probes

    @property
    def accepting(self) -> bool:
        """Whether new jobs are taken (False before start and while draining)."""
        return self._accepting

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is not None:
            return
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="matcher-search-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Refuse new jobs, finish every queued one, then end the thread."""
        with self._ready:
            self._accepting = False
            self._items.append(_STOP)
            self._ready.notify()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    async def search(self, probes: Float32Array, k: int, threshold: float | None) -> SearchResult:
        """Queue ``probes`` ((n, dim) float32) and wait for their result.

        Values (NaN, infinity, zero vectors) are checked on the worker, once per merged batch;
        a job at fault gets `MatcherInputError` and the others in its batch are unaffected.
        """
        loop = asyncio.get_running_loop()
        job = _SearchJob(probes, k, threshold, loop.create_future(), loop)
        with self._ready:
            if not self._accepting:
                raise WorkerStoppedError("the matcher is shutting down")
            if self._queued_probes + job.n > self.max_queue_probes:
                retry_s = max(0.05, self._queued_probes * self._recent_search_s_per_probe)
                raise QueueFullError(self._queued_probes, retry_s)
            self._queued_probes += job.n
            self._items.append(job)
            # While the worker holds a batch open to fill it, wake it only once the batch is full:
            # one wake-up per arriving request would cost more than the waiting saves.
            if not self._filling or self._queued_probes >= self.max_batch_probes:
                self._ready.notify()
        return await job.future

    async def mutate(self, apply: Callable[[], Any]) -> Any:
        """Run ``apply`` (a watchlist change) on the worker, between two searches."""
        loop = asyncio.get_running_loop()
        mutation = _Mutation(apply, loop.create_future(), loop)
        with self._ready:
            if not self._accepting:
                raise WorkerStoppedError("the matcher is shutting down")
            self._items.append(mutation)
            self._ready.notify()
        return await mutation.future

    def _next_batch(self) -> list[_SearchJob] | _Mutation | None:
        """Block for work; return a batch of search jobs, a mutation, or None to stop."""
        with self._ready:
            while not self._items:
                self._ready.wait()
            first = self._items.popleft()
            if first is _STOP:
                return None
            if isinstance(first, _Mutation):
                return first
            assert isinstance(first, _SearchJob)
            batch, probes = [first], first.n
            deadline_s = time.perf_counter() + self.max_wait_s  # from the worker being free
            while probes < self.max_batch_probes:
                if not self._items:
                    remaining_s = deadline_s - time.perf_counter()
                    if len(batch) < 2 or remaining_s <= 0:
                        break  # a lone job goes at once; a merged batch waits at most max_wait_s
                    self._filling = True
                    self._ready.wait(remaining_s)
                    self._filling = False
                    continue
                head = self._items[0]
                if not isinstance(head, _SearchJob) or probes + head.n > self.max_batch_probes:
                    break
                self._items.popleft()
                batch.append(head)
                probes += head.n
            self._queued_probes -= probes
            return batch

    def _run(self) -> None:
        configure_threads(self._threads)
        while True:
            work = self._next_batch()
            if work is None:
                return
            if isinstance(work, _Mutation):
                self._apply(work)
            else:
                self._search(work)

    def _apply(self, mutation: _Mutation) -> None:
        try:
            outcome: tuple[Any, BaseException | None] = (mutation.apply(), None)
        except Exception as exc:  # handed to the waiting caller, who turns it into a response
            outcome = (None, exc)
        mutation.loop.call_soon_threadsafe(_settle, [(mutation.future, *outcome)])

    def _search(self, batch: list[_SearchJob]) -> None:
        began_s = time.perf_counter()
        batch, probes = self._checked(batch)
        if not batch:
            return
        k = max(job.k for job in batch)
        try:
            result: SearchResult | None = self.matcher.search(probes, k)
            error: BaseException | None = None
        except Exception as exc:  # every waiting caller gets the failure, the worker goes on
            result, error = None, exc
        search_s = time.perf_counter() - began_s
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        row = 0
        for job in batch:
            value = None
            if result is not None:
                value = _slice(result, row, job.n, job.k, job.threshold)
            by_loop.setdefault(job.loop, []).append((job.future, value, error))
            row += job.n
        for loop, pairs in by_loop.items():
            loop.call_soon_threadsafe(_settle, pairs)
        self._recent_search_s_per_probe = 0.9 * self._recent_search_s_per_probe + 0.1 * (
            search_s / row
        )
        if self._on_batch is not None:
            self._on_batch(BatchStats(len(batch), row, search_s, began_s - batch[0].enqueued_s))

    def _checked(self, batch: list[_SearchJob]) -> tuple[list[_SearchJob], Float32Array]:
        """The batch's jobs whose values pass, and their merged probes (unit length).

        One pass over the merged batch; only when it refuses are jobs checked one by one, and
        the jobs at fault get their refusal.
        """
        dim = self.matcher.dim
        try:
            return batch, inputs.embeddings(_merged(batch), dim, what="probes")
        except MatcherInputError:
            pass
        good: list[_SearchJob] = []
        for job in batch:
            try:
                inputs.embeddings(job.probes, dim, what="probes")
                good.append(job)
            except MatcherInputError as exc:
                refusal: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = [
                    (job.future, None, exc)
                ]
                job.loop.call_soon_threadsafe(_settle, refusal)
        if not good:
            return good, np.empty((0, dim), dtype=np.float32)
        return good, inputs.embeddings(_merged(good), dim, what="probes")


def _merged(jobs: list[_SearchJob]) -> Float32Array:
    return jobs[0].probes if len(jobs) == 1 else np.concatenate([j.probes for j in jobs])


def _slice(result: SearchResult, row: int, n: int, k: int, threshold: float | None) -> SearchResult:
    part = SearchResult(scores=result.scores[row : row + n, :k], ids=result.ids[row : row + n, :k])
    return part if threshold is None else part.thresholded(threshold)
