"""One run of a scenario, end to end: site -> crowd -> captures -> faces -> matcher -> pipeline ->
outcomes -> results directory.

Randomness: the run's seed makes one `numpy.random.SeedSequence`; each stage gets its own child
stream from it (`SeedSequence.spawn`), handed down as a `numpy.random.Generator`. The same scenario and
seed give the same tables, and changing one stage's knobs (say the watchlist size) leaves the other
stages' draws (the crowd) unchanged, so what-if comparisons see the same people.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from twin import __version__
from twin.crowd.demand import Trips, generate_trips
from twin.crowd.walking import CrowdResult, on_site_from, simulate_crowd
from twin.matcher import Matcher, blas_kernel_info
from twin.matcher.timing import ServiceTimeTable, measure_service_times
from twin.recognition.captures import Captures, capture_opportunities
from twin.recognition.faces import FaceModel, fit_face_model, make_watchlist
from twin.recognition.matching import MatchResult, match_tracks
from twin.recognition.outcomes import classify
from twin.recognition.pipeline import PipelineResult, ServiceTime, run_pipeline
from twin.recognition.population import Population, make_population
from twin.recognition.profiles import load_profile
from twin.response.officers import check_posts
from twin.response.simulation import ResponseResult, respond
from twin.results.response_tables import record_response
from twin.results.run_tables import build_manifest, build_tables
from twin.results.writer import ResultsWriter, results_writer
from twin.scenario import Scenario
from twin.site.model import Site, load_scenario_site

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STAGES = ("site", "crowd", "captures", "faces", "matching", "pipeline", "response", "recording")
STREAMS = (
    "demand",
    "captures",
    "population",
    "watchlist",
    "probes",
    "timing",
    "service",
    "response",
)


class RunProgress(Protocol):
    """What a run reports as it goes: a stage starting, and how far it has got."""

    def stage(self, name: str, *, total: float | None = None, unit: str = "") -> None: ...

    def advance_to(self, completed: float) -> None: ...


class _Silent:
    def stage(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        pass

    def advance_to(self, completed: float) -> None:
        pass


@dataclass
class StageClock:
    """Wall seconds spent per stage."""

    seconds: dict[str, float] = field(default_factory=dict)
    _since: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._since
        self._since = now


@dataclass(frozen=True)
class RunOutput:
    """Everything a run computed, before it becomes tables (kept for tests and sweeps)."""

    scenario: Scenario
    seed: int
    site: Site
    trips: Trips
    crowd: CrowdResult
    captures: Captures
    population: Population
    search_rows: IntArray  # indices into captures of the searched ones, in time order
    matches: MatchResult
    pipeline: PipelineResult
    face_model: FaceModel
    service_table: ServiceTimeTable
    stage_seconds: dict[str, float]
    kernel: dict[str, Any]
    response: ResponseResult | None = (
        None  # operators, officers, incidents (twin.response.simulation)
    )

    def search_subjects(self) -> IntArray:
        """Per decision: the watchlist row of the person captured, or NOT_ON_WATCHLIST."""
        pedestrians = self.captures.passes.pedestrian[self.search_rows]
        return self.population.pedestrian_subject[pedestrians]

    def outcome_codes(self) -> npt.NDArray[np.int8]:
        """Per decision: its outcome, an index into twin.recognition.outcomes.OUTCOMES."""
        return classify(
            self.search_subjects(),
            self.matches.top1_id,
            self.matches.top1_score,
            self.face_model.threshold_cosine,
        )


def timing_batch_sizes(max_batch: int) -> tuple[int, ...]:
    """Batch sizes to time the matcher at: powers of two up to ``max_batch``, and ``max_batch``."""
    sizes = {1 << i for i in range(max_batch.bit_length()) if 1 << i <= max_batch}
    return tuple(sorted(sizes | {max_batch}))


def _service_model(
    scenario: Scenario,
    matcher: Matcher,
    table: ServiceTimeTable,
    matches: MatchResult,
    rng: np.random.Generator,
) -> ServiceTime:
    """Each micro-batch's service time: drawn from the measured table, or the batch's own real call."""
    if scenario.pipeline.service_time == "table":

        def drawn(batch: IntArray) -> float:
            return table.sample_s(len(batch), rng)

        return drawn

    probes = matches.probes
    assert probes is not None  # kept by run_simulation when service_time == "measured"

    def measured(batch: IntArray) -> float:
        began = time.perf_counter()
        matcher.search(probes[batch], k=scenario.matcher.top_k)
        return time.perf_counter() - began

    return measured


def run_simulation(
    scenario: Scenario, *, seed: int | None = None, progress: RunProgress | None = None
) -> RunOutput:
    """Run the scenario in memory and return everything it computed."""
    progress = progress or _Silent()
    seed = scenario.seed if seed is None else seed
    streams = dict(
        zip(
            STREAMS,
            (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS))),
            strict=True,
        )
    )
    clock = StageClock()

    progress.stage("loading the site")
    site = load_scenario_site(scenario)
    profile = load_profile(
        scenario.faces.algorithm, scenario_dir=scenario.source.parent if scenario.source else None
    )
    check_posts(site, scenario)  # officer posts must be on the walk graph: refuse early
    clock.lap("site")

    trips = generate_trips(site, scenario.crowd, streams["demand"])
    progress.stage("crowd", total=scenario.crowd.window_end_s, unit="clock")
    crowd = simulate_crowd(site, trips, scenario.crowd, on_progress=progress.advance_to)
    trips, crowd = on_site_from(trips, crowd, scenario.crowd.window_start_s)
    clock.lap("crowd")

    captures = capture_opportunities(
        site,
        crowd.passes,
        scenario.cameras,
        streams["captures"],
        samples=crowd.samples,
    )
    search_rows = np.flatnonzero(captures.searched)
    population = make_population(
        len(trips), scenario.faces, scenario.watchlist, streams["population"]
    )
    clock.lap("captures")

    model = fit_face_model(profile, scenario.faces, scenario.watchlist, scenario.matcher)
    watchlist = make_watchlist(streams["watchlist"], model, population.watchlist_group)
    clock.lap("faces")
    matcher = Matcher(scenario.faces.embedding_dim, backend=scenario.matcher.backend)
    matcher.add(
        np.arange(len(watchlist), dtype=np.int64),
        watchlist.enrolled,
        provenance="synthetic watchlist",
    )
    clock.lap("matching")

    searched_pedestrians = captures.passes.pedestrian[search_rows]
    progress.stage("faces and matching", total=float(len(search_rows)), unit="tracks")
    matches = match_tracks(
        scenario,
        model,
        matcher,
        watchlist,
        subjects=population.pedestrian_subject[searched_pedestrians],
        groups=population.pedestrian_group[searched_pedestrians],
        quality=captures.quality[search_rows],
        rng=streams["probes"],
        on_faces_done=lambda: clock.lap("faces"),
        on_matching_done=lambda: clock.lap("matching"),
        on_progress=progress.advance_to,
        keep_probes=scenario.pipeline.service_time == "measured",
    )

    progress.stage("measuring matcher service times")
    table = measure_service_times(
        matcher,
        batch_sizes=timing_batch_sizes(scenario.pipeline.max_batch),
        repeats=scenario.pipeline.timing_repeats,
        rng=streams["timing"],
    )
    progress.stage("recognition pipeline", total=scenario.crowd.window_end_s, unit="clock")
    # Every frame of a track is a probe; the edge device sends them together at the best moment.
    pipeline = run_pipeline(
        np.repeat(captures.passes.best_s[search_rows], matches.frames),
        max_batch=scenario.pipeline.max_batch,
        max_wait_s=scenario.pipeline.max_wait_ms / 1000.0,
        service_time=_service_model(scenario, matcher, table, matches, streams["service"]),
        on_progress=progress.advance_to,
    ).per_track(matches.frames)
    clock.lap("pipeline")
    output = RunOutput(
        scenario=scenario,
        seed=seed,
        site=site,
        trips=trips,
        crowd=crowd,
        captures=captures,
        population=population,
        search_rows=search_rows,
        matches=matches,
        pipeline=pipeline,
        face_model=model,
        service_table=table,
        stage_seconds=clock.seconds,
        kernel=blas_kernel_info(),
    )
    response = respond(output, streams["response"])
    clock.lap("response")
    return replace(output, response=response, stage_seconds=clock.seconds)


def run_scenario(
    scenario: Scenario,
    *,
    out: Path,
    seed: int | None = None,
    progress: RunProgress | None = None,
    simulated: RunOutput | None = None,
    extra: Callable[[ResultsWriter], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the scenario and publish its results directory at ``out``. Returns the manifest.

    ``simulated``: publish this output of `run_simulation` instead of running again; ``extra``
    writes more into the folder before it is published and returns manifest sections to add.
    """
    progress = progress or _Silent()
    began = time.perf_counter()
    started_utc = datetime.now(UTC).isoformat(timespec="seconds")
    with results_writer(out) as writer:
        output = simulated or run_simulation(scenario, seed=seed, progress=progress)
        progress.stage("recording results")
        record_began = time.perf_counter()
        for name, table in build_tables(output).items():
            writer.write_table(name, table)
        response_section = record_response(output, writer)
        stage_seconds = {**output.stage_seconds, "recording": time.perf_counter() - record_began}
        manifest = build_manifest(
            output,
            stage_seconds=stage_seconds,
            wall_seconds=time.perf_counter() - began,
            started_utc=started_utc,
            environment={
                "twin_version": __version__,
                "python": platform.python_version(),
                "machine": platform.machine(),
            },
        )
        if response_section:
            manifest["response"] = response_section
        if extra is not None:
            manifest.update(extra(writer))
        return writer.publish(manifest)
