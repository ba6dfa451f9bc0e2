"""``twin sweep`` and ``twin compare``: what-if grids with confidence intervals, and two results side by side.

The commands live on ``sweep_app`` (runnable as ``python -m twin.cli.sweeps``) and are mounted on the
``twin`` command by twin/cli/app.py. Bad input gets one line and exit code 2, as everywhere in ``twin``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.progress import (
    Progress,
    TaskID,
)
from rich.table import Table

from twin.cli.limits import MAX_SWEEP_RUNS, check_sweep_size
from twin.cli.support import batch_json, refuse_bad_input, run_batch, stderr, stdout
from twin.errors import TwinInputError

if TYPE_CHECKING:  # the heavy modules (scipy, pandas, Dask) load only when a command runs
    from twin.sweeps.compare import Comparison
    from twin.sweeps.engine import SweepProgress
    from twin.sweeps.tables import RunRecord


DEFAULT_REPLICATIONS: Final = 5
#: Exit code of a sweep some of whose runs failed (everything else was still run and stored).
EXIT_RUNS_FAILED: Final = 1
#: The summary columns printed at the end of a sweep: metric and heading.
TABLE_METRICS: Final = (
    ("counts.searches", "searches"),
    ("counts.alerts", "alerts"),
    ("counts.false_alerts", "false alerts"),
    ("outcomes.fpir", "FPIR"),
    ("outcomes.precision", "precision"),
    ("latency_ms.p99", "latency p99 (ms)"),
)

sweep_app = typer.Typer(
    help="What-if sweeps on Dask, and side-by-side comparisons of runs or sweeps.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def fmt(value: float | None) -> str:
    """A figure for a table: counts with separators, rates with enough digits, n/a for none."""
    if value is None:
        return "n/a"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    if value != 0 and abs(value) < 0.001:
        return f"{value:.2e}"
    return f"{value:.4g}"


def fmt_interval(entry: dict[str, Any] | None) -> str:
    """``mean ± half-width`` of a 95% interval (an Estimate's dict); the mean alone without one."""
    if not entry or entry.get("mean") is None:
        return "n/a"
    if entry.get("ci_low") is None or entry.get("ci_high") is None:
        return fmt(entry["mean"])
    return f"{fmt(entry['mean'])} ± {fmt((entry['ci_high'] - entry['ci_low']) / 2)}"


class RichSweepProgress:
    """Runs finished out of all (those already on disk count as done), failures printed as they come."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._task: TaskID | None = None
        self._failed = 0

    def begin(self, *, total: int, reused: int) -> None:
        self._task = self._bar.add_task("sweep", total=total, completed=reused, failed=0)

    def finished(self, record: RunRecord) -> None:
        from twin.sweeps.tables import FAILED, failure_line

        if record.status == FAILED:
            self._failed += 1
            self._bar.console.print(f"[red]failed:[/] {failure_line(record)}", highlight=False)
        if self._task is not None:
            self._bar.update(self._task, advance=1, failed=self._failed)


class FailureLines:
    """Off a terminal: nothing but one line per failed run, on stderr."""

    def begin(self, *, total: int, reused: int) -> None:
        pass

    def finished(self, record: RunRecord) -> None:
        from twin.sweeps.tables import FAILED, failure_line

        if record.status == FAILED:
            stderr.print(f"failed: {failure_line(record)}", highlight=False, soft_wrap=True)


def sweep_table(summary: dict[str, Any]) -> Table:
    """The end-of-sweep table: per point, runs done and the mean [95% CI] of the key figures."""
    parameters = list(summary.get("vary", {}))
    title = (
        f"{summary['scenario_name']}: {summary['runs_complete']} of {summary['runs_total']} runs "
        f"complete, {summary['runs_failed']} failed (mean ± 95% CI)"
    )
    table = Table(title=title)
    for name in parameters:
        table.add_column(name, style="bold")
    table.add_column("runs", justify="right")
    for _, heading in TABLE_METRICS:
        table.add_column(heading, justify="right")
    for point in summary["points"]:
        cells = [json.dumps(point["params"][name]) for name in parameters]
        runs = f"{point['replications']}" + (
            f" ({point['failed']} failed)" if point["failed"] else ""
        )
        cells.append(runs)
        cells.extend(fmt_interval(point["metrics"].get(metric)) for metric, _ in TABLE_METRICS)
        table.add_row(*cells)
    return table


@sweep_app.command()
@refuse_bad_input
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="KEY=V1,V2,...: a scenario field and its values (repeatable; the grid is every combination).",
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option(help="Runs per point, each on its own seed.")
    ] = DEFAULT_REPLICATIONS,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Sweep directory. Default: runs/sweep-SCENARIO."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes of the local Dask cluster. Default: one per core."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="An existing Dask scheduler instead: its address (tcp://10.0.0.5:8786) or scheduler file."
        ),
    ] = None,
    matcher_threads: Annotated[
        int | None,
        typer.Option(
            help="BLAS/OpenMP threads of each run's matcher. Default: the host's cores shared out among its Dask threads."
        ),
    ] = None,
    window: Annotated[
        str | None, typer.Option(help="Simulate only this part of the day: HH:MM-HH:MM.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Base seed of the replications. Default: the scenario's own.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario field at every point (repeatable)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON document.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help=f"Run even beyond {MAX_SWEEP_RUNS:,} runs.")
    ] = False,
) -> None:
    """Run a what-if grid: every combination of the --vary values, each run R times on independent seeds.

    Writes DIR/sweep.parquet (one row per run) and DIR/summary.json (per point: mean and 95%
    confidence interval), with every run's results directory under DIR/points/ (docs/sweeps.md).
    Re-running the same command skips the runs already finished. Exit code 1 if any run failed.

    Examples:

      twin sweep scenarios/small_plaza.toml --vary watchlist.size=7,100,1000,10000 --replications 5

      twin sweep scenarios/kings_cross_weekday.toml --window 07:00-10:00 --vary matcher.threshold_cosine=0.22,0.26,0.3 --scheduler tcp://10.0.0.5:8786
    """
    from twin.sweeps.engine import check_engine, run_sweep
    from twin.sweeps.plan import parse_vary, plan_sweep

    check_engine(workers=workers, scheduler=scheduler, matcher_threads=matcher_threads)
    if replications < 1:
        raise TwinInputError(f"--replications: must be at least 1, got {replications}")
    points = math.prod(len(parse_vary(text).values) for text in vary or ())
    check_sweep_size(points, replications, cores=workers or os.cpu_count() or 1, force=force)
    plan = plan_sweep(
        scenario,
        vary=vary or (),
        replications=replications,
        out=out or Path("runs") / f"sweep-{scenario.stem}",
        seed=seed,
        overrides=overrides or (),
        window=window,
    )
    engine: dict[str, Any] = {
        "workers": workers,
        "scheduler": scheduler,
        "matcher_threads": matcher_threads,
    }
    plain: SweepProgress = FailureLines()
    outcome = run_batch(
        lambda progress: run_sweep(plan, progress=progress, **engine),
        bar_progress=RichSweepProgress,
        plain_progress=plain,
        unit="runs",
        kept_in=plan.out,
        quiet=as_json,
    )
    if as_json:
        typer.echo(batch_json(outcome, plan.out))
    else:
        stdout.print(sweep_table(outcome.summary))
        stdout.print(
            f"{outcome.ran} runs computed, {outcome.reused} already done, in "
            f"{outcome.wall_seconds:.1f} s: {plan.out}",
            highlight=False,
            soft_wrap=True,
        )
    if outcome.failed:
        raise typer.Exit(code=EXIT_RUNS_FAILED)


def _settings_table(comparison: Comparison) -> Table:
    table = Table(title="Set-up differences (A → B)")
    for heading in ("setting", "A", "B"):
        table.add_column(heading)
    for setting in comparison.settings:
        table.add_row(setting.key, json.dumps(setting.a), json.dumps(setting.b))
    return table


def comparison_tables(comparison: Comparison) -> list[Table]:
    """The tables ``twin compare`` prints: set-up differences, then figures or points."""
    tables = [_settings_table(comparison)] if comparison.settings else []
    if comparison.kind == "runs":
        table = Table(title=f"A = {comparison.a}, B = {comparison.b}")
        for heading in ("figure", "A", "B", "B − A", "change"):
            table.add_column(heading, justify="left" if heading == "figure" else "right")
        for row in comparison.figures:
            change = "n/a" if row.relative is None else f"{row.relative:+.1%}"
            difference = (
                "n/a"
                if row.difference is None
                else f"{'+' if row.difference > 0 else ''}{fmt(row.difference)}"
            )
            table.add_row(row.metric, fmt(row.a), fmt(row.b), difference, change)
        return [*tables, table]
    methods = sorted({p.method for p in comparison.points})
    table = Table(
        title=(
            f"A = {comparison.a}, B = {comparison.b}: mean ± 95% CI; B − A by "
            f"{' and '.join(methods) or 'no'} interval; * where it excludes 0"
        )
    )
    for name in comparison.parameters:
        table.add_column(name, style="bold")
    for heading in ("figure", "A", "B", "B − A"):
        table.add_column(heading, justify="left" if heading == "figure" else "right")
    for point in comparison.points:
        cells = [json.dumps(point.params.get(name)) for name in comparison.parameters]
        difference = fmt_interval(point.difference.as_dict()) + (" *" if point.significant else "")
        cells += [
            point.metric,
            fmt_interval(point.a.as_dict()),
            fmt_interval(point.b.as_dict()),
            difference,
        ]
        table.add_row(*cells)
    return [*tables, table]


@sweep_app.command()
@refuse_bad_input
def compare(
    a: Annotated[Path, typer.Argument(help="A results directory or a sweep directory (A).")],
    b: Annotated[Path, typer.Argument(help="Another of the same kind (B).")],
    metrics: Annotated[
        list[str] | None,
        typer.Option("--metric", help="A figure to compare, e.g. outcomes.fpir (repeatable)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the comparison as one JSON document.")
    ] = False,
) -> None:
    """Compare two runs, or two sweeps over the same fields, side by side.

    Two runs: each figure, B − A and the relative change, and the scenario fields that differ. Two
    sweeps: per point, each figure's mean and 95% interval in A and B, and the interval of B − A
    (paired by seed when both ran the same seeds).

    Examples:

      twin compare runs/plaza runs/plaza-threshold-0.3

      twin compare runs/sweep-a runs/sweep-b --metric outcomes.fpir
    """
    from twin.sweeps.compare import compare as compare_results

    comparison = compare_results(a, b, metrics=metrics or None)
    if as_json:
        typer.echo(json.dumps(comparison.as_dict(), indent=2))
        return
    for table in comparison_tables(comparison):
        stdout.print(table)
    for side, only in (("A", comparison.only_in_a), ("B", comparison.only_in_b)):
        for params in only:
            stdout.print(f"only in {side}: {json.dumps(params)}", highlight=False)


if __name__ == "__main__":
    sweep_app()
