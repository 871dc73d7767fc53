"""pytest's JUnit XML report (xunit1): each failing or erroring test at its file and line."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from gates.model import Finding, Severity
from gates.text import one_line
from gates.tools.common import relative

MAX_MESSAGE_CHARS = 200


@dataclass(frozen=True)
class JUnitSummary:
    """What the JUnit report says: one finding per failing or erroring test, and the counts."""

    findings: tuple[Finding, ...] = ()
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped


def parse_junit(text: str, root: Path, gate: str = "coverage") -> JUnitSummary:
    """Parse pytest's `--junitxml` with `junit_family=xunit1`; raises ValueError if unreadable."""
    try:
        tree = ET.fromstring(text)  # noqa: S314 - written by pytest in our scratch directory
    except ET.ParseError as exc:
        raise ValueError(f"invalid JUnit XML: {exc}") from None
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    findings: list[Finding] = []
    for case in tree.iter("testcase"):
        outcome, problem = _case_outcome(case)
        counts[outcome] += 1
        if problem is not None:
            findings.append(_test_finding(case, problem, root, gate))
    return JUnitSummary(findings=tuple(findings), **counts)


def _case_outcome(case: ET.Element) -> tuple[str, ET.Element | None]:
    for tag, outcome in (("failure", "failed"), ("error", "errors")):
        problem = case.find(tag)
        if problem is not None:
            return outcome, problem
    return ("skipped" if case.find("skipped") is not None else "passed"), None


def _test_finding(case: ET.Element, problem: ET.Element, root: Path, gate: str) -> Finding:
    test = _test_name(case)
    line = case.get("line")
    errored = problem.tag == "error"
    return Finding(
        gate=gate,
        tool="pytest",
        rule="test-error" if errored else "test-failed",
        severity=Severity.ERROR,
        path=relative(root, case.get("file", "")),
        # pytest's xunit1 line is 0-based (the def line of the test function).
        line=int(line) + 1 if line and line.isdigit() else None,
        message=f"{'error in' if errored else 'failed:'} {test}: {_one_line(problem)}",
        new=True,
        extra={"test": test_id(relative(root, case.get("file", "")), test)},
    )


def test_id(path: str, test: str) -> str:
    """A test's identity across checkouts (its file and name, not its line), so a failure on
    the head can be matched with the same test failing on the base."""
    return f"{path}::{test}"


def failing_ids(summary: JUnitSummary) -> frozenset[str]:
    return frozenset(f.extra["test"] for f in summary.findings if "test" in f.extra)


def _test_name(case: ET.Element) -> str:
    """The test's name, with its class when it has one (the module is the finding's path)."""
    name = case.get("name", "?")
    owner = case.get("classname", "").rsplit(".", 1)[-1]
    module = Path(case.get("file", "")).stem
    return f"{owner}.{name}" if owner and owner != module else name


def _one_line(problem: ET.Element) -> str:
    """The first line of the failure: the assertion message, not pytest's whole explanation."""
    text = (problem.get("message") or problem.text or "").strip()
    return one_line(text.splitlines()[0], MAX_MESSAGE_CHARS) if text else problem.tag
