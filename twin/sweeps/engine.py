"""Sweeps on Dask: every run of a sweep plan sent to a Dask cluster, and stored as it finishes.

A sweep (twin/sweeps/plan.py) is a grid of what-ifs times R replications, each a real twin run. By
default the runs go to a `LocalCluster` of worker processes on this machine (nothing to start);
``--scheduler tcp://host:8786`` sends the same runs to an existing Dask cluster whose workers share
this file system. Each worker process runs one point at a time (one Dask thread) and gives the
matcher's BLAS/OpenMP ``cores // Dask threads on its host`` threads, so workers x threads never
exceed the cores.

Each run publishes its own results directory atomically (twin/results/directory.py) under
``DIR/points/<point>/rep-<r>/``; the sweep's index (``sweep.parquet``, ``summary.json``:
twin/sweeps/tables.py) is rewritten as runs finish, at the end, and on interrupt. Re-running the same
command skips every run whose results are complete, so a killed sweep loses at most the runs that
were in flight. A run that fails is recorded with its error and the sweep goes on.
"""

# distributed's client API (Client, LocalCluster, as_completed, Future methods) is only partly annotated.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

from distributed import Client, Future, LocalCluster, as_completed, get_worker
from distributed.comm.addressing import get_address_host

from twin.errors import TwinInputError
from twin.matcher.blas import usable_cores
from twin.sweeps.plan import PointRun, SweepPlan, finished_manifest
from twin.sweeps.tables import COMPLETE, FAILED, RunRecord, RunStatus, write_index

#: How long to wait for an existing scheduler to answer, s.
CONNECT_TIMEOUT_S: Final = 5.0
#: How long to wait for an existing scheduler to have at least one worker, s.
WORKER_WAIT_S: Final = 10.0
# A scheduler address: tcp:// or tls://, a host name or IP (IPv6 in brackets), a port.
_ADDRESS: Final = re.compile(r"(?:(?:tcp|tls)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}")
#: Shortest interval between two rewrites of the sweep's index while runs finish, s.
INDEX_INTERVAL_S: Final = 1.0
T = TypeVar("T")
R = TypeVar("R")


class SweepProgress(Protocol):
    """What a sweep reports: how many runs there are (and were already done), and each one ending."""

    def begin(self, *, total: int, reused: int) -> None: ...

    def finished(self, record: RunRecord) -> None: ...


class _Silent:
    def begin(self, *, total: int, reused: int) -> None:
        pass

    def finished(self, record: RunRecord) -> None:
        pass


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep did: every run's record, the summary written, and how long it took (s)."""

    plan: SweepPlan
    records: tuple[RunRecord, ...]
    summary: dict[str, Any]
    ran: int
    reused: int
    wall_seconds: float

    @property
    def failed(self) -> tuple[RunRecord, ...]:
        """The runs that failed."""
        return tuple(r for r in self.records if r.status == FAILED)


def _scheduler_address(scheduler: str) -> str:
    """The scheduler's address: as given (checked for its form), or read from the scheduler file at
    that path."""
    if not Path(scheduler).is_file():
        if not _ADDRESS.fullmatch(scheduler):
            raise TwinInputError(
                f"--scheduler {scheduler}: expected an address such as tcp://10.0.0.5:8786, "
                "or a scheduler file"
            )
        return scheduler
    try:
        address = json.loads(Path(scheduler).read_text(encoding="utf-8"))["address"]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise TwinInputError(
            f"--scheduler {scheduler}: not a Dask scheduler file (no address in it)"
        ) from exc
    return str(address)


def _connect(scheduler: str) -> Client:
    """A client of the scheduler at ``scheduler`` (an address, or a scheduler file), refused in one
    line if it does not answer or has no workers."""
    address = _scheduler_address(scheduler)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise TwinInputError(
            f"--scheduler {scheduler}: no Dask scheduler answered within {CONNECT_TIMEOUT_S:g} s "
            "(start one with `dask scheduler`, see docs/sweeps.md)"
        ) from exc
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError as exc:
        client.close()
        raise TwinInputError(
            f"--scheduler {scheduler}: the scheduler has no workers after {WORKER_WAIT_S:g} s "
            f"(start one with `dask worker {address} --nthreads 1`)"
        ) from exc
    return client


def check_engine(
    *, workers: int | None, scheduler: str | None, matcher_threads: int | None = None
) -> None:
    """Refuse a worker or thread count below one, or a worker count for an existing cluster."""
    if matcher_threads is not None and matcher_threads < 1:
        raise TwinInputError(f"--matcher-threads: must be at least 1, got {matcher_threads}")
    if workers is not None and scheduler is not None:
        raise TwinInputError(
            "--workers and --scheduler: give one (an existing cluster has its own)"
        )
    if workers is not None and workers < 1:
        raise TwinInputError(f"--workers: must be at least 1, got {workers}")


@contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A Dask client: of an existing scheduler, or of a LocalCluster of ``workers`` processes
    (default: one per usable core) that is closed, workers and all, on the way out."""
    if workers is not None and scheduler is not None:
        raise TwinInputError(
            "--workers and --scheduler: give one (an existing cluster has its own)"
        )
    if workers is not None and workers < 1:
        raise TwinInputError(f"--workers: must be at least 1, got {workers}")
    if scheduler is not None:
        client = _connect(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    with (
        LocalCluster(
            n_workers=workers or usable_cores(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.CRITICAL,  # failed runs are reported by the sweep itself
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def dask_threads_by_host(client: Client) -> dict[str, int]:
    """Dask threads per host across the cluster's workers (each runs one point at a time)."""
    threads: dict[str, int] = {}
    for info in client.scheduler_info(n_workers=-1)["workers"].values():
        threads[info["host"]] = threads.get(info["host"], 0) + int(info["nthreads"])
    return threads


