"""What the PR changed: files (added, modified, renamed, deleted, binary) and added lines.

File names come from `git diff -z --name-status` (NUL-separated, so spaces, quotes, newlines and
non-ASCII names are exact). Line numbers come from the `-U0` patch of the same diff; git emits
one `diff --git` header per file in the same order, so the two outputs are paired by position and
file names never have to be parsed back out of the patch headers.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gates.errors import UsageError
from gates.git import Git, Revisions

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--find-renames",
    "--ignore-submodules=none",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


class ChangeKind(str, enum.Enum):
    ADDED = "added"
    MODIFIED = "modified"
    RENAMED = "renamed"
    DELETED = "deleted"
    TYPE_CHANGED = "type-changed"


@dataclass(frozen=True)
class ChangedFile:
    path: str  # the path at head (for deleted files, the path at base)
    kind: ChangeKind
    old_path: str | None = None
    added_lines: frozenset[int] = frozenset()
    added: int = 0
    deleted: int = 0
    binary: bool = False

    @property
    def exists_at_head(self) -> bool:
        return self.kind is not ChangeKind.DELETED


@dataclass(frozen=True)
class Diff:
    """The PR's changes. With no base, `all_changed` is set and every line counts as added."""

    revisions: Revisions
    files: Mapping[str, ChangedFile] = field(default_factory=dict)
    all_changed: bool = False

    @property
    def base(self) -> str | None:
        return self.revisions.merge_base or self.revisions.base

    @property
    def head(self) -> str:
        return self.revisions.head

    def changed_paths(self) -> tuple[str, ...]:
        """Files present at head that the PR added or changed, sorted."""
        return tuple(sorted(p for p, f in self.files.items() if f.exists_at_head))

    def is_changed(self, path: str) -> bool:
        return self.all_changed or (path in self.files and self.files[path].exists_at_head)

    def is_new_line(self, path: str, line: int) -> bool:
        if self.all_changed:
            return True
        changed = self.files.get(path)
        return changed is not None and line in changed.added_lines

    def touches(self, path: str, first: int, last: int) -> bool:
        if self.all_changed:
            return True
        changed = self.files.get(path)
        if changed is None:
            return False
        return any(first <= n <= last for n in changed.added_lines)

    @property
    def added_total(self) -> int:
        return sum(f.added for f in self.files.values())

    @property
    def deleted_total(self) -> int:
        return sum(f.deleted for f in self.files.values())


def compute_diff(git: Git, revisions: Revisions, all_files: Iterable[str] | None = None) -> Diff:
    """The diff from the merge-base (or base) to head; every file when there is no base."""
    base = revisions.merge_base or revisions.base
    if base is None:
        paths = git.tracked_files(revisions.head) if all_files is None else list(all_files)
        files = {p: ChangedFile(p, ChangeKind.ADDED) for p in paths}
        return Diff(revisions, files, all_changed=True)
    return Diff(revisions, _diff_files(git, base, revisions.head))


def _git_bytes(git: Git, *args: str) -> bytes:
    result = git.run(*args)
    if not result.ok:
        raise UsageError(f"git {args[0]} failed: {result.tail(300) or result.describe_failure()}")
    return result.out


def _diff_files(git: Git, base: str, head: str) -> dict[str, ChangedFile]:
    entries = parse_name_status(
        _git_bytes(git, "diff", "-z", "--name-status", *_DIFF_OPTIONS, base, head, "--")
    )
    numstat = parse_numstat(
        _git_bytes(git, "diff", "-z", "--numstat", *_DIFF_OPTIONS, base, head, "--")
    )
    patches = split_patch(_git_bytes(git, "diff", "-U0", *_DIFF_OPTIONS, base, head, "--"))
    if len(patches) != len(entries):
        raise UsageError(
            f"git diff returned {len(entries)} files but {len(patches)} patches; cannot pair them"
        )
    files: dict[str, ChangedFile] = {}
    for (kind, path, old), patch in zip(entries, patches, strict=True):
        added, deleted, binary = numstat.get(path, (0, 0, b"Binary files" in patch[:4096]))
        files[path] = ChangedFile(
            path=path,
            kind=kind,
            old_path=old,
            added_lines=frozenset() if binary else added_line_numbers(patch),
            added=added,
            deleted=deleted,
            binary=binary,
        )
    return files


_KINDS = {
    "A": ChangeKind.ADDED,
    "M": ChangeKind.MODIFIED,
    "D": ChangeKind.DELETED,
    "R": ChangeKind.RENAMED,
    "C": ChangeKind.ADDED,
    "T": ChangeKind.TYPE_CHANGED,
}


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="surrogateescape")


def parse_name_status(raw: bytes) -> list[tuple[ChangeKind, str, str | None]]:
    """Parse `git diff -z --name-status`: STATUS NUL path [NUL new-path for renames/copies]."""
    fields = raw.split(b"\0")
    out: list[tuple[ChangeKind, str, str | None]] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i].decode("ascii", errors="replace")
        letter = status[:1]
        if letter in ("R", "C"):
            old, new = _decode(fields[i + 1]), _decode(fields[i + 2])
            out.append((_KINDS[letter], new, old if letter == "R" else None))
            i += 3
        else:
            out.append((_KINDS.get(letter, ChangeKind.MODIFIED), _decode(fields[i + 1]), None))
            i += 2
    return out


def parse_numstat(raw: bytes) -> dict[str, tuple[int, int, bool]]:
    """Parse `git diff -z --numstat`: added, deleted (or `-` for binary) per file."""
    out: dict[str, tuple[int, int, bool]] = {}
    fields = raw.split(b"\0")
    i = 0
    while i < len(fields) and fields[i]:
        added, deleted, path = fields[i].split(b"\t", 2)
        i += 1
        if not path:  # a rename: the old and new paths follow as separate fields
            path = fields[i + 1]
            i += 2
        binary = added == b"-"
        out[_decode(path)] = (0 if binary else int(added), 0 if binary else int(deleted), binary)
    return out


def split_patch(raw: bytes) -> list[bytes]:
    """Split a patch into per-file chunks; `diff --git` at a line start is always a header."""
    if not raw:
        return []
    chunks = re.split(rb"(?m)^(?=diff --git )", raw)
    return [c for c in chunks if c.startswith(b"diff --git ")]


def added_line_numbers(patch: bytes) -> frozenset[int]:
    lines: set[int] = set()
    for match in _HUNK.finditer(patch):
        start = int(match.group(1))
        count = int(match.group(2)) if match.group(2) is not None else 1
        lines.update(range(start, start + count))
    return frozenset(lines)
