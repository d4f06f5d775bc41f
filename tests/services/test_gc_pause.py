"""A big import pauses the cyclic garbage collector and always gives it back."""

from __future__ import annotations

import gc

import pytest

from vilt.services.attendance import BIG_IMPORT, gc_paused


def test_small_imports_leave_the_collector_alone() -> None:
    with gc_paused(BIG_IMPORT - 1):
        assert gc.isenabled()


def failing_import() -> None:
    with gc_paused(BIG_IMPORT):
        assert not gc.isenabled()
        with gc_paused(BIG_IMPORT):
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer import still runs
        raise RuntimeError("the import failed")


def test_nested_pauses_end_with_the_last_one_even_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        failing_import()
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused(BIG_IMPORT):
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
