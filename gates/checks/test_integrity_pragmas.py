"""`# pragma: no cover` added by a PR: code taken out of coverage measurement.

Only real comments count: the words in a docstring or a string (a test that builds a file with
a pragma in it, a message that names the pragma) exclude nothing. The idioms coverage.py's own
docs recommend the pragma for (a version or platform branch, `if TYPE_CHECKING:` and the
imports under it, the `__main__` guard, an abstract or `NotImplementedError` body, an
`except ImportError:` fallback) are a note: worth a reviewer's glance, not a block. Anywhere
else the pragma hides code the PR's tests do not run from the coverage gate, which is the
cheap way to a green build. Test files are not read: their own coverage is not the product's.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

from gates.checks.changes import FileChange
from gates.model import Finding, Severity

GATE = "test-integrity"
_NO_COVER = re.compile(r"#\s*pragma:\s*no\s*cover", re.IGNORECASE)
_IDIOM = re.compile(
    r"""^(?:
        (?:el)?if\b.*\b(?:sys\.version_info|sys\.platform|os\.name|platform\.|TYPE_CHECKING
            |PY\w*\d|__name__\s*==)
      | else\s*:
      | except\s*\(?\s*(?:ImportError|ModuleNotFoundError)\b
      | raise\s+NotImplementedError\b
      | (?:\.\.\.|pass)\s*$
      | @(?:abc\.)?abstractmethod\b
      | @(?:typing\.)?overload\b
      | def\s+__repr__\b
    )""",
    re.VERBOSE,
)


def pragma_lines(lines: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line number, stripped line) of each line whose COMMENT holds the pragma."""
    candidates = {n for n, line in enumerate(lines, 1) if _NO_COVER.search(line)}
    if not candidates:
        return []
    found = _comment_lines("\n".join(lines) + "\n", candidates)
    return [(n, lines[n - 1].strip()) for n in sorted(found)]


def _comment_lines(text: str, candidates: set[int]) -> set[int]:
    found: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            is_comment = token.type == tokenize.COMMENT and token.start[0] in candidates
            if is_comment and _NO_COVER.search(token.string):
                found.add(token.start[0])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return candidates  # unreadable as Python: judge the lines as written
    return found


def no_cover(changes: Sequence[FileChange], is_test: Callable[[str], bool]) -> Iterator[Finding]:
    """Pragmas at head beyond those at base, in the PR's non-test files.

    A line that kept its pragma but was edited is not new (the count did not grow), and
    neither is one that moved with its code from another file of the PR: a pragma whose code
    is gone from somewhere else in the PR is matched to it first. Test files are left out:
    coverage of test code (a stub body, a route the test never calls) is not the product's
    coverage that the pragma would hide."""
    base = {c.path: pragma_lines(c.base_lines) for c in changes}
    head = {c.path: pragma_lines(c.head_lines) for c in changes}
    moved: Counter[str] = Counter()
    for path, found in base.items():
        gone = Counter(_code(t) for _, t in found) - Counter(_code(t) for _, t in head[path])
        moved.update(gone)
    for change in changes:
        if is_test(change.path):
            continue
        lines = change.head_lines
        for number, text in _new(base[change.path], head[change.path]):
            if moved[_code(text)] > 0:
                moved[_code(text)] -= 1
                continue
            counts = (len(base[change.path]), len(head[change.path]))
            yield _finding(change.path, number, text, counts, _type_checking(lines, number))


def _new(before: list[tuple[int, str]], now: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """The head pragmas of one file beyond its base count, skipping those on a line whose
    code (the comment may differ) had one at base."""
    excess = len(now) - len(before)
    left = Counter(_code(text) for _, text in before)
    for number, text in now:
        if excess <= 0:
            return
        if left[_code(text)] > 0:
            left[_code(text)] -= 1
            continue
        excess -= 1
        yield number, text


def _code(line: str) -> str:
    return line.split("#", 1)[0].strip()


_TYPE_CHECKING = re.compile(r"^\s*if\b.*\bTYPE_CHECKING\b")


def _type_checking(lines: tuple[str, ...], number: int) -> bool:
    """Whether line `number` sits inside an `if TYPE_CHECKING:` block: imports there never
    run, so a pragma on them is the same idiom as one on the `if`."""
    indent = _indent(lines[number - 1])
    for line in reversed(lines[: number - 1]):
        if not line.strip() or line.lstrip().startswith("#") or _indent(line) >= indent:
            continue
        if _TYPE_CHECKING.match(line):
            return True
        indent = _indent(line)
        if indent == 0:
            return False
    return False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _finding(
    path: str, line: int, text: str, counts: tuple[int, int], in_type_checking: bool
) -> Finding:
    idiom = in_type_checking or bool(_IDIOM.match(_code(text)))
    message = (
        f"`# pragma: no cover` added in {path} ({counts[0]} at base, {counts[1]} at head): "
        + ("a usual place for it, for review" if idiom else "this code is no longer measured")
    )
    severity = Severity.NOTE if idiom else Severity.WARNING
    return Finding(GATE, "gates", "no-cover-added", severity, path, message, line=line)
