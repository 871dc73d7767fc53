"""Execute planned gates: in parallel up to the core count, each within its time budget,
failing closed.

A gate that raises, times out, or whose tool is missing becomes a `GateResult` with status
`error`, the reason and the tail of its output; every other gate still runs. Gates run on daemon
worker threads so a gate stuck in pure Python cannot keep the process alive after its deadline.
Stages only wait for each other when `fail_fast` asks for it; the report groups by stage
either way.

The runner knows nothing of findings: what runs on which files is decided by gates.plan, the
order to start gates in by gates.schedule, and each raw outcome is handed to the judge's
per-gate step (`RunSettings.finish`, gates.judge.finisher) on the worker that ran the gate, so
the time that takes counts as the gate's. The runner imports neither gates.checks nor
gates.tools: a gate's traits (gates.gate.GateTraits) are all it needs to know of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gates import schedule
from gates.cache import ResultCache, cacheable
from gates.config import Config, GateConfig
from gates.cores import NO_SPARE_CORES, SpareCores
from gates.diff import Diff
from gates.gate import Gate, GateContext, GateError, GateOutcome, traits_of
from gates.memory import FEWER_COLLECTIONS
from gates.model import STAGE_ORDER, GateResult, Stage, Status
from gates.plan import Planned, candidates, python_bytes
from gates.schedule import IN_PROCESS_TOOL

__all__ = [
    "IN_PROCESS_TOOL",
    "WATCHDOG_GRACE_S",
    "Finish",
    "NoProgress",
    "Planned",
    "Progress",
    "RunSettings",
    "cores_each",
    "critical_path_first",
    "estimated_seconds",
    "execute",
    "finalize",
    "own_work_first",
    "own_work_is_big",
    "python_bytes",
    "ran_durations",
    "run_planned",
    "start_order",
    "worker_pool",
]

WATCHDOG_GRACE_S = 10.0

# The judge's per-gate step: a gate's raw outcome -> its result with marked findings.
Finish = Callable[[Gate, GateConfig, GateOutcome], GateResult]


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
class RunSettings:
    """What executing planned gates needs: where, with what environment, and the caches."""

    root: Path  # the checkout the gates look at
    diff: Diff  # handed to the gates (GateContext)
    config: Config
    scratch: Path
    env: Mapping[str, str]
    finish: Finish
    cache: ResultCache | None = None  # None: nothing is reused or stored (e.g. a dirty tree)
    cache_root: Path = Path(".gates-cache")  # also holds the tools' own caches (ruff, mypy)
    # The tools' own caches (RUFF_CACHE_DIR, MYPY_CACHE_DIR), for the tools that use them only.
    cache_env: Mapping[str, str] = field(default_factory=dict)
    run_started: float = field(default_factory=time.monotonic)  # time.monotonic() at the start
    # Seconds each gate took when it last ran on this repository (see gates.cache).
    durations: Mapping[str, float] = field(default_factory=dict)


def start_order(
    group: Sequence[Planned], durations: Mapping[str, float], root: Path | None
) -> list[Planned]:
    """The group in the order to start it (gates.schedule.start_order), measured here."""
    cands = candidates(group, durations, root)
    return _as_planned(group, schedule.start_order(cands, durations), cands)


def critical_path_first(
    group: Sequence[Planned], durations: Mapping[str, float], root: Path | None = None
) -> list[Planned]:
    """Longest first, in-parts gates last (gates.schedule.longest_first)."""
    cands = candidates(group, durations, root)
    return _as_planned(group, schedule.longest_first(cands, durations), cands)


def own_work_first(order: Sequence[Planned]) -> list[Planned]:
    """gates' own checks before every tool (gates.schedule.own_work_first)."""
    cands = candidates(order, {}, None)
    return _as_planned(order, schedule.own_work_first(cands), cands)


def own_work_is_big(planned: Sequence[Planned], root: Path) -> bool:
    """Whether an in-process check will spread its files over worker processes."""
    return schedule.own_work_is_big(candidates(planned, {}, root))


def estimated_seconds(planned: Planned, size: int) -> float | None:
    """A first run's guess from the gate's `cost_model` trait (gates.schedule)."""
    return schedule.estimated_seconds(traits_of(planned.gate).cost_model, size)


def cores_each(planned: Sequence[Planned], jobs: int) -> int:
    """The cores a tool gets when the tool slots share this machine evenly."""
    tools = sum(1 for p in planned if p.gate.tool != IN_PROCESS_TOOL)
    return schedule.cores_each(tools, jobs, os.cpu_count() or 1)


def _as_planned(
    group: Sequence[Planned],
    order: Sequence[schedule.Candidate],
    cands: Sequence[schedule.Candidate],
) -> list[Planned]:
    """The planned gates in the order of their candidates (matched by position, not name)."""
    position = {id(c): i for i, c in enumerate(cands)}
    return [group[position[id(c)]] for c in order]


def finalize(
    planned: Planned, outcome: GateOutcome, settings: RunSettings, started: float
) -> GateResult:
    """Hand a raw outcome to the judge's per-gate step. The duration runs from `started`
    (time.monotonic()) to the end of that step: the worker is busy with it."""
    result = settings.finish(planned.gate, planned.config, outcome)
    return dataclasses.replace(result, duration_s=round(time.monotonic() - started, 3))


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
        return finalize(planned, outcome, settings, started)
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
    order = start_order(group, settings.durations, settings.root)
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
