"""pytest's JUnit XML parser on reports captured from pytest 9.2 (tests/golden/pytest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.model import Severity
from gates.tools.junit import parse_junit

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ROOT = Path("/tmp/q/cv")  # where the golden project was run


def test_junit_failures_and_errors_are_findings_at_the_test_line() -> None:
    text = (GOLDEN / "pytest/junit-xunit1-failures.xml").read_text(encoding="utf-8")
    run_ = parse_junit(text, ROOT)
    assert (run_.passed, run_.failed, run_.errors, run_.skipped) == (1, 3, 1, 1)
    got = [(f.path, f.line, f.rule, f.new, f.severity) for f in run_.findings]
    assert got == [
        ("tests/test_calc.py", 10, "test-failed", True, Severity.ERROR),
        ("tests/test_calc.py", 14, "test-failed", True, Severity.ERROR),
        ("tests/test_calc.py", 24, "test-error", True, Severity.ERROR),
        ("tests/test_calc.py", 34, "test-failed", True, Severity.ERROR),
    ]
    messages = [f.message for f in run_.findings]
    assert messages[0] == "failed: test_fails: AssertionError: one and one"
    assert messages[1] == "failed: test_plain_fail: assert [1, 2] == [1, 3]"
    assert messages[2] == 'error in test_error: failed on setup with "RuntimeError: fixture broke"'
    assert messages[3] == "failed: TestK.test_method: ValueError: bad value"


def test_junit_empty_and_garbage() -> None:
    text = (GOLDEN / "pytest/junit-xunit1-empty.xml").read_text(encoding="utf-8")
    assert parse_junit(text, ROOT).total == 0
    with pytest.raises(ValueError):
        parse_junit("<testsuites><testsuite>", ROOT)


def test_message_is_the_first_line_bounded() -> None:
    long = "x" * 1000
    text = (
        '<testsuites><testsuite><testcase classname="t" name="test_a" file="t.py" line="0">'
        f'<failure message="{long}&#10;second line">tb</failure></testcase>'
        '<testcase classname="t" name="test_b" file="t.py" line="3"><error>boom&#10;tb</error>'
        "</testcase></testsuite></testsuites>"
    )
    first, second = parse_junit(text, ROOT).findings
    assert first.message == "failed: test_a: " + "x" * 199 + "…"
    assert (second.message, second.line) == ("error in test_b: boom", 4)
