"""``twin sweep`` and ``twin compare`` on the command line: bad input is one line and exit code 2, before
any work; progress is quiet off a terminal. Runs that need a cluster are in test_sweep_cluster.py."""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path

import pytest
from distributed import LocalCluster
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

import twin.sweeps.engine
from tests.sweep_fixtures import PLAZA, fake_records, plaza_plan, sweep_args
from twin.cli.sweeps import (
    FailureLines,
    RichSweepProgress,
    fmt,
    fmt_interval,
    sweep_app,
)

runner = CliRunner()


def _refused(args: list[str]) -> str:
    result = runner.invoke(sweep_app, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--vary", "watchlist.sise=7,100"],
            "unknown key 'sise' in section watchlist; allowed: size",
        ),
        (["--vary", "watchlist.size=ten,100"], "watchlist.size='ten'"),
        (["--vary", "matcher.backend=flat,gpu"], "'flat', 'ivf' or 'hnsw' (got 'gpu')"),
        (["--vary", "watchlist.size="], "--vary watchlist.size: no values given"),
        (
            ["--vary", "watchlist.size=7", "--replications", "0"],
            "--replications: must be at least 1",
        ),
        (["--workers", "0"], "--workers: must be at least 1"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "--workers and --scheduler"),
        (["--window", "7-9"], "--window '7-9': expected HH:MM-HH:MM"),
        (["--seed", "-3"], "--seed: must be a non-negative integer"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2_before_any_work(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    out = tmp_path / "sweep"
    line = _refused(sweep_args(out, *extra))
    assert message in line
    assert not out.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_scheduler_is_refused_quickly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twin.sweeps.engine, "CONNECT_TIMEOUT_S", 1.0)
    out = tmp_path / "sweep"
    began = time.monotonic()
    address = f"tcp://127.0.0.1:{_free_port()}"
    line = _refused(sweep_args(out, "--vary", "watchlist.size=7", "--scheduler", address))
    assert f"--scheduler {address}: no Dask scheduler answered within 1 s" in line
    assert time.monotonic() - began < 20
    assert not out.exists()


def test_a_malformed_scheduler_address_is_refused_at_once(tmp_path: Path) -> None:
    line = _refused(sweep_args(tmp_path / "sweep", "--scheduler", "http://somewhere"))
    assert "expected an address such as tcp://10.0.0.5:8786" in line


def test_a_scheduler_without_workers_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twin.sweeps.engine, "WORKER_WAIT_S", 0.5)
    scheduler_only = {"processes": False, "protocol": "tcp", "host": "127.0.0.1"}
    with LocalCluster(n_workers=0, dashboard_address=None, **scheduler_only) as empty:
        line = _refused(sweep_args(tmp_path / "sweep", "--scheduler", empty.scheduler_address))
    assert "the scheduler has no workers after 0.5 s" in line
    assert not (tmp_path / "sweep").exists()


def test_an_unreadable_scheduler_file_is_refused(tmp_path: Path) -> None:
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text("{not json", encoding="utf-8")
    line = _refused(sweep_args(tmp_path / "sweep", "--scheduler", str(scheduler_file)))
    assert f"--scheduler {scheduler_file}: not a Dask scheduler file" in line


def test_the_commands_explain_themselves() -> None:
    result = runner.invoke(sweep_app, ["--help"])
    assert result.exit_code == 0
    assert "sweep" in result.output and "compare" in result.output
    result = runner.invoke(sweep_app, ["sweep", "--help"])
    assert result.exit_code == 0
    for option in ("--vary", "--replications", "--workers", "--scheduler", "--window", "--json"):
        assert option in result.output


def test_progress_on_a_terminal_counts_runs_and_prints_failures(tmp_path: Path) -> None:
    plan = plaza_plan(tmp_path, replications=1)
    records = fake_records(plan, {(0, 0): {"counts__alerts": 1}, (1, 0): None})
    screen = io.StringIO()
    with Progress(console=Console(file=screen, width=200, force_terminal=False)) as bar:
        progress = RichSweepProgress(bar)
        progress.begin(total=3, reused=1)
        for record in records:
            progress.finished(record)
        (task,) = bar.tasks
        assert (task.completed, task.total, task.fields["failed"]) == (3, 3, 1)
    assert "failed: watchlist.size=100, rep 0" in screen.getvalue()
    assert "ValueError: boom" in screen.getvalue()


def test_off_a_terminal_only_failures_are_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = plaza_plan(tmp_path, replications=1)
    quiet = FailureLines()
    quiet.begin(total=2, reused=0)
    for record in fake_records(plan, {(0, 0): {"counts__alerts": 1}, (1, 0): None}):
        quiet.finished(record)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().startswith("failed: watchlist.size=100, rep 0 (seed ")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "n/a"), (12345, "12,345"), (0.1234567, "0.1235"), (1.67e-5, "1.67e-05"), (0, "0")],
)
def test_figures_are_shown_with_sensible_digits(value: float | None, shown: str) -> None:
    assert fmt(value) == shown


def test_an_interval_is_shown_as_mean_plus_minus_half_width() -> None:
    assert fmt_interval({"mean": 10.0, "ci_low": 8.0, "ci_high": 12.0}) == "10 ± 2"
    assert fmt_interval({"mean": 10.0, "ci_low": None, "ci_high": None}) == "10"
    assert fmt_interval(None) == "n/a"


def test_the_plaza_scenario_used_here_exists() -> None:
    assert PLAZA.is_file()
