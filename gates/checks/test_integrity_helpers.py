"""Assertions lost from a helper the tests share, judged at the helper.

A test's assertion count includes what its local helpers assert, so one guard dropped from a
helper (`assert args is not None` replaced by an indexing that raises anyway) lowers the count
of every test that calls it. Reported once per test, one edit becomes a dozen findings that all
say the same thing; reported once at the helper, the reviewer reads it where it happened.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from gates.checks.test_integrity_asserts import Checks, Reader, claims_of
from gates.checks.test_integrity_facts import TestFacts
from gates.checks.test_integrity_forms import Spot
from gates.model import Finding, Severity

GATE = "test-integrity"


def helper_losses(base: TestFacts, head: TestFacts, path: str, scale: float) -> list[Finding]:
    """One finding per helper of `head` that asserts less than at base, when those helpers
    explain the whole loss: read with their base bodies, the test checks no less than at
    base. Empty when they do not (the test itself lost checks: that is reported at the test).
    """
    used = _used_helpers(head.node, head.scope.helpers)
    weakened = {
        name: (was, now)
        for name in used & base.scope.helpers.keys()
        if _lower(now := _weight(head, name), was := _weight(base, name))
    }
    if not weakened:
        return []
    frozen = {**head.scope.helpers, **{name: base.scope.helpers[name] for name in weakened}}
    restored = Reader(frozen, head.scope.constants).read(head.node)
    if _lower(_scaled(restored, scale), (base.checks.strength, base.checks.statements)):
        return []
    findings = {name: _finding(base, head, path, name, counts) for name, counts in weakened.items()}
    # A helper that only calls a weakened one lost nothing itself: name the one that did.
    own = [f for name, f in findings.items() if _gone(base, head, name)]
    return own or list(findings.values())


def _gone(base: TestFacts, head: TestFacts, name: str) -> list[Spot]:
    """The assertions of helper `name` at base that its head body no longer has."""
    kept = {spot.text for spot in claims_of(head.scope.helpers[name])}
    return [s for s in claims_of(base.scope.helpers[name]) if s.text not in kept]


def _weight(test: TestFacts, name: str) -> tuple[int, int]:
    return Reader(test.scope.helpers, test.scope.constants).helper_weight(name)


def _scaled(checks: Checks, scale: float) -> tuple[float, float]:
    return checks.strength * scale, checks.statements * scale


def _lower(now: tuple[float, float], was: tuple[float, float]) -> bool:
    return now[0] < was[0] or now[1] < was[1]


def _used_helpers(node: ast.AST, helpers: Mapping[str, ast.AST]) -> set[str]:
    """Helpers the test calls, and the helpers those call."""
    seen: set[str] = set()
    todo = [node]
    while todo:
        for child in ast.walk(todo.pop()):
            name = _name(child)
            if name in helpers and name not in seen:
                seen.add(name)
                todo.append(helpers[name])
    return seen


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _finding(
    base: TestFacts, head: TestFacts, path: str, name: str, counts: tuple[tuple[int, int], ...]
) -> Finding:
    (was, _), (now, _) = counts
    gone = _gone(base, head, name)
    detail = f"; gone: {gone[0].label}" if gone else ""
    message = (
        f"helper {name} in {path} checks less: {was} assertions at base, {now} at head{detail}"
        " (every test that calls it checks less)"
    )
    line = getattr(head.scope.helpers[name], "lineno", None)
    return Finding(GATE, "gates", "assertion-removed", Severity.WARNING, path, message, line=line)
