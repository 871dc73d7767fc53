"""Run a tool over its files in parts, one part after another.

bandit over a large project in one process is slower than the same files in a few parts (on
sqlalchemy, 4 % of the whole run; bench/heuristics.py `parts`). Parts take a shrinking share
of what is left, so a big scope costs a few start-ups, not one per file. Results come back in
file order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from gates.checks.size_io import head_bytes
from gates.cores import MIN_PART_BYTES
from gates.gate import GateContext

T = TypeVar("T")


def parts_of(root: Path, files: Sequence[str], min_bytes: int) -> Iterator[list[str]]:
    """`files` cut into parts of a quarter of what is left, at least `min_bytes` each; what
    would be left under the minimum goes with the part before it."""
    sizes = [head_bytes(root, rel) or 0 for rel in files]
    left = sum(sizes)
    start = 0
    while start < len(files):
        target = max(min_bytes, left // 4)
        if left - target < min_bytes:
            target = left
        end, size = start, 0
        while end < len(files) and (size < target or end == start):
            size += sizes[end]
            end += 1
        left -= size
        yield list(files[start:end])
        start = end


def run_in_parts(
    ctx: GateContext,
    files: Sequence[str],
    run_part: Callable[[GateContext, list[str]], T],
    min_part_bytes: int | None = None,
) -> list[T]:
    """`run_part` on every part of `files`, in order; the first part to fail stops the run."""
    smallest = MIN_PART_BYTES if min_part_bytes is None else min_part_bytes
    return [run_part(ctx, part) for part in parts_of(ctx.root, files, smallest)]
