"""Base against head for gates' own configuration (.gates.toml or [tool.gates]).

A PR that cannot pass gates can also reconfigure them: disable a gate, drop a stage, raise a
`fail_on` so nothing blocks, exclude the files that fail, or lower the coverage gate's floors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from gates.checks.checks_weakened_config import line_of
from gates.checks.checks_weakened_report import COVERAGE_LOWERED, GATES_LOOSENED, finding
from gates.checks.checks_weakened_rules import Located, normalise_pattern
from gates.checks.checks_weakened_stepdiff import FAIL_ON_RANK
from gates.model import STAGE_ORDER, Finding

_STAGES = tuple(s.value for s in STAGE_ORDER)
# The coverage gate's floors: (key, default, True when a higher value is stricter).
_COVERAGE_KEYS = (("min_total", None, True), ("min_diff", 85.0, True), ("max_drop", 0.0, False))

Where = Callable[[str], int | None]


def _default_fail_on(gate: str) -> str | None:
    """A gate's own default `fail_on` (what a removed key falls back to); None if unknown."""
    from gates.registry import REGISTRY  # the registry imports this gate: load it on use

    found = REGISTRY.get(gate)
    return str(found.default_fail_on) if found is not None else None


def gates_findings(
    base: Located | None, head: Located | None, head_text: str | None
) -> Iterator[Finding]:
    if base is None or not isinstance(base.value, dict):
        return
    after: Mapping[str, Any] = (
        head.value if head is not None and isinstance(head.value, dict) else {}
    )
    path = head.path if head is not None else base.path

    def where(key: str) -> int | None:
        return line_of(head_text, key)

    changes = list(_global_changes(base.value, after))
    for name in sorted(set(base.value) | set(after)):
        before_table, after_table = base.value.get(name), after.get(name)
        if isinstance(before_table, dict) or isinstance(after_table, dict):
            changes.extend(_table_changes(name, _dict(before_table), _dict(after_table)))
    for rule, key, text in changes:
        yield finding(rule, path, where(key), f"gates config in {path}: {text}")


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _global_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[tuple[str, str, str]]:
    was = before.get("stages", list(_STAGES))
    now = after.get("stages", list(_STAGES))
    lost = (
        [s for s in was if s not in now] if isinstance(was, list) and isinstance(now, list) else []
    )
    if lost:
        yield GATES_LOOSENED, "stages", f"stages {', '.join(map(str, lost))} no longer run"
    yield from _excluded(before, after, "", "exclude")


def _excluded(
    before: Mapping[str, Any], after: Mapping[str, Any], owner: str, key: str
) -> Iterator[tuple[str, str, str]]:
    was, now = before.get(key, []), after.get(key, [])
    if not isinstance(was, list) or not isinstance(now, list):
        return
    # A new pattern inside one the base already excluded narrows nothing (stripe_events/**
    # -> stripe_events/redacted/**); the literal part of each pattern decides.
    kept = [normalise_pattern(str(p)) for p in was]
    added = [str(p) for p in now if p not in was and not _inside(normalise_pattern(str(p)), kept)]
    if added:
        scope = f"[{owner}] " if owner else ""
        yield GATES_LOOSENED, key, f"{scope}exclude gained {', '.join(added)}"


def _inside(pattern: str, patterns: list[str]) -> bool:
    return any(pattern == p or pattern.startswith(p.rstrip("/") + "/") for p in patterns if p)


def _table_changes(
    name: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[tuple[str, str, str]]:
    if before.get("enabled", True) is not False and after.get("enabled", True) is False:
        yield GATES_LOOSENED, "enabled", f"[{name}] enabled = false at head"
    yield from _fail_on(name, before, after)
    yield from _excluded(before, after, name, "exclude")
    if name == "coverage":
        yield from _coverage_floors(before, after)


def _fail_on(
    name: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[tuple[str, str, str]]:
    default = None if name in _STAGES else _default_fail_on(name)
    was, now = before.get("fail_on", default), after.get("fail_on", default)
    before_rank, after_rank = _rank(was), _rank(now)
    if before_rank is not None and after_rank is not None and after_rank > before_rank:
        yield GATES_LOOSENED, "fail_on", f"[{name}] fail_on raised from {was} to {now}"


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rank(value: object) -> int | None:
    """A `fail_on` value's rank; None for anything gates would refuse (its config check
    reports that, not this gate)."""
    return FAIL_ON_RANK.get(value) if isinstance(value, str) else None


def _coverage_floors(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[tuple[str, str, str]]:
    for key, default, higher_is_stricter in _COVERAGE_KEYS:
        was, now = before.get(key, default), after.get(key, default)
        if not _number(was):
            continue
        if not _number(now):
            yield COVERAGE_LOWERED, key, f"[coverage] {key} = {was:g} at base, unset at head"
        elif (now < was) if higher_is_stricter else (now > was):
            yield COVERAGE_LOWERED, key, f"[coverage] {key} {was:g} at base, {now:g} at head"
