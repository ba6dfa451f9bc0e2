"""What every ``twin`` command shares: the consoles, the bad-input refusal, the terminal check.

Bad input (a `TwinInputError`) becomes one line on standard error naming what is wrong and what is
allowed, and exit code 2, with no traceback. Progress bars show only on a terminal, never under CI.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, ParamSpec, Protocol, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from twin.errors import TwinInputError

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
#: Exit code of a batch (sweep, period) stopped with Ctrl-C: what finished is kept.
EXIT_INTERRUPTED: Final = 130

stderr = Console(stderr=True)
stdout = Console()


def refuse_bad_input(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a TwinInputError into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TwinInputError as exc:
            stderr.print(f"[bold red]error:[/] {exc.line()}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper


def interactive() -> bool:
    """Progress bars only on a terminal, and never under CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def run_batch(
    run: Callable[[T], R],
    *,
    bar_progress: Callable[[Progress], T],
    plain_progress: T,
    unit: str,
    kept_in: Path,
    quiet: bool = False,
) -> R:
    """Run a resumable batch of runs (a sweep, a period of days) with its progress: a bar counting
    ``unit`` done and failed on a terminal (unless ``quiet``), ``plain_progress`` elsewhere. Ctrl-C
    says where the finished runs are kept and exits EXIT_INTERRUPTED."""
    try:
        if interactive() and not quiet:
            columns = (
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(f"{unit}, {{task.fields[failed]}} failed"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=stderr, transient=True) as bar:
                return run(bar_progress(bar))
        return run(plain_progress)
    except KeyboardInterrupt:
        stderr.print(
            f"interrupted: finished {unit} are kept in {kept_in}; run the same command to resume",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=EXIT_INTERRUPTED) from None


class BatchOutcome(Protocol):
    """What a finished batch (a sweep, a period of days) reports."""

    @property
    def summary(self) -> dict[str, Any]: ...
    @property
    def ran(self) -> int: ...
    @property
    def reused(self) -> int: ...
    @property
    def wall_seconds(self) -> float: ...


def batch_json(outcome: BatchOutcome, out: Path) -> str:
    """A batch's summary as one JSON document, with where it is and what this command ran."""
    document = {
        **outcome.summary,
        "path": str(out),
        "ran": outcome.ran,
        "reused": outcome.reused,
        "wall_seconds": outcome.wall_seconds,
    }
    return json.dumps(document, indent=2)
