"""Checks that judge a change, not a text: each sees every touched file at base and head.

Some problems exist only as a difference: a test that was deleted, a threshold that was lowered,
a dependency that was added. A text check cannot see them, because the head alone looks fine.
A `ChangeCheckGate` gets the PR's touched files as `FileChange` pairs (base text, head text) in
one call, so it can also match across files (a test moved from one file to another is not a
removed test). `scan_changes` is a pure function of those pairs and the options, which is what
lets a labelled corpus of PR diffs (`tests/corpus/<stage>/<gate>/`) measure it directly.

Everything a change check reports is the PR's doing by construction, so its findings are marked
`new` here; the changed-lines filter would otherwise drop a finding about a deleted line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from gates.diff import ChangedFile, ChangeKind
from gates.gate import GateContext, GateOutcome, GateTraits, Option, Scope
from gates.git import Git
from gates.model import Finding, Stage
from gates.sources import read_text, split_lines

# A base file bigger than this is not read (a generated lock file, a data dump): no change check
# judges such a file line by line, and reading it would cost more than every check together.
MAX_BASE_BYTES = 2_000_000


@dataclass(frozen=True)
class FileChange:
    """One touched file on both sides. `base` is None when the PR added the file (or it could
    not be read); `head` is None when the PR deleted it (or it is binary / a link / too big)."""

    path: str  # the path at head; for a deleted file, the path it had at base
    base: str | None
    head: str | None
    base_path: str | None = None  # the path at base when the PR renamed the file

    @property
    def old_path(self) -> str:
        return self.base_path or self.path

    @property
    def added(self) -> bool:
        return self.base is None and self.head is not None

    @property
    def deleted(self) -> bool:
        return self.head is None and self.base is not None

    @property
    def base_lines(self) -> tuple[str, ...]:
        return split_lines(self.base) if self.base is not None else ()

    @property
    def head_lines(self) -> tuple[str, ...]:
        return split_lines(self.head) if self.head is not None else ()


class ChangeCheckGate:
    """Base class for in-process checks over the PR's touched files, base against head.

    Subclasses set the class attributes of the Gate protocol, narrow the files with `wants`
    (called with the head path and, for a rename, the base path too) and implement
    `scan_changes`. With no base revision (a first commit, a run on a whole tree) there is no
    change to judge and the gate is skipped, saying so.
    """

    name: str = ""
    stage: Stage = Stage.INTEGRITY
    tool: str = "gates"
    scope: Scope = Scope.CHANGED
    description: str = ""
    default_timeout_s: float = 120.0
    default_fail_on: str = "warning"
    options: Mapping[str, Option] = {}
    traits = GateTraits(cost_model=(0.0, 0.1))

    def wants(self, path: str) -> bool:
        del path
        return True

    def scan_changes(
        self, changes: Sequence[FileChange], options: Mapping[str, object]
    ) -> list[Finding]:
        raise NotImplementedError

    def run(self, ctx: GateContext) -> GateOutcome:
        base = ctx.diff.base
        if base is None or ctx.diff.all_changed:
            return GateOutcome.skipped("no base revision: there is no change to judge")
        changes = list(read_changes(ctx, base, self))
        if not changes:
            return GateOutcome.skipped("the PR touched no file this check reads")
        findings = [f.replace(new=True) for f in self.scan_changes(changes, ctx.options)]
        return GateOutcome(findings=findings, metrics={"files_compared": len(changes)})


def read_changes(ctx: GateContext, base: str, gate: ChangeCheckGate) -> Iterator[FileChange]:
    """The touched files the gate wants, each read at base (from git) and at head (the checkout)."""
    git = Git(ctx.root)
    renamed_away = {
        f.old_path for f in ctx.diff.files.values() if f.old_path and f.old_path != f.path
    }
    for path in ctx.touched:
        if path in renamed_away and path not in ctx.diff.files:
            continue  # read as the base side of its rename
        changed = ctx.diff.files.get(path)
        base_path = _base_path(path, changed)
        if not (gate.wants(path) or (base_path is not None and gate.wants(base_path))):
            continue
        head_text = read_text(ctx.root, path) if changed is None or changed.exists_at_head else None
        base_text = _read_base(git, base, base_path) if base_path is not None else None
        if base_text is None and head_text is None:
            continue
        renamed = base_path if base_path not in (None, path) else None
        yield FileChange(path=path, base=base_text, head=head_text, base_path=renamed)


def _base_path(path: str, changed: ChangedFile | None) -> str | None:
    if changed is None:
        return path
    if changed.kind is ChangeKind.ADDED:
        return None
    return changed.old_path or path


def _read_base(git: Git, rev: str, path: str) -> str | None:
    result = git.run("cat-file", "-s", f"{rev}:{path}")
    size = result.out.decode().strip() if result.ok else ""
    if not size.isdigit() or int(size) > MAX_BASE_BYTES:
        return None
    text = git.show_file(rev, path)
    if text is None or "\x00" in text[:8192]:
        return None
    return text
