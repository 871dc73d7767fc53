"""Run a tool over its files in parts, on this gate's core and on cores the runner lends.

Parts shrink as the work runs out (guided self-scheduling: each takes a share of what is left),
so a run has few tool start-ups while it owns one core, and the last parts are small enough
to spread over the cores that free up at the end. Results come back in file order whatever
finished first, so output does not depend on timing.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TypeVar

from gates.checks.size_io import head_bytes
from gates.cores import MIN_PART_BYTES
from gates.gate import GateContext

T = TypeVar("T")

_POLL_S = 0.25  # how often a running gate looks for a core that came free


class _Parts:
    """The files not yet handed out, cut into parts of a shrinking share of what is left."""

    def __init__(self, root: Path, files: Sequence[str], ways: int, min_bytes: int) -> None:
        self._files = list(files)
        self._sizes = [head_bytes(root, rel) or 0 for rel in self._files]
        self._left = sum(self._sizes)
        self._next = 0
        self._ways = max(1, ways)
        self._min_bytes = min_bytes

    def __bool__(self) -> bool:
        return self._next < len(self._files)

    def take(self) -> tuple[int, list[str]]:
        """(index of the part's first file, the part's files).

        What would be left under the minimum goes with this part: alone it would cost a
        start-up for little work."""
        target = max(self._min_bytes, self._left // (2 * self._ways))
        if self._left - target < self._min_bytes:
            target = self._left
        start, size = self._next, 0
        while self._next < len(self._files) and (size < target or self._next == start):
            size += self._sizes[self._next]
            self._next += 1
        self._left -= size
        return start, self._files[start : self._next]


def run_in_parts(
    ctx: GateContext,
    files: Sequence[str],
    run_part: Callable[[GateContext, list[str]], T],
    min_part_bytes: int | None = None,
) -> list[T]:
    """`run_part` on every part of `files`; the results in file order.

    The first part to fail stops the others (their tools are killed through the context's
    `cancelled`), and its exception is raised once every borrowed core is given back.
    """
    smallest = MIN_PART_BYTES if min_part_bytes is None else min_part_bytes
    parts = _Parts(ctx.root, files, ctx.shares.spare.total, smallest)
    failed = threading.Event()
    part_ctx = dataclasses.replace(ctx, cancelled=lambda: failed.is_set() or ctx.cancelled())
    results: dict[int, T] = {}
    running: dict[Future[T], tuple[int, bool]] = {}  # future -> (first file, on a lent core)
    error: BaseException | None = None
    own_core_busy = False  # the core of the worker that runs this gate
    with ThreadPoolExecutor(max_workers=max(1, ctx.shares.spare.total)) as threads:
        while running or (parts and error is None):
            while parts and error is None:
                lent = own_core_busy
                if lent and not ctx.shares.spare.try_borrow():
                    break
                own_core_busy = True
                start, part = parts.take()
                running[threads.submit(run_part, part_ctx, part)] = (start, lent)
            done, _ = wait(running, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                start, lent = running.pop(future)
                if lent:
                    ctx.shares.spare.give_back()
                else:
                    own_core_busy = False
                if future.exception() is not None and error is None:
                    error = future.exception()
                    failed.set()
                elif error is None:
                    results[start] = future.result()
    if error is not None:
        raise error
    return [results[start] for start in sorted(results)]