def configure_worker_threads(
    threads_by_host: Mapping[str, int], matcher_threads: int | None = None
) -> None:
    """Give this worker's matcher ``matcher_threads``, by default its share of the host's cores
    (the host's cores over the Dask threads on it, at least one)."""
    from twin.matcher import configure_threads

    cores = usable_cores()
    try:
        host = get_address_host(get_worker().address)
    except ValueError:  # called outside a worker
        host = ""
    sharing = max(1, threads_by_host.get(host, cores))
    configure_threads(matcher_threads or max(1, cores // sharing))


def run_point(
    run: PointRun, threads_by_host: Mapping[str, int], matcher_threads: int | None = None
) -> dict[str, Any]:
    """Run one replication of one point (on a Dask worker) and publish its results. Returns the
    manifest. The matcher gets ``matcher_threads``, by default its share of the host's cores."""
    from twin.results.publish import run_scenario

    configure_worker_threads(threads_by_host, matcher_threads)
    return run_scenario(run.scenario, out=run.out, seed=run.seed)


@dataclass(frozen=True)
class TaskEnd:
    """How one task sent to the cluster ended: its result (a manifest), or its error and traceback."""

    status: RunStatus
    result: dict[str, Any] | None = None
    error: str = ""
    traceback: str = ""


def _ended(future: Future[dict[str, Any]], what: str) -> TaskEnd:
    if future.status == "finished":
        return TaskEnd(status=COMPLETE, result=future.result())
    if future.status == "error":
        exc = future.exception()
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
        trace = "".join(traceback.format_tb(future.traceback()))
        return TaskEnd(status=FAILED, error=error, traceback=trace)
    return TaskEnd(status=FAILED, error=f"the {what} was {future.status} by Dask")


def run_in_order(
    client: Client,
    todo: Sequence[T],
    task: Callable[[T, Mapping[str, int], int | None], dict[str, Any]],
    *,
    name: Callable[[T], str],
    matcher_threads: int | None,
    on_end: Callable[[T, TaskEnd], None],
    rewrite: Callable[[], R],
    what: str = "run",
    interval_s: float = INDEX_INTERVAL_S,
) -> R:
    """Send ``task(item, threads by host, matcher_threads)`` for every item to the cluster, first
    items first; hand each end to ``on_end`` as it comes, call ``rewrite`` (the index) at most every
    ``interval_s`` and once at the end, even when interrupted (unfinished tasks are cancelled).
    Returns the last ``rewrite``'s result."""
    threads = dask_threads_by_host(client)
    futures: dict[Future[dict[str, Any]], T] = {}
    for order, item in enumerate(todo):
        key = f"{name(item)}-{uuid.uuid4().hex[:8]}"
        future = client.submit(
            task, item, threads, matcher_threads, key=key, priority=-order, pure=False
        )
        futures[future] = item
    written_at = time.perf_counter()
    try:
        for future in as_completed(list(futures), loop=client.loop):
            item = futures[future]
            end = _ended(future, what)
            future.release()
            on_end(item, end)
            if time.perf_counter() - written_at >= interval_s:
                rewrite()
                written_at = time.perf_counter()
    finally:
        client.cancel([f for f in futures if not f.done()])
        last = rewrite()
    return last


def run_sweep(
    plan: SweepPlan,
    *,
    client: Client | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    matcher_threads: int | None = None,
    progress: SweepProgress | None = None,
) -> SweepOutcome:
    """Run every run of the plan not already finished on disk, storing each as it finishes.

    The runs go to ``client`` if given, else to a cluster opened by `dask_client` (``workers``,
    ``scheduler``) only if there is anything left to run. ``matcher_threads`` overrides each run's
    matcher threads (default: the host's cores over the Dask threads on it, at least one).
    """
    check_engine(workers=workers, scheduler=scheduler, matcher_threads=matcher_threads)
    progress = progress or _Silent()
    began = time.perf_counter()
    records: dict[tuple[str, int], RunRecord] = {}
    todo: list[PointRun] = []
    for run in plan.runs:
        manifest = finished_manifest(run)
        if manifest is None:
            todo.append(run)
        else:
            records[run.point, run.replication] = RunRecord(
                run=run, status=COMPLETE, manifest=manifest, reused=True
            )
    reused = len(records)
    with ExitStack() as stack:
        if todo and client is None:  # connect (and fail) before anything is written
            client = stack.enter_context(dask_client(workers=workers, scheduler=scheduler))
        progress.begin(total=len(plan.runs), reused=reused)
        summary = write_index(plan, records.values())
        if todo and client is not None:
            summary = _run_on(client, plan, todo, records, progress, matcher_threads)
    return SweepOutcome(
        plan=plan,
        records=tuple(records.values()),
        summary=summary,
        ran=len(records) - reused,
        reused=reused,
        wall_seconds=time.perf_counter() - began,
    )


def _run_on(
    client: Client,
    plan: SweepPlan,
    todo: list[PointRun],
    records: dict[tuple[str, int], RunRecord],
    progress: SweepProgress,
    matcher_threads: int | None,
) -> dict[str, Any]:
    """Send ``todo`` to the cluster; record each run as it ends. Returns the last summary written."""

    def ended(run: PointRun, end: TaskEnd) -> None:
        record = RunRecord(
            run=run,
            status=end.status,
            manifest=end.result,
            error=end.error or None,
            traceback=end.traceback or None,
        )
        records[run.point, run.replication] = record
        progress.finished(record)

    return run_in_order(
        client,
        todo,
        run_point,
        name=lambda run: f"twin-run-{run.point}-rep{run.replication}",
        matcher_threads=matcher_threads,
        on_end=ended,
        rewrite=lambda: write_index(plan, records.values()),
    )
