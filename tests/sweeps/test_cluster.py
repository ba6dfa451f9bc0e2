"""Sweeps on real Dask clusters: the embedded LocalCluster, and a scheduler and workers started as
separate processes on loopback, as a user with a cluster would. Every cluster is torn down."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import psutil
import pyarrow.parquet as pq
import pytest
from distributed import Client
from typer.testing import CliRunner

from tests.sweep_fixtures import PLAZA, ROOT, executing_tasks, plaza_plan, sweep_args
from twin.cli.sweeps import EXIT_RUNS_FAILED, sweep_app
from twin.matcher.blas import usable_cores
from twin.sweeps.engine import run_sweep
from twin.sweeps.reader import read_sweep
from twin.sweeps.tables import COMPLETE, SUMMARY, SWEEP_TABLE, RunRecord

pytestmark = pytest.mark.slow  # real clusters: a few seconds each

#: Longest a cluster process may take to start, or to stop when asked, s.
PROCESS_WAIT_S = 60.0
# Loopback only; a scheduler left behind by a crashed test run stops itself after ten idle minutes.
SCHEDULER_OPTIONS = (
    *("--host", "127.0.0.1", "--port", "0"),
    *("--no-dashboard", "--idle-timeout", "600"),
)
# Two worker processes of one thread each, as docs/sweeps.md advises; they stop if the scheduler goes.
WORKER_OPTIONS = (
    *("--host", "127.0.0.1", "--nworkers", "2", "--nthreads", "1"),
    *("--no-dashboard", "--death-timeout", "60"),
)


def _wait_for(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + PROCESS_WAIT_S
    while time.monotonic() < deadline:
        try:
            found = check()
        except (OSError, ValueError):  # a scheduler file not yet written whole
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"no {what} after {PROCESS_WAIT_S:g} s")


def _start(args: list[str], log: IO[str], folder: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        args,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=folder,
        text=True,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    """Ask the process to stop, then end whatever is left of its process group (its nannies)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=PROCESS_WAIT_S / 2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def scheduler_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`dask scheduler` and `dask worker` (two worker processes, one thread each) on loopback."""
    folder = tmp_path_factory.mktemp("dask-cluster")
    path = folder / "scheduler.json"
    started: list[subprocess.Popen[str]] = []
    with (folder / "cluster.log").open("w") as log:
        try:
            dask = [sys.executable, "-m", "dask"]
            started.append(
                _start(
                    [*dask, "scheduler", *SCHEDULER_OPTIONS, "--scheduler-file", str(path)],
                    log,
                    folder,
                )
            )
            address = _wait_for(lambda: json.loads(path.read_text())["address"], "scheduler file")
            started.append(
                _start(
                    [*dask, "worker", address, *WORKER_OPTIONS],
                    log,
                    folder,
                )
            )
            with Client(address, timeout=PROCESS_WAIT_S) as client:
                client.wait_for_workers(2, timeout=PROCESS_WAIT_S)
            yield path
        finally:
            for process in reversed(started):
                _stop(process)
    assert all(process.poll() is not None for process in started)


def _new_children(before: set[int]) -> list[psutil.Process]:
    """Live child processes not in ``before``, leaving out multiprocessing's resource tracker (one
    per Python process that spawned anything; it ends with this process)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.pid in before or child.status() == psutil.STATUS_ZOMBIE:
                continue
            if "multiprocessing.resource_tracker" in " ".join(child.cmdline()):
                continue
        except psutil.NoSuchProcess:
            continue
        found.append(child)
    return found


def _address(scheduler_file: Path) -> str:
    return str(json.loads(scheduler_file.read_text())["address"])


