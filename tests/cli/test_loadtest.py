"""``twin loadtest`` as a user runs it: refusals before any load, real runs, wrong galleries, Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from twin.cli.loadtest import app
from twin.loadtest.reader import read_loadtest
from twin.matcher import Matcher
from twin.matcher.config import ServiceConfig
from twin.matcher.server import BackgroundServer

if TYPE_CHECKING:
    from tests.loadtest_fixtures import FakeServer, Reply

pytest_plugins = ["tests.loadtest_fixtures"]

ROOT = Path(__file__).resolve().parents[2]
PLAZA = str(ROOT / "scenarios" / "small_plaza.toml")
FAST = ["--set", "pipeline.timing_repeats=2"]
STEP_KEYS = {
    "offered_rate", "achieved_rate", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "errors",
    "rejected", "wrong_answers", "sender_lag_p99_ms", "valid",
}  # fmt: skip
runner = CliRunner()


def _refused(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, [PLAZA, *FAST, *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert fragment in lines[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--target", "inprocess", "--rates", "0"], "--rates"),
        (["--target", "inprocess", "--rates", "100,-5"], "--rates"),
        (["--target", "inprocess", "--rates", "fast"], "--rates"),
        (["--target", "inprocess", "--window", "09:30-07:30"], "--window"),
        (["--target", "inprocess", "--speed", "0", "--window", "08:00-09:00"], "--speed"),
        (
            ["--target", "inprocess", "--rates", "100", "--step-s", "10", "--duration-cap-s", "5"],
            "--duration-cap-s",
        ),
        (["--target", "inprocess", "--duration-cap-s", "100000"], "--duration-cap-s"),
        (["--rates", "100"], "--target"),
        (["--target", "ftp://127.0.0.1:21"], "--target"),
        (["--target", "http://10.1.2.3:8700", "--rates", "100"], "--allow-remote"),
        (["--target", "inprocess", "--sender-cpu", "999"], "--sender-cpu"),
        (["--target", "inprocess", "--set", "loadtest.edge_batching='carrier pigeon'"], "loadtest"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    _refused(args, fragment)


def test_an_unreachable_target_is_refused_before_any_load(closed_url: str) -> None:
    _refused(["--target", closed_url, "--rates", "100"], "cannot reach")


def test_a_service_that_is_not_a_twin_matcher_is_refused(fake_server: type[FakeServer]) -> None:
    def reply(n: int) -> Reply:
        return 200, {"Content-Type": "text/html"}, b"<html>hello</html>"

    with fake_server(reply) as fake:
        _refused(["--target", fake.url, "--rates", "100"], "not a twin matcher")
        assert fake.count == 1  # only /health was asked: no load was sent


def _run_json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, [PLAZA, *FAST, *args, "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_an_in_process_sweep_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "loadtest"
    summary = _run_json(
        [
            "--target",
            "inprocess",
            "--rates",
            "100,200",
            "--step-s",
            "1",
            "--refine",
            "0",
            "--out",
            str(out),
        ]
    )
    assert [s["offered_rate"] for s in summary["steps"]] == [100.0, 200.0]
    for step in summary["steps"]:
        assert step.keys() >= STEP_KEYS
        assert step["errors"] == step["rejected"] == step["wrong_answers"] == 0
        assert step["mated_checked"] > 0 and step["answered"] == step["requests"]
    assert "knee_rate" in summary and summary["path"] == str(out)
    written = json.loads((out / "summary.json").read_text())
    assert written["steps"] == summary["steps"] and written["knee_rate"] == summary["knee_rate"]
    requests = pq.read_table(out / "requests.parquet")
    assert requests.num_rows == sum(s["requests"] for s in summary["steps"])
    assert pq.read_table(out / "seconds.parquet").num_rows >= 2
    assert "plotly" in (out / "latency_vs_throughput.html").read_text()[:200_000].lower()
    shown = read_loadtest(out)  # the dashboard reads it
    assert shown.steps["offered_rate"].tolist() == [100.0, 200.0]
    assert shown.details["target"] == "inprocess"


def test_a_wrong_gallery_gives_wrong_answers_counted(tmp_path: Path) -> None:
    wrong = Matcher(512)
    rng = np.random.default_rng(11)
    wrong.add(np.arange(1000, dtype=np.int64), rng.standard_normal((1000, 512), dtype=np.float32))
    with BackgroundServer(wrong, ServiceConfig(port=0)) as server:
        summary = _run_json(
            [
                "--target",
                server.base_url,
                "--rates",
                "100",
                "--step-s",
                "1",
                "--refine",
                "0",
                "--out",
                str(tmp_path / "wrong"),
            ]
        )
    (step,) = summary["steps"]
    assert step["mated_checked"] > 5 and step["wrong_answers"] >= step["mated_checked"] - 1
    assert summary["knee_rate"] is None  # wrong answers miss the target, however fast


def test_an_impossible_rate_is_marked_invalid(tmp_path: Path) -> None:
    summary = _run_json(
        [
            "--target",
            "inprocess",
            "--rates",
            "50000",
            "--step-s",
            "0.1",
            "--refine",
            "0",
            "--out",
            str(tmp_path / "flood"),
        ]
    )
    (step,) = summary["steps"]
    assert step["valid"] is False and step["sender_lag_p99_ms"] > 1.0
    assert summary["valid"] is False and summary["knee_rate"] is None


def test_write_gallery_saves_the_watchlist_the_service_should_hold(
    tmp_path: Path, lt_gallery: Matcher
) -> None:
    path = tmp_path / "plaza.twg"
    result = runner.invoke(app, [PLAZA, "--write-gallery", str(path)])
    assert result.exit_code == 0, result.output
    saved = Matcher.load(path)
    assert saved.size == 1000
    probe = np.random.default_rng(0).standard_normal((4, 512), dtype=np.float32)
    np.testing.assert_array_equal(saved.search(probe).ids, lt_gallery.search(probe).ids)


def _loadtest_process(*args: str, new_group: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "twin.cli.loadtest", PLAZA, *FAST, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_group,
    )


def test_replay_and_sweep_against_twin_matcher_serve(served_process: str, tmp_path: Path) -> None:
    out = tmp_path / "replay"
    process = _loadtest_process(
        "--set", "loadtest.edge_batching='micro_batch'", "--set", "loadtest.edge_max_wait_ms=500",
        "--target", served_process, "--window", "08:00-08:10", "--speed", "300", "--rates", "100",
        "--step-s", "1", "--refine", "0", "--json", "--out", str(out),
    )  # fmt: skip
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr
    summary = json.loads(stdout)
    replay = summary["replay"]
    assert replay["window"] == "08:00-08:10" and replay["requests"] > 10
    assert replay["edge_batching"] == "micro_batch" and replay["probes"] > replay["requests"]
    assert replay["answered"] == replay["requests"] and replay["wrong_answers"] == 0
    comparison = replay["comparison"]
    for key in ("simulated_at_1x_ms", "simulated_ms", "simulated_as_service_ms", "real_ms"):
        assert comparison[key]["p50"] is not None
    assert comparison["service_mean_batch_probes"] is not None  # read from its /metrics
    assert len(comparison["explanation"]) >= 4
    assert summary["steps"][0]["wrong_answers"] == 0
    assert read_loadtest(out).replay is not None


def _lines(stream: Any) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_ctrl_c_stops_cleanly_and_writes_what_was_measured(tmp_path: Path) -> None:
    out = tmp_path / "stopped"
    process = _loadtest_process(
        "--target", "inprocess", "--rates", "50", "--step-s", "60", "--refine", "0",
        "--out", str(out),
    )  # fmt: skip
    try:
        lines = _lines(process.stderr)
        deadline = time.monotonic() + 90
        while "sender started" not in lines.get(timeout=max(0.1, deadline - time.monotonic())):
            pass
        time.sleep(2.5)  # the warm-up second, then into the step
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and "interrupted" in summary["stopped_reason"]
    (step,) = summary["steps"]
    assert step["complete"] is False and step["answered"] > 10 and step["not_sent"] > 1000
    assert pq.read_table(out / "requests.parquet").num_rows == step["requests"]


def test_sigterm_to_the_process_group_still_writes_and_counts_unsent(tmp_path: Path) -> None:
    """As ``timeout``, systemd and ``docker stop`` do: every process of the group gets SIGTERM."""
    out = tmp_path / "terminated"
    process = _loadtest_process(
        "--target", "inprocess", "--rates", "50", "--step-s", "60", "--refine", "0",
        "--out", str(out), new_group=True,
    )  # fmt: skip
    try:
        lines = _lines(process.stderr)
        deadline = time.monotonic() + 90
        while "sender started" not in lines.get(timeout=max(0.1, deadline - time.monotonic())):
            pass
        time.sleep(2.5)
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    (step,) = summary["steps"]
    assert step["answered"] > 10 and step["not_sent"] > 1000 and step["timeouts"] == 0
