"""The `size` gate: per-file budgets, function and class length, PR size, large and binary files.

This module measures (the only I/O); `size_rules` judges. Every number is shown before -> after:
head sizes come from the checked-out files, base sizes from git at the merge-base (see
`size_io`). Scope is the changed files, so only what the PR touched is judged; with
`new = "all"` every file in scope is judged; without a base every file counts as added and the
gate's detail says there was nothing to compare against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from gates.checks.size_budgets import budget_for, check_budgets
from gates.checks.size_defs import definitions, longest_by_name
from gates.checks.size_io import (
    Blob,
    base_blobs,
    count_file_lines,
    count_lines,
    head_bytes,
    read_blobs,
)
from gates.checks.size_rules import (
    RULES,
    Judge,
    SizeOptions,
    Sizes,
    change_table,
    file_findings,
    pr_size,
    size_metrics,
)
from gates.config import severity_option
from gates.diff import ChangeKind, Diff
from gates.gate import GateContext, GateError, GateOutcome, GateTraits, Option, Scope
from gates.git import Git
from gates.model import Finding, Stage
from gates.paths import PYTHON_SUFFIXES, check_globs, matches
from gates.sources import looks_binary, read_text, safe_path

DEFAULT_BINARY_ALLOWED = (
    *("*.png", "*.jpg", "*.jpeg", "*.gif", "*.webp", "*.avif", "*.ico", "*.bmp"),
    *("*.woff", "*.woff2", "*.ttf", "*.otf", "*.eot"),
)
DEFAULT_PR_SIZE_EXCLUDE = (
    *("*.lock", "package-lock.json", "pnpm-lock.yaml", "npm-shrinkwrap.json", "go.sum"),
)


def _not_negative(value: object) -> str | None:
    return None if isinstance(value, int) and value >= 0 else "must be 0 (off) or more"


class SizeGate:
    name = "size"
    stage = Stage.SIZE
    tool = "gates"
    scope = Scope.CHANGED
    # It measures the base itself (before -> after): compare mode need not run it there.
    traits = GateTraits(cost_model=(0.05, 0.02), compare_base=False, rules=RULES)
    description = "file size budgets, function and class length, PR size, large and binary files"
    default_timeout_s = 120.0
    default_fail_on = "error"
    options: Mapping[str, Option] = {
        "budgets": Option(list, [], item=dict, check=check_budgets, help="per-file budgets"),
        "max_function_lines": Option(int, 0, check=_not_negative, help="0 turns it off"),
        "max_class_lines": Option(int, 0, check=_not_negative, help="0 turns it off"),
        "max_pr_lines": Option(int, 1000, check=_not_negative, help="added + deleted lines"),
        "max_pr_files": Option(int, 50, check=_not_negative, help="changed files"),
        "pr_size_severity": severity_option("warning"),
        "pr_size_exclude": Option(list, list(DEFAULT_PR_SIZE_EXCLUDE), item=str, check=check_globs),
        "max_file_bytes": Option(int, 1024 * 1024, check=_not_negative, help="added files"),
        "binary_allowed": Option(list, list(DEFAULT_BINARY_ALLOWED), item=str, check=check_globs),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        options = SizeOptions.from_mapping(ctx.options)
        judge = Judge(self.name, ctx.new_mode, ctx.diff.all_changed)
        files = measure(ctx, options)
        findings: list[Finding] = []
        for sizes in files:
            findings += file_findings(sizes, options, judge)
        pr_findings, pr_metrics = pr_size(ctx.diff, options, judge)
        return GateOutcome(
            findings=findings + pr_findings,
            metrics={**size_metrics(files), **pr_metrics},
            detail=_note(ctx.diff, files),
            tables=change_table(files, judge.no_base),
        )


def measure(ctx: GateContext, options: SizeOptions) -> list[Sizes]:
    """Head sizes from the checkout; base sizes from ONE `cat-file --batch-check`; base contents
    only for changed files whose budget counts lines or whose definitions are measured."""
    base = None if ctx.diff.all_changed else ctx.diff.base
    heads = {rel: size for rel in ctx.files if (size := head_bytes(ctx.root, rel)) is not None}
    old_paths = {rel: _base_path(ctx.diff, rel) for rel in heads} if base else {}
    git = Git(ctx.root, timeout_s=ctx.timeout_s)
    blobs = base_blobs(git, base, {p for p in old_paths.values() if p}) if base else {}
    wanted = [
        blobs[old]
        for rel, old in old_paths.items()
        if old in blobs and rel in ctx.diff.files and _wants_text(rel, options)
    ]
    contents = read_blobs(git, wanted)
    files: list[Sizes] = []
    for rel, after in sorted(heads.items()):
        if ctx.cancelled():
            raise GateError("cancelled before every file was measured")
        old = old_paths.get(rel)
        files.append(_measure(ctx, options, rel, after, blobs.get(old) if old else None, contents))
    return files


def _base_path(diff: Diff, rel: str) -> str | None:
    """Where the file was at the base: its old name if renamed, None if the PR added it."""
    changed = diff.files.get(rel)
    if changed is None:
        return rel  # untouched (new = "all"): the same file as at the base
    if changed.kind is ChangeKind.ADDED:
        return None
    return changed.old_path or rel


def _wants_text(rel: str, options: SizeOptions) -> bool:
    budget = budget_for(rel, options.budgets)
    return bool(budget and budget.max_lines) or _wants_definitions(rel, options)


def _wants_definitions(rel: str, options: SizeOptions) -> bool:
    measured = options.max_function_lines or options.max_class_lines
    return bool(measured) and rel.endswith(PYTHON_SUFFIXES)


def _measure(
    ctx: GateContext,
    options: SizeOptions,
    rel: str,
    after: int,
    blob: Blob | None,
    contents: Mapping[str, bytes],
) -> Sizes:
    budget = budget_for(rel, options.budgets)
    base_text = contents.get(blob.oid) if blob else None
    untouched = blob is not None and rel not in ctx.diff.files
    sizes = Sizes(rel, budget, after, blob.size if blob else None)
    if budget and budget.max_lines:
        path = safe_path(ctx.root, rel)
        lines = count_file_lines(path) if path else None
        before = lines if untouched else _base_lines(ctx.diff, rel, blob, base_text, lines)
        sizes = replace(sizes, after_lines=lines, before_lines=before)
    added = blob is None or ctx.new_mode == "all"
    if added and after and not matches(rel, options.binary_allowed):
        path = safe_path(ctx.root, rel)
        sizes = replace(sizes, binary=path is None or looks_binary(path))
    if _wants_definitions(rel, options):
        text = read_text(ctx.root, rel)
        head = tuple(definitions(text) or ()) if text is not None else ()
        old = list(head) if untouched else (definitions(base_text) if base_text else None)
        sizes = replace(sizes, definitions=head, base_lengths=longest_by_name(old or []))
    return sizes


def _base_lines(
    diff: Diff, rel: str, blob: Blob | None, text: bytes | None, head_lines: int | None
) -> int | None:
    """Lines of the base version; for one too big to read, git's numstat gives the difference."""
    if blob is None:
        return None
    if text is not None:
        return count_lines(text)
    changed = diff.files.get(rel)
    if changed is None or changed.binary or head_lines is None:
        return None
    return max(0, head_lines - changed.added + changed.deleted)


def _note(diff: Diff, files: Sequence[Sizes]) -> str:
    notes = []
    if diff.all_changed:
        notes.append("no base: every file is judged as added (nothing to compare against)")
    uncounted = [s.path for s in files if s.budget and s.budget.max_lines and s.after_lines is None]
    if uncounted:
        shown = ", ".join(uncounted[:5]) + (" ..." if len(uncounted) > 5 else "")
        notes.append(f"lines not counted (file too big or unreadable): {shown}")
    return "; ".join(notes)
