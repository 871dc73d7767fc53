"""`# pragma: no cover` added by a PR: code taken out of coverage measurement.

Only real comments count: the words in a docstring or a string (a test that builds a file with
a pragma in it, a message that names the pragma) exclude nothing. The idioms coverage.py's own
docs recommend the pragma for (a version or platform branch, `if TYPE_CHECKING:`, the
`__main__` guard, an abstract or `NotImplementedError` body, an `except ImportError:` fallback)
are a note: worth a reviewer's glance, not a block. Anywhere else the pragma hides code the
PR's tests do not run from the coverage gate, which is the cheap way to a green build.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterator

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


def no_cover(
    path: str, base_lines: tuple[str, ...], head_lines: tuple[str, ...]
) -> Iterator[Finding]:
    """Pragmas at head beyond those at base (a line that kept its pragma but was edited is not
    new: the count did not grow)."""
    before = [text for _, text in pragma_lines(base_lines)]
    now = pragma_lines(head_lines)
    excess = len(now) - len(before)
    if excess <= 0:
        return
    left = Counter(before)
    for number, text in now:
        if left[text] > 0:
            left[text] -= 1
            continue
        if excess <= 0:
            return
        excess -= 1
        yield _finding(path, number, text, (len(before), len(now)))


def _finding(path: str, line: int, text: str, counts: tuple[int, int]) -> Finding:
    code = text.split("#", 1)[0].strip()
    idiom = bool(_IDIOM.match(code))
    message = (
        f"`# pragma: no cover` added in {path} ({counts[0]} at base, {counts[1]} at head): "
        + ("a usual place for it, for review" if idiom else "this code is no longer measured")
    )
    severity = Severity.NOTE if idiom else Severity.WARNING
    return Finding(GATE, "gates", "no-cover-added", severity, path, message, line=line)
