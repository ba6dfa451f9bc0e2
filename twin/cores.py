"""How many cores this process may use: the one answer every stage that spreads work shares."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["on_cores", "row_slices", "usable_cores"]

_Item = TypeVar("_Item")


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def on_cores(
    work: Callable[[_Item], None], items: Sequence[_Item], threads: int | None = None
) -> None:
    """``work`` on each of ``items`` on ``threads`` threads (default: the usable cores), at most one
    item per thread at a time; for numpy work, which lets go of the GIL."""
    workers = max(1, min(len(items), threads or usable_cores()))
    if workers == 1:
        for item in items:
            work(item)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, items))


def row_slices(n: int, rows: int) -> list[slice]:
    """``range(n)`` in slices of ``rows`` (the last one shorter)."""
    return [slice(start, min(start + rows, n)) for start in range(0, n, rows)]
