"""How gates uses Python's cyclic garbage collector: seldom.

A run makes millions of objects that never form cycles (AST nodes, findings, the dicts of a
report): reference counting frees them. Yet the collector runs every 700 allocations and each
full pass walks everything alive, which at the end of a big run is every finding. mypy raises
the thresholds for the same reason; gates does so for one command and puts them back after.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# (generation 0, 1, 2): a young collection per 200k allocations instead of 700, as mypy does.
FEWER_COLLECTIONS = (200_000, 30, 30)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*FEWER_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off while a module's tree is alive. A tree holds no cycles, yet each
    collection would re-walk its thousands of young nodes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
