"""The `run` pipeline: revisions -> config -> diff -> gates (and the base) -> judging ->
report files.

The CLI parses arguments into `RunRequest` and calls `run`; everything else happens here, in
one direction, with plain values passed explicitly. Each step is a module of its own
(gates.plan, gates.runner, gates.compare, gates.judge); this one only wires them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gates import __version__
from gates.cache import (
    ResultCache,
    cache_root,
    durations_path,
    environment_digest,
    load_durations,
    store_durations,
    tool_cache_env,
)
from gates.compare import BaseRun, Job, run_base
from gates.config import FAIL_ON_CHOICES, Config, Reader, load_config, table_at_revision
from gates.credentials import find_persisted, guard_project_code
from gates.diff import Diff, NamedFiles, compute_diff, restrict_diff
from gates.environment import Environment, choose_python, probe_soon, with_tool_versions
from gates.errors import UsageError
from gates.filters.baseline import Baseline, load_baseline, render_baseline, updated_baseline
from gates.gate import Gate
from gates.git import Git, Revisions, Worktree, repo_root, resolve_revisions
from gates.judge import Judgement, Judging, RunJudging, judge_gates, judge_run
from gates.model import (
    STAGE_ORDER,
    DiffInfo,
    Finding,
    GateResult,
    Report,
    Severity,
    Stage,
    Status,
)
from gates.passenv import patterns_from, selected, withheld
from gates.plan import Planned, RunPaths, plan
from gates.proc import scrubbed_env
from gates.progress import Progress
from gates.runner import Ran, RunSettings, ran_durations, run_planned, skipped
from gates.sources import read_lines

REPORT_FILES = ("gates.json", "gates.sarif", "gates.md")


@dataclass(frozen=True)
class RunRequest:
    path: Path = Path()
    base: str | None = None
    head: str = "HEAD"
    stages: Sequence[str] = ()  # stage or gate names; empty means the configured stages
    config: Path | None = None
    output_dir: Path | None = None
    new: str | None = None
    fail_on: str | None = None  # overrides every gate's fail_on (the action's `fail-on` input)
    # "base": the gates config as committed at the merge-base (a PR cannot loosen its own
    # gates); "head": the checkout's. None: base under GitHub Actions, head elsewhere.
    config_from: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # --files: only these repository paths are in scope (gates.diff.restrict_diff)
    files: tuple[str, ...] | None = None
    python: str | None = None  # --python: the project's interpreter (gates.environment)
    pass_env: Sequence[str] = ()  # --pass-env patterns (gates.passenv)
    # Variables the scrub drops that `entry` carried over the re-exec in memory (gates.passenv).
    held_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    report: Report
    output_dir: Path
    written: tuple[Path, ...]


def parse_selection(
    names: Sequence[str], registry: Mapping[str, Gate]
) -> tuple[list[str], list[str]]:
    """Split `--stages` into stage names and gate names; unknown names are a UsageError."""
    stage_names = {s.value for s in STAGE_ORDER}
    stages = [n for n in names if n in stage_names]
    gates = [n for n in names if n in registry and n not in stage_names]
    unknown = [n for n in names if n not in stage_names and n not in registry]
    if unknown:
        known = ", ".join([s.value for s in STAGE_ORDER] + sorted(registry))
        raise UsageError(f"--stages: unknown stage or gate {unknown[0]!r} (known: {known})")
    return stages, gates


def load(
    request: RunRequest,
    registry: Mapping[str, Gate],
    trusted: tuple[Reader, str] | None = None,
) -> tuple[Path, Config, list[str]]:
    root = repo_root(request.path)
    stages, only_gates = parse_selection(request.stages, registry)
    overrides: dict[str, object] = {"new": request.new}
    if only_gates and stages:  # `safety,ruff`: every safety gate, and ruff
        only_gates += [n for n, g in registry.items() if g.stage.value in stages]
    if stages or only_gates:
        wanted = set(stages) | {registry[g].stage.value for g in only_gates}
        overrides["stages"] = [s.value for s in STAGE_ORDER if s.value in wanted]
    config = load_config(root, registry, request.config, overrides, trusted)
    if request.fail_on is not None:
        config = with_fail_on(config, request.fail_on)
    return root, config, only_gates


def config_revision(request: RunRequest, git: Git, revisions: Revisions) -> str | None:
    """The commit whose gates config judges this run, or None for the work tree's."""
    mode = request.config_from or (
        "base" if request.env.get("GITHUB_ACTIONS") == "true" else "head"
    )
    if mode != "base" or request.config is not None:
        return None
    return revisions.merge_base or revisions.base


