"""Rule ids of the checks-weakened gate and how its findings are made."""

from __future__ import annotations

import re

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
RULES = frozenset(
    {
        COVERAGE_LOWERED,
        LINT_LOOSENED,
        TYPES_LOOSENED,
        GATES_LOOSENED,
        STEP_REMOVED,
        STEP_DISABLED,
        FAILURE_IGNORED,
        TESTS_DESELECTED,
        SUPPRESSIONS_ADDED,
        CONFIG_UNPARSED,
    }
)


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
        extra={"identity": identity(message)},
    )


_LINES = re.compile(r"\b(line|at) \d+(?:, \d+)*")


def identity(message: str) -> str:
    """The finding's identity for its fingerprint: its message without line numbers, so a
    baselined finding keeps its identity when the file above it changes."""
    return _LINES.sub(r"\1 N", one_line(message))
