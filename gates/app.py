"""The `run` pipeline: config -> revisions -> diff -> gates -> report -> report files.

The CLI parses arguments into `RunRequest` and calls `run`; everything else happens here, in
one direction, with plain values passed explicitly.
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
from gates.compare import mark_against_base, run_base
from gates.config import FAIL_ON_CHOICES, Config, Reader, load_config, table_at_revision
from gates.credentials import find_persisted, guard_project_code
from gates.diff import Diff, NamedFiles, compute_diff, restrict_diff
from gates.environment import Environment, choose_python, probe_soon, with_tool_versions
from gates.errors import UsageError
from gates.filters.baseline import (
    Baseline,
    fixed_entries,
    load_baseline,
    render_baseline,
    updated_baseline,
)
from gates.filters.dedupe import merge_duplicates
from gates.filters.encodable import encodable_findings, encodable_results
from gates.filters.markers import MarkerReview, review_markers, suppression_counts
from gates.gate import Gate
from gates.git import Git, Revisions, Worktree, repo_root, resolve_revisions
from gates.model import (
    STAGE_ORDER,
    DiffInfo,
    Finding,
    GateResult,
    Report,
    Severity,
    Verdict,
    decide_verdict,
)
from gates.passenv import patterns_from, selected, withheld
from gates.proc import scrubbed_env
from gates.runner import Progress, RunSettings, plan, ran_durations, run_planned
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


def run(
    request: RunRequest,
    registry: Mapping[str, Gate],
    progress: Progress,
    stop: threading.Event | None = None,
) -> RunOutcome:
    started_wall = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    stop = stop or threading.Event()
    git = Git(repo_root(request.path))
    revisions = resolve_revisions(git, request.base, request.head, request.env)
    trusted_rev = config_revision(request, git, revisions)
    trusted = (reader_at(git, trusted_rev), f"base {trusted_rev[:12]}") if trusted_rev else None
    root, config, only_gates = load(request, registry, trusted)
    config, named = named_scope(config, request.files)
    python = choose_python(request.python, config.python, request.env, root)
    config = replace(config, python=python.path)
    environment = probe_soon(python, root)
    passed = passed_env(request, config)
    notice = config_change_notice(git, trusted_rev, revisions.head) if trusted_rev else None
    out_dir = output_dir_for(request, root, config)
    clear_reports(out_dir)
    baseline = load_baseline(root / config.baseline)
    scratch = Path(tempfile.mkdtemp(prefix="gates-"))
    try:
        diff, gate_results, review, compare_note = _run_gates(
            git,
            root,
            revisions,
            config,
            registry,
            only_gates,
            scratch,
            progress,
            stop,
            baseline,
            request.env,
            started,
            environment,
            passed,
            named=named,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ran_in = environment()
    report = build_report(
        diff,
        tuple(with_tool_versions(gate_results, registry, ran_in)),
        config,
        started_wall,
        time.monotonic() - started,
        incomplete=stop.is_set(),
    )
    report = with_review(report, review, compare_note, baseline, (notice,) if notice else ())
    report = replace(report, environment=ran_in.for_report())
    written = write_reports(report, out_dir)
    return RunOutcome(report, out_dir, written)


def passed_env(request: RunRequest, config: Config) -> dict[str, str]:
    """The variables the scrub drops that `pass_env` names, for the tools (gates.passenv)."""
    patterns = patterns_from(config.pass_env, request.pass_env, request.env)
    return selected(patterns, {**withheld(os.environ), **request.held_env})


def _run_gates(
    git: Git,
    root: Path,
    revisions: Revisions,
    config: Config,
    registry: Mapping[str, Gate],
    only_gates: Sequence[str],
    scratch: Path,
    progress: Progress,
    stop: threading.Event,
    baseline: Baseline,
    env: Mapping[str, str],
    run_started: float,
    environment: Callable[[], Environment],
    passed: Mapping[str, str],
    named: NamedFiles | None = None,
) -> tuple[Diff, list[GateResult], MarkerReview, str]:
    registry = guarded(registry, git, config, env)
    diff = restrict_diff(git, compute_diff(git, revisions), named)
    caches = cache_root(config.cache_dir, env)
    with checkout(git, root, revisions.head, scratch) as tree:
        ran_in = environment()  # a project python that does not run stops here, exit 2
        tool_env = {**scrubbed_env(), **passed}
        cache = result_cache(git, tree, revisions, config, env, ran_in.cache_material)
        settings = RunSettings(
            root=tree,
            diff=diff,
            config=config,
            scratch=scratch / "gates",
            env=tool_env,
            cache_env=tool_cache_env(caches, root, "head"),
            project_files=tuple(git.tracked_files(revisions.head)),
            scope_files=diff.changed_paths(),
            touched=diff.touched_paths(),
            baseline=baseline,
            cache=cache and replace(cache, environment=environment_digest(tool_env)),
            cache_root=caches,
            run_started=run_started,
            durations=load_durations(durations_path(caches, root)),
        )
        if named is not None:  # the cache key does not hold the named scope
            settings = replace(settings, cache=None)
        planned = plan(registry, settings, only_gates)
        results = run_planned(planned, settings, progress, stop)
        store_durations(durations_path(caches, root), ran_durations(results))
        note = ""
        compared = [p.gate.name for p in planned if config.new_mode(p.gate) == "compare"]
        if compared and not stop.is_set():
            base = run_base(git, settings, registry, compared, stop)
            results, note = mark_against_base(results, base, diff, compared), base.note
        complete = not only_gates and not stop.is_set()
        review = review_markers(
            results, diff, lambda rel: read_lines(tree, rel), complete, settings.today
        )
        return diff, results, review, note


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
    diff: Diff,
    results: tuple[GateResult, ...],
    config: Config,
    started_at: str,
    duration: float,
    incomplete: bool = False,
) -> Report:
    results = merge_duplicates(encodable_results(results))
    verdict = decide_verdict(results)
    if incomplete and verdict is Verdict.PASS:
        verdict = Verdict.ERROR  # an interrupted run never passes
    return Report(
        verdict=verdict,
        diff=diff_info(diff),
        gates=results,
        started_at=started_at,
        duration_s=round(duration, 3),
        incomplete=incomplete,
        new_mode=config.new,
        version=__version__,
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


def with_review(
    report: Report,
    review: MarkerReview,
    note: str,
    baseline: Baseline,
    extra_notices: Sequence[Finding] = (),
) -> Report:
    """Add the suppression review, fixed baseline entries and the compare note to a report."""
    fixed = fixed_entries(baseline, report.gates)
    notices = [*encodable_findings([*extra_notices, *review.notices])]
    if fixed:
        notices.append(
            Finding(
                gate="gates",
                tool="gates",
                rule="baseline-fixed",
                severity=Severity.NOTE,
                path="",
                new=True,
                fingerprint=hashlib.sha256(
                    "".join(e.fingerprint for e in fixed).encode()
                ).hexdigest()[:32],
                message=f"{len(fixed)} baselined finding(s) are fixed; shrink the baseline "
                "with `gates baseline --prune`",
            )
        )
    counts = {**suppression_counts(report.gates), **review.counts, "baseline_fixed": len(fixed)}
    diff = report.diff
    if note:
        diff = dataclasses.replace(diff, note=f"{diff.note}; {note}" if diff.note else note)
    return dataclasses.replace(report, notices=tuple(notices), suppressions=counts, diff=diff)


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