def reader_at(git: Git, rev: str) -> Reader:
    return lambda name: git.show_file(rev, name)


def config_change_notice(git: Git, base: str, head: str) -> Finding | None:
    """A note when the PR changes the gates config: it is judged by the base's until merged."""
    before = table_at_revision(reader_at(git, base), "base")
    after = table_at_revision(reader_at(git, head), "head")
    if (before[0] if before else {}) == (after[0] if after else {}):
        return None
    where = (after or before or ({}, "", ".gates.toml"))[2].split(" at ")[0]
    return Finding(
        gate="gates",
        tool="gates",
        rule="config-changed",
        severity=Severity.NOTE,
        path=where,
        new=True,
        fingerprint=hashlib.sha256(f"config-changed{base}{head}".encode()).hexdigest()[:32],
        message="this PR changes the gates configuration; it is judged by the base's "
        "configuration, and the change applies once merged",
    )


def with_fail_on(config: Config, fail_on: str) -> Config:
    """The config with one threshold for every gate: a command-line choice beats the file's."""
    if fail_on not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on: must be one of {', '.join(FAIL_ON_CHOICES)}, got {fail_on!r}")
    gates = {name: replace(g, fail_on=fail_on) for name, g in config.gates.items()}
    return replace(config, gates=gates)


def named_scope(config: Config, files: Sequence[str] | None) -> tuple[Config, NamedFiles | None]:
    """The scope of a run limited to named files. There `new = "all"` means every line of each
    named file, so it is judged as `lines` on files taken whole: the runner would otherwise
    widen the scope to every file of the project."""
    if files is None:
        return config, None
    whole = config.new == "all"
    return (replace(config, new="lines") if whole else config), NamedFiles(tuple(files), whole)


def output_dir_for(request: RunRequest, root: Path, config: Config) -> Path:
    if request.output_dir is not None:
        return request.output_dir.resolve()
    return (root / config.output_dir).resolve()


@contextlib.contextmanager
def checkout(git: Git, root: Path, head: str, scratch: Path) -> Iterator[Path]:
    """The directory whose files are the head revision: the work tree itself when HEAD is head."""
    if git.rev("HEAD") == head:
        yield root
        return
    with Worktree(git, head, scratch) as path:
        yield path


def diff_info(diff: Diff) -> DiffInfo:
    rev = diff.revisions
    return DiffInfo(
        base=rev.base,
        head=rev.head,
        merge_base=rev.merge_base,
        mode="all-files" if diff.all_changed else "diff",
        note=rev.note,
        changed_files=len(diff.files),
        added_lines=diff.added_total,
        deleted_lines=diff.deleted_total,
    )


@dataclass(frozen=True)
class Clock:
    wall: str  # ISO 8601, UTC
    started: float  # time.monotonic()

    @classmethod
    def start(cls) -> Clock:
        wall = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        return cls(wall, time.monotonic())


