"""What the size gate concludes from the numbers: pure functions of measured sizes and options.

What blocks is what the PR made worse. A file (or definition) over its budget that the PR added
or grew is an `error` the gate marks new itself; one already over budget at the base that did
not grow is a `note`, not new. With `new = "all"` every finding is left for the runner to mark
new and is an `error` (a full audit). PR size is project-level and `warning` by default.
Fingerprints use a stable identity (rule + glob or qualified name), never the numbers in the
message, so a baseline entry survives the file growing or shrinking.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from gates.checks.size_budgets import Budget, human_bytes, parse_budgets, signed_bytes
from gates.checks.size_defs import Definition
from gates.diff import Diff
from gates.model import Finding, Severity, Table
from gates.paths import matches

TABLE_ROWS = 10
RULES = frozenset(
    {
        "budget-bytes",
        "budget-lines",
        "large-file",
        "binary-file",
        "function-length",  # f"{kind}-length" for each kind of size_defs.Definition
        "class-length",
        "pr-lines",
        "pr-files",
    }
)


@dataclass(frozen=True)
class SizeOptions:
    """The gate's options, typed (config has validated them already)."""

    budgets: tuple[Budget, ...] = ()
    max_function_lines: int = 0
    max_class_lines: int = 0
    max_pr_lines: int = 0
    max_pr_files: int = 0
    pr_size_severity: Severity = Severity.WARNING
    pr_size_exclude: tuple[str, ...] = ()
    max_file_bytes: int = 0
    binary_allowed: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, options: Mapping[str, object]) -> SizeOptions:
        def number(key: str) -> int:
            value = options.get(key)
            return value if isinstance(value, int) else 0

        def strings(key: str) -> tuple[str, ...]:
            value = options.get(key)
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        return cls(
            budgets=parse_budgets(options.get("budgets")),
            max_function_lines=number("max_function_lines"),
            max_class_lines=number("max_class_lines"),
            max_pr_lines=number("max_pr_lines"),
            max_pr_files=number("max_pr_files"),
            pr_size_severity=Severity(str(options.get("pr_size_severity") or "warning")),
            pr_size_exclude=strings("pr_size_exclude"),
            max_file_bytes=number("max_file_bytes"),
            binary_allowed=strings("binary_allowed"),
        )

    def definition_limit(self, kind: str) -> int:
        return self.max_class_lines if kind == "class" else self.max_function_lines


@dataclass(frozen=True)
class Sizes:
    """One file's numbers. `before_*` is None for a file the PR added (or with no base)."""

    path: str
    budget: Budget | None
    after_bytes: int
    before_bytes: int | None
    after_lines: int | None = None
    before_lines: int | None = None
    binary: bool = False  # only sniffed for files judged as added
    definitions: tuple[Definition, ...] = ()
    # (kind, qualified name) -> length at the base; None when the base version is unknown
    base_lengths: Mapping[tuple[str, str], int] | None = field(default=None, compare=False)

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

    def new(self) -> bool | None:
        """Newness of a finding about something the PR added or grew."""
        return None if self.mode == "all" else True

    def was(self, before: str | None, added: str = "new file") -> str:
        return before if before is not None else ("no base" if self.no_base else added)

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


def file_findings(sizes: Sizes, options: SizeOptions, judge: Judge) -> list[Finding]:
    return [
        *budget_findings(sizes, judge),
        *large_or_binary(sizes, options, judge),
        *definition_findings(sizes, options, judge),
    ]


