"""checks-weakened: a PR that makes CI green by weakening the checks instead of the code.

Compares the PR's config and CI files at base and head: coverage thresholds lowered, lint and
type rules loosened, gates reconfigured, check steps removed, disabled or made non-blocking,
tests deselected; and counts the suppression comments it adds to Python files. Each file kind
is parsed (TOML, INI, YAML, the Python AST); see the modules `checks_weakened_*`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from gates.checks.changes import ChangeCheckGate, FileChange
from gates.checks.checks_weakened_confdiff import config_findings, floor
from gates.checks.checks_weakened_config import (
    CONFIG_NAMES,
    SideConfig,
    parse_error,
    pyproject_tox,
    read_side,
)
from gates.checks.checks_weakened_gatescfg import gates_findings
from gates.checks.checks_weakened_report import (
    CONFIG_UNPARSED,
    GATE,
    RULES,
    SUPPRESSIONS_ADDED,
    finding,
)
from gates.checks.checks_weakened_ruffpin import ruff_pin
from gates.checks.checks_weakened_rules import STRICT_FLAGS, normalise_pattern
from gates.checks.checks_weakened_step import CheckStep
from gates.checks.checks_weakened_stepdiff import compare_steps
from gates.checks.checks_weakened_suppressions import Marker, describe, new_markers
from gates.gate import Option
from gates.model import Finding, Severity, Stage

_CI_NAMES = frozenset(
    {"Makefile", "noxfile.py", ".pre-commit-config.yaml", "action.yml", "action.yaml"}
)


def _at_least_one(value: object) -> str | None:
    return None if isinstance(value, int) and value >= 1 else "must be 1 or more"


def is_config_or_ci(path: str) -> bool:
    """Workflows, actions (`action.yml` anywhere) and the root's config and task files (a
    `docs/Makefile` builds documentation, it runs no check)."""
    name = path.rsplit("/", 1)[-1]
    if path.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")):
        return True
    if name in ("action.yml", "action.yaml"):
        return True
    return "/" not in path and (name in _CI_NAMES or name in CONFIG_NAMES or name.endswith(".mk"))


def _entry_point(path: str) -> bool:
    return path.startswith(".github/workflows/") or path.endswith(("action.yml", "action.yaml"))


class ChecksWeakenedGate(ChangeCheckGate):
    """Warns when a PR lowers a threshold, loosens a rule or stops a check from blocking."""

    name = GATE
    stage = Stage.INTEGRITY
    traits = replace(ChangeCheckGate.traits, rules=RULES)
    description = "checks weakened: thresholds lowered, rules loosened, CI steps removed or ignored"
    options: Mapping[str, Option] = {
        "max_new_suppressions": Option(
            int,
            5,
            check=_at_least_one,
            help="new suppression comments in existing files above which they are warnings",
        ),
    }

    def wants(self, path: str) -> bool:
        return path.endswith(".py") or is_config_or_ci(path)

    def scan_changes(
        self, changes: Sequence[FileChange], options: Mapping[str, object]
    ) -> list[Finding]:
        config = [c for c in changes if is_config_or_ci(c.path) or is_config_or_ci(c.old_path)]
        broken = [(c, _unparsed(c)) for c in config]
        findings = [_broken_finding(c, why) for c, why in broken if why]
        config = [c for c, why in broken if not why]
        base = _side([(c.old_path, c.base) for c in config])
        head = _side([(c.path, c.head) for c in config])
        base.steps = _follow_renames(base.steps, changes)
        base.ruff_pin = ruff_pin([(c.old_path, c.base) for c in changes])
        head.ruff_pin = ruff_pin([(c.path, c.head) for c in changes])
        _drop_fresh_exclusions(head, _fresh_paths(changes), _fresh_modules(changes))
        # A task file deleted whole (Makefile, tox.ini, noxfile.py, pre-commit config) breaks
        # whatever still calls it, loudly; only a workflow or action deleted stops checks quietly.
        gone = {c.old_path for c in config if c.deleted and not _entry_point(c.old_path)}
        steps = [
            f
            for f in compare_steps(base.steps, head.steps, floor(head), _strict(head))
            if f.path not in gone
        ]
        findings += [
            *steps,
            *config_findings(base, head),
            *gates_findings(base.gates, head.gates, _text_of(changes, head)),
        ]
        findings.extend(_suppressions(changes, options, _newly_enforced(base, head)))
        return sorted(findings, key=lambda f: (f.path, f.line or 0, f.rule))


def _strict(side: SideConfig) -> bool:
    return side.mypy is not None and all(side.mypy.flags.get(f) for f in STRICT_FLAGS)


def _follow_renames(steps: list[CheckStep], changes: Sequence[FileChange]) -> list[CheckStep]:
    """Base steps with the paths they ran on renamed as the PR renamed them, so `mypy
    old.py` -> `mypy new.py` after `git mv old.py new.py` is the same step."""
    renames = {c.base_path: c.path for c in changes if c.base_path}
    if not renames:
        return steps
    out = []
    for step in steps:
        targets = tuple(sorted(renames.get(t, t) for t in step.invocation.targets))
        out.append(replace(step, invocation=replace(step.invocation, targets=targets)))
    return out


def _fresh_paths(changes: Sequence[FileChange]) -> Callable[[str], bool]:
    """Whether an exclude/omit entry names only files the PR adds (or renames into place):
    keeping a new example or generated file out of a check weakens nothing that ran."""
    touched = [c.path for c in changes if c.head is not None]
    fresh = {c.path for c in changes if c.head is not None and (c.base is None or c.base_path)}

    def test(entry: str) -> bool:
        literal = normalise_pattern(entry.replace("\\", "").strip("^$"))
        if not literal:
            return False
        under = [p for p in touched if p == literal or p.startswith(literal.rstrip("/") + "/")]
        return bool(under) and all(p in fresh for p in under)

    return test


def _fresh_modules(changes: Sequence[FileChange]) -> Callable[[str], bool]:
    """Whether a mypy override's module pattern (`tests.test_bench.*`) names only modules the
    PR adds: a new module's looser settings loosen nothing that was checked."""
    touched = [c.path.removesuffix(".py") for c in changes if c.head is not None]
    fresh = {
        c.path.removesuffix(".py")
        for c in changes
        if c.head is not None and (c.base is None or c.base_path)
    }

    def test(module: str) -> bool:
        stem = module.removesuffix(".*").replace(".", "/")
        under = [p for p in touched if p.endswith(stem) or f"/{stem}/" in f"/{p}"]
        return bool(stem) and bool(under) and all(p in fresh for p in under)

    return test


