"""Run gates: in parallel up to the core count, each within its time budget, failing closed.

A gate that raises, times out, or whose tool is missing becomes a `GateResult` with status
`error`, the reason and the tail of its output; every other gate still runs. Gates run on daemon
worker threads so a gate stuck in pure Python cannot keep the process alive after its deadline.
Longest-budget gates start first (the critical path); stages only wait for each other when
`fail_fast` asks for it, and the report groups by stage either way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import multiprocessing
import os
import queue
import signal
import stat
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gates.cache import ResultCache, cacheable
from gates.checks.base import spreads_over_workers
from gates.checks.size_io import files_bytes
from gates.config import Config, GateConfig
from gates.cores import MIN_PART_BYTES, NO_SPARE_CORES, SpareCores
from gates.diff import Diff
from gates.filters.baseline import Baseline, mark_baselined
from gates.filters.changed_lines import mark_new
from gates.filters.suppressions import mark_suppressed, review_pr_suppressions
from gates.gate import Gate, GateContext, GateError, GateOutcome, Scope, traits_of
from gates.memory import FEWER_COLLECTIONS
from gates.model import (
    STAGE_ORDER,
    Finding,
    GateResult,
    Stage,
    Status,
    decide_status,
    with_fingerprints,
)
from gates.paths import PYTHON_SUFFIXES, select
from gates.sources import read_lines, snippet_hash

WATCHDOG_GRACE_S = 10.0


class Progress(Protocol):
    """Told when gates start and finish, so the terminal can show live state."""

    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None: ...
    def started(self, name: str) -> None: ...
    def finished(self, result: GateResult) -> None: ...


class NoProgress:
    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None:
        pass

    def started(self, name: str) -> None:
        pass

    def finished(self, result: GateResult) -> None:
        pass


@dataclass(frozen=True)
class Planned:
    gate: Gate
    config: GateConfig
    files: tuple[str, ...]
    touched: tuple[str, ...] = ()  # what the PR touched, through the same filters as `files`


@dataclass(frozen=True)
class RunSettings:
    root: Path
    diff: Diff
    config: Config
    scratch: Path
    env: Mapping[str, str]
    project_files: tuple[str, ...]
    scope_files: tuple[str, ...]  # what a changed-files gate looks at (the PR's files)
    # Every path the PR touched on either side (gates.diff.Diff.touched_paths); kept as is for
    # the base run, whose own diff is empty, so a gate checks the same packages on both sides.
    touched: tuple[str, ...] = ()
    baseline: Baseline = field(default_factory=Baseline)
    # Base-run paths -> head paths (renames), applied before fingerprinting so a finding in a
    # renamed file keeps its identity.
    path_map: Mapping[str, str] = field(default_factory=dict)
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())
    cache: ResultCache | None = None  # None: nothing is reused or stored (e.g. a dirty tree)
    cache_root: Path = Path(".gates-cache")  # also holds the tools' own caches (ruff, mypy)
    run_started: float = field(default_factory=time.monotonic)  # time.monotonic() at the start
    # Seconds each gate took when it last ran on this repository (see gates.cache).
    durations: Mapping[str, float] = field(default_factory=dict)
    # The tools' own caches (RUFF_CACHE_DIR, MYPY_CACHE_DIR), for the tools that use them only.
    cache_env: Mapping[str, str] = field(default_factory=dict)


def plan(
    registry: Mapping[str, Gate], settings: RunSettings, only: Sequence[str] = ()
) -> list[Planned]:
    """The gates to run, in stage order, each with the files in its scope."""
    config = settings.config
    changed = _existing(settings.root, settings.scope_files)
    everything = _existing(settings.root, settings.project_files)
    planned: list[Planned] = []
    for stage in STAGE_ORDER:
        if stage not in config.stages:
            continue
        for name, gate in registry.items():
            gate_config = config.gate(name)
            if gate.stage is not stage or not gate_config.enabled or (only and name not in only):
                continue
            pool = changed if gate.scope is Scope.CHANGED and config.new != "all" else everything
            files = select(
                select(pool, exclude=config.exclude), gate_config.paths, gate_config.exclude
            )
            touched = select(
                select(settings.touched, exclude=config.exclude),
                gate_config.paths,
                gate_config.exclude,
            )
            planned.append(Planned(gate, gate_config, files, touched))
    return planned


def _existing(root: Path, paths: Sequence[str]) -> tuple[str, ...]:
    """Regular files only: never a symlink (it could lead out of the repo) or a submodule.
    One `lstat` per file tells both (a link is not a regular file to it)."""
    out = []
    for rel in paths:
        try:
            mode = os.lstat(root / rel).st_mode
        except OSError:  # gone, or a name the file system refuses
            continue
        if stat.S_ISREG(mode):
            out.append(rel)
    return tuple(out)


def finalize(
    gate: Gate, config: GateConfig, outcome: GateOutcome, settings: RunSettings, started: float
) -> GateResult:
    """Fingerprint, mark suppressed and new, then decide the gate's status. The duration runs
    from `started` (time.monotonic()) to the end of this finishing work: the worker is busy
    with it (1 s for bandit's 5,821 findings on sqlalchemy).

    Each finding asks for its file's lines twice (snippet, suppression comment): the file is
    checked (no link, inside the repo) once per gate, not per ask (ruff's 16,578 findings on
    sqlalchemy took 5 s of safe-path checks).
    """

    @functools.cache
    def lines(path: str) -> tuple[str, ...]:
        return read_lines(settings.root, path)

    findings = [_with_snippet(f, lines) for f in outcome.findings]
    if settings.path_map:
        findings = [f.replace(path=settings.path_map.get(f.path, f.path)) for f in findings]
    findings = mark_suppressed(with_fingerprints(findings), lines, settings.today)
    if gate.stage is Stage.SAFETY:
        honour = settings.config.safety_pr_suppressions
        findings = review_pr_suppressions(findings, settings.diff, honour)
    findings = mark_baselined(findings, settings.baseline)
    findings = mark_new(findings, settings.diff, settings.config.new_mode(gate))
    status = outcome.status or decide_status(tuple(findings), config.fail_on)
    return GateResult(
        name=gate.name,
        stage=gate.stage,
        status=status,
        findings=tuple(findings),
        duration_s=round(time.monotonic() - started, 3),
        detail=outcome.detail,
        metrics=dict(outcome.metrics),
        fail_on=config.fail_on,
        tool_version=outcome.tool_version,
        tables=tuple(outcome.tables),
    )


def _with_snippet(finding: Finding, lines: Callable[[str], tuple[str, ...]]) -> Finding:
    if finding.snippet_hash or not finding.path or not finding.line:
        return finding
    digest = snippet_hash(lines(finding.path), finding.line, finding.end_line or finding.line)
    return finding.replace(snippet_hash=digest) if digest else finding


def error_result(
    planned: Planned, reason: str, tail: str = "", duration: float = 0.0
) -> GateResult:
    detail = reason if not tail else f"{reason}\n\n{tail}"
    return GateResult(
        name=planned.gate.name,
        stage=planned.gate.stage,
        status=Status.ERROR,
        duration_s=round(duration, 3),
        detail=detail,
        fail_on=planned.config.fail_on,
    )


class _Task:
    def __init__(self, planned: Planned) -> None:
        self.planned = planned
        self.cancel = threading.Event()
        self.started_at: float | None = None


def execute(
    task: _Task,
    settings: RunSettings,
    pool: Executor | None = None,
    cpus: int = 1,
    cores: SpareCores = NO_SPARE_CORES,
) -> GateResult:
    planned = task.planned
    scratch = settings.scratch / planned.gate.name
    scratch.mkdir(parents=True, exist_ok=True)
    ctx = GateContext(
        name=planned.gate.name,
        root=settings.root,
        diff=settings.diff,
        files=planned.files,
        touched=planned.touched,
        options=planned.config.options,
        python=settings.config.python,
        scratch=scratch,
        timeout_s=planned.config.timeout_s,
        env=settings.env,
        cache_env=settings.cache_env,
        new_mode=settings.config.new,
        cancelled=task.cancel.is_set,
        pool=pool,
        cpus=cpus,
        cores=cores,
        cache_dir=settings.cache_root if settings.cache is not None else None,
    )
    started = time.monotonic()
    try:
        outcome = _outcome(planned, settings, ctx)
        return finalize(planned.gate, planned.config, outcome, settings, started)
    except GateError as exc:
        return error_result(planned, str(exc), exc.output_tail, time.monotonic() - started)
    except Exception as exc:  # a bug in a gate, or in finishing its findings, stays in that gate
        tail = "".join(traceback.format_exception(exc)[-6:])
        reason = f"gate crashed: {type(exc).__name__}: {exc}"
        return error_result(planned, reason, tail, time.monotonic() - started)


def _outcome(planned: Planned, settings: RunSettings, ctx: GateContext) -> GateOutcome:
    """The gate's outcome from the result cache, or from running it (and then cached)."""
    cache = settings.cache
    if cache is None:
        return planned.gate.run(ctx)
    key = cache.key(planned.gate, planned.config, planned.files)
    hit = cache.load(key)
    if hit is not None:
        return dataclasses.replace(hit, metrics={**hit.metrics, "cache_hit": True})
    outcome = planned.gate.run(ctx)
    if cacheable(planned.gate, outcome):
        cache.store(key, outcome)
    return outcome


def run_planned(
    planned: Sequence[Planned],
    settings: RunSettings,
    progress: Progress,
    stop: threading.Event,
) -> list[GateResult]:
    """Run every planned gate; the result list is in plan order, whatever finished first."""
    progress.planned([(p.gate.name, p.gate.stage) for p in planned])
    groups = _groups(planned, settings.config.fail_fast)
    results: dict[str, GateResult] = {}
    failed_stage = False
    for group in groups:
        if failed_stage or stop.is_set():
            reason = (
                "not started: the run was interrupted"
                if stop.is_set()
                else ("not started: an earlier stage failed (fail_fast)")
            )
            for p in group:
                results[p.gate.name] = _skipped(p, reason)
                progress.finished(results[p.gate.name])
            continue
        with worker_pool(settings.config.jobs) as pool:
            results.update(_run_group(group, settings, progress, stop, pool))
        failed_stage = settings.config.fail_fast and any(
            results[p.gate.name].status in (Status.FAIL, Status.ERROR) for p in group
        )
    return [results[p.gate.name] for p in planned]


def _skipped(planned: Planned, reason: str) -> GateResult:
    return GateResult(
        name=planned.gate.name,
        stage=planned.gate.stage,
        status=Status.SKIPPED,
        detail=reason,
        fail_on=planned.config.fail_on,
    )


def _groups(planned: Sequence[Planned], fail_fast: bool) -> list[list[Planned]]:
    if not fail_fast:
        return [list(planned)] if planned else []
    by_stage: dict[Stage, list[Planned]] = {}
    for p in planned:
        by_stage.setdefault(p.gate.stage, []).append(p)
    return [by_stage[s] for s in STAGE_ORDER if s in by_stage]


def critical_path_first(
    group: Sequence[Planned], durations: Mapping[str, float], root: Path | None = None
) -> list[Planned]:
    """The order to start gates in: longest first, so the short ones pack around them.

    A gate's last duration here is the best estimate; before it has one, a gate with a
    `cost_model` is estimated from the Python it will read (on a first run of sqlalchemy, bandit
    and its 44 s go first, not after mypy). Gates that cannot be estimated (pytest: its time
    is the tests', not the files') go first, by their default budget: an unknown gate may be
    the longest, and a short one started last costs little. Gates that run in parts go last
    whatever their length, when they have enough to read for two parts: their parts fill the
    cores the others leave at the end. With less, a gate is one part, a tool like any other:
    last, it was the end of the run (flask: bandit's 1.2 s alone after mypy's).
    """

    sized: dict[tuple[str, ...], int] = {}  # most gates share one file list: sized once

    def estimate(p: Planned) -> tuple[bool, int, float]:
        in_parts = traits_of(p.gate).runs_in_parts
        known = durations.get(p.gate.name)
        size = None  # the files are sized only when an answer needs it
        if root is not None and (in_parts or known is None):
            if p.files not in sized:
                sized[p.files] = python_bytes(p, root)
            size = sized[p.files]
        last = in_parts and (size is None or size >= 2 * MIN_PART_BYTES)
        if known is None and size is not None:
            known = estimated_seconds(p, size)
        return (last, 1, -known) if known is not None else (last, 0, -p.gate.default_timeout_s)

    return sorted(group, key=estimate)


def python_bytes(planned: Planned, root: Path) -> int:
    return files_bytes(root, (rel for rel in planned.files if rel.endswith(PYTHON_SUFFIXES)))


def estimated_seconds(planned: Planned, size: int) -> float | None:
    """A first run's guess from the gate's optional `cost_model`: (seconds to start, seconds
    per MB of Python in scope), measured on flask and sqlalchemy (docs/performance.md)."""
    model = traits_of(planned.gate).cost_model
    if model is None:
        return None
    start, per_mb = model
    return float(start) + float(per_mb) * size / 1e6


def ran_durations(results: Sequence[GateResult]) -> dict[str, float]:
    """What to remember for the next run's schedule: gates that ran their tools to the end."""
    return {
        r.name: r.duration_s
        for r in results
        if r.status in (Status.PASS, Status.FAIL) and not r.metrics.get("cache_hit")
    }


@contextlib.contextmanager
def worker_pool(jobs: int) -> Iterator[Executor]:
    """Processes for gates that compute in Python, started only when one asks (spawned, not
    forked: forking a process that runs threads can copy a held lock)."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=jobs or os.cpu_count() or 2,
        mp_context=context,
        initializer=_set_up_worker,
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _set_up_worker() -> None:
    """In a worker: Ctrl-C reaches the whole process group, and a worker that dies of it prints
    a traceback; the runner cancels the work and writes the partial report instead. A worker
    lives for one run: it collects cycles as seldom as the runner does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*FEWER_COLLECTIONS)


