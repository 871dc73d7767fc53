"""One check run by one step of a file, and how a command line becomes such steps.

A step is `active` when its failure fails the run, `disabled` when it never runs on a pull
request (`if: false`, a manual-only hook, a workflow without a PR trigger, `session.skip()`,
`pytest --collect-only`), `ignored` when it runs but its failure is swallowed
(`continue-on-error`, `|| true`, a `-` recipe prefix, `ignore_outcome`, `success_codes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from gates.checks.checks_weakened_commands import Invocation, invocations
from gates.checks.checks_weakened_shell import Command, parse_script

ACTIVE, DISABLED, IGNORED = "active", "disabled", "ignored"


@dataclass(frozen=True)
class CheckStep:
    """One check run by one step, on one side of the PR."""

    invocation: Invocation
    label: str  # where in its file: "test/Run tests", "testenv:lint", "hook:mypy"
    path: str
    line: int | None
    state: str = ACTIVE
    why: str = ""  # what disables or ignores it

    @property
    def kind(self) -> str:
        return self.invocation.kind

    @property
    def command(self) -> str:
        inv = self.invocation
        return (inv.shown or " ".join((inv.tool, *inv.args)))[:120]


def script_steps(path: str, label: str, first: int | None, script: str) -> Iterator[CheckStep]:
    for command in parse_script(script):
        line = first + command.line if first is not None else None
        yield from command_steps(path, label, line, command)


def command_steps(path: str, label: str, line: int | None, command: Command) -> Iterator[CheckStep]:
    for inv in invocations(command.argv):
        state = IGNORED if command.ignored or "--exit-zero" in inv.options else ACTIVE
        why = command.ignored or ("--exit-zero" if state == IGNORED else "")
        if "--collect-only" in inv.options:
            state, why = DISABLED, "--collect-only (lists the tests, runs none)"
        yield CheckStep(inv, label, path, line, state, why)


def worst(step: CheckStep, state: str, why: str) -> CheckStep:
    """A step inside a disabled job is disabled, whatever the step itself says."""
    order = {ACTIVE: 0, IGNORED: 1, DISABLED: 2}
    if order[state] > order[step.state]:
        return replace(step, state=state, why=why)
    return step


def distinct(steps: Iterable[CheckStep]) -> list[CheckStep]:
    """One step per check: matrix variants that run the same check count once."""
    seen: dict[tuple[object, ...], CheckStep] = {}
    for step in steps:
        inv = step.invocation
        seen.setdefault((inv.kind, inv.tool, inv.targets, inv.options, step.state), step)
    return list(seen.values())
