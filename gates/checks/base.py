"""The shape of the built-in checks: a pure `scan` of one file's text, wrapped as a gate.

A check never opens files or starts processes itself. `TextCheckGate.run` reads each file in
scope through `gates.sources` (never through a symlink, never a huge or binary file whole) and
hands the text to `scan`, so detectors are pure functions of (path, text, options) that the
labelled corpus in `tests/corpus/safety/` can measure directly. Being pure is also what lets
a big scope go to the runner's worker processes file by file with the same result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as StillRunning
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from gates.checks.size_io import files_bytes, head_bytes
from gates.cores import POOL_MIN_BYTES
from gates.gate import GateContext, GateError, GateOutcome, GateTraits, Option, Scope
from gates.model import Finding, Stage
from gates.sources import read_text, split_lines


@dataclass(frozen=True)
class Source:
    """One file's text as a check sees it. `lines[0]` is line 1."""

    path: str  # repo-relative POSIX path
    text: str

    @functools.cached_property
    def lines(self) -> tuple[str, ...]:
        """Split once per file: checks read lines many times (a 60k-line file took 13 s)."""
        return split_lines(self.text)

    @property
    def suffix(self) -> str:
        name = self.path.rsplit("/", 1)[-1]
        return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


class TextCheckGate:
    """Base class for in-process checks over the text of the changed files.

    Subclasses set the class attributes of the Gate protocol and implement `scan`; `wants`
    narrows the files a check reads (by suffix, say) without reading them.
    """

    name: str = ""
    stage: Stage = Stage.SAFETY
    tool: str = "gates"
    scope: Scope = Scope.CHANGED
    description: str = ""
    default_timeout_s: float = 120.0
    default_fail_on: str = "warning"
    options: Mapping[str, Option] = {}
    # An estimate for a first run (see GateTraits), so the short checks are packed around
    # the long tools instead of going first as gates of unknown length do.
    traits = GateTraits(cost_model=(0.0, 0.1))

    def wants(self, path: str) -> bool:
        del path
        return True

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        raise NotImplementedError

    def run(self, ctx: GateContext) -> GateOutcome:
        wanted = [rel for rel in ctx.files if self.wants(rel)]
        sizes = [head_bytes(ctx.root, rel) or 0 for rel in wanted] if ctx.shares.pool else []
        if ctx.shares.pool is not None and _worth_workers(sum(sizes)):
            done = _scan_in_pool(self, ctx, ctx.shares.pool, list(zip(wanted, sizes, strict=True)))
        else:
            done = scan_files(self, ctx.root, wanted, ctx.options, ctx.cancelled)
        return GateOutcome(
            findings=done.findings,
            metrics={"files_scanned": done.scanned, "files_not_text": len(done.unread)},
            detail=_unread_note(done.unread),
        )


_CHUNK_BYTES = 1_000_000  # per task: big enough to amortise pickling, small to balance the load


@dataclass
class Scanned:
    findings: list[Finding]
    scanned: int
    unread: list[str]


def scan_files(
    gate: TextCheckGate,
    root: Path,
    paths: Sequence[str],
    options: Mapping[str, object],
    cancelled: Callable[[], bool] = lambda: False,
) -> Scanned:
    """Read and scan each file; in a worker process this is the task (the gate is pickled)."""
    done = Scanned([], 0, [])
    for rel in paths:
        if cancelled():
            raise GateError("cancelled before every file was scanned")
        text = read_text(root, rel)
        if text is None:
            done.unread.append(rel)
            continue
        done.scanned += 1
        done.findings += gate.scan(Source(rel, text), options)
    return done


def _scan_in_pool(
    gate: TextCheckGate, ctx: GateContext, pool: Executor, sized: Sequence[tuple[str, int]]
) -> Scanned:
    options = dict(ctx.options)
    futures = [pool.submit(scan_files, gate, ctx.root, chunk, options) for chunk in _chunks(sized)]
    done = Scanned([], 0, [])
    try:
        for future in futures:  # in submission order: the findings keep the files' order
            part = _result(future, ctx.cancelled)
            done.findings += part.findings
            done.scanned += part.scanned
            done.unread += part.unread
    finally:
        for future in futures:
            future.cancel()
    return done


def _result(future: Future[Scanned], cancelled: Callable[[], bool]) -> Scanned:
    while True:
        if cancelled():
            raise GateError("cancelled before every file was scanned")
        try:
            return future.result(timeout=0.2)
        except StillRunning:
            continue
        except BrokenProcessPool:
            raise GateError("a worker process died while scanning (out of memory?)") from None


def spreads_over_workers(root: Path, paths: Sequence[str]) -> bool:
    """Whether a check with these files to read scans them in worker processes."""
    return _worth_workers(files_bytes(root, paths))


def _worth_workers(total_bytes: int) -> bool:
    return total_bytes >= POOL_MIN_BYTES


def _chunks(sized: Sequence[tuple[str, int]]) -> Iterator[list[str]]:
    """Files with their sizes (measured once per gate) cut into tasks of about _CHUNK_BYTES."""
    chunk: list[str] = []
    size = 0
    for rel, file_size in sized:
        chunk.append(rel)
        size += file_size
        if size >= _CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _unread_note(unread: Sequence[str]) -> str:
    if not unread:
        return ""
    shown = ", ".join(unread[:5]) + (" ..." if len(unread) > 5 else "")
    return f"{len(unread)} file(s) not scanned (binary, over the size limit, or a link): {shown}"