def _drop_fresh_exclusions(
    side: SideConfig, fresh: Callable[[str], bool], fresh_module: Callable[[str], bool]
) -> None:
    """The head side without exclusions, per-file ignores and mypy overrides that concern
    only the PR's own new files (see `_fresh_paths`): new code is reviewed as new code."""
    for tool in ("ruff", "flake8"):
        rules = getattr(side, tool)
        if rules is not None:
            kept = frozenset(e for e in rules.exclude if not fresh(e))
            per_file = {p: codes for p, codes in rules.per_file.items() if not fresh(p)}
            setattr(side, tool, replace(rules, exclude=kept, per_file=per_file))
    if side.mypy is not None:
        overrides = {m: t for m, t in side.mypy.overrides.items() if not fresh_module(m)}
        excluded = frozenset(e for e in side.mypy.exclude if not fresh(e))
        side.mypy = replace(side.mypy, exclude=excluded, overrides=overrides)
    if side.omit is not None:
        side.omit = replace(side.omit, value=frozenset(e for e in side.omit.value if not fresh(e)))
    side.steps = [_without_fresh_options(step, fresh) for step in side.steps]


def _without_fresh_options(step: CheckStep, fresh: Callable[[str], bool]) -> CheckStep:
    inv = step.invocation
    kept = frozenset(
        o for o in inv.options if not (o.startswith("--exclude=") and fresh(o.split("=", 1)[1]))
    )
    return step if kept == inv.options else replace(step, invocation=replace(inv, options=kept))


def _unparsed(change: FileChange) -> str:
    """Why the head of a file that parsed at base does not parse: its settings are unknown,
    so the file is left out of the comparison rather than read as empty."""
    if change.head is None or change.base is None or parse_error(change.old_path, change.base):
        return ""
    return parse_error(change.path, change.head) or ""


def _broken_finding(change: FileChange, why: str) -> Finding:
    return finding(
        CONFIG_UNPARSED,
        change.path,
        None,
        f"{change.path} parses at base but not at head ({why}); its checks were not compared",
        Severity.NOTE,
    )


def _side(files: list[tuple[str, str | None]]) -> SideConfig:
    present = [(path, text) for path, text in files if text is not None]
    side = read_side(present)
    for path, text in present:
        if path == "pyproject.toml":
            side.steps.extend(pyproject_tox(path, text))
    return side


def _text_of(changes: Sequence[FileChange], side: SideConfig) -> str | None:
    if side.gates is None:
        return None
    return next((c.head for c in changes if c.path == side.gates.path), None)


def _newly_enforced(base: SideConfig, head: SideConfig) -> Callable[[Marker], bool]:
    """Whether a `# noqa: CODE` silences a rule the PR itself turns on: adopting a rule set
    with a few existing violations marked is a tightening, not a suppression to report."""
    pairs = [(b, h) for b, h in ((base.ruff, head.ruff), (base.flake8, head.flake8)) if b and h]

    def check(marker: Marker) -> bool:
        kind, codes = marker
        if kind != "noqa" or not codes:
            return False
        wanted = [c for c in re.split(r"[,\s]+", codes) if c]
        return any(all(h.enforces(c) and not b.enforces(c) for c in wanted) for b, h in pairs)

    return check


def _suppressions(
    changes: Sequence[FileChange], options: Mapping[str, object], expected: Callable[[Marker], bool]
) -> list[Finding]:
    """One finding per file with new suppression comments. They are notes; they become
    warnings when the PR adds more than `max_new_suppressions` to files that existed at base
    (silencing old code that now fails is the weakening; a new module's markers are new code,
    reviewed as such)."""
    files = [(c.path, c.base, c.head) for c in changes]  # .py, config and CI files
    added = {
        path: kept
        for path, found in new_markers(files).items()
        if (kept := [(line, m) for line, m in found if not expected(m)])
    }
    existing = {c.path for c in changes if c.base is not None}
    total = sum(len(found) for path, found in added.items() if path in existing)
    limit = options.get("max_new_suppressions", 5)
    many = isinstance(limit, int) and total > limit
    return [
        _suppression_finding(
            path,
            found,
            path in existing,
            many,
            f"; {total} in files that existed at base, more than max_new_suppressions {limit}",
        )
        for path, found in added.items()
    ]


def _suppression_finding(
    path: str, found: list[tuple[int, Marker]], existed: bool, many: bool, why: str
) -> Finding:
    blocking = many and existed
    return finding(
        SUPPRESSIONS_ADDED,
        path,
        found[0][0],
        f"{len(found)} suppression comment{'s' if len(found) > 1 else ''} added to {path} "
        f"({'file changed' if existed else 'new file'}): {describe(found)}"
        + (why if blocking else ""),
        Severity.WARNING if blocking else Severity.NOTE,
    )
