"""The `size` gate: per-file budgets, function and class length, PR size, large and binary files.

Every number is shown before -> after, so a finding says what to do. What blocks is what the
PR made worse: a file (or definition) over budget that the PR added or grew is an `error` the
gate marks new itself; one already over budget at the base that did not grow is reported as a
`note`, not new. With `new = "all"` every file in scope is judged and every finding counts (a
full audit). Without a base there is nothing to compare against: every file counts as added and
the report says so. PR size is a project-level finding, `warning` by default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gates.checks.size_budgets import (
    Budget,
    budget_for,
    check_budgets,
    human_bytes,
    parse_budgets,
    signed_bytes,
)
from gates.checks.size_defs import Definition, definitions, longest_by_name
from gates.checks.size_io import (
    Blob,
    base_blobs,
    count_file_lines,
    count_lines,
    head_bytes,
    read_blobs,
)
from gates.config import severity_option
from gates.diff import ChangeKind, Diff
from gates.gate import GateContext, GateError, GateOutcome, Option, Scope
from gates.git import Git
from gates.model import Finding, Severity, Stage, Table
from gates.paths import matches
from gates.sources import looks_binary, read_text, safe_path

TABLE_ROWS = 10
PYTHON_SUFFIXES = (".py", ".pyi")
DEFAULT_BINARY_ALLOWED = (
    *("*.png", "*.jpg", "*.jpeg", "*.gif", "*.webp", "*.avif", "*.ico", "*.bmp"),
    *("*.woff", "*.woff2", "*.ttf", "*.otf", "*.eot"),
)
DEFAULT_PR_SIZE_EXCLUDE = (
    *("*.lock", "package-lock.json", "pnpm-lock.yaml", "npm-shrinkwrap.json", "go.sum"),
)


def _not_negative(value: object) -> str | None:
    return None if isinstance(value, int) and value >= 0 else "must be 0 (off) or more"


@dataclass(frozen=True)
class Sizes:
    """One file's numbers. `before_*` is None for a file the PR added (or with no base)."""

    path: str
    budget: Budget | None
    after_bytes: int
    before_bytes: int | None
    after_lines: int | None = None
    before_lines: int | None = None

    @property
    def delta(self) -> int:
        return self.after_bytes - (self.before_bytes or 0)