def _run_group(
    group: Sequence[Planned],
    settings: RunSettings,
    progress: Progress,
    stop: threading.Event,
    pool: Executor,
) -> dict[str, GateResult]:
    order = critical_path_first(group, settings.durations, settings.root)
    order = own_work_first(order) if own_work_is_big(order, settings.root) else order
    done: queue.Queue[tuple[_Task, GateResult]] = queue.Queue()
    jobs = settings.config.jobs or max(2, os.cpu_count() or 2)
    shares = _Shares(pool, cores_each(order, jobs), SpareCores(jobs))
    tasks = [_Task(planned) for planned in order]
    todo: queue.Queue[_Task] = queue.Queue()
    for task in tasks:
        todo.put(task)
    for _ in range(min(jobs, len(tasks))):
        worker = threading.Thread(
            target=_worker, args=(todo, done, settings, progress, shares), daemon=True
        )
        shares.cores.worker_started()  # before it runs: no gate may borrow its core meanwhile
        worker.start()
    results: dict[str, GateResult] = {}
    while len(results) < len(tasks):
        try:
            task, result = done.get(timeout=0.2)
            if stop.is_set() and result.status is not Status.ERROR:
                # Its tools were killed by the interrupt: whatever it returned proves nothing.
                result = error_result(
                    task.planned, "interrupted before the gate finished", duration=result.duration_s
                )
            if task.planned.gate.name not in results:
                results[task.planned.gate.name] = _stamped(result, task, settings)
                progress.finished(result)
        except queue.Empty:
            pass
        for task in tasks:
            name = task.planned.gate.name
            if name in results:
                continue
            reason = _overdue(task, stop)
            if reason:
                task.cancel.set()
                elapsed = time.monotonic() - (task.started_at or time.monotonic())
                results[name] = error_result(task.planned, reason, duration=elapsed)
                progress.finished(results[name])
    for task in tasks:
        task.cancel.set()
    return results


