"""Compare mode (`new = "compare"`): a finding is new when the base revision did not have it.

The changed-lines filter cannot see problems a PR causes on lines it did not touch (an import
made unused, a caller's type error). Here the same gates run on the merge-base, in a separate
`git worktree` (the user's checkout is never touched), and a head finding is new when its
fingerprint (no line numbers, occurrence-counted) is not among the base's. Base results are
cached on disk keyed by everything that could change them, so re-runs and later pushes to the
same PR do not pay twice. This module only runs the base; gates.judge marks the head's findings
against it (step 7 of its order).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gates.cache import tool_cache_env
from gates.diff import Diff
from gates.gate import Gate, traits_of
from gates.git import Git, Worktree
from gates.judge import Judging, judge_gates
from gates.model import GateResult
from gates.plan import RunPaths, plan
from gates.runner import NoProgress, RunSettings, run_planned


@dataclass(frozen=True)
class Job:
    """The head's side of a run, ready to execute: the gates, where they run, and how to judge
    them. The base's side is derived from it (`run_base`)."""

    registry: Mapping[str, Gate]  # guarded: see gates.app.guarded
    only_gates: tuple[str, ...]
    settings: RunSettings
    judging: Judging
    paths: RunPaths
    durations_log: Path  # where this repository's gate durations are kept (gates.cache)


@dataclass(frozen=True)
class BaseRun:
    """The base revision's results by gate name, and how they were obtained."""

    results: Mapping[str, GateResult]
    cache_hits: tuple[str, ...] = ()
    note: str = ""


def base_scope(diff: Diff) -> tuple[tuple[str, ...], dict[str, str]]:
    """The base-side paths of the files the PR changed, and base path -> head path."""
    paths: list[str] = []
    renames: dict[str, str] = {}
    for changed in diff.files.values():
        if not changed.exists_at_head or changed.kind.value == "added":
            continue
        old = changed.old_path or changed.path
        paths.append(old)
        if old != changed.path:
            renames[old] = changed.path
    return tuple(sorted(paths)), renames


def run_base(git: Git, job: Job, only: Sequence[str], stop: threading.Event) -> BaseRun:
    """The compared gates on the merge-base, with the head run's settings where they apply.
    Gates that judge before/after themselves (size) opt out with `compare_base=False`."""
    head = job.settings
    diff = head.diff
    base_sha = diff.base
    if base_sha is None or diff.all_changed:
        return BaseRun({}, note="compare mode: no base revision, findings marked by lines")
    scope, renames = base_scope(diff)
    scratch = head.scratch.parent / "base"
    with Worktree(git, base_sha, scratch) as tree:
        nothing_changed = Diff(diff.revisions)  # nothing is "changed" on the base side
        base_judging = replace(job.judging, root=tree, diff=nothing_changed, path_map=renames)
        settings = replace(
            head,
            root=tree,
            diff=nothing_changed,
            scratch=scratch / "gates",
            cache_env=tool_cache_env(head.cache_root, git.root, "base"),
            cache=head.cache and replace(head.cache, tree=git.tree_id(base_sha) or "", base=""),
        )
        base_paths = RunPaths(tuple(git.tracked_files(base_sha)), scope, job.paths.touched)
        planned = plan(job.registry, head.config, tree, base_paths, only)
        wanted = [p for p in planned if traits_of(p.gate).compare_base]
        ran = judge_gates(base_judging, run_planned(wanted, settings, NoProgress(), stop))
    hits = tuple(r.name for r in ran if r.metrics.get("cache_hit"))
    note = f"compare mode: base {base_sha[:12]}, {len(hits)} of {len(ran)} gates from cache"
    return BaseRun({r.name: r for r in ran}, hits, note)
