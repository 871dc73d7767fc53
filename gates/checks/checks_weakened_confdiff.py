"""Base against head for configuration: coverage thresholds, pytest deselections, lint and
type-checking rules. Each compares the side's effective settings, so a setting moved between
files (setup.cfg to pyproject.toml, a workflow flag into addopts) is not a change."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from gates.checks.checks_weakened_args import deselections
from gates.checks.checks_weakened_commands import TESTS
from gates.checks.checks_weakened_config import SideConfig
from gates.checks.checks_weakened_pyright import pyright_loosened
from gates.checks.checks_weakened_report import (
    COVERAGE_LOWERED,
    LINT_LOOSENED,
    TESTS_DESELECTED,
    TYPES_LOOSENED,
    finding,
)
from gates.checks.checks_weakened_rules import (
    Located,
    lint_loosened,
    lint_rules,
    paths_added,
    type_rules,
    types_loosened,
)
from gates.checks.checks_weakened_step import ACTIVE, CheckStep
from gates.checks.checks_weakened_stepdiff import counterpart, covers
from gates.model import Finding, Severity

_WORD = re.compile(r"[A-Za-z_][\w.:/\[\]-]*")


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def config_thresholds(side: SideConfig) -> list[tuple[str, float, Located]]:
    """The coverage floors a side's config sets: fail_under and addopts' --cov-fail-under."""
    out = []
    if side.coverage is not None and (value := _number(side.coverage.value)) is not None:
        out.append(("fail_under", value, side.coverage))
    if side.addopts is not None:
        found = [
            _number(v.split("=", 1)[1])
            for v in side.addopts.value
            if v.startswith("--cov-fail-under=")
        ]
        if found and found[-1] is not None:
            out.append(("--cov-fail-under in addopts", found[-1], side.addopts))
    return out


def floor(side: SideConfig) -> float | None:
    values = [value for _, value, _ in config_thresholds(side)]
    return max(values) if values else None


def coverage_findings(base: SideConfig, head: SideConfig) -> Iterator[Finding]:
    after = {label: (value, where) for label, value, where in config_thresholds(head)}
    elsewhere = [v for v in (floor(head),) if v is not None]
    elsewhere += [s.invocation.threshold for s in head.steps if s.invocation.threshold is not None]
    for label, was, where in config_thresholds(base):
        now = after.get(label)
        if now is not None and now[0] < was:
            yield finding(
                COVERAGE_LOWERED, now[1].path, now[1].line,
                f"coverage {label} lowered in {now[1].path}: {was:g} at base, {now[0]:g} at head",
            )  # fmt: skip
        elif now is None and not any(v >= was for v in elsewhere):
            yield finding(
                COVERAGE_LOWERED, where.path, None,
                f"coverage {label} = {was:g} at base ({where.path}) removed; no threshold as "
                f"high is set at head",
            )  # fmt: skip


def omit_findings(base: SideConfig, head: SideConfig) -> Iterator[Finding]:
    """Source files newly omitted from coverage no longer count toward its floor (tests,
    conftest, a generated `_version.py` or a `__main__.py` are not the code under test)."""
    if base.omit is None or head.omit is None:
        return
    added = [p for p in paths_added(base.omit.value, head.omit.value) if not _NOT_SOURCE.search(p)]
    if added:
        where = head.omit
        yield finding(
            COVERAGE_LOWERED, where.path, where.line,
            f"coverage omit in {where.path} gained {', '.join(added)}: that code no longer "
            f"counts toward the coverage floor",
        )  # fmt: skip


_NOT_SOURCE = re.compile(r"test|conftest|_version\.py|__main__\.py")  # tests, generated, entry


# --- deselected tests ------------------------------------------------------------------------


def _addopts_items(side: SideConfig) -> frozenset[str]:
    return deselections(side.addopts.value) if side.addopts is not None else frozenset()


def _names(expr: str) -> set[str]:
    return {w for w in _WORD.findall(expr) if w not in ("and", "or", "not")}


def _selects(step: CheckStep, item: str) -> bool:
    """Whether a step positively runs what the deselection `item` leaves out."""
    kind, _, value = item.partition(":")
    if kind in ("ignore", "deselect"):
        target = value.split("::", 1)[0]
        return any(target == t or target.startswith(t + "/") for t in step.invocation.targets)
    flag = f"-{kind}"
    args = step.invocation.args
    exprs = [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag]
    return any("not" not in e and _names(e) & _names(value) for e in exprs)


def deselection_findings(base: SideConfig, head: SideConfig) -> Iterator[Finding]:
    """Tests left out at head that nothing left out at base, and that no other head step runs."""
    known = _addopts_items(base) | {i for s in base.steps for i in s.invocation.deselects}
    # `-m "not property"` for a marker the PR registers leaves out tests the PR adds: opt-in
    # new tests, not old tests taken out.
    new_markers = head.markers - base.markers
    known |= {
        item
        for item in _addopts_items(head) | {i for s in head.steps for i in s.invocation.deselects}
        if item.startswith("m:") and _names(item[2:]) <= new_markers
    }
    runners = [s for s in head.steps if s.kind == TESTS and s.state == ACTIVE]
    for item in sorted(_addopts_items(head) - known):
        if head.addopts is not None and not any(_selects(s, item) for s in runners):
            where = head.addopts
            yield finding(
                TESTS_DESELECTED, where.path, where.line,
                f"pytest addopts in {where.path} leave out {_describe(item)} at head; not at base",
            )  # fmt: skip
    for step in runners:
        twin = counterpart(step, base.steps)
        if twin is None:
            continue  # a new step: what it leaves out was never run by it
        yield from _narrowed_to(step, twin, runners)
        for item in sorted(step.invocation.deselects - known):
            others = [s for s in runners if s is not step and item not in s.invocation.deselects]
            if not any(_selects(s, item) for s in others):
                yield finding(
                    TESTS_DESELECTED, step.path, step.line,
                    f"`{step.command}` ({step.label}) leaves out {_describe(item)} at head; "
                    f"not at base",
                )  # fmt: skip


def _narrowed_to(step: CheckStep, twin: CheckStep, runners: list[CheckStep]) -> Iterator[Finding]:
    """`-k login` / `-m smoke` added to a step that ran every test: only those run now,
    unless another step runs the rest (no selector, or the same names with `not`)."""
    for item in sorted(step.invocation.selects - twin.invocation.selects):
        names = _names(item[2:])
        others = [
            s
            for s in runners
            if s is not step and covers(s.invocation.targets, step.invocation.targets)
        ]
        if any(_runs_rest(s, item[0], names) for s in others):
            continue
        yield finding(
            TESTS_DESELECTED, step.path, step.line,
            f"`{step.command}` ({step.label}) runs only {_describe(item)} at head; every "
            f"test at base",
        )  # fmt: skip


def _runs_rest(step: CheckStep, flag: str, names: set[str]) -> bool:
    if not any(i.startswith(f"{flag}:") for i in step.invocation.selects):
        return True
    return any(
        i.startswith(f"{flag}:") and _names(i[2:]) & names for i in step.invocation.deselects
    )


def _describe(item: str) -> str:
    kind, _, value = item.partition(":")
    return {
        "ignore": f"--ignore={value}",
        "deselect": f"--deselect {value}",
        "k": f"-k '{value}'",
        "m": f"-m '{value}'",
    }[kind]


# --- lint and type rules ---------------------------------------------------------------------


def lint_findings(base: SideConfig, head: SideConfig) -> Iterator[Finding]:
    for tool, other in (("ruff", "flake8"), ("flake8", "ruff")):
        before, after = getattr(base, tool), getattr(head, tool)
        if before is None or (after is None and getattr(head, other) is not None):
            continue  # not configured at base, or replaced by the other linter
        after = after or lint_rules(tool, Located({}, before.path))
        changes = lint_loosened(before, after)
        upgraded = tool == "ruff" and _new_rules_enabled(base, head)
        if changes and upgraded and all(c.startswith(_IGNORE_PHRASES) for c in changes):
            yield finding(
                LINT_LOOSENED, after.path, after.line,
                f"{tool} rules ignored in {after.path}: {'; '.join(changes)} (ruff raised from "
                f"{_dotted(base.ruff_pin)} to {_dotted(head.ruff_pin)} with select ALL: "
                "likely rules the new ruff adds)",
                Severity.NOTE,
            )  # fmt: skip
        elif changes:
            yield finding(
                LINT_LOOSENED, after.path, after.line,
                f"{tool} rules loosened in {after.path}: {'; '.join(changes)}",
            )  # fmt: skip


_IGNORE_PHRASES = ("ignore gained ", "per-file-ignores for ")


def _new_rules_enabled(base: SideConfig, head: SideConfig) -> bool:
    """Whether the PR raises the ruff pin while both sides select ALL: the new ruff's rules
    are then switched on by the upgrade itself, and ignoring some keeps the lint as it was."""
    if base.ruff is None or head.ruff is None or base.ruff_pin is None or head.ruff_pin is None:
        return False
    return head.ruff_pin > base.ruff_pin and all(
        "ALL" in side.select for side in (base.ruff, head.ruff)
    )


def _dotted(version: tuple[int, ...] | None) -> str:
    return ".".join(map(str, version or ()))


def type_findings(base: SideConfig, head: SideConfig) -> Iterator[Finding]:
    if base.mypy is None:
        return
    after = head.mypy or type_rules(Located({}, base.mypy.path))
    changes = types_loosened(base.mypy, after)
    if changes:
        yield finding(
            TYPES_LOOSENED, after.path, after.line,
            f"mypy checks loosened in {after.path}: {'; '.join(changes)}",
        )  # fmt: skip


def pyright_findings(base: SideConfig, head: SideConfig) -> Iterator[Finding]:
    if base.pyright is None or head.pyright is None:
        return  # not configured at base, or dropped (mypy may have replaced it)
    changes = pyright_loosened(base.pyright, head.pyright)
    if changes:
        where = head.pyright
        yield finding(
            TYPES_LOOSENED, where.path, where.line,
            f"pyright checks loosened in {where.path}: {'; '.join(changes)}",
        )  # fmt: skip


def config_findings(base: SideConfig, head: SideConfig) -> Sequence[Finding]:
    return [
        *coverage_findings(base, head),
        *omit_findings(base, head),
        *deselection_findings(base, head),
        *lint_findings(base, head),
        *type_findings(base, head),
        *pyright_findings(base, head),
    ]
