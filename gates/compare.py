"""Compare mode (`new = "compare"`): a finding is new when the base revision did not have it.

The changed-lines filter cannot see problems a PR causes on lines it did not touch (an import
made unused, a caller's type error). Here the same gates run on the merge-base, in a separate
`git worktree` (the user's checkout is never touched), and a head finding is new when its
fingerprint (no line numbers, occurrence-counted) is not among the base's. Base results are
cached on disk keyed by everything that could change them, so re-runs and later pushes to the
same PR do not pay twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from gates.cache import tool_cache_env
from gates.diff import Diff
from gates.filters.changed_lines import is_new
from gates.gate import Gate, traits_of
from gates.git import Git, Worktree
from gates.model import GateResult, Status, decide_status
from gates.runner import NoProgress, RunSettings, plan, run_planned


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


def _compares(gate: Gate) -> bool:
    """Gates that judge before/after themselves (size) opt out with `compare_base=False`."""
    return traits_of(gate).compare_base


def run_base(
    git: Git,
    head_settings: RunSettings,
    registry: Mapping[str, Gate],
    only: Sequence[str],
    stop: threading.Event,
) -> BaseRun:
    diff = head_settings.diff
    base_sha = diff.base
    if base_sha is None or diff.all_changed:
        return BaseRun({}, note="compare mode: no base revision, findings marked by lines")
    scope, renames = base_scope(diff)
    scratch = head_settings.scratch.parent / "base"
    with Worktree(git, base_sha, scratch) as tree:
        settings = replace(
            head_settings,
            root=tree,
            diff=Diff(diff.revisions),  # nothing is "changed" on the base side
            scratch=scratch / "gates",
            project_files=tuple(git.tracked_files(base_sha)),
            scope_files=scope,
            path_map=renames,
            cache_env=tool_cache_env(head_settings.cache_root, git.root, "base"),
            cache=head_settings.cache
            and replace(head_settings.cache, tree=git.tree_id(base_sha) or "", base=""),
        )
        wanted = [p for p in plan(registry, settings, only) if _compares(p.gate)]
        ran = run_planned(wanted, settings, NoProgress(), stop)
    hits = tuple(r.name for r in ran if r.metrics.get("cache_hit"))
    note = f"compare mode: base {base_sha[:12]}, {len(hits)} of {len(ran)} gates from cache"
    return BaseRun({r.name: r for r in ran}, hits, note)


def mark_against_base(
    results: Sequence[GateResult], base: BaseRun, diff: Diff, compared: Sequence[str]
) -> list[GateResult]:
    """Decide `new` for every undecided finding of the compared gates, then their status again;
    the other gates' results are as their own mode marked them."""
    return [
        _mark_gate(result, base.results.get(result.name), diff)
        if result.name in compared
        else result
        for result in results
    ]


def _mark_gate(result: GateResult, base: GateResult | None, diff: Diff) -> GateResult:
    usable = base is not None and base.status in (Status.PASS, Status.FAIL)
    known = {f.fingerprint for f in base.findings} if usable and base else set()
    findings = tuple(
        f
        if f.new is not None
        else f.replace(new=f.fingerprint not in known if usable else is_new(f, diff))
        for f in result.findings
    )
    metrics = dict(result.metrics)
    if usable and base:
        metrics.update(
            {
                f"{k}_base": v
                for k, v in base.metrics.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
        )
    detail = result.detail
    if not usable and result.findings:
        why = "did not run on the base" if base is None else f"was {base.status.value} on the base"
        detail = (
            detail + "\n" if detail else ""
        ) + f"compare mode: this gate {why}; findings marked by changed lines"
    status = result.status
    if status in (Status.PASS, Status.FAIL):
        status = decide_status(findings, result.fail_on)
    return replace(result, findings=findings, metrics=metrics, detail=detail, status=status)
