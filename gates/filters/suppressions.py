"""Inline suppressions: `gates: ignore[rule-id] reason`, on the finding's line or the line above.

One syntax for every gate and every file type (it only has to appear in a comment of the file's
language). The rule list may name a rule id, a gate name, or `*`. Suppressed findings stay in the
report, marked with the reason, and never block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from gates.model import Finding, Suppression

_MARKER = re.compile(r"gates:\s*ignore\[([^\]]*)\]\s*(.*)")


def parse_marker(line: str) -> tuple[frozenset[str], str] | None:
    """The rules a line suppresses and the reason given, or None when it has no marker."""
    match = _MARKER.search(line)
    if not match:
        return None
    rules = frozenset(r.strip() for r in match.group(1).split(",") if r.strip())
    reason = match.group(2).strip().rstrip("*/->#").strip()
    return rules, reason


def _applies(rules: frozenset[str], finding: Finding) -> bool:
    return "*" in rules or finding.rule in rules or finding.gate in rules


def find_suppression(finding: Finding, lines: tuple[str, ...]) -> Suppression | None:
    if finding.line is None or not lines:
        return None
    for number in (finding.line, finding.line - 1):
        if 1 <= number <= len(lines):
            parsed = parse_marker(lines[number - 1])
            if parsed and _applies(parsed[0], finding):
                return Suppression("inline", parsed[1])
    return None


def mark_suppressed(
    findings: Iterable[Finding], read_lines: Callable[[str], tuple[str, ...]]
) -> list[Finding]:
    out: list[Finding] = []
    for finding in findings:
        if finding.suppressed is None and finding.path:
            found = find_suppression(finding, read_lines(finding.path))
            if found:
                finding = finding.replace(suppressed=found)
        out.append(finding)
    return out
