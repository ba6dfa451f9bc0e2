"""Spreading numpy work over the usable cores."""

from __future__ import annotations

import threading

import pytest

from twin.cores import on_cores, row_slices


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
