"""``twin loadtest``: drive a matcher service with the site's own traffic, open loop, and find the knee.

The ``twin`` command mounts `loadtest` as ``twin loadtest``; ``python -m twin.cli.loadtest`` runs it
alone. Bad input (rates, window, speed, cap, a target that is not a reachable loopback twin matcher)
gets one line and exit code 2 before any load is sent; Ctrl-C (or SIGTERM) stops the step in
progress, writes what was measured and exits 130. docs/loadtest.md has the details.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich import box
from rich.table import Table

from twin.cli.support import refuse_bad_input, stderr, stdout
from twin.errors import TwinInputError
from twin.loadtest.plan import (
    DEFAULT_DURATION_CAP_S,
    DEFAULT_REFINE_STEPS,
    DEFAULT_SLO_MS,
    DEFAULT_SPEED,
    DEFAULT_STEP_S,
    make_plan,
)

if TYPE_CHECKING:
    from twin.scenario import Scenario

TOKEN_ENV: Final = "TWIN_MATCHER_TOKEN"
INTERRUPTED_EXIT: Final = 130


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the load test like Ctrl-C does (and still writes what was measured)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _render(summary: dict[str, Any], out: Path | None) -> None:
    steps = summary["steps"]
    if steps:
        table = Table(
            title=f"{summary['scenario']}: the matcher at {summary['target']}",
            caption="rates per second; latency (ms) from each request's intended send time",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        for column in (
            "offered", "achieved", "p50", "p90", "p99", "p99.9", "errors", "503s", "wrong",
            "lag p99", "valid",
        ):  # fmt: skip
            table.add_column(column, justify="right")
        for s in steps:
            table.add_row(
                f"{s['offered_rate']:,.0f}",
                f"{s['achieved_rate']:,.0f}",
                _ms(s["p50_ms"]),
                _ms(s["p90_ms"]),
                _ms(s["p99_ms"]),
                _ms(s["p999_ms"]),
                f"{s['errors']:,}",
                f"{s['rejected']:,}",
                f"{s['wrong_answers']:,}/{s['mated_checked']:,}",
                f"{s['sender_lag_p99_ms']:.2f}" if s["sender_lag_p99_ms"] is not None else "-",
                "yes" if s["valid"] else "NO",
            )
        stdout.print(table)
        knee = summary["knee_rate"]
        if knee is None:
            stdout.print(f"knee: no rate met p99 < {summary['slo_ms']:g} ms without failures")
        else:
            stdout.print(
                f"knee: {knee:,.0f} requests/s (highest rate with p99 < {summary['slo_ms']:g} ms, "
                f"no errors, rejections or wrong answers); sender lag p99 there "
                f"{summary['knee_sender_lag_p99_ms']:.3f} ms (limit {summary['sender_lag_limit_ms']:g})"
            )
        if summary["knee_limited_by_sender"]:
            stdout.print(
                "the step above the knee is invalid: the sender lagged, the knee may be higher"
            )
        if summary["skipped_rates"]:
            stdout.print(
                f"skipped rates: {', '.join(f'{r:,.0f}' for r in summary['skipped_rates'])}"
            )
    replay = summary.get("replay")
    if replay:
        _render_replay(replay)
    if summary.get("stopped_reason"):
        stdout.print(f"stopped early: {summary['stopped_reason']}")
    if out is not None:
        stdout.print(f"results: {out}")


def _render_replay(replay: dict[str, Any]) -> None:
    stdout.print(
        f"replay {replay['window']} at {replay['speed']:g}x ({replay['edge_batching']}): "
        f"{replay['requests']:,} requests, {replay['probes']:,} probes, offered "
        f"{replay['offered_probe_rate']:,.0f} probes/s, achieved {replay['achieved_probe_rate']:,.0f}; "
        f"errors {replay['errors']:,}, 503s {replay['rejected']:,}, wrong "
        f"{replay['wrong_answers']:,}/{replay['mated_checked']:,}; sender lag p99 "
        f"{_ms(replay['sender_lag_p99_ms'])} ms ({'valid' if replay['valid'] else 'INVALID'})"
    )
    comparison = replay.get("comparison")
    if not comparison:
        return
    table = Table(title="Latency per probe (ms): simulated pipeline against the real service")
    table.add_column("")
    for column in ("p50", "p90", "p99", "p99.9", "max"):
        table.add_column(column, justify="right")
    for label, key in (
        ("simulated, real-time load", "simulated_at_1x_ms"),
        ("simulated, replayed load", "simulated_ms"),
        ("simulated, batching as the service", "simulated_as_service_ms"),
        ("real service, replayed load", "real_ms"),
    ):
        figures = comparison[key]
        table.add_row(label, *(_ms(figures[k]) for k in ("p50", "p90", "p99", "p999", "max")))
    stdout.print(table)
    for line in comparison["explanation"]:
        stdout.print(f"- {line}")


def _default_out(scenario: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"loadtest-{scenario.stem}-{stamp}"


@refuse_bad_input
def loadtest(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario TOML file. Default: scenarios/kings_cross_weekday.toml."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            help="A running `twin matcher serve` (http://127.0.0.1:8700), or 'inprocess' to serve "
            "the scenario's watchlist in this process."
        ),
    ] = None,
    window: Annotated[
        str | None,
        typer.Option(help="Replay this window of the day, HH:MM-HH:MM (e.g. 07:30-09:30)."),
    ] = None,
    speed: Annotated[
        float, typer.Option(help="Replay compression: simulated seconds per wall second.")
    ] = DEFAULT_SPEED,
    rates: Annotated[
        str | None,
        typer.Option(
            help="Constant offered rates to sweep, requests/s, comma-separated (default without "
            "--window: 250,500,1000,2000,4000,8000)."
        ),
    ] = None,
    step_s: Annotated[float, typer.Option(help="Seconds each rate is held.")] = DEFAULT_STEP_S,
    slo_ms: Annotated[
        float, typer.Option(help="p99 latency target (ms) that defines the knee.")
    ] = DEFAULT_SLO_MS,
    duration_cap_s: Annotated[
        float, typer.Option(help="Most seconds of load the plan may send (at most 3600).")
    ] = DEFAULT_DURATION_CAP_S,
    refine: Annotated[
        int, typer.Option(help="Extra steps between the knee and the first rate over it.")
    ] = DEFAULT_REFINE_STEPS,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a target beyond this machine.")
    ] = False,
    token: Annotated[
        str | None, typer.Option(help=f"Bearer token the service wants (or ${TOKEN_ENV}).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for the faces and arrivals. Default: the scenario's.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a scenario field, e.g. --set loadtest.edge_batching='micro_batch'.",
        ),
    ] = None,
    sender_cpu: Annotated[
        int | None, typer.Option(help="Pin the sender's process to this CPU.")
    ] = None,
    search_threads: Annotated[
        int | None,
        typer.Option(
            help="FAISS threads here: for the simulation's measured service times and an "
            "in-process service (default: usable cores). Match the service's --threads to compare "
            "like with like."
        ),
    ] = None,
    realtime: Annotated[
        bool,
        typer.Option(help="Ask for real-time scheduling for the sender (kept normal if refused)."),
    ] = True,
    write_gallery: Annotated[
        Path | None,
        typer.Option(
            help="Only save the scenario's watchlist as a gallery file for `twin matcher serve "
            "--gallery`, and exit."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Results directory. Default: runs/loadtest-SCENARIO-TIME."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON document.")
    ] = False,
) -> None:
    """Load-test the matcher service with the site's own traffic: open loop, honest latencies, the knee.

    Replays a window of the site's captures (compressed by --speed) and/or sweeps constant rates,
    every latency measured from when its request was meant to leave. Writes a results directory
    (summary.json, requests.parquet, seconds.parquet, latency_vs_throughput.html); docs/loadtest.md.

    Examples:

      twin loadtest --target inprocess --rates 100,200,400 --step-s 5

      twin loadtest --write-gallery watchlist.twg    # then: twin matcher serve --gallery watchlist.twg

      twin loadtest --target http://127.0.0.1:8700 --window 07:30-09:30 --speed 10
    """
    from twin.loadtest.plan import LoadtestRequest
    from twin.loadtest.sender import SenderError
    from twin.loadtest.session import run_loadtest
    from twin.loadtest.target import INPROCESS, parse_url
    from twin.scenario import find_scenario, load_scenario

    plan = make_plan(
        rates=rates,
        window=window,
        speed=speed,
        step_s=step_s,
        slo_ms=slo_ms,
        duration_cap_s=duration_cap_s,
        refine_steps=refine,
    )
    if seed is not None and seed < 0:
        raise TwinInputError("--seed: must be a non-negative integer")
    if sender_cpu is not None and sender_cpu not in os.sched_getaffinity(0):
        raise TwinInputError(
            f"--sender-cpu: choose one of {sorted(os.sched_getaffinity(0))}, got {sender_cpu}"
        )
    if search_threads is not None and not 1 <= search_threads <= 256:
        raise TwinInputError(f"--search-threads: 1 to 256, got {search_threads}")
    scenario_path = find_scenario(scenario)
    loaded = load_scenario(scenario_path, overrides=tuple(overrides or ()))
    chosen_seed = loaded.seed if seed is None else seed
    if write_gallery is not None:
        _write_gallery(loaded, chosen_seed, write_gallery, as_json=as_json)
        return
    if target is None:
        raise TwinInputError(
            f"--target: give a matcher URL (http://127.0.0.1:8700) or {INPROCESS!r}"
        )
    if target != INPROCESS:
        try:
            parse_url(target)
        except ValueError as exc:  # urllib's own refusals, e.g. an unclosed [IPv6 address
            raise TwinInputError(f"--target: not a URL ({exc}), got {target!r}") from exc
    if out is not None and out.exists() and not out.is_dir():
        raise TwinInputError(f"--out: {out} exists and is not a directory")
    request = LoadtestRequest(
        scenario=loaded,
        seed=chosen_seed,
        plan=plan,
        target=target,
        out=out or _default_out(scenario_path),
        token=token or os.environ.get(TOKEN_ENV) or None,
        allow_remote=allow_remote,
        sender_cpu=sender_cpu,
        realtime=realtime,
        search_threads=search_threads,
    )

    def say(message: str) -> None:
        stderr.print(message, highlight=False, soft_wrap=True)

    try:
        with _sigterm_as_interrupt():
            outcome = run_loadtest(request, say=say)
    except SenderError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:  # before the sender started, or a second Ctrl-C while writing
        stderr.print("interrupted: nothing written", highlight=False)
        raise typer.Exit(code=INTERRUPTED_EXIT) from None
    if as_json:
        typer.echo(
            json.dumps({**outcome.summary, "path": str(outcome.out) if outcome.out else None})
        )
    else:
        _render(outcome.summary, outcome.out)
    if outcome.interrupted:
        if outcome.out is None:
            stderr.print("interrupted before anything was measured: nothing written")
        raise typer.Exit(code=INTERRUPTED_EXIT)


def _write_gallery(scenario: Scenario, seed: int, path: Path, *, as_json: bool) -> None:
    from twin.loadtest.probes import scenario_gallery

    matcher = scenario_gallery(scenario, seed).matcher
    try:
        matcher.save(path)
    except OSError as exc:
        raise TwinInputError(f"--write-gallery: cannot write {path}: {exc.strerror}") from exc
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "gallery": str(path),
                    "identities": matcher.size,
                    "backend": matcher.backend,
                    "dim": matcher.dim,
                    "seed": seed,
                }
            )
        )
    else:
        stdout.print(
            f"wrote {path}: {matcher.size:,} identities ({matcher.backend}, {matcher.dim}-d, seed "
            f"{seed}); serve it with: twin matcher serve --gallery {path}"
        )


app = typer.Typer(
    help="Load-test the matcher service with the site's own traffic.",
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(loadtest)


if __name__ == "__main__":
    app()
