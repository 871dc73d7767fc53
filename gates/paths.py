"""Path globs with `**`, the one matching rule used by every config key that takes globs.

Rules (documented in README.md):
- `*` matches within one path segment, `**` matches any number of segments (also none),
  `?` one character, `[abc]` a character class.
- A pattern without `/` matches the file name at any depth (`*.md`, like .gitignore).
- A pattern ending in `/` matches everything below that directory, and so does a pattern that
  matches a directory: `src/flask` means the files under it, as in .gitignore. Without this,
  `paths = ["src/flask"]` would quietly select nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# The files the Python tools (bandit, ruff, mypy ...) and the Python size budgets read.
PYTHON_SUFFIXES = (".py", ".pyi")


@functools.lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    if pat.endswith("/"):
        pat += "**"
    if "/" not in pat:
        pat = "**/" + pat
    return re.compile(_translate(pat.lstrip("/")) + r"(?:/.*)?\Z", re.DOTALL)


def _translate(pat: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(r".*")
            i += 2
        elif pat[i] == "*":
            out.append(r"[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append(r"[^/]")
            i += 1
        elif pat[i] == "[" and "]" in pat[i + 2 :]:
            end = pat.index("]", i + 2)
            body = pat[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    return "".join(out)


def matches(path: str, patterns: Iterable[str]) -> bool:
    return any(compile_glob(p).match(path) for p in patterns)


def select(
    paths: Iterable[str], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[str, ...]:
    """Keep the paths that match `include` (all when empty) and none of `exclude`."""
    inc, exc = tuple(include), tuple(exclude)
    return tuple(p for p in paths if (not inc or matches(p, inc)) and not matches(p, exc))