def test_a_sweep_runs_on_the_embedded_local_cluster_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    plan = plaza_plan(tmp_path / "sweep")  # 2 points x 2 replications
    outcome = run_sweep(plan, workers=2)
    assert (outcome.ran, outcome.reused, outcome.failed) == (4, 0, ())
    assert not _new_children(before)  # the cluster's scheduler, nannies and workers are gone

    sweep = read_sweep(plan.out)
    assert len(sweep.table) == 4
    assert set(sweep.table["status"]) == {COMPLETE}
    assert sorted(sweep.table["watchlist.size"]) == [7, 7, 100, 100]
    for point in sweep.summary["points"]:
        searches = point["metrics"]["counts.searches"]
        assert point["replications"] == searches["n"] == 2
        assert searches["ci_low"] <= searches["mean"] <= searches["ci_high"]
    # Each run is a results directory of its own; two workers on this machine share its cores.
    for run in plan.runs:
        kernel = json.loads((run.out / "manifest.json").read_text())["matcher"]["kernel"]
        assert kernel["faiss_openmp_threads"] == max(1, usable_cores() // 2)
        assert json.loads((run.out / "manifest.json").read_text())["seed"] == run.seed


def test_a_sweep_runs_on_a_separately_started_cluster_through_the_command(
    scheduler_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    args = sweep_args(out, "--vary", "watchlist.size=7,100", "--replications", "2")
    command = [sys.executable, "-m", "twin.cli.sweeps", *args]
    command += ["--scheduler", _address(scheduler_file), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # stdout is one JSON document
    assert (document["runs_complete"], document["runs_failed"], document["ran"]) == (4, 0, 4)
    assert document["path"] == str(out.resolve())
    assert pq.read_table(out / SWEEP_TABLE).num_rows == 4
    assert json.loads((out / SUMMARY).read_text())["status"] == COMPLETE


def test_a_rerun_computes_only_the_runs_whose_results_are_gone(
    scheduler_file: Path, tmp_path: Path
) -> None:
    plan = plaza_plan(tmp_path / "sweep", replications=1)
    first = run_sweep(plan, scheduler=str(scheduler_file))  # a scheduler file works as an address
    assert first.ran == 2
    kept, removed = plan.runs
    kept_written = (kept.out / "manifest.json").stat().st_mtime_ns
    counts_before = json.loads((removed.out / "manifest.json").read_text())["counts"]
    for path in sorted(removed.out.parent.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    removed.out.parent.rmdir()

    again = run_sweep(plan, scheduler=str(scheduler_file))
    assert (again.ran, again.reused) == (1, 1)
    assert (kept.out / "manifest.json").stat().st_mtime_ns == kept_written
    # The same scenario and seed: the recomputed run saw the same people.
    assert json.loads((removed.out / "manifest.json").read_text())["counts"] == counts_before
    assert len(read_sweep(plan.out).complete_runs()) == 2


class _StopAfterFirst:
    """A progress hook that interrupts the sweep (as Ctrl-C would) once a run has finished."""

    def begin(self, *, total: int, reused: int) -> None:
        pass

    def finished(self, record: RunRecord) -> None:
        raise KeyboardInterrupt


def test_an_interrupted_sweep_keeps_what_finished_and_resumes(
    scheduler_file: Path, tmp_path: Path
) -> None:
    plan = plaza_plan(tmp_path / "sweep", vary=(), replications=3)
    address = _address(scheduler_file)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, scheduler=address, progress=_StopAfterFirst())
    summary = json.loads((plan.out / SUMMARY).read_text())
    assert summary["runs_complete"] == 1
    assert summary["status"] == "incomplete"
    # A cancelled run that had already started still finishes (and publishes) on its worker.
    with Client(address, timeout=10) as client:
        _wait_for(lambda: not any(client.run(executing_tasks).values()), "idle workers")
    resumed = run_sweep(plan, scheduler=address)
    assert resumed.reused >= 1
    assert resumed.ran + resumed.reused == 3
    assert read_sweep(plan.out).summary["status"] == COMPLETE


def test_a_failed_run_is_reported_and_the_sweep_goes_on(
    scheduler_file: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not geojson", encoding="utf-8")
    good = PLAZA.parent.parent / "site_maps" / "small_plaza.geojson"
    out = tmp_path / "sweep"
    args = sweep_args(out, "--vary", f'site.map="{good}","{broken}"', "--replications", "1")
    result = CliRunner().invoke(sweep_app, [*args, "--scheduler", _address(scheduler_file)])
    assert result.exit_code == EXIT_RUNS_FAILED, result.output
    assert f"failed: site.map='{broken}', rep 0" in result.output
    assert "Traceback" not in result.output
    sweep = read_sweep(out)
    assert sorted(sweep.table["status"]) == ["complete", "failed"]
    (failure,) = sweep.summary["failures"]
    assert failure["params"] == {"site.map": str(broken)}
    assert "SiteMapError" in failure["error"]
    assert failure["traceback"]
    assert sweep.summary["failed"][0].startswith(f"site.map='{broken}', rep 0 (seed ")
