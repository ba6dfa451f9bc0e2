"""The cycle collector is paused inside a simulation block and restored after, even on error."""

from __future__ import annotations

import gc

import pytest

from twin.cycles import cycle_collection_paused


def test_paused_inside_and_restored_after_nested_blocks_and_errors() -> None:
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it to the outer
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycle_collection_paused():
        raise RuntimeError("a failing stage")
    assert gc.isenabled()


def test_left_off_when_it_was_off_before() -> None:
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_decorated_function_runs_paused_every_call() -> None:
    seen: list[bool] = []

    @cycle_collection_paused()
    def stage() -> None:
        seen.append(gc.isenabled())

    stage()
    stage()
    assert seen == [False, False]
    assert gc.isenabled()
