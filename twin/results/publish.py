"""Publishing a run: simulate the scenario, then write its results directory.

`twin.run` simulates and returns the run's records; this is where they become a results directory
(tables, the response's tables and ledger, the manifest), written atomically (`twin.results.writer`).
The CLI, sweeps, the dashboard's what-if page and the benchmarks publish runs through here.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin import __version__
from twin.results.response_tables import record_response
from twin.results.run_tables import build_manifest, build_tables
from twin.results.schema import SITE_MAP_FILE
from twin.results.writer import ResultsWriter, results_writer
from twin.run.runner import RunOutput, RunProgress, run_simulation
from twin.scenario import Scenario


def run_scenario(
    scenario: Scenario,
    *,
    out: Path,
    seed: int | None = None,
    day: int = 0,
    progress: RunProgress | None = None,
    simulated: RunOutput | None = None,
    extra: Callable[[ResultsWriter], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the scenario and publish its results directory at ``out``. Returns the manifest.

    ``day``: the day of a period run on one seed (`twin.run.runner.run_simulation`).
    ``simulated``: publish this output of `run_simulation` instead of running again; ``extra``
    writes more into the folder before it is published and returns manifest sections to add.
    """
    began = time.perf_counter()
    started_utc = datetime.now(UTC).isoformat(timespec="seconds")
    with results_writer(out) as writer:
        output = simulated or run_simulation(scenario, seed=seed, day=day, progress=progress)
        if progress is not None:
            progress.stage("recording results")
        record_began = time.perf_counter()
        tables = build_tables(
            scenario=output.scenario,
            deployment=output.deployment,
            trips=output.trips,
            crowd=output.crowd,
            population=output.population,
            decisions=output.decisions,
            response=output.response,
        )
        for name, table in tables.items():
            writer.write_table(name, table)
        # The run keeps its own copy of the site map, so readers never open a path outside the run.
        writer.write_file(SITE_MAP_FILE, output.scenario.site_map_path.read_bytes())
        response_section = (
            record_response(
                output.response,
                writer,
                scenario=output.scenario,
                seed=output.seed,
                deployment=output.deployment,
                population=output.population,
                decisions=output.decisions,
            )
            if output.response is not None
            else {}
        )
        stage_seconds = {**output.stage_seconds, "recording": time.perf_counter() - record_began}
        manifest = build_manifest(
            scenario=output.scenario,
            seed=output.seed,
            deployment=output.deployment,
            population=output.population,
            decisions=output.decisions,
            trips=output.trips,
            crowd=output.crowd,
            face_model=output.face_model,
            service_table=output.service_table,
            kernel=output.kernel,
            response=output.response,
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
