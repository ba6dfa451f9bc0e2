"""What every ``twin`` command shares: the consoles, the bad-input refusal, the terminal check.

Bad input (a `TwinInputError`) becomes one line on standard error naming what is wrong and what is
allowed, and exit code 2, with no traceback. Progress bars show only on a terminal, never under CI.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from twin.errors import TwinInputError

P = ParamSpec("P")
R = TypeVar("R")

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
