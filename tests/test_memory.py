"""The collector settings gates uses for a command or a tree: set, then always put back."""

from __future__ import annotations

import gc

import pytest

from gates.memory import FEWER_COLLECTIONS, collector_paused, fewer_collections


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_pause_restores_what_it_found(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_fewer_collections_for_a_command_then_the_thresholds_it_found() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold() == FEWER_COLLECTIONS
        raise RuntimeError
    assert gc.get_threshold() == before
