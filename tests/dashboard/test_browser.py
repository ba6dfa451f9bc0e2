"""The dashboard in a real browser: `streamlit run app.py` on a loopback port, opened in Debian's
headless Chromium through Playwright, on a real run of the small plaza."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from twin.dashboard.catalogue import scan
from twin.dashboard.loading import RUNS_ENV
from twin.results.reader import read_results

if TYPE_CHECKING:
    from tests.dashboard_fixtures import DashboardKit, DashboardRuns

pytest_plugins = ["tests.dashboard_fixtures"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SERVER_START_S = 60.0
PAGE_LOAD_MS = 60_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dashboard_url(
    kit: DashboardKit, dashboard_runs: DashboardRuns, tmp_path: Path
) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port, reading the session's results folder."""
    if not CHROMIUM.is_file():  # a missing browser is a broken machine, not a reason to skip
        pytest.fail(
            f"{CHROMIUM} is missing: run `bash .ci/install` (it installs Debian's chromium)"
        )
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(kit.root / "app.py"),
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=kit.root,
        env={**os.environ, RUNS_ENV: str(dashboard_runs.good)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(
                    "streamlit did not start: " + (tmp_path / "streamlit.log").read_text()[-2000:]
                )
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
        log.close()


@pytest.mark.browser
def test_the_overview_in_a_real_browser(
    dashboard_url: str, dashboard_runs: DashboardRuns, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    shown_run = scan(dashboard_runs.good).runs[0]  # the page opens on the newest run
    counts = read_results(shown_run).manifest["counts"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            began = time.perf_counter()
            page.goto(dashboard_url, timeout=PAGE_LOAD_MS)
            page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=PAGE_LOAD_MS)
            page.get_by_text("people walked through").first.wait_for(timeout=PAGE_LOAD_MS)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                timeout=PAGE_LOAD_MS,
            )
            rendered_s = time.perf_counter() - began
            body = page.inner_text("body")
            screenshot = tmp_path / "overview.png"
            page.screenshot(path=str(screenshot), full_page=True)
            print(f"overview rendered in {rendered_s:.2f} s; screenshot {screenshot}")

            assert page.locator('[data-testid="stException"]').count() == 0, body[:2000]
            assert f"{counts['pedestrians']:,} people walked through" in body
            assert f"{counts['true_alerts']:,} / {counts['false_alerts']:,}" in body
            for figure in ("Wrong-alert rate (FPIR)", "Miss rate (FNIR)", "Matcher p99 latency"):
                assert figure in body
            assert "seed" in body and "Small plaza" in body
            assert screenshot.stat().st_size > 10_000
        finally:
            browser.close()
