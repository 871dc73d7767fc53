"""Rule ids of the checks-weakened gate and how its findings are made."""

from __future__ import annotations

from gates.model import Finding, Severity
from gates.text import one_line

GATE = "checks-weakened"
COVERAGE_LOWERED = "coverage-threshold-lowered"
LINT_LOOSENED = "lint-rules-loosened"
TYPES_LOOSENED = "type-checking-loosened"
GATES_LOOSENED = "gates-config-loosened"
STEP_REMOVED = "check-step-removed"
STEP_DISABLED = "check-step-disabled"
FAILURE_IGNORED = "check-failure-ignored"
TESTS_DESELECTED = "tests-deselected"
SUPPRESSIONS_ADDED = "suppressions-added"
CONFIG_UNPARSED = "config-unparsed"


def finding(
    rule: str, path: str, line: int | None, message: str, severity: Severity = Severity.WARNING
) -> Finding:
    """One finding; the message is flattened to one line (it quotes the PR's own text)."""
    return Finding(
        gate=GATE,
        tool="gates",
        rule=rule,
        severity=severity,
        path=path,
        message=one_line(message),
        line=line,
        extra={"identity": one_line(message)},
    )
