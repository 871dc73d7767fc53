"""Sizes of files before and after a PR, read without ever holding a huge file in memory.

Base sizes come from ONE `git cat-file --batch-check -z` fed every `<rev>:<path>` name (no
process per file, NUL-separated so any file name works). Base contents, needed only for line
counts and function lengths, come from `git cat-file --batch` for blobs up to `BLOB_READ_CAP`,
in runs whose total stays well under the process capture limit. Head sizes come from the files
themselves: `os.stat`, lines counted in 1 MiB chunks, never through a symlink.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gates.gate import GateError
from gates.git import Git
from gates.sources import file_status

BLOB_READ_CAP = 5 * 1024 * 1024  # a base version bigger than this is not read (lines unknown)
BATCH_READ_BUDGET = 32 * 1024 * 1024  # bytes of blobs per `cat-file --batch` process
LINE_COUNT_CAP = 64 * 1024 * 1024  # a head file bigger than this is not line-counted
_CHUNK = 1024 * 1024
_CHECK_FORMAT = "--batch-check=%(objectname) %(objecttype) %(objectsize)"


@dataclass(frozen=True)
class Blob:
    oid: str
    size: int


def count_lines(data: bytes) -> int:
    """Lines as git and editors count them: a last line without a newline still counts."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def count_file_lines(path: Path, cap: int = LINE_COUNT_CAP) -> int | None:
    """Stream the file in chunks; None when it is over `cap` bytes or unreadable."""
    try:
        if path.stat().st_size > cap:
            return None
        lines, last = 0, b""
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                lines += chunk.count(b"\n")
                last = chunk
        return lines + (1 if last and not last.endswith(b"\n") else 0)
    except OSError:
        return None


def head_bytes(root: Path, rel: str) -> int | None:
    """The size of a regular file in the checkout; None for links, directories, missing files."""
    found = file_status(root, rel)
    return None if found is None else found[1].st_size


def files_bytes(root: Path, paths: Iterable[str]) -> int:
    """The total size of the regular files among `paths` (links and missing files count 0)."""
    return sum(head_bytes(root, rel) or 0 for rel in paths)


def _encode(name: str) -> bytes:
    return name.encode("utf-8", errors="surrogateescape")


def base_blobs(git: Git, rev: str, paths: Iterable[str]) -> dict[str, Blob]:
    """Object id and size of each path at `rev`; paths absent there (or not blobs) are left out."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}
    names = [_encode(f"{rev}:{p}") for p in wanted]
    result = git.run("cat-file", _CHECK_FORMAT, "-z", stdin=b"".join(n + b"\0" for n in names))
    if not result.ok:
        raise GateError(f"git cat-file --batch-check failed: {result.describe_failure()}")
    try:
        return parse_batch_check(result.out, list(zip(wanted, names, strict=True)))
    except ValueError as exc:  # output that does not pair with the request: fail closed
        raise GateError(f"unexpected git cat-file --batch-check output ({exc})") from None


def parse_batch_check(out: bytes, requests: Sequence[tuple[str, bytes]]) -> dict[str, Blob]:
    """Pair `--batch-check` output with the requested names, in order.

    A missing object is reported as `<name> missing`; names may contain spaces or newlines, so
    that case is recognised by the exact requested name, never by splitting the name out.
    """
    blobs: dict[str, Blob] = {}
    pos = 0
    for path, name in requests:
        if out.startswith(name + b" ", pos):
            pos = out.index(b"\n", pos + len(name)) + 1
            continue
        end = out.index(b"\n", pos)
        oid, kind, size = out[pos:end].split(b" ")
        pos = end + 1
        if kind == b"blob":
            blobs[path] = Blob(oid.decode("ascii"), int(size))
    return blobs


def read_blobs(git: Git, blobs: Iterable[Blob], cap: int | None = None) -> dict[str, bytes]:
    """The contents of the blobs up to `cap` (BLOB_READ_CAP) bytes each, keyed by object id."""
    cap = BLOB_READ_CAP if cap is None else cap
    small = sorted({b.oid: b for b in blobs if b.size <= cap}.values(), key=lambda b: b.oid)
    contents: dict[str, bytes] = {}
    for run in _runs(small, BATCH_READ_BUDGET):
        stdin = b"".join(b.oid.encode("ascii") + b"\n" for b in run)
        result = git.run("cat-file", "--batch", stdin=stdin)
        if not result.ok or result.truncated:
            raise GateError(f"git cat-file --batch failed: {result.describe_failure()}")
        try:
            contents.update(parse_batch(result.out))
        except ValueError as exc:
            raise GateError(f"unexpected git cat-file --batch output ({exc})") from None
    return contents


def _runs(blobs: Sequence[Blob], budget: int) -> Iterable[list[Blob]]:
    run: list[Blob] = []
    total = 0
    for blob in blobs:
        if run and total + blob.size > budget:
            yield run
            run, total = [], 0
        run.append(blob)
        total += blob.size
    if run:
        yield run


def parse_batch(out: bytes) -> dict[str, bytes]:
    """Parse `git cat-file --batch`: `<oid> <type> <size>\\n<contents>\\n` per object."""
    contents: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) != 3:  # `<oid> missing`: nothing follows
            continue
        size = int(header[2])
        contents[header[0].decode("ascii")] = out[pos : pos + size]
        pos += size + 1
    return contents


def lines_of_blobs(blobs: Mapping[str, Blob], contents: Mapping[str, bytes]) -> dict[str, int]:
    """Line counts of the base versions that were read, by path."""
    return {
        path: count_lines(contents[blob.oid])
        for path, blob in blobs.items()
        if blob.oid in contents
    }
