"""``twin matcher bench`` and ``twin matcher serve``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from twin.cli.matcher import matcher_app
from twin.matcher import Matcher

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_bench_json_rows_carry_the_issue_fields() -> None:
    result = runner.invoke(
        matcher_app,
        [
            "bench",
            "--sizes",
            "1000",
            "--batches",
            "16",
            "--backends",
            "flat,ivf",
            "--min-time-s",
            "0.02",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = report["rows"]
    assert {(r["backend"], r["batch"]) for r in rows} == {("flat", 16), ("ivf", 16)}
    for row in rows:
        assert {
            "backend",
            "gallery_size",
            "batch",
            "queries_per_s",
            "gflops",
            "sgemm_gflops",
        } <= set(row)
        assert row["gallery_size"] == 1000 and row["queries_per_s"] > 0 and row["sgemm_gflops"] > 0
        assert row["gflops"] == pytest.approx(2 * 1000 * 512 * row["queries_per_s"] / 1e9)
        assert (row["recall_at_1"] is None) == (row["backend"] == "flat")
    assert report["kernel"]["faiss_blas_architecture"]


def test_bench_table_names_the_kernel() -> None:
    result = runner.invoke(
        matcher_app,
        [
            "bench",
            "--sizes",
            "1000",
            "--batches",
            "4",
            "--backends",
            "flat",
            "--min-time-s",
            "0.02",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "FAISS BLAS" in result.stdout and "load average" in result.stdout


def test_bench_reports_the_precision_path_it_took() -> None:
    args = ["bench", "--sizes", "1000", "--batches", "8", "--backends", "flat"]
    result = runner.invoke(
        matcher_app, [*args, "--min-time-s", "0.02", "--precision", "auto", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["precision"]["requested"] == "auto"
    assert report["precision"]["used"] in {"float32", "int8"}
    assert report["rows"][0]["precision"] == report["precision"]["used"]
    assert report["precision"]["kernel"]


def test_bad_flags_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args, fragment in [
        (["bench", "--sizes", "ten"], "--sizes"),
        (["bench", "--backends", "annoy"], "--backends"),
        (["bench", "--precision", "bf16"], "float32, int8, auto"),
        (["serve", "--precision", "fp8"], "float32, int8, auto"),
        (["serve", "--host", "0.0.0.0"], "--token"),
        (["serve", "--gallery", str(tmp_path / "missing.twg")], "cannot read gallery file"),
    ]:
        result = runner.invoke(matcher_app, args)
        assert result.exit_code == 2, (args, result.output)
        assert fragment in result.output and "Traceback" not in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_a_saved_gallery_then_stop_gracefully_on_sigterm(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    vectors = rng.standard_normal((300, 512), dtype=np.float32)
    matcher = Matcher(512)
    matcher.add(np.arange(300, dtype=np.int64) + 10, vectors)
    gallery = tmp_path / "gallery.twg"
    matcher.save(gallery)
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twin.cli.matcher",
            "serve",
            "--gallery",
            str(gallery),
            "--port",
            str(port),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, process.stderr
            time.sleep(0.1)
        response = httpx.post(
            f"{url}/v1/search",
            content=vectors[:2].tobytes(),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert response.json()["ids"] == [[10], [11]]
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal so the exit status reports it
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
        assert b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
