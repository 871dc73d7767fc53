"""coverage.py's JSON report, and which of a PR's added lines it says ran."""

from __future__ import annotations

import ast
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from gates.diff import Diff
from gates.tools.common import relative


@dataclass(frozen=True)
class FileCoverage:
    executed: frozenset[int]
    missing: frozenset[int]

    @property
    def executable(self) -> frozenset[int]:
        return self.executed | self.missing


@dataclass(frozen=True)
class Coverage:
    total: float
    files: Mapping[str, FileCoverage] = field(default_factory=dict)


@dataclass(frozen=True)
class DiffCoverage:
    executable: int
    covered: int
    ranges: tuple[tuple[str, int, int], ...]  # (path, first, last) of uncovered added lines

    @property
    def percent(self) -> float | None:
        return None if not self.executable else round(100.0 * self.covered / self.executable, 2)


def parse_coverage_json(text: str, root: Path) -> Coverage:
    """Parse `coverage json` (format 3): the total and each file's executed/missing lines."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("totals"), dict):
        raise ValueError("coverage JSON has no totals")
    files: dict[str, FileCoverage] = {}
    for name, item in (data.get("files") or {}).items():
        files[relative(root, str(name))] = FileCoverage(
            executed=frozenset(int(n) for n in item.get("executed_lines", ())),
            missing=frozenset(int(n) for n in item.get("missing_lines", ())),
        )
    return Coverage(total=float(data["totals"]["percent_covered"]), files=files)


def diff_coverage(
    coverage: Coverage, diff: Diff, scope: Collection[str] | None = None
) -> DiffCoverage:
    """Of the PR's added lines that coverage counts as executable, how many ran.

    Files coverage lists with nothing executed (in `source`, never imported) count with every
    added statement uncovered. Files it did not measure (outside `source`, omitted) do not
    count: that is the project's coverage config speaking, and neither do files outside `scope`
    (the gate's `paths`/`exclude`). Comments, blank lines and docstrings are not statements for
    coverage, so they are neither covered nor uncovered.
    """
    executable = covered = 0
    ranges: list[tuple[str, int, int]] = []
    for path in sorted(coverage.files):
        if scope is not None and path not in scope:
            continue
        lines = coverage.files[path]
        added = _added_lines(diff, path, lines.executable)
        new_exec = added & lines.executable
        executable += len(new_exec)
        covered += len(new_exec & lines.executed)
        uncovered = new_exec - lines.executed
        ranges += [(path, a, b) for a, b in line_ranges(uncovered, lines.executable)]
    return DiffCoverage(executable, covered, tuple(ranges))


def _added_lines(diff: Diff, path: str, executable: frozenset[int]) -> frozenset[int]:
    if diff.all_changed:
        return executable
    changed = diff.files.get(path)
    return changed.added_lines if changed is not None and changed.exists_at_head else frozenset()


def line_ranges(lines: Iterable[int], executable: frozenset[int]) -> list[tuple[int, int]]:
    """Maximal runs of lines with no other executable line between them."""
    ranges: list[tuple[int, int]] = []
    for line in sorted(lines):
        if ranges and not any(n in executable for n in range(ranges[-1][1] + 1, line)):
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    return ranges


def with_unmeasured(coverage: Coverage, statements: Mapping[str, frozenset[int]]) -> Coverage:
    """`coverage` plus files it does not list, each with every one of `statements` missed.

    For source files coverage cannot see although they are in the inferred source (a folder
    without `__init__.py` that no test imports): their added lines must not pass as unmeasured.
    The total stays coverage's own figure.
    """
    extra = {
        path: FileCoverage(executed=frozenset(), missing=lines)
        for path, lines in statements.items()
        if path not in coverage.files and lines
    }
    return replace(coverage, files={**coverage.files, **extra}) if extra else coverage


def statement_lines(text: str) -> frozenset[int]:
    """The first line of each statement, as coverage counts them: not docstrings, not lines
    under `# pragma: no cover`. Empty when the text does not parse (coverage could not either).
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    lines = text.splitlines()
    docstrings = _docstring_ids(tree)
    excluded: set[int] = set()
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or id(node) in docstrings:
            continue
        if "pragma: no cover" in lines[node.lineno - 1]:
            excluded.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        found.add(node.lineno)
    return frozenset(found - excluded)


def _docstring_ids(tree: ast.AST) -> set[int]:
    """The first string expression of each module, class and function body."""
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, owners) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                ids.add(id(first))
    return ids
