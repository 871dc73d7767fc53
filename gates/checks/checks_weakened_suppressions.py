"""New suppression comments in the PR's Python files: `# type: ignore`, `# noqa`, `# nosec`,
`# pylint: disable`, `# pyright: ignore` and gates' own `# gates: ignore[...]` (also in the
config and CI files this gate reads).

Comments are found with `tokenize`, so a marker quoted in a string or docstring is not one.
A comment counts as new when the head has more of that marker (with its codes) than the base
had across the PR's files: a function moved with its `# type: ignore`, or a line reformatted
around its `# noqa`, adds nothing. One finding per file, at its first new marker, lists them.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterator, Sequence

from gates.filters.suppressions import parse_marker

_MARKERS = (
    ("type: ignore", re.compile(r"#\s*type:\s*ignore(\[[^\]]*\])?")),
    ("noqa", re.compile(r"#\s*noqa\b(:\s*[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)?", re.IGNORECASE)),
    ("nosec", re.compile(r"#\s*nosec\b(\s+[A-Z][0-9]+(?:[,\s]+[A-Z][0-9]+)*)?")),
    ("pyright: ignore", re.compile(r"#\s*pyright:\s*ignore(\[[^\]]*\])?")),
    ("pylint: disable", re.compile(r"#\s*pylint:\s*disable=([\w,-]+)")),
    ("gates: ignore", re.compile(r"gates:\s*ignore(\[[^\]]*\])")),
)

Marker = tuple[str, str]  # (kind, codes as written, "" for a blanket marker)


def markers(text: str) -> list[tuple[int, Marker]]:
    """Every suppression marker in the comments of a Python source, with its line."""
    found = []
    for line, comment in _comments(text):
        for kind, pattern in _MARKERS:
            for match in pattern.finditer(comment):
                codes = re.sub(r"[\s\[\]:=]", "", match.group(1) or "")
                found.append((line, (kind, codes)))
    return found


def gates_markers(text: str) -> list[tuple[int, Marker]]:
    """gates' own `gates: ignore[...]` markers in a config or CI file (whose comments no
    parser keeps): the one suppression a PR can add there to silence this very gate."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        marker = parse_marker(line, number) if "gates:" in line and "#" in line else None
        if marker is not None:
            found.append((number, ("gates: ignore", ",".join(sorted(marker.rules)))))
    return found


def markers_of(path: str, text: str) -> list[tuple[int, Marker]]:
    return markers(text) if path.endswith(".py") else gates_markers(text)


def _comments(text: str) -> Iterator[tuple[int, str]]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return


def new_markers(
    changes: Sequence[tuple[str, str | None, str | None]],
) -> dict[str, list[tuple[int, Marker]]]:
    """Per file (head path), the markers the PR adds; a marker removed from one touched file
    and added to another (code moved between modules) is not new."""
    base_total: Counter[Marker] = Counter()
    head_by_file: dict[str, list[tuple[int, Marker]]] = {}
    for path, base, head in changes:
        base_total.update(m for _, m in markers_of(path, base or ""))
        if head is not None:
            head_by_file[path] = markers_of(path, head)
    available = Counter(base_total)
    out: dict[str, list[tuple[int, Marker]]] = {}
    for path, found in sorted(head_by_file.items()):
        for line, marker in found:
            if available[marker] > 0:
                available[marker] -= 1
            else:
                out.setdefault(path, []).append((line, marker))
    return out


def describe(found: Sequence[tuple[int, Marker]]) -> str:
    """`# type: ignore at 12, 40; # noqa: E501 at 51`."""
    by_kind: dict[str, list[str]] = {}
    for line, (kind, codes) in found:
        label = f"# {kind}" + (
            f"[{codes}]" if codes and "ignore" in kind else f": {codes}" if codes else ""
        )
        by_kind.setdefault(label, []).append(str(line))
    return "; ".join(f"{label} at {', '.join(lines)}" for label, lines in by_kind.items())