@dataclass(frozen=True)
class Judge:
    """How to judge growth: `mode` is the configured `new`, `no_base` when there is no base."""

    gate: str
    mode: str
    no_base: bool

    def verdict(self, grew: bool) -> tuple[Severity, bool | None]:
        if self.mode == "all":
            return Severity.ERROR, None  # the runner marks every finding new
        return (Severity.ERROR, True) if grew else (Severity.NOTE, False)

    def was(self, before: str | None) -> str:
        return before if before is not None else ("no base" if self.no_base else "new file")

    def new(self) -> bool | None:
        """Newness of a finding about something the PR added or grew."""
        return None if self.mode == "all" else True

    def finding(
        self,
        rule: str,
        severity: Severity,
        path: str,
        message: str,
        *,
        new: bool | None,
        identity: str = "",
        line: int | None = None,
        end_line: int | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Finding:
        """A finding whose fingerprint ignores the numbers in its message (`identity`), so a
        baseline entry survives the file growing or shrinking."""
        digest = hashlib.sha256(f"{rule}\x1f{identity}".encode()).hexdigest()[:16]
        return Finding(
            gate=self.gate,
            tool="gates",
            rule=rule,
            severity=severity,
            path=path,
            message=message,
            line=line,
            end_line=end_line,
            new=new,
            snippet_hash=digest,
            extra=extra or {},
        )


def _int(options: Mapping[str, object], key: str) -> int:
    value = options.get(key)
    return value if isinstance(value, int) else 0


def _strings(options: Mapping[str, object], key: str) -> list[str]:
    value = options.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


class SizeGate:
    name = "size"
    stage = Stage.SIZE
    tool = "gates"
    scope = Scope.CHANGED
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
        "pr_size_exclude": Option(list, list(DEFAULT_PR_SIZE_EXCLUDE), item=str),
        "max_file_bytes": Option(int, 1024 * 1024, check=_not_negative, help="added files"),
        "binary_allowed": Option(list, list(DEFAULT_BINARY_ALLOWED), item=str),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        judge = Judge(self.name, ctx.new_mode, ctx.diff.all_changed)
        budgets = parse_budgets(ctx.options.get("budgets"))
        base = None if ctx.diff.all_changed else ctx.diff.base
        measured = measure(ctx, budgets, base)
        findings: list[Finding] = []
        for sizes in measured.files:
            findings += budget_findings(sizes, judge)
            findings += large_or_binary(ctx, sizes, judge)
        findings += definition_findings(ctx, measured.base_text, judge)
        pr_findings, pr_metrics = pr_size(ctx.diff, ctx.options, judge)
        return GateOutcome(
            findings=findings + pr_findings,
            metrics={**size_metrics(measured.files), **pr_metrics},
            detail=measured.note,
            tables=change_table(measured.files, judge.no_base),
        )


@dataclass(frozen=True)
class Measured:
    files: list[Sizes]
    base_text: dict[str, bytes | None]  # base version of each Python file; None: added or unread
    note: str


def measure(ctx: GateContext, budgets: Sequence[Budget], base: str | None) -> Measured:
    """Head sizes from the checkout, base sizes from git, lines only where a budget wants them."""
    heads = {rel: size for rel in ctx.files if (size := head_bytes(ctx.root, rel)) is not None}
    old_paths = {rel: _base_path(ctx.diff, rel) for rel in heads} if base else {}
    git = Git(ctx.root, timeout_s=ctx.timeout_s)
    blobs = base_blobs(git, base, {p for p in old_paths.values() if p}) if base else {}
    defs_wanted = bool(ctx.options.get("max_function_lines") or ctx.options.get("max_class_lines"))
    read: list[Blob] = []
    for rel, old in old_paths.items():
        budget = budget_for(rel, budgets)
        wants = (budget and budget.max_lines) or (defs_wanted and rel.endswith(PYTHON_SUFFIXES))
        if wants and old in blobs:
            read.append(blobs[old])
    contents = read_blobs(git, read)
    files: list[Sizes] = []
    uncounted: list[str] = []
    for rel, after in sorted(heads.items()):
        if ctx.cancelled():
            raise GateError("cancelled before every file was measured")
        old = old_paths.get(rel)
        blob = blobs.get(old) if old else None
        sizes = _sizes(ctx, rel, after, budget_for(rel, budgets), blob, contents)
        if sizes.budget and sizes.budget.max_lines and sizes.after_lines is None:
            uncounted.append(rel)
        files.append(sizes)
    base_text = {
        rel: _content(blobs.get(old_paths.get(rel) or ""), contents) if base else None
        for rel in heads
        if rel.endswith(PYTHON_SUFFIXES)
    }
    return Measured(files, base_text, _note(ctx.diff, uncounted))


def _base_path(diff: Diff, rel: str) -> str | None:
    """Where the file was at the base: its old name if renamed, None if the PR added it."""
    changed = diff.files.get(rel)
    if changed is None:
        return rel  # untouched (new = "all"): same as at the base
    if changed.kind is ChangeKind.ADDED:
        return None
    return changed.old_path or rel


def _content(blob: Blob | None, contents: Mapping[str, bytes]) -> bytes | None:
    return contents.get(blob.oid) if blob else None


def _sizes(
    ctx: GateContext,
    rel: str,
    after: int,
    budget: Budget | None,
    blob: Blob | None,
    contents: Mapping[str, bytes],
) -> Sizes:
    if not (budget and budget.max_lines):
        return Sizes(rel, budget, after, blob.size if blob else None)
    path = safe_path(ctx.root, rel)
    after_lines = count_file_lines(path) if path else None
    before_lines: int | None = None
    if blob and blob.oid in contents:
        before_lines = count_lines(contents[blob.oid])
    elif blob and after_lines is not None and rel in ctx.diff.files:
        changed = ctx.diff.files[rel]  # base too big to read: git's numstat tells the difference
        before_lines = max(0, after_lines - changed.added + changed.deleted)
    return Sizes(rel, budget, after, blob.size if blob else None, after_lines, before_lines)


def _note(diff: Diff, uncounted: Sequence[str]) -> str:
    notes = []
    if diff.all_changed:
        notes.append("no base: every file is judged as added (nothing to compare against)")
    if uncounted:
        shown = ", ".join(uncounted[:5]) + (" ..." if len(uncounted) > 5 else "")
        notes.append(f"lines not counted (file too big or unreadable): {shown}")
    return "; ".join(notes)


def budget_findings(sizes: Sizes, judge: Judge) -> list[Finding]:
    budget = sizes.budget
    if budget is None:
        return []
    out: list[Finding] = []
    if budget.max_bytes and sizes.after_bytes > budget.max_bytes:
        out.append(
            _over(
                judge,
                "budget-bytes",
                sizes,
                budget,
                human_bytes,
                (sizes.before_bytes, sizes.after_bytes, budget.max_bytes),
            )
        )
    if budget.max_lines and sizes.after_lines is not None and sizes.after_lines > budget.max_lines:
        out.append(
            _over(
                judge,
                "budget-lines",
                sizes,
                budget,
                _lines,
                (
                    sizes.before_lines if sizes.before_bytes is not None else None,
                    sizes.after_lines,
                    budget.max_lines,
                ),
            )
        )
    return out


def _lines(count: int | None) -> str:
    return "?" if count is None else f"{count} lines"


def _over(
    judge: Judge,
    rule: str,
    sizes: Sizes,
    budget: Budget,
    fmt: Callable[[int | None], str],
    numbers: tuple[int | None, int, int],
) -> Finding:
    before, after, limit = numbers
    unknown = before is None and sizes.before_bytes is not None  # existed, lines not read
    grew = before is None or after > before
    was = fmt(before) if before is not None or unknown else judge.was(None)
    message = f"{sizes.path} {was} -> {fmt(after)} (budget {fmt(limit)}): "
    message += f"{fmt(after - limit)} over"
    if before is not None and grew:
        message += f", grew by {fmt(after - before)}"
    elif before is not None:
        message += "; already over budget at the base and did not grow"
    severity, new = judge.verdict(grew)
    extra = {"glob": budget.glob, "after": str(after), "budget": str(limit)}
    if before is not None:
        extra["before"] = str(before)
    return judge.finding(
        rule, severity, sizes.path, message, new=new, extra=extra, identity=budget.glob
    )


def large_or_binary(ctx: GateContext, sizes: Sizes, judge: Judge) -> list[Finding]:
    """Files a PR adds (or grows) past `max_file_bytes`, and binary files it adds."""
    out: list[Finding] = []
    added = sizes.before_bytes is None or judge.mode == "all"
    grew = added or sizes.after_bytes > (sizes.before_bytes or 0)
    limit = _int(ctx.options, "max_file_bytes")
    if limit and sizes.after_bytes > limit and grew:
        was = judge.was(human_bytes(sizes.before_bytes) if sizes.before_bytes is not None else None)
        message = (
            f"{sizes.path} {was} -> {human_bytes(sizes.after_bytes)} "
            f"(limit {human_bytes(limit)} per file): keep large files out of git (Git LFS, "
            "release assets, or generate them)"
        )
        out.append(
            judge.finding("large-file", Severity.ERROR, sizes.path, message, new=judge.new())
        )
    allowed = _strings(ctx.options, "binary_allowed")
    if added and sizes.after_bytes and not matches(sizes.path, allowed):
        path = safe_path(ctx.root, sizes.path)
        if path is None or looks_binary(path):
            message = (
                f"{sizes.path} is a binary file ({human_bytes(sizes.after_bytes)}) outside "
                "`binary_allowed`: commit sources, not build outputs"
            )
            out.append(
                judge.finding("binary-file", Severity.ERROR, sizes.path, message, new=judge.new())
            )
    return out


def definition_findings(
    ctx: GateContext, base_text: Mapping[str, bytes | None], judge: Judge
) -> list[Finding]:
    """Functions and classes over `max_function_lines` / `max_class_lines`, at their `def`."""
    limits = {
        "function": _int(ctx.options, "max_function_lines"),
        "class": _int(ctx.options, "max_class_lines"),
    }
    if not any(limits.values()):
        return []
    out: list[Finding] = []
    for rel, before in base_text.items():
        text = read_text(ctx.root, rel)
        head = definitions(text) if text is not None else None
        if not head:
            continue
        base_defs = definitions(before) if before is not None else None
        if rel not in ctx.diff.files and not judge.no_base:
            base_defs = head  # untouched file (new = "all"): nothing grew
        old = longest_by_name(base_defs or [])
        out += [
            _definition_finding(rel, d, limits[d.kind], old.get((d.kind, d.name)), judge)
            for d in head
            if limits[d.kind] and d.length > limits[d.kind]
        ]
    return out


def _definition_finding(
    rel: str, d: Definition, limit: int, before: int | None, judge: Judge
) -> Finding:
    grew = before is None or d.length > before
    was = _lines(before) if before is not None else ("no base" if judge.no_base else "new")
    message = f"{d.kind} {d.name} {was} -> {d.length} lines (budget {limit} lines)"
    if before is not None and not grew:
        message += ": already over budget at the base and did not grow"
    severity, new = judge.verdict(grew)
    return judge.finding(
        f"{d.kind}-length",
        severity,
        rel,
        message,
        line=d.line,
        end_line=d.end_line,
        new=new,
        identity=d.name,
    )


def pr_size(
    diff: Diff, options: Mapping[str, object], judge: Judge
) -> tuple[list[Finding], dict[str, int]]:
    """Added + deleted lines and changed files of the PR against `max_pr_lines` / `max_pr_files`."""
    if diff.all_changed:
        return [], {}
    exclude = _strings(options, "pr_size_exclude")
    counted = [f for f in diff.files.values() if not matches(f.path, exclude)]
    lines = sum(f.added + f.deleted for f in counted)
    severity = Severity(str(options.get("pr_size_severity") or "warning"))
    out: list[Finding] = []
    max_lines, max_files = _int(options, "max_pr_lines"), _int(options, "max_pr_files")
    if max_lines and lines > max_lines:
        added = sum(f.added for f in counted)
        message = (
            f"this PR changes {lines} lines ({added} added, {lines - added} deleted; "
            f"budget {max_lines}): split it so it can be reviewed well"
        )
        out.append(judge.finding("pr-lines", severity, "", message, new=True))
    if max_files and len(counted) > max_files:
        message = f"this PR changes {len(counted)} files (budget {max_files}): split it"
        out.append(judge.finding("pr-files", severity, "", message, new=True))
    return out, {"pr_lines": lines, "pr_files": len(counted)}


def size_metrics(files: Sequence[Sizes]) -> dict[str, int | str]:
    over = [s for s in files if _over_budget(s)]
    growth = max(files, key=lambda s: (s.delta, s.path), default=None)
    biggest = growth.delta if growth and growth.delta > 0 else 0
    return {
        "files_checked": len(files),
        "files_over_budget": len(over),
        "biggest_growth_bytes": biggest,
        "biggest_growth_path": growth.path if growth and biggest else "",
    }


def _over_budget(s: Sizes) -> bool:
    b = s.budget
    if b is None:
        return False
    over_bytes = bool(b.max_bytes) and s.after_bytes > (b.max_bytes or 0)
    over_lines = bool(b.max_lines) and (s.after_lines or 0) > (b.max_lines or 0)
    return over_bytes or over_lines


def change_table(files: Sequence[Sizes], no_base: bool) -> tuple[Table, ...]:
    """The files whose size changed most (by |delta|), with before, after and their budget;
    no table when no file changed size."""
    changed = [s for s in files if s.delta or s.before_bytes is None]
    top = sorted(changed, key=lambda s: (-abs(s.delta), s.path))[:TABLE_ROWS]
    rows = tuple(
        (
            s.path,
            human_bytes(s.before_bytes) if s.before_bytes is not None else "—",
            human_bytes(s.after_bytes),
            signed_bytes(s.delta),
            s.budget.describe() if s.budget else "—",
        )
        for s in top
    )
    if not rows:
        return ()
    title = (
        "Largest files (no base to compare against)" if no_base else "Files whose size changed most"
    )
    return (Table(title, ("path", "before", "after", "delta", "budget"), rows),)
