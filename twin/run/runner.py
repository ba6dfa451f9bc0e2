"""One run of a scenario, end to end: site -> crowd -> captures -> faces -> matcher -> pipeline ->
outcomes -> response, returned as the records each stage made (`RunOutput`). Writing them as a results
directory is `twin.results.publish`'s job.

Randomness: each stage draws from its own stream of the run's seed (`twin.streams.streams_for`). The
same scenario and seed give the same tables, and changing one stage's knobs (say the watchlist size)
leaves the other stages' draws (the crowd) unchanged, so what-if comparisons see the same people.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from twin.crowd.demand import Trips, generate_trips
from twin.crowd.walking import CrowdResult, on_site_from, simulate_crowd
from twin.cycles import cycle_collection_paused
from twin.matcher import Matcher, blas_kernel_info
from twin.matcher.timing import ServiceTimeTable, measure_service_times
from twin.recognition.captures import capture_opportunities
from twin.recognition.decisions import Decisions, decide
from twin.recognition.deployment import Deployment, deploy
from twin.recognition.faces import FaceModel
from twin.recognition.gallery import build_gallery
from twin.recognition.matching import MatchResult, match_tracks
from twin.recognition.pipeline import ServiceTime, run_pipeline
from twin.recognition.population import Population, make_population
from twin.recognition.profiles import load_profile
from twin.response.officers import check_posts
from twin.response.simulation import ResponseResult, respond
from twin.scenario import Scenario
from twin.site.scenario_site import load_scenario_site
from twin.streams import streams_for

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STAGES = ("site", "crowd", "captures", "faces", "matching", "pipeline", "response", "recording")


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
    """Everything a run computed, as the records each stage made (kept for tests and sweeps).

    Later stages are handed the records they read (`Decisions`, `Deployment`, ...), never this whole.
    """

    scenario: Scenario
    seed: int
    deployment: Deployment  # the site, and which cameras run recognition
    trips: Trips
    crowd: CrowdResult
    population: Population
    decisions: Decisions  # every search and its outcome
    face_model: FaceModel
    service_table: ServiceTimeTable
    stage_seconds: dict[str, float]
    kernel: dict[str, Any]
    response: ResponseResult | None = (
        None  # operators, officers, incidents (twin.response.simulation)
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
        return table.draws(
            rng,
            searches=len(matches.top1_id) * matches.frames,
            max_batch=scenario.pipeline.max_batch,
        )

    probes = matches.probes
    assert probes is not None  # kept by run_simulation when service_time == "measured"

    def measured(batch: IntArray) -> float:
        began = time.perf_counter()
        matcher.search(probes[batch], k=scenario.matcher.top_k)
        return time.perf_counter() - began

    return measured


@cycle_collection_paused()  # every stage makes millions of short-lived objects
def run_simulation(
    scenario: Scenario,
    *,
    seed: int | None = None,
    day: int = 0,
    progress: RunProgress | None = None,
) -> RunOutput:
    """Run the scenario in memory and return everything it computed.

    ``day``: the day of a period of days run on one seed (`twin.streams`): day 0 is the run of the
    seed; a later day has its own walkers and captures, the same people coming back with the same
    faces, and the same watchlist.
    """
    progress = progress or _Silent()
    seed = scenario.seed if seed is None else seed
    streams = streams_for(seed, day=day)
    clock = StageClock()

    progress.stage("loading the site")
    deployment = deploy(load_scenario_site(scenario), scenario.cameras)
    site = deployment.site
    profile = load_profile(
        scenario.faces.algorithm, scenario_dir=scenario.source.parent if scenario.source else None
    )
    check_posts(deployment, scenario.response)  # posts must be on the walk graph: refuse early
    clock.lap("site")

    trips = generate_trips(site, scenario.crowd, streams.demand)
    progress.stage("crowd", total=scenario.crowd.window_end_s, unit="clock")
    crowd = simulate_crowd(
        site,
        trips,
        scenario.crowd,
        on_progress=progress.advance_to,
        passes_from_s=scenario.crowd.window_start_s,
    )
    trips, crowd = on_site_from(trips, crowd, scenario.crowd.window_start_s)
    clock.lap("crowd")

    captures = capture_opportunities(
        site,
        crowd.passes,
        scenario.cameras,
        streams.captures,
        recognition=deployment.recognition,
        samples=crowd.samples,
    )
    search_rows = np.flatnonzero(captures.searched)
    population = make_population(
        trips,
        scenario.population,
        scenario.faces,
        scenario.watchlist,
        streams.population,
        seed=seed,
        day=day,
    )
    clock.lap("captures")

    gallery = build_gallery(
        profile,
        scenario,
        population.watchlist_person,
        population.watchlist_group,
        streams.watchlist,
        seed=seed,
        backend=scenario.matcher.backend,
        precision=scenario.matcher.precision,
        provenance="synthetic watchlist",
        on_faces_done=lambda: clock.lap("faces"),
    )
    model, faces, watchlist, matcher = (
        gallery.model,
        gallery.faces,
        gallery.watchlist,
        gallery.matcher,
    )
    clock.lap("matching")

    searched_pedestrians = captures.passes.pedestrian[search_rows]
    progress.stage("faces and matching", total=float(len(search_rows)), unit="tracks")
    matches = match_tracks(
        scenario,
        model,
        matcher,
        watchlist,
        faces,
        people=population.person_id[population.trip_person[searched_pedestrians]],
        subjects=population.pedestrian_subject[searched_pedestrians],
        groups=population.pedestrian_group[searched_pedestrians],
        quality=captures.quality[search_rows],
        rng=streams.probes,
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
        rng=streams.timing,
    )
    progress.stage("recognition pipeline", total=scenario.crowd.window_end_s, unit="clock")
    # Every frame of a track is a probe; the edge device sends them together at the best moment.
    pipeline = run_pipeline(
        np.repeat(captures.passes.best_s[search_rows], matches.frames),
        max_batch=scenario.pipeline.max_batch,
        max_wait_s=scenario.pipeline.max_wait_ms / 1000.0,
        service_time=_service_model(scenario, matcher, table, matches, streams.service),
        on_progress=progress.advance_to,
    ).per_track(matches.frames)
    clock.lap("pipeline")
    decisions = decide(
        captures,
        search_rows,
        subject=population.pedestrian_subject[searched_pedestrians],
        group=population.pedestrian_group[searched_pedestrians],
        matches=matches,
        pipeline=pipeline,
        threshold_cosine=model.threshold_cosine,
    )
    response = respond(
        deployment,
        trips,
        crowd,
        decisions,
        config=scenario.response,
        window_start_s=scenario.crowd.window_start_s,
        window_end_s=scenario.crowd.window_end_s,
        rng=streams.response,
    )
    clock.lap("response")
    return RunOutput(
        scenario=scenario,
        seed=seed,
        deployment=deployment,
        trips=trips,
        crowd=crowd,
        population=population,
        decisions=decisions,
        face_model=model,
        service_table=table,
        stage_seconds=clock.seconds,
        kernel={**blas_kernel_info(), "matcher_precision": matcher.precision_path.to_dict()},
        response=response,
    )
