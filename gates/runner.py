"""Execute planned gates: in parallel up to the core count, each within its time budget,
failing closed, and hand back each gate's raw outcome with its timings (`Ran`).

A gate that raises, times out, or whose tool is missing ends with an `error` outcome, the
reason and the tail of its output; every other gate still runs. Gates run on daemon worker
threads so a gate stuck in pure Python cannot keep the process alive after its deadline.

The runner knows nothing of findings: what runs on which files is decided by gates.plan, the
order to start gates in by gates.schedule, and what the outcomes mean by gates.judge, after
the run. It imports neither gates.checks nor gates.tools: a gate's traits
(gates.gate.GateTraits) are all it needs to know of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from gates import schedule
from gates.cache import ResultCache, cacheable
from gates.config import Config
from gates.cores import Shares
from gates.diff import Diff
from gates.gate import GateContext, GateError, GateOutcome, traits_of
from gates.model import Status
from gates.plan import Planned, candidates, python_bytes
from gates.progress import Ended, NoProgress, Progress
from gates.schedule import IN_PROCESS_TOOL

__all__ = [
    "IN_PROCESS_TOOL",
    "WATCHDOG_GRACE_S",
    "NoProgress",
    "Planned",
    "Progress",
    "Ran",
    "RunSettings",
    "cores_each",
    "critical_path_first",
    "estimated_seconds",
    "execute",
    "python_bytes",
    "ran_durations",
    "run_planned",
    "skipped",
    "worker_pool",
]

WATCHDOG_GRACE_S = 10.0


@dataclass(frozen=True)
class Ran:
    """A planned gate as the runner leaves it: the gate's own outcome, or an `error` or
    `skipped` one saying why there is none, and when it ran."""

    planned: Planned
    outcome: GateOutcome
    duration_s: float = 0.0
    started_s: float | None = None  # seconds from the run's start; None: it never started

    @property
    def name(self) -> str:
        return self.planned.gate.name

    @property
    def cached(self) -> bool:
        return self.outcome.metrics.get("cache_hit") is True

    @property
    def ended(self) -> Ended:
        state = (
            self.outcome.status if self.outcome.status in (Status.ERROR, Status.SKIPPED) else None
        )
        return Ended(self.name, state, self.duration_s, self.cached)


@dataclass(frozen=True)
class RunSettings:
    """What executing planned gates needs: where, with what environment, and the caches."""

    root: Path  # the checkout the gates look at
    diff: Diff  # handed to the gates (GateContext)
    config: Config
    scratch: Path
    env: Mapping[str, str]
    cache: ResultCache | None = None  # None: nothing is reused or stored (e.g. a dirty tree)
    cache_root: Path = Path(".gates-cache")  # also holds the tools' own caches (ruff, mypy)
    # The tools' own caches (RUFF_CACHE_DIR, MYPY_CACHE_DIR), for the tools that use them only.
    cache_env: Mapping[str, str] = field(default_factory=dict)
    run_started: float = field(default_factory=time.monotonic)  # time.monotonic() at the start
    # Seconds each gate took when it last ran on this repository (see gates.cache).
    durations: Mapping[str, float] = field(default_factory=dict)


def critical_path_first(
    group: Sequence[Planned], durations: Mapping[str, float], root: Path | None = None
) -> list[Planned]:
    """The group in the order to start it, longest first (gates.schedule.longest_first),
    measured here."""
    cands = candidates(group, durations, root)
    return _as_planned(group, schedule.longest_first(cands, durations), cands)


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


def failed(reason: str, tail: str = "") -> GateOutcome:
    """The outcome of a gate that could not give one: it crashed, timed out, was interrupted."""
    return GateOutcome(status=Status.ERROR, detail=reason if not tail else f"{reason}\n\n{tail}")


def crashed(exc: Exception) -> GateOutcome:
    """The outcome of a gate whose code (or whose findings' judging) raised: a bug, named with
    the end of its traceback."""
    tail = "".join(traceback.format_exception(exc)[-6:])
    return failed(f"gate crashed: {type(exc).__name__}: {exc}", tail)


def skipped(planned: Planned, reason: str) -> Ran:
    """A planned gate that will not start (an earlier stage failed, the run was interrupted)."""
    return Ran(planned, GateOutcome(status=Status.SKIPPED, detail=reason))


class _Task:
    def __init__(self, planned: Planned) -> None:
        self.planned = planned
        self.cancel = threading.Event()
        self.started_at: float | None = None


def execute(task: _Task, settings: RunSettings, shares: Shares) -> GateOutcome:
    """Run one gate (or take its outcome from the cache); whatever goes wrong is its error."""
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
        shares=shares,
        cache_dir=settings.cache_root if settings.cache is not None else None,
    )
    try:
        return _outcome(planned, settings, ctx)
    except GateError as exc:
        return failed(str(exc), exc.output_tail)
    except Exception as exc:  # a bug in a gate stays in that gate
        return crashed(exc)


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
) -> list[Ran]:
    """Run every planned gate at once, up to `jobs` at a time; in plan order, whatever
    finished first. Gates not started when `stop` is set are errors, as are those it cut off."""
    if not planned:
        return []
    with worker_pool(settings.config.jobs) as pool:
        ran = _run_group(planned, settings, progress, stop, pool)
    return [ran[p.gate.name] for p in planned]


def ran_durations(ran: Sequence[Ran]) -> dict[str, float]:
    """What to remember for the next run's schedule: gates that ran their tools to the end."""
    return {r.name: r.duration_s for r in ran if r.outcome.status is None and not r.cached}


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
    a traceback; the runner cancels the work and writes the partial report instead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_group(
    group: Sequence[Planned],
    settings: RunSettings,
    progress: Progress,
    stop: threading.Event,
    pool: Executor,
) -> dict[str, Ran]:
    order = critical_path_first(group, settings.durations, settings.root)
    done: queue.Queue[Ran] = queue.Queue()
    jobs = settings.config.jobs or max(2, os.cpu_count() or 2)
    shares = Shares(pool, cores_each(order, jobs))
    tasks = [_Task(planned) for planned in order]
    todo: queue.Queue[_Task] = queue.Queue()
    for task in tasks:
        todo.put(task)
    for _ in range(min(jobs, len(tasks))):
        worker = threading.Thread(
            target=_worker, args=(todo, done, settings, progress, shares), daemon=True
        )
        worker.start()
    ran: dict[str, Ran] = {}
    while len(ran) < len(tasks):
        with contextlib.suppress(queue.Empty):
            _record(ran, _cut_off(done.get(timeout=0.2), stop), progress)
        for task in tasks:
            reason = None if task.planned.gate.name in ran else _overdue(task, stop)
            if reason:
                task.cancel.set()
                elapsed = time.monotonic() - (task.started_at or time.monotonic())
                _record(ran, _timed(task, settings, failed(reason), elapsed), progress)
    for task in tasks:
        task.cancel.set()
    return ran


def _record(ran: dict[str, Ran], one: Ran, progress: Progress) -> None:
    """The first word on a gate stands (a watchdog's error beats a late outcome)."""
    if one.name not in ran:
        ran[one.name] = one
        progress.finished(one.ended)


def _cut_off(one: Ran, stop: threading.Event) -> Ran:
    """After an interrupt a gate's tools were killed: whatever it returned proves nothing."""
    if stop.is_set() and one.outcome.status is not Status.ERROR:
        return dataclasses.replace(one, outcome=failed("interrupted before the gate finished"))
    return one


def _timed(task: _Task, settings: RunSettings, outcome: GateOutcome, duration: float) -> Ran:
    started = None
    if task.started_at is not None:
        started = round(max(0.0, task.started_at - settings.run_started), 3)
    return Ran(task.planned, outcome, round(duration, 3), started)


def _overdue(task: _Task, stop: threading.Event) -> str | None:
    if stop.is_set():
        return "interrupted before the gate finished"
    if task.started_at is None:
        return None
    limit = task.planned.config.timeout_s + WATCHDOG_GRACE_S
    if time.monotonic() - task.started_at > limit:
        return f"timed out after {task.planned.config.timeout_s:g}s (timeout_s)"
    return None


def _worker(
    todo: queue.Queue[_Task],
    done: queue.Queue[Ran],
    settings: RunSettings,
    progress: Progress,
    shares: Shares,
) -> None:
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
            outcome = execute(task, settings, shares)
        except Exception as exc:  # a worker that dies leaves the run waiting for the watchdog
            outcome = failed(f"gates could not run this gate: {exc}")
        done.put(_timed(task, settings, outcome, time.monotonic() - task.started_at))
