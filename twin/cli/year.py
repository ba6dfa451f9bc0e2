"""``twin year``: consecutive days of a scenario with the same people, and who was flagged over them.

Mounted on the ``twin`` command by twin/cli/app.py. Bad input gets one line and exit code 2, as
everywhere in ``twin``; a period some of whose days failed exits 1; Ctrl-C exits 130 keeping every
finished day.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.progress import (
    Progress,
    TaskID,
)
from rich.table import Table

from twin.cli.support import batch_json, refuse_bad_input, run_batch, stderr, stdout
from twin.errors import TwinInputError
from twin.oversight.report import PERIOD_PERSON_ROWS as PERSON_ROWS

if TYPE_CHECKING:  # the heavy modules (scipy, Dask) load only when the command runs
    from twin.sweeps.year import DayRecord, YearProgress

#: Exit code of a period some of whose days failed (every other day was still run and stored).
EXIT_DAYS_FAILED: Final = 1
#: Per-day figures in the end-of-period table: key and plain words.
DAY_ROWS: Final = (
    ("people", "People on site"),
    ("people_scanned", "People scanned"),
    ("searches", "Faces searched"),
    ("alerts", "Alerts"),
    ("true_alerts", "Right alerts"),
    ("false_alerts", "Wrong alerts"),
    ("innocent_people_flagged", "Innocent people wrongly flagged"),
    ("intercepted", "People stopped"),
    ("wrong_person", "Wrong people stopped"),
)


class RichYearProgress:
    """Days finished out of all (those already on disk count as done), failures printed as they come."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._task: TaskID | None = None
        self._failed = 0

    def begin(self, *, total: int, reused: int) -> None:
        self._task = self._bar.add_task("days", total=total, completed=reused, failed=0)

    def finished(self, record: DayRecord) -> None:
        if record.status == "failed":
            self._failed += 1
            first = record.error.splitlines()[0] if record.error else "failed"
            self._bar.console.print(
                f"[red]day {record.run.index} failed:[/] {first}", highlight=False
            )
        if self._task is not None:
            self._bar.update(self._task, advance=1, failed=self._failed)


class FailureLines:
    """Off a terminal: nothing but one line per failed day, on stderr."""

    def begin(self, *, total: int, reused: int) -> None:
        pass

    def finished(self, record: DayRecord) -> None:
        if record.status == "failed":
            first = record.error.splitlines()[0] if record.error else "failed"
            stderr.print(f"day {record.run.index} failed: {first}", highlight=False, soft_wrap=True)


def _number(value: float) -> str:
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"


def _interval(values: list[float] | None, *, share: bool = False) -> str:
    if values is None:
        return "n/a"
    low, high = values
    if share:
        return f"{low:.0%} to {high:.0%}"
    return f"{_number(low)} to {_number(high)}"


def period_tables(summary: dict[str, Any]) -> list[Table]:
    """The end-of-period tables: per person over the period, then per day, each with its interval."""
    days = f"{summary['days_complete']} simulated days of {summary['days']}"
    people = summary.get("per_person")
    if people is None:
        return []
    persons = Table(
        title=(
            f"{summary['scenario']['name']}: over {days} "
            f"({people['people']:,} people, {people['people_on_site_two_days_or_more']:,} on two days or more)"
        )
    )
    for heading in ("over the period", "count", "95% interval (people resampled)"):
        persons.add_column(heading, justify="left" if heading == "over the period" else "right")
    for key, words in PERSON_ROWS:
        figure = people[key]
        share = key.startswith("share")
        value = f"{figure['value']:.0%}" if share else _number(figure["value"])
        persons.add_row(words, value, _interval(figure["ci95"], share=share))
    daily = Table(title="Per simulated day (mean), and a year of such days")
    for heading in ("per day", "mean", "95% interval", "in a year"):
        daily.add_column(heading, justify="left" if heading == "per day" else "right")
    for key, words in DAY_ROWS:
        figure = summary["per_day"].get(key)
        if figure is None:
            continue
        daily.add_row(
            words,
            _number(figure["per_day"]),
            _interval(figure["ci95_per_day"]),
            _interval(figure["ci95_per_year"]),
        )
    return [persons, daily]


