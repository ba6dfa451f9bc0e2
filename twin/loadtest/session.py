"""One load test, start to finish: check the target, build the workload, send it, record, publish.

The order: validate the target (loopback, a twin matcher of the scenario's dimension, a search
accepted) before anything slow; simulate the replayed window if there is one; start the sender's
process and warm the service up briefly (not recorded); replay the window and compare it with the
simulated pipeline; sweep the rates, stopping early once the knee is bracketed and refining around
it; then write the results directory. Ctrl-C stops the step in progress, keeps what it measured and
still writes the directory; so does reaching the duration cap. Server errors, rejections and broken
connections are counted in the steps, never raised.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from twin.loadtest import prediction, rate_sweep, recorder
from twin.loadtest.directory import write_results
from twin.loadtest.plan import LoadtestRequest
from twin.loadtest.plot import latency_throughput_figure
from twin.loadtest.probes import (
    ProbePool,
    replay_pool,
    scenario_gallery,
    sweep_pool,
)
from twin.loadtest.schedule import Schedule, poisson_schedule, replay_schedule
from twin.loadtest.sender import SenderProcess, SenderSettings, SentRecords, StepInterrupted
from twin.loadtest.summary import build_summary, clock
from twin.loadtest.target import (
    INPROCESS,
    Target,
    check_target,
    in_process_service,
    parse_url,
    require_loopback,
)
from twin.matcher import Matcher, blas_kernel_info, configure_threads
from twin.recognition.gallery import Gallery
from twin.run.runner import RunOutput, run_simulation
from twin.scenario import Scenario

SWEEP_POOL_PROBES: Final = 4096
WARMUP_RATE_PER_S: Final = 100.0
WARMUP_S: Final = 1.0
STEP_PAUSE_S: Final = 0.5  # between steps, so one step's stragglers do not meet the next
LOADTEST_SPAWN_KEY: Final = 0x10AD  # the load test's own seed stream, apart from the run's


@dataclass(frozen=True)
class LoadtestOutcome:
    """The summary (as written to summary.json), where it was written, and whether Ctrl-C ended it."""

    summary: dict[str, Any]
    out: Path | None  # None when nothing was measured
    interrupted: bool


@dataclass(frozen=True)
class _Replay:
    """The replayed window: its schedule and what the simulation predicted for it."""

    schedule: Schedule
    output: RunOutput
    in_window: npt.NDArray[np.bool_]  # per search of the run: captured within the window


def windowed(scenario: Scenario, window_s: tuple[float, float]) -> Scenario:
    """The scenario with its crowd simulated over ``window_s`` (seconds after midnight)."""
    crowd = scenario.crowd.model_copy(
        update={"window_start": clock(window_s[0]), "window_end": clock(window_s[1])}
    )
    return scenario.model_copy(update={"crowd": crowd})


def _replay(
    request: LoadtestRequest,
    gallery: Gallery,
    rng: np.random.Generator,
    row_offset: int,
) -> tuple[_Replay, ProbePool]:
    """Simulate the window, and turn its captures into requests with probes."""
    assert request.plan.window_s is not None
    scenario = windowed(request.scenario, request.plan.window_s)
    output = run_simulation(scenario, seed=request.seed)
    # People still walking at the window's end are captured after it: not the window's traffic.
    decisions = output.decisions
    best_s = decisions.time_s
    in_window = (best_s >= scenario.crowd.window_start_s) & (best_s < scenario.crowd.window_end_s)
    rows = decisions.rows[in_window]
    pool, probe_rows = replay_pool(
        gallery,
        subjects=decisions.subject[in_window],
        groups=decisions.group[in_window],
        quality=decisions.captures.quality[rows],
        frames=decisions.matches.frames,
        rng=rng,
    )
    edge = scenario.loadtest
    schedule = replay_schedule(
        decisions.captures.passes.best_s[rows],
        decisions.captures.passes.camera[rows].astype(np.int64),
        probe_rows + row_offset,
        frames=decisions.matches.frames,
        window_start_s=scenario.crowd.window_start_s,
        window_end_s=scenario.crowd.window_end_s,
        speed=request.plan.speed,
        edge_batching=edge.edge_batching,
        edge_max_batch_probes=edge.edge_max_batch_probes,
        edge_max_wait_s=edge.edge_max_wait_ms / 1000.0,
    )
    return _Replay(schedule=schedule, output=output, in_window=in_window), pool


def _target(
    request: LoadtestRequest, stack: contextlib.ExitStack, reference: Matcher, pool: ProbePool
) -> Target:
    if request.target == INPROCESS:
        base_url = stack.enter_context(
            in_process_service(reference, search_threads=request.search_threads)
        )
    else:
        base_url = parse_url(request.target)
        require_loopback(base_url, allow_remote=request.allow_remote)
    return check_target(
        request.target,
        base_url,
        dim=request.scenario.faces.embedding_dim,
        token=request.token,
        probe=pool.embeddings[:1],
    )


class _Session:
    """Runs steps on the sender and keeps what each measured, an interrupted one included."""

    def __init__(self, sender: SenderProcess, pool: ProbePool, say: Callable[[str], None]) -> None:
        self.sender = sender
        self.pool = pool
        self.say = say
        self.measured = recorder.Measured()

    def step(
        self, kind: str, schedule: Schedule, *, offered_rate: float | None, deadline_s: float
    ) -> tuple[recorder.StepStats, SentRecords]:
        """Send one schedule and record it; Ctrl-C records what was measured, then re-raises."""
        try:
            records = self.sender.run(schedule, deadline_s=deadline_s)
        except StepInterrupted as exc:
            if exc.records is not None:
                self._record(kind, schedule, exc.records, offered_rate)
            raise KeyboardInterrupt from None
        return self._record(kind, schedule, records, offered_rate), records

    def _record(
        self, kind: str, schedule: Schedule, records: SentRecords, offered_rate: float | None
    ) -> recorder.StepStats:
        stats = recorder.step_stats(kind, schedule, records, self.pool, offered_rate=offered_rate)
        self.measured.add(schedule, records, stats)
        self.say(_step_line(stats))
        return stats


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _step_line(stats: recorder.StepStats) -> str:
    verdict = "" if stats.valid else "  INVALID: the sender lagged"
    return (
        f"{stats.kind} {stats.offered_rate:,.0f}/s: achieved {stats.achieved_rate:,.0f}/s, "
        f"p50 {_ms(stats.p50_ms)} ms, p99 {_ms(stats.p99_ms)} ms, errors {stats.errors}, "
        f"rejected {stats.rejected}, wrong {stats.wrong_answers}, sender lag p99 "
        f"{_ms(stats.sender_lag_p99_ms)} ms{verdict}"
    )


def _run_replay(
    request: LoadtestRequest,
    session: _Session,
    replay: _Replay,
    target: Target,
    deadline_s: float,
) -> prediction.Comparison:
    """Replay the window on the service, then through the simulated pipeline, and compare."""
    session.say(
        f"replaying {replay.schedule.requests:,} requests ({replay.schedule.probes:,} probes) "
        f"over {replay.schedule.span_s:,.0f} s"
    )
    before = prediction.read_counters(target.base_url, request.token)
    _, records = session.step("replay", replay.schedule, offered_rate=None, deadline_s=deadline_s)
    after = prediction.read_counters(target.base_url, request.token)
    counters = after.since(before) if before is not None and after is not None else None
    pipeline = request.scenario.pipeline
    streams = np.random.SeedSequence(request.seed, spawn_key=(LOADTEST_SPAWN_KEY, 1)).spawn(2)
    simulated = prediction.simulate_replay(
        replay.schedule,
        table=replay.output.service_table,
        max_batch=pipeline.max_batch,
        max_wait_s=pipeline.max_wait_ms / 1000.0,
        rng=np.random.default_rng(streams[0]),
    )
    as_service = prediction.simulate_replay(
        replay.schedule,
        table=replay.output.service_table,
        max_batch=prediction.SERVICE_MAX_BATCH,
        max_wait_s=0.0,
        rng=np.random.default_rng(streams[1]),
    )
    return prediction.compare(
        replay.schedule,
        records,
        simulated,
        as_service,
        simulated_at_1x_s=replay.output.decisions.pipeline.latency_s[replay.in_window],
        counters=counters,
        table=replay.output.service_table,
        simulated_search_threads=replay.output.kernel.get("faiss_openmp_threads"),
        speed=request.plan.speed,
        max_batch=pipeline.max_batch,
        max_wait_ms=pipeline.max_wait_ms,
        edge_batching=request.scenario.loadtest.edge_batching,
    )


def _run_sweep(
    request: LoadtestRequest,
    session: _Session,
    rng: np.random.Generator,
    load_began_s: float,
    deadline_s: float,
) -> tuple[str | None, list[float]]:
    """The constant-rate steps, then refinements; returns why it was cut short (if it was) and the
    rates it skipped."""
    plan = request.plan
    ladder = list(plan.rates_per_s)
    executed: list[recorder.StepStats] = []
    skipped: list[float] = []
    refinements = plan.refine_steps
    while True:
        if ladder and rate_sweep.stop_early(executed, plan.slo_ms):
            session.say(f"the service fell behind twice in a row: skipping {ladder}")
            skipped, ladder = ladder, []
        if ladder:
            rate = ladder.pop(0)
        else:
            tried = [s.offered_rate for s in executed]
            refined = (
                rate_sweep.refinement_rate(executed, plan.slo_ms, tried) if refinements else None
            )
            if refined is None:
                return None, skipped
            rate, refinements = refined, refinements - 1
        if time.monotonic() - load_began_s + plan.step_s > plan.duration_cap_s:
            return "duration cap", [*skipped, rate, *ladder]
        if executed:
            time.sleep(STEP_PAUSE_S)
        schedule = poisson_schedule(rate, plan.step_s, pool_size=SWEEP_POOL_PROBES, rng=rng)
        stats, records = session.step("rate", schedule, offered_rate=rate, deadline_s=deadline_s)
        executed.append(stats)
        if records.stopped:
            return "duration cap", [*skipped, *ladder]


@contextlib.contextmanager
def _search_threads(n_threads: int | None) -> Iterator[None]:
    """FAISS on ``n_threads`` in this process for a while (None: leave it as it is)."""
    if n_threads is None:
        yield
        return
    previous = int(blas_kernel_info()["faiss_openmp_threads"])
    configure_threads(n_threads)
    try:
        yield
    finally:
        configure_threads(previous)


def run_loadtest(
    request: LoadtestRequest, *, say: Callable[[str], None] = lambda message: None
) -> LoadtestOutcome:
    """Run the load test ``request`` describes; ``say`` hears progress in plain words.

    ``request.search_threads`` holds this process's FAISS threads (the simulation's measured service
    times, the reference matcher, an in-process service) for the duration.
    """
    with _search_threads(request.search_threads):
        return _run_loadtest(request, say)


def _run_loadtest(request: LoadtestRequest, say: Callable[[str], None]) -> LoadtestOutcome:
    began_s = time.perf_counter()
    started_utc = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    plan, scenario = request.plan, request.scenario
    rng = np.random.default_rng(
        np.random.SeedSequence(request.seed, spawn_key=(LOADTEST_SPAWN_KEY,))
    )
    gallery = scenario_gallery(scenario, request.seed)
    reference = gallery.matcher
    pool = sweep_pool(
        gallery, size=SWEEP_POOL_PROBES, mated_share=scenario.loadtest.mated_share, rng=rng
    )
    interrupted = False
    stopped_reason: str | None = None
    skipped: list[float] = []
    comparison: prediction.Comparison | None = None
    with contextlib.ExitStack() as stack:
        target = _target(request, stack, reference, pool)
        say(
            f"target {target.label}: a twin matcher ({target.backend}, {target.gallery_size:,} "
            f"identities, {target.dim}-d)"
        )
        replay: _Replay | None = None
        if plan.window_s is not None:
            say(f"simulating {clock(plan.window_s[0])}-{clock(plan.window_s[1])} to replay it")
            replay, replay_probes = _replay(request, gallery, rng, len(pool))
            pool = ProbePool.concatenate([pool, replay_probes])
        settings = SenderSettings(
            base_url=target.base_url,
            token=request.token,
            max_connections=request.max_connections,
            request_timeout_s=request.request_timeout_s,
            cpu=request.sender_cpu,
            realtime=request.realtime,
        )
        sender = stack.enter_context(SenderProcess(settings, pool.embeddings))
        session = _Session(sender, pool, say)
        say(f"sender started ({sender.scheduling})")
        load_began_s = time.monotonic()
        deadline_s = load_began_s + plan.duration_cap_s + request.request_timeout_s
        try:
            warmup = poisson_schedule(
                WARMUP_RATE_PER_S, WARMUP_S, pool_size=SWEEP_POOL_PROBES, rng=rng
            )
            sender.run(warmup, deadline_s=deadline_s)
            if replay is not None:
                comparison = _run_replay(request, session, replay, target, deadline_s)
                if session.measured.records[-1].stopped:
                    stopped_reason = "duration cap"
            if plan.rates_per_s and stopped_reason is None:
                stopped_reason, skipped = _run_sweep(
                    request, session, rng, load_began_s, deadline_s
                )
        except (KeyboardInterrupt, StepInterrupted):
            interrupted, stopped_reason = True, "interrupted (Ctrl-C or SIGTERM)"
        load_s = time.monotonic() - load_began_s
    measured = session.measured
    if not measured.stats:
        summary: dict[str, Any] = {"steps": [], "knee_rate": None, "interrupted": interrupted}
        return LoadtestOutcome(summary=summary, out=None, interrupted=interrupted)
    summary = build_summary(
        request,
        target,
        measured,
        comparison=comparison,
        skipped=skipped,
        interrupted=interrupted,
        stopped_reason=stopped_reason,
        scheduling=sender.scheduling,
        started_utc=started_utc,
        wall_s=time.perf_counter() - began_s,
        load_s=load_s,
        load_before=load_before,
    )
    figure = latency_throughput_figure(
        summary["steps"],
        knee_rate=summary["knee_rate"],
        slo_ms=plan.slo_ms,
        replay=summary["replay"],
        title=f"{scenario.name}: the matcher at {target.label} under load",
    )
    out = write_results(
        request.out, summary=summary, tables=recorder.tables(measured, pool), figure=figure
    )
    return LoadtestOutcome(summary=summary, out=out, interrupted=interrupted)
