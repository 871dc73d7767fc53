"""Base against head for check steps: removed, disabled, failure ignored, tests deselected,
flags loosened, coverage thresholds lowered on the command line.

Steps are matched across every touched file, so a job moved to another workflow file, a step
renamed, or flake8 replaced by `ruff check` is not a removal: a base step is fine when its own
head step (same label, else same tool and paths) is still active, or when any active head
step of the same kind runs on the same paths (or on all of them, or on two or more parts).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gates.checks.checks_weakened_commands import COVERAGE_REPORT, GATES, TESTS, TYPES
from gates.checks.checks_weakened_report import (
    COVERAGE_LOWERED,
    FAILURE_IGNORED,
    GATES_LOOSENED,
    LINT_LOOSENED,
    STEP_DISABLED,
    STEP_REMOVED,
    TESTS_DESELECTED,
    TYPES_LOOSENED,
    finding,
)
from gates.checks.checks_weakened_step import ACTIVE, DISABLED, IGNORED, CheckStep
from gates.model import Finding

FAIL_ON_RANK = {"note": 1, "warning": 2, "error": 3, "never": 4}
_STRICTER = frozenset({"--strict"})
_WHOLE_JOB = ("job ", "the workflow")  # a reason that covers every step of a job or file


def covers(head: tuple[str, ...], base: tuple[str, ...]) -> bool:
    """Whether a step on `head` paths runs everything a step on `base` paths ran."""
    if not head:
        return True
    if not base:
        return False
    return all(any(b == h or b.startswith(h + "/") for h in head) for b in base)


def _parts_cover(steps: Sequence[CheckStep], base: CheckStep) -> bool:
    """Two or more head steps on parts of the base step's paths: a split, not a narrowing."""
    if not base.invocation.targets:
        inside = {t for s in steps for t in s.invocation.targets}
        return len(inside) >= 2
    for target in base.invocation.targets:
        parts = {t for s in steps for t in s.invocation.targets if t.startswith(target + "/")}
        if len(parts) < 2:
            return False
    return True


def counterpart(base: CheckStep, head: Sequence[CheckStep]) -> CheckStep | None:
    """The head step that is this base step: same label and kind, else same tool and paths."""
    same_kind = [h for h in head if h.kind == base.kind]
    by_label = [h for h in same_kind if h.label == base.label]
    if by_label:
        return _prefer_active(by_label, base)
    inv = base.invocation
    alike = [
        h
        for h in same_kind
        if h.invocation.tool == inv.tool and h.invocation.targets == inv.targets
    ]
    return _prefer_active(alike, base) if alike else None


def _prefer_active(steps: Sequence[CheckStep], base: CheckStep) -> CheckStep:
    """Of several candidates (two mypy runs in one tox env), the one on the same paths, then
    of the same tool, then active."""
    inv = base.invocation
    return min(
        steps,
        key=lambda s: (
            s.invocation.targets != inv.targets,
            s.invocation.tool != inv.tool,
            s.state != ACTIVE,
        ),
    )


@dataclass(frozen=True)
class _Head:
    """What the head sets outside a step that judging the step needs."""

    floor: float | None  # the highest coverage threshold the head sets anywhere
    strict: bool  # the head's mypy config is strict


def compare_steps(
    base: Sequence[CheckStep],
    head: Sequence[CheckStep],
    floor: float | None = None,
    strict_config: bool = False,
) -> list[Finding]:
    """Findings for every base step that the head removed, disabled or made non-blocking.
    `floor` is the head's configured coverage threshold: a `--cov-fail-under` that moved
    into the coverage config, or onto another command, at the same value or higher is not
    lowered. `strict_config`: the head's mypy config is strict, so `--strict` dropped from a
    command moved into the config."""
    out: list[Finding] = []
    groups: dict[tuple[str, str, str], list[tuple[CheckStep, CheckStep]]] = {}
    active_head = [h for h in head if h.state == ACTIVE]
    best = max(
        [t for t in (floor, *(h.invocation.threshold for h in active_head)) if t is not None],
        default=None,
    )
    for step in (b for b in base if b.state == ACTIVE):
        twin = counterpart(step, head)
        if step.kind == COVERAGE_REPORT:
            out.extend(_report_threshold(step, twin, best))
        elif twin is not None and twin.state != ACTIVE and twin.why.startswith(_WHOLE_JOB):
            groups.setdefault((twin.path, twin.why, twin.state), []).append((step, twin))
        else:
            out.extend(_judge(step, twin, active_head, _Head(best, strict_config)))
    out.extend(_group_finding(pairs) for pairs in groups.values())
    return out


def _report_threshold(
    step: CheckStep, twin: CheckStep | None, best: float | None
) -> Iterator[Finding]:
    """`coverage report --fail-under` is a threshold, not a check: only its value matters,
    wherever the head sets it (another command, the coverage config)."""
    if twin is not None and twin.state == ACTIVE:
        yield from _threshold_changed(step, twin, best)
        return
    was = step.invocation.threshold
    if was is not None and (best is None or best < was):
        yield finding(
            COVERAGE_LOWERED,
            step.path,
            None,
            f"`{step.command}` ({step.label}) removed: coverage floor {was:g} at base, "
            + (f"{best:g} at head" if best is not None else "none at head"),
        )


def _group_finding(pairs: list[tuple[CheckStep, CheckStep]]) -> Finding:
    """One finding for a job or workflow whose every check stopped blocking at once."""
    if len(pairs) == 1:
        return _state_finding(*pairs[0])
    twin = min((t for _, t in pairs), key=lambda t: t.line or 0)
    rule = STEP_DISABLED if twin.state == DISABLED else FAILURE_IGNORED
    verb = "no longer run" if twin.state == DISABLED else "no longer fail the run"
    steps = "; ".join(f"{s.kind}: `{s.command}`" for s, _ in pairs[:4])
    more = f" and {len(pairs) - 4} more" if len(pairs) > 4 else ""
    return finding(
        rule,
        twin.path,
        twin.line,
        f"{len(pairs)} check steps {verb} ({twin.why} at head, blocking at base): {steps}{more}",
    )