@dataclass(frozen=True)
class Setup:
    """What loading makes of a request: the config that judges the run, and what goes with it."""

    root: Path
    config: Config
    only_gates: tuple[str, ...]  # gates named in `--stages`; empty: every configured gate
    named: NamedFiles | None  # `--files`
    environment: Callable[[], Environment]  # the project's interpreter, probed meanwhile
    passed: Mapping[str, str]  # variables `pass_env` hands the tools
    out_dir: Path
    notices: tuple[Finding, ...]  # about the run itself (a config the PR changes)
    env: Mapping[str, str]  # the environment gates was started in
    clock: Clock
    # Read after the old reports are cleared: a broken baseline leaves no stale report behind.
    baseline: Baseline = field(default_factory=Baseline)


def run(
    request: RunRequest,
    registry: Mapping[str, Gate],
    progress: Progress,
    stop: threading.Event | None = None,
) -> RunOutcome:
    """Load, resolve the revisions, diff, run (and the base, when comparing), judge, write."""
    clock = Clock.start()
    stop = stop or threading.Event()
    git = Git(repo_root(request.path))
    revisions = resolve_revisions(git, request.base, request.head, request.env)
    setup = load_run(request, registry, git, revisions, clock)
    clear_reports(setup.out_dir)
    setup = replace(setup, baseline=load_baseline(setup.root / setup.config.baseline))
    with scratch_dir() as scratch:
        guarded_registry = guarded(registry, git, setup.config, setup.env)
        diff = restrict_diff(git, compute_diff(git, revisions), setup.named)
        with checkout(git, setup.root, revisions.head, scratch) as tree:
            job = prepare(git, tree, diff, setup, guarded_registry, scratch)
            planned, results = run_head(job, progress, stop)
            compared, base = run_compared_base(git, job, planned, stop)
            judgement = judge_run(results, run_facts(job, setup, compared, base, stop))
    report = build_report(judgement, diff, setup, registry, base.note if base else "")
    written = write_reports(report, setup.out_dir)
    return RunOutcome(report, setup.out_dir, written)


def load_run(
    request: RunRequest, registry: Mapping[str, Gate], git: Git, revisions: Revisions, clock: Clock
) -> Setup:
    """The config that judges this run (the base's, under GitHub Actions) and what it decides:
    the project's interpreter (probed on a thread meanwhile), pass_env, baseline, output."""
    trusted_rev = config_revision(request, git, revisions)
    trusted = (reader_at(git, trusted_rev), f"base {trusted_rev[:12]}") if trusted_rev else None
    root, config, only_gates = load(request, registry, trusted)
    config, named = named_scope(config, request.files)
    python = choose_python(request.python, config.python, request.env, root)
    config = replace(config, python=python.path)
    environment = probe_soon(python, root)
    notice = config_change_notice(git, trusted_rev, revisions.head) if trusted_rev else None
    return Setup(
        root=root,
        config=config,
        only_gates=tuple(only_gates),
        named=named,
        environment=environment,
        passed=passed_env(request, config),
        out_dir=output_dir_for(request, root, config),
        notices=(notice,) if notice else (),
        env=request.env,
        clock=clock,
    )


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A private directory for the run's worktrees and tool outputs, removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="gates-"))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def prepare(
    git: Git,
    tree: Path,
    diff: Diff,
    setup: Setup,
    registry: Mapping[str, Gate],
    scratch: Path,
) -> Job:
    """The head's job: its caches, environment, paths and judging."""
    config, env = setup.config, setup.env
    ran_in = setup.environment()  # a project python that does not run stops here, exit 2
    tool_env = {**scrubbed_env(), **setup.passed}
    caches = cache_root(config.cache_dir, env)
    cache = result_cache(git, tree, diff.revisions, config, env, ran_in.cache_material)
    if setup.named is not None:  # the cache key does not hold the named scope
        cache = None
    today = dt.datetime.now(dt.timezone.utc).date()
    judging = Judging(tree, diff, config, today, setup.baseline)
    log = durations_path(caches, setup.root)
    settings = RunSettings(
        root=tree,
        diff=diff,
        config=config,
        scratch=scratch / "gates",
        env=tool_env,
        cache=cache and replace(cache, environment=environment_digest(tool_env)),
        cache_root=caches,
        cache_env=tool_cache_env(caches, setup.root, "head"),
        run_started=setup.clock.started,
        durations=load_durations(log),
    )
    paths = RunPaths(
        project=tuple(git.tracked_files(diff.revisions.head)),
        changed=diff.changed_paths(),
        touched=diff.touched_paths(),
    )
    return Job(registry, setup.only_gates, settings, judging, paths, log)


