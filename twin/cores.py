"""How many cores this process may use, the one answer every stage that spreads work shares, and
the two ways work is spread over them: numpy work on threads (:func:`on_cores`), and Python work in a
forked process beside the caller's own (:func:`beside`).
"""

from __future__ import annotations

import multiprocessing
import os
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["Beside", "beside", "on_cores", "row_slices", "usable_cores"]

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


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


class Beside(Generic[_Result]):
    """Work started by :func:`beside`: :meth:`result` waits for its value. A child whose result is
    never asked for is stopped when this is dropped, or on leaving its ``with`` block."""

    def __init__(self, work: Callable[..., _Result], args: tuple[Any, ...]) -> None:
        self._work, self._args = work, args
        self._process: multiprocessing.process.BaseProcess | None = None
        self._receiving: Connection | None = None
        self._done = False
        self._value: _Result | None = None
        self._stop: weakref.finalize[Any, Any] | None = None

    @property
    def forked(self) -> bool:
        """True while the work runs in a child process whose result is not yet collected (False:
        collected, or it runs in :meth:`result`)."""
        return self._process is not None

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(
            target=_answer, args=(sending, self._work, self._args), daemon=True
        )
        process.start()
        sending.close()  # the child holds the sending end: end of file if it dies
        self._process, self._receiving = process, receiving
        self._stop = weakref.finalize(self, _stop_child, process, receiving)

    def result(self) -> _Result:
        """The work's value; an exception it raised is raised here. Should the child die without
        answering (killed), the work is done again here."""
        if not self._done:
            self._value = self._collect()
            self._done = True
        return self._value  # type: ignore[return-value]  # set just above

    def _collect(self) -> _Result:
        if self._process is None or self._receiving is None:
            return self._work(*self._args)
        try:
            answered, value = self._receiving.recv()
        except EOFError:  # died without answering
            answered, value = False, None
        finally:
            self._receiving.close()
            self._process.join()
            self._process = None
            if self._stop is not None:
                self._stop.detach()
        if answered is None:
            raise value  # the work's own exception, from the child
        return value if answered else self._work(*self._args)

    def __enter__(self) -> Beside[_Result]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._stop is not None:  # nobody asked for the result: stop the child
            self._stop()
        self._process = None


def _stop_child(process: multiprocessing.process.BaseProcess, receiving: Connection) -> None:
    process.terminate()
    process.join()
    receiving.close()


def _answer(sending: Connection, work: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child's part: send (True, value), or (None, the exception) when the work raised."""
    try:
        answer: tuple[bool | None, Any] = (True, work(*args))
    except Exception as error:  # handed to the parent, which raises it
        answer = (None, error)
    try:
        sending.send(answer)
    except Exception:  # the value or exception would not pickle: let the parent do the work
        sending.send((False, None))
    sending.close()


def beside(work: Callable[..., _Result], *args: Any, fork: bool = True) -> Beside[_Result]:
    """Start ``work(*args)`` in a forked child process, beside the caller's own work on another
    core; :meth:`Beside.result` returns its value (pickled back). The child inherits the arguments
    (nothing is copied to it), so it suits Python work on large inputs with a small result.

    The work runs in :meth:`Beside.result` instead, in this process, where forking cannot help or
    is not allowed (one usable core, no ``fork`` start method, or a daemonic process such as a
    Dask worker, which may have no children), or where the caller says it would not pay
    (``fork=False``: small work, for which starting a process costs more than it saves).
    """
    started = Beside(work, args)
    if (
        fork
        and usable_cores() > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    ):
        started._start()
    return started