def budget_findings(sizes: Sizes, judge: Judge) -> list[Finding]:
    budget = sizes.budget
    if budget is None:
        return []
    out: list[Finding] = []
    if budget.max_bytes and sizes.after_bytes > budget.max_bytes:
        numbers = (sizes.before_bytes, sizes.after_bytes, budget.max_bytes)
        out.append(_over(judge, "budget-bytes", sizes, budget, human_bytes, numbers))
    if budget.max_lines and sizes.after_lines is not None and sizes.after_lines > budget.max_lines:
        numbers = (sizes.before_lines, sizes.after_lines, budget.max_lines)
        out.append(_over(judge, "budget-lines", sizes, budget, _lines, numbers))
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
    """`path before -> after (budget N): X over, grew by Y`; a count we could not take at the
    base (it existed, but was too big to read) is shown as `?` and judged as grown."""
    before, after, limit = numbers
    existed = sizes.before_bytes is not None
    grew = before is None or after > before
    was = fmt(before) if existed else judge.was(None)
    message = f"{sizes.path} {was} -> {fmt(after)} (budget {fmt(limit)}): {fmt(after - limit)} over"
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


def judged_as_added(sizes: Sizes, judge: Judge) -> bool:
    """Files a PR adds; with `new = "all"` (a full audit) every file."""
    return sizes.before_bytes is None or judge.mode == "all"


def large_or_binary(sizes: Sizes, options: SizeOptions, judge: Judge) -> list[Finding]:
    """Files a PR adds (or grows) past `max_file_bytes`, and binary files it adds."""
    out: list[Finding] = []
    added = judged_as_added(sizes, judge)
    limit = options.max_file_bytes
    if limit and sizes.after_bytes > limit and (added or sizes.delta > 0):
        was = judge.was(human_bytes(sizes.before_bytes) if sizes.before_bytes is not None else None)
        message = (
            f"{sizes.path} {was} -> {human_bytes(sizes.after_bytes)} "
            f"(limit {human_bytes(limit)} per file): keep large files out of git "
            "(Git LFS, release assets, or generate them in the build)"
        )
        out.append(
            judge.finding("large-file", Severity.ERROR, sizes.path, message, new=judge.new())
        )
    if added and sizes.binary:
        message = (
            f"{sizes.path} is a binary file ({human_bytes(sizes.after_bytes)}) outside "
            "`binary_allowed`: commit sources, not build outputs"
        )
        out.append(
            judge.finding("binary-file", Severity.ERROR, sizes.path, message, new=judge.new())
        )
    return out


def definition_findings(sizes: Sizes, options: SizeOptions, judge: Judge) -> list[Finding]:
    """Functions and classes over `max_function_lines` / `max_class_lines`, at their `def`."""
    old = sizes.base_lengths or {}
    return [
        _definition_finding(sizes.path, d, limit, old.get((d.kind, d.name)), judge)
        for d in sizes.definitions
        if (limit := options.definition_limit(d.kind)) and d.length > limit
    ]


def _definition_finding(
    rel: str, d: Definition, limit: int, before: int | None, judge: Judge
) -> Finding:
    grew = before is None or d.length > before
    was = _lines(before) if before is not None else judge.was(None, added="new")
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


def pr_size(diff: Diff, options: SizeOptions, judge: Judge) -> tuple[list[Finding], dict[str, int]]:
    """Added + deleted lines and changed files of the PR against `max_pr_lines` / `max_pr_files`;
    nothing without a base (there is no PR to measure). Files named only to be judged whole
    (`--files`) are not part of the change."""
    if diff.all_changed:
        return [], {}
    counted = [
        f
        for f in diff.files.values()
        if not f.whole and not matches(f.path, options.pr_size_exclude)
    ]
    added = sum(f.added for f in counted)
    lines = added + sum(f.deleted for f in counted)
    severity = options.pr_size_severity
    out: list[Finding] = []
    if options.max_pr_lines and lines > options.max_pr_lines:
        message = (
            f"this PR changes {lines} lines ({added} added, {lines - added} deleted; "
            f"budget {options.max_pr_lines}): split it so it can be reviewed well"
        )
        out.append(judge.finding("pr-lines", severity, "", message, new=True))
    if options.max_pr_files and len(counted) > options.max_pr_files:
        message = f"this PR changes {len(counted)} files (budget {options.max_pr_files}): split it"
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
