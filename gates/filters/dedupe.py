"""Merge findings of the same issue reported by several tools on the same lines.

bandit and semgrep (and later gates) overlap: `eval(x)` is bandit B307 and semgrep's
`gates.python.eval-injection`. Reporting it twice makes a PR look twice as bad and asks for two
suppressions. Two findings are the same issue when they come from different tools, sit in the
same file on overlapping lines, and either belong to the same class in `EQUIVALENT` (an explicit
table: the tools' CWE numbers for one issue often differ, bandit files eval under CWE-78) or, when
at most one of them is in the table, share a CWE id.

The finding that stays is the one that matters most (blocking, then unsuppressed, then most
severe, then from the gate that ran first); it keeps its message and gets
`extra["also_reported_by"] = "semgrep:gates.python.eval-injection"`. Because the kept finding
always ranks at least as high as the ones it absorbs, merging never turns a failing verdict
into a pass. A pure function over the gate results, applied once before the report is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from gates.model import DUPLICATES_MERGED, Finding, GateResult, Status, decide_status

# "tool:rule" -> issue class. Only needed where the tools' CWE ids for one issue differ, or where
# one tool files several issues under one CWE (bandit: B307 eval and B602 shell are both CWE-78).
_CLASSES: Mapping[str, tuple[str, ...]] = {
    "shell-injection": (
        "bandit:B602",
        "bandit:B604",
        "bandit:B605",
        "semgrep:gates.python.subprocess-shell-injection",
        "semgrep:gates.python.os-system-injection",
    ),
    "eval": ("bandit:B307", "semgrep:gates.python.eval-injection"),
    "exec": ("bandit:B102", "semgrep:gates.python.exec-injection"),
    "sql-injection": (
        "bandit:B608",
        "bandit:B610",
        "bandit:B611",
        "semgrep:gates.python.sql-injection",
        "semgrep:gates.python.django-raw-sql",
    ),
    "unsafe-yaml": ("bandit:B506", "semgrep:gates.python.yaml-unsafe-load"),
    "flask-debug": ("bandit:B201", "semgrep:gates.python.flask-debug-enabled"),
    "jinja2-autoescape": ("bandit:B701", "semgrep:gates.python.jinja2-autoescape-disabled"),
    "ssh-host-key": ("bandit:B507", "semgrep:gates.python.paramiko-auto-add-policy"),
    "bind-all": ("bandit:B104", "semgrep:gates.python.bind-all-interfaces"),
    "hardcoded-credential": (
        "bandit:B105",
        "bandit:B106",
        "bandit:B107",
        "semgrep:gates.python.hardcoded-credential",
    ),
    "insecure-random": ("bandit:B311", "semgrep:gates.python.insecure-random-secret"),
    "weak-hash": (
        "bandit:B303",
        "bandit:B324",
        "semgrep:gates.python.weak-hash",
        "semgrep:gates.python.weak-password-hash",
    ),
    "xml-parser": (
        *(f"bandit:B{n}" for n in range(313, 321)),
        "semgrep:gates.python.xml-stdlib-parser",
        "semgrep:gates.python.xml-sax-external-entities",
        "semgrep:gates.python.lxml-external-entities",
    ),
    "assert-check": ("bandit:B101", "semgrep:gates.python.assert-access-control"),
}
EQUIVALENT: Mapping[str, str] = {key: name for name, keys in _CLASSES.items() for key in keys}
_CWE = re.compile(r"CWE-\d+", re.IGNORECASE)


def _key(finding: Finding) -> str:
    return f"{finding.tool}:{finding.rule}"


def _cwes(finding: Finding) -> frozenset[str]:
    return frozenset(c.upper() for c in _CWE.findall(finding.extra.get("cwe", "")))


def _overlap(a: Finding, b: Finding) -> bool:
    if a.path != b.path or not a.path or a.line is None or b.line is None:
        return False
    return a.line <= (b.end_line or b.line) and b.line <= (a.end_line or a.line)


def _mergeable(finding: Finding) -> bool:
    """Only findings at a line that name an issue (table entry or CWE) can have duplicates."""
    if not finding.path or finding.line is None:
        return False
    return _key(finding) in EQUIVALENT or bool(_cwes(finding))


def same_issue(a: Finding, b: Finding) -> bool:
    """Different tools, same place, same issue (table first, CWE otherwise)."""
    if a.tool == b.tool or not _overlap(a, b):
        return False
    class_a, class_b = EQUIVALENT.get(_key(a)), EQUIVALENT.get(_key(b))
    if class_a and class_b:
        return class_a == class_b
    return bool(_cwes(a) & _cwes(b))


def merge_duplicates(results: Sequence[GateResult]) -> tuple[GateResult, ...]:
    """The gate results with cross-tool duplicates merged into one finding each."""
    entries = [
        (gate_index, index, finding, result.fail_on)
        for gate_index, result in enumerate(results)
        for index, finding in enumerate(result.findings)
    ]
    by_path: dict[str, list[tuple[int, int, Finding, str]]] = {}
    for entry in sorted(entries, key=lambda e: _rank(e[2], e[3], e[0])):
        if _mergeable(entry[2]):
            by_path.setdefault(entry[2].path, []).append(entry)
    absorbed: set[tuple[int, int]] = set()
    also: dict[tuple[int, int], list[str]] = {}
    for ranked in by_path.values():
        _merge_file(ranked, absorbed, also)
    if not absorbed:
        return tuple(results)
    return tuple(
        _rebuild(gate_index, result, absorbed, also) for gate_index, result in enumerate(results)
    )


def _merge_file(
    ranked: Sequence[tuple[int, int, Finding, str]],
    absorbed: set[tuple[int, int]],
    also: dict[tuple[int, int], list[str]],
) -> None:
    """Within one file, let each finding (best first) absorb one same-issue finding per tool."""
    for at, (gate_index, index, kept, _) in enumerate(ranked):
        if (gate_index, index) in absorbed:
            continue
        tools = {kept.tool}
        for other_gate, other_index, other, _ in ranked[at + 1 :]:  # only lower-ranked ones
            position = (other_gate, other_index)
            if position in absorbed or other.tool in tools:
                continue
            if same_issue(kept, other):
                absorbed.add(position)
                tools.add(other.tool)
                also.setdefault((gate_index, index), []).append(_key(other))


def _rank(finding: Finding, fail_on: str, gate_index: int) -> tuple[int, int, int, int]:
    return (
        0 if finding.blocks(fail_on) else 1,
        0 if finding.suppressed is None else 1,
        -finding.severity.rank,
        gate_index,
    )


def _rebuild(
    gate_index: int,
    result: GateResult,
    absorbed: set[tuple[int, int]],
    also: Mapping[tuple[int, int], list[str]],
) -> GateResult:
    findings: list[Finding] = []
    lost = 0
    for index, finding in enumerate(result.findings):
        if (gate_index, index) in absorbed:
            lost += 1
            continue
        others = also.get((gate_index, index))
        if others:
            joined = ", ".join(filter(None, [finding.extra.get("also_reported_by"), *others]))
            finding = finding.replace(extra={**finding.extra, "also_reported_by": joined})
        findings.append(finding)
    if not lost and not any(g == gate_index for g, _ in also):
        return result
    status = result.status
    if status in (Status.PASS, Status.FAIL):
        status = decide_status(tuple(findings), result.fail_on)
    metrics = dict(result.metrics)
    if lost:
        metrics[DUPLICATES_MERGED] = lost
    return replace(result, findings=tuple(findings), status=status, metrics=metrics)