def flagged_over_period_in_words(summary: dict[str, Any]) -> str:
    """The period's per-person outcome in one plain sentence."""
    people = summary.get("per_person")
    if people is None:
        return ""
    flagged = int(people["innocent_people_flagged"]["value"])
    most = int(people["most_false_alerts_on_one_innocent_person"]["value"])
    twice = int(people["innocent_people_flagged_on_two_days_or_more"]["value"])
    span = f"In {summary['days_complete']} simulated days"
    if flagged == 0:
        return f"{span}, no innocent person was wrongly flagged."
    who = "1 innocent person was" if flagged == 1 else f"{flagged:,} innocent people were"
    return f"{span}, {who} wrongly flagged; the most-flagged {most} times, and {twice:,} on two days or more."


@refuse_bad_input
def year(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario TOML file. Default: scenarios/kings_cross_weekday.toml."),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", help="Consecutive calendar days in the period (1-3650).")
    ] = 7,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Period directory. Default: runs/year-SCENARIO-seedSEED."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="The period's seed. Default: the scenario's own.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario field on every day (repeatable)."),
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
            help="BLAS/OpenMP threads of each day's matcher. Default: the host's cores shared out among its Dask threads."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the period's summary as one JSON document.")
    ] = False,
) -> None:
    """Run consecutive days of a scenario with the same people coming back, and count who was flagged.

    The period starts on the scenario's calendar.first_day and simulates the scenario's day on every
    day of the week calendar.days names (weekends at calendar.weekend_footfall of the footfall, with
    no commuters or students). Commuters, residents and regulars come back on later days with the same
    face, so an innocent person who looks like someone on the watchlist is flagged again and again.

    Writes DIR/year.json (the period's figures with 95% intervals), DIR/days.parquet (one row per
    day), DIR/people.parquet (one row per person: days on site, days flagged, alerts and stops over
    the period), and every simulated day's results directory under DIR/days/ (docs/sweeps.md).
    Re-running the same command skips the days already finished. Exit code 1 if any day failed.

    Examples:

      twin year --days 7                                   # a week of the King's Cross weekday

      twin year scenarios/kings_cross_weekday.toml --days 60 --workers 2 --out runs/kx-60-days

      twin year scenarios/small_plaza.toml --days 28 --scheduler tcp://10.0.0.5:8786
    """
    from twin.scenario import find_scenario, load_scenario
    from twin.sweeps.engine import check_engine
    from twin.sweeps.year import plan_year, run_year

    check_engine(workers=workers, scheduler=scheduler, matcher_threads=matcher_threads)
    if seed is not None and seed < 0:
        raise TwinInputError("--seed: must be a non-negative integer")
    scenario_path = find_scenario(scenario)
    loaded = load_scenario(scenario_path, overrides=tuple(overrides or ()))
    chosen_seed = loaded.seed if seed is None else seed
    target = out or Path("runs") / f"year-{scenario_path.stem}-seed{chosen_seed}"
    plan = plan_year(loaded, days=days, seed=chosen_seed, out=target)
    engine: dict[str, Any] = {
        "workers": workers,
        "scheduler": scheduler,
        "matcher_threads": matcher_threads,
    }
    plain: YearProgress = FailureLines()
    outcome = run_batch(
        lambda progress: run_year(plan, progress=progress, **engine),
        bar_progress=RichYearProgress,
        plain_progress=plain,
        unit="days",
        kept_in=plan.out,
        quiet=as_json,
    )
    if as_json:
        typer.echo(batch_json(outcome, plan.out))
    else:
        for table in period_tables(outcome.summary):
            stdout.print(table)
        stdout.print(flagged_over_period_in_words(outcome.summary), highlight=False, soft_wrap=True)
        stdout.print(
            f"{outcome.ran} days simulated, {outcome.reused} already done, in "
            f"{outcome.wall_seconds:.1f} s: {plan.out}",
            highlight=False,
            soft_wrap=True,
        )
    if outcome.failed:
        raise typer.Exit(code=EXIT_DAYS_FAILED)