def _judge(
    step: CheckStep, twin: CheckStep | None, active: Sequence[CheckStep], facts: _Head
) -> list[Finding]:
    if twin is not None and twin.state in (DISABLED, IGNORED):
        return [_state_finding(step, twin)]
    if (
        twin is not None
        and twin.state == ACTIVE
        and (
            covers(twin.invocation.targets, step.invocation.targets) or not step.invocation.targets
        )
    ):
        # `pytest` -> `pytest tests`: a bare run collects from testpaths or the root, which
        # is usually that folder; only a narrowing of named paths is judged.
        return list(_flags_changed(step, twin, facts))
    kin = [h for h in active if h.kind == step.kind]
    # A bare run (no paths: pytest's testpaths) is kept by any step of its kind on named
    # paths, as with its own twin above; a run on named paths needs them covered.
    if kin and not step.invocation.targets:
        return []
    if any(covers(h.invocation.targets, step.invocation.targets) for h in kin):
        return []
    if _parts_cover(kin, step):
        return []
    if twin is not None:
        return [_narrowed(step, twin)]
    return [_removed(step)]


def _state_finding(step: CheckStep, twin: CheckStep) -> Finding:
    rule = STEP_DISABLED if twin.state == DISABLED else FAILURE_IGNORED
    verb = "no longer runs" if twin.state == DISABLED else "no longer fails the run"
    return finding(
        rule,
        twin.path,
        twin.line,
        f"{step.kind} step `{step.command}` ({twin.label}) {verb}: {twin.why} at head, "
        f"blocking at base",
    )


def _removed(step: CheckStep) -> Finding:
    return finding(
        STEP_REMOVED,
        step.path,
        None,
        f"{step.kind} step `{step.command}` ({step.label}, base line {step.line}) removed; no "
        f"{step.kind} step on the same paths is left in the PR's files",
    )


def _narrowed(step: CheckStep, twin: CheckStep) -> Finding:
    base_paths = ", ".join(step.invocation.targets) or "everything"
    head_paths = ", ".join(twin.invocation.targets)
    rule = TESTS_DESELECTED if step.kind == TESTS else STEP_REMOVED
    return finding(
        rule,
        twin.path,
        twin.line,
        f"{step.kind} step `{twin.command}` ({twin.label}) runs on {head_paths} at head, on "
        f"{base_paths} at base",
    )


def _flags_changed(step: CheckStep, twin: CheckStep, facts: _Head) -> Iterator[Finding]:
    before, after = step.invocation.options, twin.invocation.options
    if step.kind == TYPES:
        # `--strict` moved from the command into a strict mypy config is not lost
        lost = [] if facts.strict else sorted((before & _STRICTER) - after)
        gained = sorted(o for o in after - before if o not in _STRICTER)
        changes = [f"{o} dropped" for o in lost] + [f"{o} added" for o in gained]
        if changes:
            yield _flag_finding(TYPES_LOOSENED, step, twin, changes)
    elif step.kind in ("lint", "format"):
        loosening = ("--ignore", "--extend-ignore", "--exclude", "--extend-exclude")
        gained = sorted(o for o in after - before if o.startswith(loosening))
        if gained:
            yield _flag_finding(LINT_LOOSENED, step, twin, [f"{o} added" for o in gained])
    elif step.kind == GATES:
        changes = _gates_options(before, after)
        if changes:
            yield _flag_finding(GATES_LOOSENED, step, twin, changes)
    yield from _threshold_changed(step, twin, facts.floor)


def _flag_finding(rule: str, step: CheckStep, twin: CheckStep, changes: list[str]) -> Finding:
    return finding(
        rule,
        twin.path,
        twin.line,
        f"`{step.invocation.tool}` ({twin.label}): {'; '.join(changes)} (base `{step.command}`)",
    )


def _option(options: frozenset[str], name: str) -> str | None:
    for option in options:
        if option.startswith(name + "="):
            return option.split("=", 1)[1]
    return None


def _gates_options(before: frozenset[str], after: frozenset[str]) -> list[str]:
    changes = []
    was, now = _option(before, "--fail-on"), _option(after, "--fail-on")
    if was in FAIL_ON_RANK and now in FAIL_ON_RANK and FAIL_ON_RANK[now] > FAIL_ON_RANK[was]:
        changes.append(f"fail-on raised from {was} to {now}")
    stages_was, stages_now = _option(before, "--stages"), _option(after, "--stages")
    if stages_now and stages_now != stages_was:
        old = set(_names(stages_was)) if stages_was else None
        lost = sorted(old - set(_names(stages_now))) if old is not None else []
        if old is None or lost:
            changes.append(
                f"stages limited to {stages_now} (base: {stages_was or 'all configured'})"
            )
    return changes


def _names(value: str) -> list[str]:
    return [n for n in value.replace(",", " ").split() if n]


def _threshold_changed(step: CheckStep, twin: CheckStep, floor: float | None) -> Iterator[Finding]:
    was, now = step.invocation.threshold, twin.invocation.threshold
    if was is None or (now is not None and now >= was):
        return
    if now is None and floor is not None and floor >= was:
        return
    change = f"lowered from {was:g} to {now:g}" if now is not None else f"{was:g} at base, gone"
    yield finding(
        COVERAGE_LOWERED,
        twin.path,
        twin.line,
        f"coverage threshold of `{twin.command}` ({twin.label}) {change}",
    )
