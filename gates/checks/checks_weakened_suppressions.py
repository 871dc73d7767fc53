"""New suppression comments in the PR's Python files: `# type: ignore`, `# noqa`, `# nosec`,
`# pylint: disable`, `# pyright: ignore` and gates' own `# gates: ignore[...]` (also in the
config and CI files this gate reads).

Comments are found with `tokenize`, so a marker quoted in a string or docstring is not one.
A comment counts as new when its file has more of that marker (with its codes) than the base
had there, less the ones the PR removed from its other files: a function moved with its
`# type: ignore`, or a line reformatted around its `# noqa`, adds nothing. One finding per file,
at its first new marker (its own file and line), lists them.
"""

from __future__ import annotations

import difflib
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

_MAX_DIFF_LINES = 20_000
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
    """Per file (head path), the markers the PR adds, each at its own file and line.

    Counting is per file: a file's marker is new when the file has more of that kind and
    codes than its base had, so an unchanged marker in one file is never blamed for a new one
    in another. Within a file the new ones are those on lines the diff adds. A marker removed
    from one touched file is first matched to the same marker on the same line text added to
    another (code moved between modules); what is left of the removals then offsets the
    remaining additions, so a PR's net count of a marker never grows unreported."""
    surplus: dict[str, list[tuple[int, Marker, str]]] = {}
    removed: list[tuple[Marker, str]] = []
    for path, base, head in changes:
        added, gone = _file_delta(path, base or "", head)
        if added:
            surplus[path] = added
        removed.extend(gone)
    _cancel_moves(surplus, removed, {path for path, base, _ in changes if base is None})
    return {
        path: [(line, marker) for line, marker, _ in found]
        for path, found in sorted(surplus.items())
        if found
    }


def _file_delta(
    path: str, base: str, head: str | None
) -> tuple[list[tuple[int, Marker, str]], list[tuple[Marker, str]]]:
    """One file's added markers (line, marker, stripped line text) and removed ones
    (marker, stripped line text), by count of each marker, preferring the diff's added and
    removed lines as the ones that changed."""
    base_lines = base.splitlines()
    head_lines = (head or "").splitlines()
    before = markers_of(path, base)
    after = markers_of(path, head) if head is not None else []
    base_count = Counter(m for _, m in before)
    head_count = Counter(m for _, m in after)
    if base_count == head_count:
        return [], []  # most files: no diff needed
    kept_base, kept_head = _unchanged_lines(base_lines, head_lines)
    added: list[tuple[int, Marker, str]] = []
    for marker in head_count:
        extra = head_count[marker] - base_count[marker]
        if extra > 0:
            lines = [n for n, m in after if m == marker]
            added.extend((n, marker, _text(head_lines, n)) for n in _pick(lines, kept_head, extra))
    gone: list[tuple[Marker, str]] = []
    for marker in base_count:
        missing = base_count[marker] - head_count[marker]
        if missing > 0:
            lines = [n for n, m in before if m == marker]
            gone.extend((marker, _text(base_lines, n)) for n in _pick(lines, kept_base, missing))
    added.sort()
    return added, gone


def _unchanged_lines(base: list[str], head: list[str]) -> tuple[set[int], set[int]]:
    """1-based numbers of the lines the diff keeps, on each side (none for a file too big to
    diff quickly: its markers are then taken in order)."""
    if len(base) + len(head) > _MAX_DIFF_LINES:
        return set(), set()
    matcher = difflib.SequenceMatcher(None, base, head, autojunk=False)
    kept_base: set[int] = set()
    kept_head: set[int] = set()
    for block in matcher.get_matching_blocks():
        kept_base.update(range(block.a + 1, block.a + block.size + 1))
        kept_head.update(range(block.b + 1, block.b + block.size + 1))
    return kept_base, kept_head


def _pick(lines: list[int], kept: set[int], count: int) -> list[int]:
    """`count` of a marker's lines, the changed ones first (then the last ones: an unchanged
    line holding the marker is the least likely to be the new one)."""
    changed = [n for n in lines if n not in kept]
    unchanged = [n for n in lines if n in kept]
    return (changed + unchanged[::-1])[:count]


def _text(lines: list[str], number: int) -> str:
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def _cancel_moves(
    surplus: dict[str, list[tuple[int, Marker, str]]],
    removed: list[tuple[Marker, str]],
    fresh: set[str],
) -> None:
    """Drop added markers that are removals elsewhere in the PR: the same line text first
    (a moved function), then any other of the same marker (files added before changed ones,
    as moved code usually lands in a new module)."""
    by_text = Counter(removed)
    for path, found in surplus.items():
        kept = []
        for line, marker, text in found:
            if by_text[(marker, text)] > 0:
                by_text[(marker, text)] -= 1
            else:
                kept.append((line, marker, text))
        surplus[path] = kept
    left = Counter(marker for (marker, _), n in by_text.items() for _ in range(n))
    for path in sorted(surplus, key=lambda p: (p not in fresh, p)):
        kept = []
        for line, marker, text in surplus[path]:
            if left[marker] > 0:
                left[marker] -= 1
            else:
                kept.append((line, marker, text))
        surplus[path] = kept


def describe(found: Sequence[tuple[int, Marker]]) -> str:
    """`# type: ignore at 12, 40; # noqa: E501 at 51`."""
    by_kind: dict[str, list[str]] = {}
    for line, (kind, codes) in found:
        label = f"# {kind}" + (
            f"[{codes}]" if codes and "ignore" in kind else f": {codes}" if codes else ""
        )
        by_kind.setdefault(label, []).append(str(line))
    return "; ".join(f"{label} at {', '.join(lines)}" for label, lines in by_kind.items())