def run_head(
    job: Job, progress: Progress, stop: threading.Event
) -> tuple[list[Planned], list[GateResult]]:
    """The planned gates on the head, judged gate by gate (steps 1 to 6 of gates.judge), and
    their durations remembered for the next schedule. Under `fail_fast` the stages run one
    after another and a stage with a failed or errored gate skips the stages after it."""
    settings = job.settings
    planned = plan(job.registry, settings.config, settings.root, job.paths, job.only_gates)
    progress.planned([(p.gate.name, p.gate.stage) for p in planned])
    ran: list[Ran] = []
    results: list[GateResult] = []
    for group in _batches(planned, settings.config.fail_fast):
        why_not = _why_not_started(results, stop)
        if why_not:
            batch = [skipped(p, why_not) for p in group]
            for one in batch:
                progress.finished(one.ended)
        else:
            batch = run_planned(group, settings, progress, stop)
        ran += batch
        results += judge_gates(job.judging, batch)
    store_durations(job.durations_log, ran_durations(ran))
    return planned, results


def _batches(planned: Sequence[Planned], fail_fast: bool) -> list[list[Planned]]:
    """Every gate at once; under `fail_fast`, stage by stage."""
    if not fail_fast:
        return [list(planned)] if planned else []
    by_stage: dict[Stage, list[Planned]] = {}
    for p in planned:
        by_stage.setdefault(p.gate.stage, []).append(p)
    return [by_stage[s] for s in STAGE_ORDER if s in by_stage]


def _why_not_started(results: Sequence[GateResult], stop: threading.Event) -> str:
    if stop.is_set():
        return "not started: the run was interrupted"
    if any(r.status in (Status.FAIL, Status.ERROR) for r in results):
        return "not started: an earlier stage failed (fail_fast)"
    return ""


def run_compared_base(
    git: Git, job: Job, planned: Sequence[Planned], stop: threading.Event
) -> tuple[tuple[str, ...], BaseRun | None]:
    """The gates judged against the base (`new = "compare"`), and their run on the base;
    None when no gate compares or the run was interrupted."""
    config = job.settings.config
    compared = tuple(p.gate.name for p in planned if config.new_mode(p.gate) == "compare")
    if not compared or stop.is_set():
        return compared, None
    return compared, run_base(git, job, compared, stop)


def run_facts(
    job: Job,
    setup: Setup,
    compared: tuple[str, ...],
    base: BaseRun | None,
    stop: threading.Event,
) -> RunJudging:
    """What judging the whole run needs (gates.judge.RunJudging)."""
    return RunJudging(
        diff=job.judging.diff,
        today=job.judging.today,
        read_lines=lambda rel: read_lines(job.settings.root, rel),
        baseline=setup.baseline,
        complete=not setup.only_gates and not stop.is_set(),
        incomplete=stop.is_set(),
        compared=compared,
        base=base.results if base is not None else None,
        notices=setup.notices,
    )


def passed_env(request: RunRequest, config: Config) -> dict[str, str]:
    """The variables the scrub drops that `pass_env` names, for the tools (gates.passenv)."""
    patterns = patterns_from(config.pass_env, request.pass_env, request.env)
    return selected(patterns, {**withheld(os.environ), **request.held_env})


