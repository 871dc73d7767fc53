"""What a person can do next, as plain command lines: the fix a tool offers for a failing gate,
the inline suppression, and the one command that runs the same gates again locally.

Shared by the Markdown comment and the terminal; each escapes the text for where it goes.
File names are untrusted: they are shell-quoted here, so a hint can be pasted as it is.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gates.model import STAGE_ORDER, GateResult, Report

MAX_HINT_FILES = 3  # more files than this: the hint names none (the tool then checks them all)
# A revision or gate name placed in a command unquoted: a sha, a ref, a registry name.
_PLAIN_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def fix_hints(gate: GateResult) -> list[str]:
    """The commands that fix a failing gate's blocking findings, where its tool has one."""
    blocking = [f for f in gate.findings if f.blocks(gate.fail_on)]
    fixable = [f.path for f in blocking if f.tool == "ruff" and f.extra.get("fixable") == "yes"]
    unformatted = [f.path for f in blocking if f.tool == "ruff" and f.rule == "format"]
    hints = []
    if fixable:
        hints.append(_with_files("ruff check --fix", fixable))
    if unformatted:
        hints.append(_with_files("ruff format", unformatted))
    return hints


def _with_files(command: str, paths: Sequence[str]) -> str:
    unique = sorted(set(paths))
    if len(unique) > MAX_HINT_FILES or not all(unique):
        return command
    return " ".join([command, *(shlex.quote(p) for p in unique)])


def suppression_hint(rule: str) -> str:
    """How to accept a finding on purpose, with the rule id of one that blocks."""
    name = rule if _PLAIN_WORD.match(rule) else "RULE"
    return (
        f"To accept one on purpose, add `# gates: ignore[{name}] why it is fine` "
        "on its line or the line above."
    )


@dataclass(frozen=True)
class KnownGates:
    """Every gate this version knows, by stage; `opt_in` ones run only where configured, so a
    stage counts as whole without them."""

    stages: Mapping[str, str]  # gate name -> stage name
    opt_in: frozenset[str] = frozenset()


def reproduce_command(report: Report, known: KnownGates | None = None) -> str:
    """`python -m gates run --base SHA --head SHA [--stages ...] [--new ...]`: the same
    revisions and the same gates as this report (`known`: the registry's, by default, to tell
    a whole stage from a selection of its gates)."""
    argv = ["python", "-m", "gates", "run"]
    if report.diff.base and _PLAIN_WORD.match(report.diff.base):
        argv += ["--base", report.diff.base]
    if _PLAIN_WORD.match(report.diff.head):
        argv += ["--head", report.diff.head]
    selection = _selection(report, known or _registry())
    if selection:
        argv += ["--stages", ",".join(selection)]
    if report.new_mode != "lines" and _PLAIN_WORD.match(report.new_mode):
        argv += ["--new", report.new_mode]
    if any(n.rule == "config-changed" for n in report.notices):
        argv += ["--config-from", "base"]
    return " ".join(argv)


def _selection(report: Report, known: KnownGates) -> list[str]:
    """The `--stages` list that runs the report's gates: a stage's name where every gate of it
    that is not opt-in ran, else the gates' names; empty when every stage ran whole. A gate
    this version does not know is left out: `--stages` would refuse it."""
    ran = {g.name for g in report.gates}
    chosen: list[str] = []
    whole = True
    for stage in STAGE_ORDER:
        members = {name for name, s in known.stages.items() if s == stage.value}
        if members - known.opt_in <= ran and members & ran:
            chosen.append(stage.value)
            continue
        whole = whole and not members - known.opt_in
        chosen += sorted(members & ran)
    return [] if whole else chosen


def _registry() -> KnownGates:
    from gates.gate import traits_of
    from gates.registry import REGISTRY

    return KnownGates(
        {name: gate.stage.value for name, gate in REGISTRY.items()},
        frozenset(name for name, gate in REGISTRY.items() if traits_of(gate).opt_in),
    )
