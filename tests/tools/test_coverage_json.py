"""coverage's JSON parser (golden report from coverage 7.17) and the diff-coverage arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.diff import ChangedFile, ChangeKind, Diff
from gates.git import Revisions
from gates.tools.coverage_json import (
    Coverage,
    FileCoverage,
    diff_coverage,
    line_ranges,
    parse_coverage_json,
    statement_lines,
    with_unmeasured,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ROOT = Path("/tmp/q/cv")  # where the golden project was run


def _diff(files: dict[str, frozenset[int]], all_changed: bool = False) -> Diff:
    changed = {
        p: ChangedFile(p, ChangeKind.MODIFIED, added_lines=lines) for p, lines in files.items()
    }
    return Diff(Revisions("b" * 40, "h" * 40, "b" * 40, ""), changed, all_changed=all_changed)


def test_coverage_json_lines_exclude_comments_blanks_docstrings_and_pragmas() -> None:
    coverage = parse_coverage_json(
        (GOLDEN / "coverage/coverage.json").read_text(encoding="utf-8"), ROOT
    )
    assert coverage.total == 84.0
    calc = coverage.files["pkg/calc.py"]  # tests/golden/coverage/calc.py.txt, as measured
    assert calc.executed == {6, 8, 11} and calc.missing == {12, 13}
    # 1 module docstring, 3 comment, 7 function docstring, 14 `# pragma: no cover`, blanks
    assert not calc.executable & {1, 2, 3, 4, 5, 7, 9, 10, 14}
    with pytest.raises(ValueError):
        parse_coverage_json("[]", ROOT)


def test_diff_coverage_counts_only_added_executable_lines() -> None:
    coverage = parse_coverage_json(
        (GOLDEN / "coverage/coverage.json").read_text(encoding="utf-8"), ROOT
    )
    diff = _diff({"pkg/calc.py": frozenset(range(1, 14)), "README.md": frozenset({1})})
    result = diff_coverage(coverage, diff)
    assert (result.executable, result.covered, result.percent) == (5, 3, 60.0)
    assert result.ranges == (("pkg/calc.py", 12, 13),)
    assert diff_coverage(coverage, diff, scope={"pkg/other.py"}).executable == 0
    only_comments = diff_coverage(coverage, _diff({"pkg/calc.py": frozenset({1, 3, 7, 14})}))
    assert only_comments.executable == 0 and only_comments.percent is None


def test_uncovered_ranges_merge_across_non_executable_lines_only() -> None:
    executable = frozenset({1, 2, 4, 6, 7, 9})
    assert line_ranges([1, 2, 4, 7, 9], executable) == [(1, 4), (7, 9)]
    assert line_ranges([], executable) == []
    cov = Coverage(50.0, {"a.py": FileCoverage(frozenset({6}), frozenset({1, 2, 4, 7, 9}))})
    every_line = diff_coverage(cov, _diff({}, all_changed=True))
    assert every_line.executable == 6 and every_line.covered == 1


def test_statement_lines_skip_docstrings_comments_and_no_cover() -> None:
    text = (
        '"""Module."""\n'  # 1
        "import os\n"  # 2
        "\n"
        "\n"
        "def f(a):\n"  # 5
        '    """Doc."""\n'
        "    # comment\n"
        "    return (a +\n"  # 8
        "            1)\n"
        "\n"
        "\n"
        "def g():  # pragma: no cover\n"  # 12
        "    return 2\n"
    )
    assert statement_lines(text) == {2, 5, 8}
    assert statement_lines("def broken(:\n") == frozenset()


def test_unmeasured_files_join_with_every_statement_missed() -> None:
    cov = Coverage(100.0, {"a.py": FileCoverage(frozenset({1}), frozenset())})
    joined = with_unmeasured(cov, {"b.py": frozenset({1, 3}), "a.py": frozenset({9})})
    assert joined.files["a.py"] == cov.files["a.py"]  # coverage's own view wins
    assert joined.files["b.py"] == FileCoverage(frozenset(), frozenset({1, 3}))
    assert joined.total == 100.0
    result = diff_coverage(joined, _diff({"b.py": frozenset({1, 2, 3})}))
    assert (result.executable, result.covered, result.ranges) == (2, 0, (("b.py", 1, 3),))