# A gate whose tool is gates itself computes in this process, on one core at most (the GIL).
IN_PROCESS_TOOL = "gates"


def own_work_first(order: Sequence[Planned]) -> list[Planned]:
    """gates' own checks before every tool, when they have so much to read that they spread
    over worker processes on every core: alone, then the tools have the machine to themselves
    (sqlalchemy `--new all`: 65 s -> 60 s; side by side, five busy processes on two cores all
    ran slower). Otherwise they take their place in the critical-path order like any gate:
    beside the tools, their in-process thread made a third busy process on two cores and
    starved the longest tool (flask: pytest 5.3 s -> 7.5 s, the run 7.8 s -> 7.4 s without).
    """
    own = [p for p in order if p.gate.tool == IN_PROCESS_TOOL]
    return [*own, *(p for p in order if p.gate.tool != IN_PROCESS_TOOL)]


def own_work_is_big(planned: Sequence[Planned], root: Path) -> bool:
    """Whether an in-process check will spread its files over worker processes (the checks
    mostly share one file list: each list is sized once)."""
    lists = {p.files for p in planned if p.gate.tool == IN_PROCESS_TOOL}
    return any(spreads_over_workers(root, files) for files in lists)


def cores_each(planned: Sequence[Planned], jobs: int) -> int:
    """The cores a tool gets when the tool slots share the machine evenly.

    semgrep with one job per core beside three other tools on two cores spent 40 % more CPU
    (its parallel workers wait on each other when the others take their cores): sqlalchemy with
    `--new all` went from 101 s to 85 s with `-j 1`. Alone, or with few tools, it gets more.
    """
    tools = sum(1 for p in planned if p.gate.tool != IN_PROCESS_TOOL)
    return max(1, (os.cpu_count() or 1) // max(1, min(jobs, tools)))


def _stamped(result: GateResult, task: _Task, settings: RunSettings) -> GateResult:
    if task.started_at is None:
        return result
    offset = max(0.0, task.started_at - settings.run_started)
    return dataclasses.replace(result, started_s=round(offset, 3))


def _overdue(task: _Task, stop: threading.Event) -> str | None:
    if stop.is_set():
        return "interrupted before the gate finished"
    if task.started_at is None:
        return None
    limit = task.planned.config.timeout_s + WATCHDOG_GRACE_S
    if time.monotonic() - task.started_at > limit:
        return f"timed out after {task.planned.config.timeout_s:g}s (timeout_s)"
    return None


@dataclass(frozen=True)
class _Shares:
    """What the gates of one group share: worker processes, cores per tool, spare cores."""

    pool: Executor
    cpus: int
    cores: SpareCores


def _worker(
    todo: queue.Queue[_Task],
    done: queue.Queue[tuple[_Task, GateResult]],
    settings: RunSettings,
    progress: Progress,
    shares: _Shares,
) -> None:
    try:
        while True:
            try:
                task = todo.get_nowait()
            except queue.Empty:
                return
            if task.cancel.is_set():
                continue
            task.started_at = time.monotonic()
            try:
                progress.started(task.planned.gate.name)
                result = execute(task, settings, shares.pool, shares.cpus, shares.cores)
            except Exception as exc:  # a worker that dies leaves the run waiting for the watchdog
                result = error_result(task.planned, f"gates could not run this gate: {exc}")
            done.put((task, result))
    finally:
        shares.cores.worker_stopped()  # nothing left to start: its core may be lent
