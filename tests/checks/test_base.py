"""Text checks over many files: worker processes take the work off the GIL, same findings."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_gates import CrashesOnNumbers, WhereScanned

import gates.checks.base as base
from gates.checks.base import TextCheckGate
from gates.cores import Shares
from gates.gate import GateContext, GateError
from gates.registry import REGISTRY
from gates.runner import worker_pool


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setattr(base, "POOL_MIN_BYTES", 1)  # every scope counts as large
    monkeypatch.setattr(base, "_CHUNK_BYTES", 200)  # several tasks, so order is tested
    with worker_pool(2) as executor:
        yield executor


def _context(root: Path, files: tuple[str, ...], pool: object = None) -> GateContext:
    return GateContext(
        name="t",
        root=root,
        diff=None,  # type: ignore[arg-type]  # a text check's run() never reads the diff
        files=files,
        options={},
        python="python",
        scratch=root,
        timeout_s=60,
        env={},
        shares=Shares(pool=pool),  # type: ignore[arg-type]
    )


def _tree(root: Path, count: int) -> tuple[str, ...]:
    for i in range(count):
        body = f"import os\n\ndef run_{i}(cmd):\n    os.system(cmd)\n    return eval(cmd)\n"
        (root / f"m{i:02}.py").write_text(body)
    (root / "blob.bin").write_bytes(b"\0\1\2" * 10)
    return tuple(sorted(p.name for p in root.iterdir()))


def test_workers_find_exactly_what_the_thread_finds_in_file_order(tmp_path: Path, pool) -> None:
    files = _tree(tmp_path, 12)
    gate = REGISTRY["dangerous-code"]
    assert isinstance(gate, TextCheckGate)
    alone = gate.run(_context(tmp_path, files))
    pooled = gate.run(_context(tmp_path, files, pool))
    assert [f.path for f in alone.findings] == [f.path for f in pooled.findings]
    assert alone.findings == pooled.findings and len(alone.findings) == 24
    assert pooled.metrics == alone.metrics


def test_large_scopes_run_in_other_processes(tmp_path: Path, pool) -> None:
    files = _tree(tmp_path, 12)
    outcome = WhereScanned().run(_context(tmp_path, files, pool))
    pids = {int(f.message) for f in outcome.findings}
    assert len(outcome.findings) == 12 and os.getpid() not in pids
    assert outcome.metrics["files_not_text"] == 1 and "blob.bin" in outcome.detail


def test_small_scopes_stay_in_the_thread(tmp_path: Path) -> None:
    files = _tree(tmp_path, 3)
    with worker_pool(2) as executor:
        outcome = WhereScanned().run(_context(tmp_path, files, executor))
    assert {int(f.message) for f in outcome.findings} == {os.getpid()}


def test_a_worker_crash_keeps_the_value_out_of_the_error(tmp_path: Path, pool) -> None:
    secret = "4111111111111111x"  # int() fails and Python quotes the text in the message
    (tmp_path / "a.txt").write_text(secret)
    with pytest.raises(GateError) as caught:
        CrashesOnNumbers().run(_context(tmp_path, ("a.txt",), pool))
    assert secret not in str(caught.value) and "ValueError" in str(caught.value)
    assert caught.value.__cause__ is None


def test_cancelling_stops_waiting_for_the_workers(tmp_path: Path, pool) -> None:
    files = _tree(tmp_path, 4)
    ctx = _context(tmp_path, files, pool)
    cancelled = GateContext(**{**ctx.__dict__, "cancelled": lambda: True})
    with pytest.raises(GateError, match="cancelled"):
        WhereScanned().run(cancelled)


def test_workers_leave_ctrl_c_to_the_runner() -> None:
    with worker_pool(1) as executor:
        handler = executor.submit(signal.getsignal, signal.SIGINT).result(timeout=60)
    assert handler == signal.SIG_IGN
