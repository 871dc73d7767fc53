"""Running a tool in parts: file order kept, shrinking parts, failures."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from gates.diff import Diff
from gates.gate import GateContext, GateError
from gates.git import Revisions
from gates.tools.parts import run_in_parts

KB = 1024


def _context(root: Path) -> GateContext:
    return GateContext(
        name="parts",
        root=root,
        diff=Diff(Revisions(None, "h" * 40, None, ""), all_changed=True),
        files=(),
        options={},
        python="python3",
        scratch=root,
        timeout_s=60.0,
        env={},
    )


def _files(root: Path, count: int, size: int) -> list[str]:
    names = [f"f{index:03}.py" for index in range(count)]
    for name in names:
        (root / name).write_bytes(b"x" * size)
    return names


def test_the_parts_run_in_turn_and_shrink(tmp_path: Path) -> None:
    files = _files(tmp_path, 64, 64 * KB)  # 4 MB
    seen: list[list[str]] = []

    def run_part(ctx: GateContext, part: list[str]) -> list[str]:
        seen.append(part)
        return part

    results = run_in_parts(_context(tmp_path), files, run_part, min_part_bytes=128 * KB)
    assert [name for part in results for name in part] == files
    sizes = [len(part) for part in seen]
    assert sizes[0] == 16  # a quarter of what is left
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] >= 2  # never below the minimum
    assert len(seen) <= 11  # a few start-ups, not one per file (64)


def test_a_remainder_under_the_minimum_joins_the_part_before_it(tmp_path: Path) -> None:
    files = _files(tmp_path, 10, 64 * KB)  # 640 KB: 512 KB, then 128 KB alone, were two parts
    seen: list[list[str]] = []

    def run_part(ctx: GateContext, part: list[str]) -> list[str]:
        seen.append(part)
        return part

    run_in_parts(_context(tmp_path), files, run_part, min_part_bytes=512 * KB)
    assert seen == [files]
    seen.clear()
    run_in_parts(_context(tmp_path), files, run_part, min_part_bytes=256 * KB)
    assert [len(part) for part in seen] == [4, 6]  # 256 KB; then 256 KB would leave 128 KB: all


def test_a_failed_part_stops_the_others_and_is_raised(tmp_path: Path) -> None:
    files = _files(tmp_path, 8, 64 * KB)
    ran: list[str] = []

    def run_part(ctx: GateContext, part: list[str]) -> None:
        ran.append(part[0])
        raise GateError("bandit could not scan the files", "tail")

    with pytest.raises(GateError, match="could not scan"):
        run_in_parts(_context(tmp_path), files, run_part, min_part_bytes=64 * KB)
    assert ran == ["f000.py"]


def test_the_gates_own_cancel_reaches_every_part(tmp_path: Path) -> None:
    files = _files(tmp_path, 4, 64 * KB)
    cancel = threading.Event()
    cancel.set()
    ctx = dataclasses.replace(_context(tmp_path), cancelled=cancel.is_set)
    assert all(run_in_parts(ctx, files, lambda part_ctx, part: part_ctx.cancelled(), 64 * KB))