def guarded(
    registry: Mapping[str, Gate], git: Git, config: Config, env: Mapping[str, str]
) -> Mapping[str, Gate]:
    """Under GitHub Actions, a gate that runs the PR's code is refused (`error`, fix named)
    where the checkout keeps a git credential that code could read. Elsewhere the credentials
    in a checkout are the developer's own, on their own machine."""
    if env.get("GITHUB_ACTIONS") != "true" or config.allow_persisted_credentials:
        return registry
    return guard_project_code(registry, find_persisted(git))


def result_cache(
    git: Git,
    tree: Path,
    revisions: Revisions,
    config: Config,
    env: Mapping[str, str],
    versions: Callable[[], dict[str, str]],
) -> ResultCache | None:
    """The cache for this run, or None when it is off or the checkout has uncommitted changes
    (the git tree id would not describe what the tools see)."""
    if not config.cache or env.get("GATES_NO_CACHE"):
        return None
    if tree == git.root and git.has_tracked_changes():
        return None
    tree_id = git.tree_id(revisions.head)
    if tree_id is None:
        return None
    return ResultCache(
        root=cache_root(config.cache_dir, env),
        tree=tree_id,
        base=revisions.merge_base or revisions.base or "",
        versions=versions(),
        python=config.python,
    )


def build_report(
    judgement: Judgement,
    diff: Diff,
    setup: Setup,
    registry: Mapping[str, Gate],
    compare_note: str = "",
) -> Report:
    """The report of a judged run, with the tools' versions and the interpreter they ran in."""
    ran_in = setup.environment()
    info = diff_info(diff)
    if compare_note:
        note = f"{info.note}; {compare_note}" if info.note else compare_note
        info = dataclasses.replace(info, note=note)
    return Report(
        verdict=judgement.verdict,
        diff=info,
        gates=tuple(with_tool_versions(judgement.gates, registry, ran_in)),
        started_at=setup.clock.wall,
        duration_s=round(time.monotonic() - setup.clock.started, 3),
        incomplete=judgement.incomplete,
        new_mode=setup.config.new,
        notices=judgement.notices,
        suppressions=judgement.suppressions,
        version=__version__,
        environment=ran_in.for_report(),
    )


@dataclass(frozen=True)
class BaselineOutcome:
    run: RunOutcome
    path: Path
    before: int
    after: int


def write_baseline(
    request: RunRequest,
    registry: Mapping[str, Gate],
    progress: Progress,
    stop: threading.Event,
    prune: bool = False,
) -> BaselineOutcome:
    """Run every gate on every file (new = all) and record today's findings, or with `prune`
    only drop the entries that are fixed; the file never gains entries when pruning."""
    outcome = run(dataclasses.replace(request, new="all"), registry, progress, stop)
    if stop.is_set():
        raise UsageError("interrupted: the baseline was not written")
    root, config, _ = load(request, registry)
    path = root / config.baseline
    old = load_baseline(path)
    new = updated_baseline(old, outcome.report.gates, prune)
    atomic_write(path, render_baseline(new))
    return BaselineOutcome(outcome, path, len(old.entries), len(new.entries))


def clear_reports(out_dir: Path) -> None:
    """Remove reports of an earlier run, so a stale or forged file can never be taken as ours."""
    for name in REPORT_FILES:
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()


def write_reports(report: Report, out_dir: Path) -> tuple[Path, ...]:
    from gates.reporters.json_report import render_json
    from gates.reporters.markdown import render_markdown
    from gates.reporters.sarif import render_sarif

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output directory {out_dir}: {exc.strerror}") from None
    rendered = {
        "gates.json": render_json(report),
        "gates.sarif": render_sarif(report),
        "gates.md": render_markdown(report),
    }
    return tuple(atomic_write(out_dir / name, text) for name, text in rendered.items())


def atomic_write(path: Path, text: str) -> Path:
    """Write via a fresh temporary file and rename, so a reader never sees half a report.

    The temporary file is created with O_EXCL under a random name: a PR that plants a symlink
    in the output directory cannot redirect the write.
    """
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()  # whatever went wrong, no half-written file stays behind
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        raise
    return path
