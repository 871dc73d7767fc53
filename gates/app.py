"""The `run` pipeline: config -> revisions -> diff -> gates -> report -> report files.

The CLI parses arguments into `RunRequest` and calls `run`; everything else happens here, in
one direction, with plain values passed explicitly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gates import __version__
from gates.config import Config, load_config
from gates.diff import Diff, compute_diff
from gates.errors import UsageError
from gates.filters.dedupe import merge_duplicates
from gates.gate import Gate
from gates.git import Git, Revisions, Worktree, repo_root, resolve_revisions
from gates.model import STAGE_ORDER, DiffInfo, GateResult, Report, Verdict, decide_verdict
from gates.proc import scrubbed_env
from gates.runner import Progress, RunSettings, plan, run_planned

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
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


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


def load(request: RunRequest, registry: Mapping[str, Gate]) -> tuple[Path, Config, list[str]]:
    root = repo_root(request.path)
    stages, only_gates = parse_selection(request.stages, registry)
    overrides: dict[str, object] = {"new": request.new}
    if stages or only_gates:
        overrides["stages"] = stages or sorted(
            {registry[g].stage.value for g in only_gates}, key=[s.value for s in STAGE_ORDER].index
        )
    config = load_config(root, registry, request.config, overrides)
    return root, config, only_gates


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
    root, config, only_gates = load(request, registry)
    out_dir = output_dir_for(request, root, config)
    clear_reports(out_dir)
    git = Git(root)
    revisions = resolve_revisions(git, request.base, request.head, request.env)
    scratch = Path(tempfile.mkdtemp(prefix="gates-"))
    try:
        diff, gate_results = _run_gates(
            git, root, revisions, config, registry, only_gates, scratch, progress, stop
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = build_report(
        diff,
        tuple(gate_results),
        config,
        started_wall,
        time.monotonic() - started,
        incomplete=stop.is_set(),
    )
    written = write_reports(report, out_dir)
    return RunOutcome(report, out_dir, written)


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
) -> tuple[Diff, list[GateResult]]:
    diff = compute_diff(git, revisions)
    with checkout(git, root, revisions.head, scratch) as tree:
        settings = RunSettings(
            root=tree,
            diff=diff,
            config=config,
            scratch=scratch / "gates",
            env=scrubbed_env(),
            project_files=tuple(git.tracked_files(revisions.head)),
        )
        planned = plan(registry, settings, only_gates)
        return diff, run_planned(planned, settings, progress, stop)


def build_report(
    diff: Diff,
    results: tuple[GateResult, ...],
    config: Config,
    started_at: str,
    duration: float,
    incomplete: bool = False,
) -> Report:
    results = merge_duplicates(results)
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
    """Write via a temporary file and rename, so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path
