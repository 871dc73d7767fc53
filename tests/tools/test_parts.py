"""Running a tool in parts: file order kept, shrinking parts, borrowed cores, failures."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest

from gates.cores import NO_SPARE_CORES, Shares, SpareCores
from gates.diff import Diff
from gates.gate import GateContext, GateError
from gates.git import Revisions
from gates.tools.parts import run_in_parts

KB = 1024


def _context(root: Path, cores: SpareCores = NO_SPARE_CORES) -> GateContext:
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
        shares=Shares(spare=cores),
    )


def _files(root: Path, count: int, size: int) -> list[str]:
    names = [f"f{index:03}.py" for index in range(count)]
    for name in names:
        (root / name).write_bytes(b"x" * size)
    return names


def _lent_one_core() -> SpareCores:
    """Two cores, one held by the worker running this gate: the other is free to lend."""
    cores = SpareCores(2)
    cores.worker_started()
    return cores


def test_alone_the_parts_run_in_turn_and_shrink(tmp_path: Path) -> None:
    files = _files(tmp_path, 64, 64 * KB)  # 4 MB
    seen: list[list[str]] = []

    def run_part(ctx: GateContext, part: list[str]) -> list[str]:
        seen.append(part)
        return part

    results = run_in_parts(_context(tmp_path), files, run_part, min_part_bytes=128 * KB)
    assert [name for part in results for name in part] == files
    sizes = [len(part) for part in seen]
    assert sizes[0] == 32  # half of what is left, on one core
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] >= 2  # never below the minimum
    assert len(seen) < 10  # few start-ups, not one per file


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
    assert [len(part) for part in seen] == [5, 5]  # half; then 256 KB would leave 64 KB: all


def test_a_spare_core_runs_a_second_part_at_once(tmp_path: Path) -> None:
    files = _files(tmp_path, 8, 64 * KB)
    together = threading.Barrier(2, timeout=10)  # breaks unless two parts run at the same time

    def run_part(ctx: GateContext, part: list[str]) -> list[str]:
        if part[0] in ("f000.py", files[len(files) // 4]):  # the first two parts meet
            together.wait()
        return part

    cores = _lent_one_core()
    results = run_in_parts(_context(tmp_path, cores), files, run_part, min_part_bytes=64 * KB)
    assert [name for part in results for name in part] == files  # file order, not finish order
    assert cores.free() == 1  # the lent core came back


def test_the_gates_own_core_takes_the_next_part_while_a_lent_one_still_runs(
    tmp_path: Path,
) -> None:
    files = _files(tmp_path, 8, 64 * KB)
    third_started = threading.Event()

    def run_part(ctx: GateContext, part: list[str]) -> list[str]:
        if part[0] == files[2]:  # the second part, on the lent core: waits for the third
            assert third_started.wait(timeout=10), "the own core idled while a part was waiting"
        elif part[0] != files[0]:
            third_started.set()
        return part

    cores = _lent_one_core()
    results = run_in_parts(_context(tmp_path, cores), files, run_part, min_part_bytes=64 * KB)
    assert [name for part in results for name in part] == files
    assert cores.free() == 1


def test_no_core_is_borrowed_while_the_workers_hold_them(tmp_path: Path) -> None:
    files = _files(tmp_path, 8, 64 * KB)
    cores = SpareCores(2)
    cores.worker_started()
    cores.worker_started()  # the other worker still runs a gate
    running, most = 0, 0
    lock = threading.Lock()

    def run_part(ctx: GateContext, part: list[str]) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return len(part)

    assert sum(run_in_parts(_context(tmp_path, cores), files, run_part, 64 * KB)) == 8
    assert most == 1


def test_a_failed_part_stops_the_others_and_is_raised(tmp_path: Path) -> None:
    files = _files(tmp_path, 8, 64 * KB)
    cores = _lent_one_core()
    stopped = threading.Event()

    def run_part(ctx: GateContext, part: list[str]) -> None:
        if part[0] == "f000.py":
            deadline = time.monotonic() + 10
            while not ctx.cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)  # a long tool, killed through `cancelled`
            stopped.set()
            return
        raise GateError("bandit could not scan the files", "tail")

    with pytest.raises(GateError, match="could not scan"):
        run_in_parts(_context(tmp_path, cores), files, run_part, min_part_bytes=64 * KB)
    assert stopped.is_set()
    assert cores.free() == 1


def test_the_gates_own_cancel_reaches_every_part(tmp_path: Path) -> None:
    files = _files(tmp_path, 4, 64 * KB)
    cancel = threading.Event()
    cancel.set()
    ctx = dataclasses.replace(_context(tmp_path), cancelled=cancel.is_set)
    assert all(run_in_parts(ctx, files, lambda part_ctx, part: part_ctx.cancelled(), 64 * KB))
