"""What the PR changed: files (added, modified, renamed, deleted, binary) and added lines.

File names come from `git diff -z --name-status` (NUL-separated, so spaces, quotes, newlines and
non-ASCII names are exact). Line numbers come from the `-U0` patch of the same diff; git emits
one `diff --git` header per file in the same order, so the two outputs are paired by position and
file names never have to be parsed back out of the patch headers.

`restrict_diff` narrows a diff to the files named on the command line (`--files`, as pre-commit
passes them): a named file the diff changes keeps its changed lines; a named file it does not
change is judged whole, every line counted as added (what `pre-commit run --all-files` means).
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gates.errors import UsageError
from gates.git import Git, Revisions, git_args_for_paths

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
    # Named on the command line but not changed by the diff: judged whole, as if added (every
    # line in `added_lines`), while `added`/`deleted` stay 0: the PR's size is what it changes.
    whole: bool = False

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

    def touched_paths(self) -> tuple[str, ...]:
        """Every path the PR added, changed, renamed (both names) or deleted: what a gate
        that checks whole packages must look at, on the head and on the base alike."""
        paths = {p for f in self.files.values() for p in (f.path, f.old_path) if p}
        return tuple(sorted(paths))

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


@dataclass(frozen=True)
class NamedFiles:
    """The files a run is limited to (`--files`); `""` names the whole repository."""

    paths: tuple[str, ...]
    whole: bool = False  # judge every named file whole, changed or not (`new = "all"`)


# Keeps one git command line well under ARG_MAX, whatever the names.
_PATHSPEC_CHARS = 100_000


def restrict_diff(git: Git, diff: Diff, named: NamedFiles | None) -> Diff:
    """Only the named files are in scope: the changed ones with their changed lines, the others
    whole. A named directory names the files under it; a name not at head (untracked, deleted)
    selects nothing, and the report's note counts it."""
    if named is None:
        return diff
    wanted = frozenset(named.paths)
    kept = {p: f for p, f in diff.files.items() if _is_named(p, wanted)}
    if named.whole and not diff.all_changed:
        kept = {p: f for p, f in kept.items() if not f.exists_at_head}
    whole = {} if diff.all_changed else _whole_files(git, diff.head, named.paths, skip=kept)
    files = {**kept, **whole}
    note = _scope_note(named.paths, files, len(whole))
    revisions = replace(diff.revisions, note=f"{diff.revisions.note}; {note}")
    return Diff(revisions, files, diff.all_changed)


def _is_named(path: str, wanted: frozenset[str]) -> bool:
    return any(a in wanted for a in (path, *_ancestors(path)))


def _ancestors(path: str) -> Iterator[str]:
    """`a/b/c.py` -> `a/b`, `a`, `` (the repository itself)."""
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        yield path
    yield ""


def _whole_files(
    git: Git, head: str, names: Sequence[str], skip: Mapping[str, ChangedFile]
) -> dict[str, ChangedFile]:
    """The named files at head that the diff does not change, each with all its lines: git's
    numstat against the empty tree counts them (binary files: none), without reading them."""
    rest = [n for n in names if n not in skip]
    if not rest:
        return {}
    empty = _empty_tree(git)
    out: dict[str, ChangedFile] = {}
    for chunk in _pathspec_chunks(rest):
        raw = _git_bytes(git, "diff", "-z", "--numstat", *_DIFF_OPTIONS, empty, head, *chunk)
        for path, (lines, _, binary) in parse_numstat(raw).items():
            if path not in skip:
                added = frozenset(range(1, lines + 1))
                out[path] = ChangedFile(
                    path, ChangeKind.ADDED, added_lines=added, binary=binary, whole=True
                )
    return out


def _empty_tree(git: Git) -> str:
    """The id of the empty tree in this repository's hash (SHA-1 or SHA-256)."""
    result = git.run("hash-object", "-t", "tree", "--stdin", stdin=b"")
    if not result.ok:
        raise UsageError(f"git hash-object failed: {result.tail(300)}")
    return result.stdout.strip()


def _pathspec_chunks(names: Sequence[str]) -> Iterator[list[str]]:
    """`-- :(literal)name ...` argument lists, split to fit a command line; `""` is every file."""
    if "" in names:
        yield ["--"]
        return
    chunk: list[str] = []
    size = 0
    for name in names:
        if chunk and size + len(name) > _PATHSPEC_CHARS:
            yield git_args_for_paths(chunk)
            chunk, size = [], 0
        chunk.append(name)
        size += len(name) + 12
    if chunk:
        yield git_args_for_paths(chunk)


def _scope_note(names: Sequence[str], files: Mapping[str, ChangedFile], whole: int) -> str:
    found = set(files) | {a for p in files for a in _ancestors(p)}
    missing = sum(n not in found for n in names)
    note = f"scope: {len(names)} named file(s), {whole} of them judged whole (unchanged)"
    return note + (f", {missing} not in the checked revision" if missing else "")


def repo_relative(root: Path, names: Iterable[str | Path], cwd: Path) -> tuple[str, ...]:
    """Command-line file names (relative to `cwd`) as repository paths; `.` at the top is ``.
    Names are not resolved through symlinks: the name is what git tracks."""
    out: list[str] = []
    for name in names:
        rel = os.path.relpath(os.path.normpath(cwd / name), root)
        if rel == ".." or rel.startswith("../"):
            raise UsageError(f"--files: {name} is not inside the repository {root}")
        out.append("" if rel == "." else Path(rel).as_posix())
    return tuple(dict.fromkeys(out))


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
