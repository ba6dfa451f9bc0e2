"""Spreading work over the usable cores: numpy work on threads, Python work in a process beside."""

from __future__ import annotations

import gc
import os
import threading
import time

import pytest

from twin.cores import beside, on_cores, row_slices, usable_cores


def test_row_slices_cover_the_rows_in_order() -> None:
    assert row_slices(7, 3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert row_slices(0, 3) == []


@pytest.mark.parametrize("threads", [1, 3])
def test_every_item_is_worked_once(threads: int) -> None:
    done: list[int] = []
    names: set[str] = set()
    lock = threading.Lock()

    def work(item: int) -> None:
        with lock:
            done.append(item)
            names.add(threading.current_thread().name)

    on_cores(work, range(10), threads)
    assert sorted(done) == list(range(10))
    # One thread works in the caller; several work on a pool.
    assert (names == {threading.current_thread().name}) == (threads == 1)


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def test_work_beside_runs_in_a_child_and_hands_back_its_value() -> None:
    pending = beside(_pid_and, 21)
    assert pending.forked == (usable_cores() > 1)  # forked wherever another core can take it
    child, value = pending.result()
    assert value == 42
    assert (child != os.getpid()) == (usable_cores() > 1)
    assert pending.result() == (child, 42)  # asked again: the same answer, no second child


def test_work_not_worth_a_process_runs_here_when_asked_for() -> None:
    pending = beside(_pid_and, 4, fork=False)
    assert not pending.forked
    assert pending.result() == (os.getpid(), 8)


def _fails(message: str) -> None:
    raise LookupError(message)


def test_an_exception_in_the_child_is_raised_in_the_caller() -> None:
    with pytest.raises(LookupError, match="no such route"):
        beside(_fails, "no such route").result()


def _dies_unless_in(parent: int) -> str:
    if os.getpid() != parent:
        os._exit(3)  # killed before answering
    return "worked out here"


def test_work_whose_child_died_is_done_again_here() -> None:
    assert beside(_dies_unless_in, os.getpid()).result() == "worked out here"


def _unpicklable() -> object:
    return lambda: "made here"


def test_a_value_that_cannot_travel_back_is_worked_out_here() -> None:
    made = beside(_unpicklable).result()
    assert callable(made) and made() == "made here"


def _sleeps() -> None:
    time.sleep(60)


def test_a_child_nobody_waits_for_is_stopped() -> None:
    pending = beside(_sleeps)
    process = pending._process
    assert process is not None and process.is_alive()
    with pending:
        pass  # left without asking for the result
    assert not process.is_alive()

    dropped = beside(_sleeps)
    process = dropped._process
    assert process is not None and process.is_alive()
    del dropped
    gc.collect()
    assert not process.is_alive()
