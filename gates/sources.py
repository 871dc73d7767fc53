"""Read the PR's files as text, safely: never through a symlink, never unbounded.

Filters (fingerprints, suppressions) and in-process checks all read source lines through here,
so a hostile PR cannot make gates follow a link out of the repository or read a huge file whole.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from pathlib import Path

MAX_TEXT_BYTES = 5 * 1024 * 1024
_SNIFF_BYTES = 8192


def safe_path(root: Path, rel: str) -> Path | None:
    """The file `rel` under `root`, or None if it is a symlink, escapes root or is not a file."""
    found = file_status(root, rel)
    return None if found is None else found[0]


def file_status(root: Path, rel: str) -> tuple[Path, os.stat_result] | None:
    """`safe_path` with the file's status from the same system call (size, mtime)."""
    path = root / rel
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode):
            return None  # a link, a folder, a device
        if not _plainly_inside(root, rel):
            path.resolve().relative_to(root.resolve())  # a linked parent may not lead outside
    except (OSError, ValueError, RuntimeError):
        return None
    return path, status


def _plainly_inside(root: Path, rel: str) -> bool:
    """Whether `rel` stays under `root` without resolving: no `..`, not absolute, and no folder
    on the way down is a link. Every file is asked about several times a run, and resolving
    also walks every folder above `root` (sqlalchemy: 1.5 s of a run's own CPU)."""
    parts = rel.split("/")
    if rel.startswith("/") or ".." in parts:
        return False
    folder = str(root)
    for part in parts[:-1]:
        folder += "/" + part
        if stat.S_ISLNK(os.lstat(folder).st_mode):
            return False
    return True


def looks_binary(path: Path, sniff_bytes: int = _SNIFF_BYTES) -> bool:
    """Binary by content: NUL bytes, or bytes that are not UTF-8, in the first `sniff_bytes`.

    Stricter than reading text (which only looks for NUL, as git does), for judging files a PR
    adds. Reads at most `sniff_bytes` + 3: a character cut by the window is completed from the
    next bytes rather than held against the file. An unreadable file counts as binary.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(sniff_bytes)
            if b"\0" in head:
                return True
            if _valid_utf8(head):
                return False
            if len(head) < sniff_bytes:
                return True  # the whole file was read and is not UTF-8
            more = handle.read(3)  # a cut character, if any, ends within 3 bytes
            return not _valid_utf8(head + more, cut_ok=len(more) == 3)
    except OSError:
        return True


def _valid_utf8(data: bytes, cut_ok: bool = False) -> bool:
    """Valid UTF-8; with `cut_ok`, a sequence cut short by the end of `data` is forgiven."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return cut_ok and exc.reason == "unexpected end of data" and exc.end == len(data)
    return True


def split_lines(text: str) -> tuple[str, ...]:
    """Lines as tools number them: split on LF only (with a CR before it dropped).

    `str.splitlines` also breaks at form feeds, U+2028 and other separators, which would shift
    every line number after them away from what ruff, mypy or git report.
    """
    if not text:
        return ()
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    if "\r" not in text:  # most files: no line to trim, no Python loop over every line
        return tuple(parts)
    return tuple(part[:-1] if part.endswith("\r") else part for part in parts)


@functools.lru_cache(maxsize=4096)
def _read_text(path: Path, mtime_ns: int, size: int) -> str | None:
    """One open and one read: the size comes from the lstat that found the file, and binary is
    judged on the bytes read: a NUL in the first 8 KiB, as git decides."""
    del mtime_ns  # part of the cache key only
    if size > MAX_TEXT_BYTES:
        return None
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)  # bounded even if the file grew since
    except OSError:
        return None
    if len(data) > MAX_TEXT_BYTES or b"\0" in data[:_SNIFF_BYTES]:
        return None
    return data.decode("utf-8", errors="replace")


def read_text(root: Path, rel: str) -> str | None:
    """A text file of the repo decoded as UTF-8 (bad bytes replaced), or None for binary, huge
    (over MAX_TEXT_BYTES), missing or linked files."""
    version = _file_version(root, rel)
    return None if version is None else _read_text(*version)


def _file_version(root: Path, rel: str) -> tuple[Path, int, int] | None:
    """The file, its modification time and size: the key of the read caches. None when it is a
    link, outside the repo, or missing."""
    found = file_status(root, rel)
    return None if found is None else (found[0], found[1].st_mtime_ns, found[1].st_size)


def read_lines(root: Path, rel: str) -> tuple[str, ...]:
    """The lines of a text file in the repo, () for binary, huge, missing or linked files.

    Split once per file version: every finding asks for its file's lines (snippet hash,
    suppression comments), and 750 ruff findings in 20 big files took 0.8 s to split."""
    version = _file_version(root, rel)
    return () if version is None else _read_lines(*version)


@functools.lru_cache(maxsize=64)
def _read_lines(path: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    return split_lines(_read_text(path, mtime_ns, size) or "")


def snippet_hash(lines: tuple[str, ...], first: int, last: int) -> str:
    """A hash of the finding's source text, whitespace-insensitive, for position-free identity."""
    if not lines or first < 1:
        return ""
    chunk = lines[first - 1 : min(last, first + 20)]
    normal = "\n".join(" ".join(line.split()) for line in chunk)
    return hashlib.sha256(normal.encode("utf-8", errors="replace")).hexdigest()[:16]
