"""test-integrity: a PR must not make CI green by weakening its tests.

Coding agents (and tired people) take the cheapest path to a passing build: delete the failing
test, skip it, drop or neuter its assertion, widen its tolerance or its expected exception, or
exclude the code from coverage. Each of these is invisible at head alone; this gate compares
the AST of every touched test file at base and at head. Refactors that keep every check (a
test moved to another file, renamed, folded into a parametrized test) are matched across all
the PR's files first, by name and by body, so they are not reported.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from gates.checks.changes import ChangeCheckGate, FileChange
from gates.checks.test_integrity_ast import MAX_NESTING, defined_names, nesting, parse
from gates.checks.test_integrity_facts import ModuleFacts, module_facts
from gates.checks.test_integrity_match import match
from gates.checks.test_integrity_pragmas import no_cover
from gates.checks.test_integrity_rules import (
    GATE,
    RULES,
    SKIP_ADDED,
    added_claims,
    compare,
    ignored,
    removed,
)
from gates.model import Finding, Severity, Stage


def is_test_file(path: str) -> bool:
    """What pytest collects by default, plus everything under a `tests` folder."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    in_tests = any(part in ("tests", "test", "testing") for part in parts[:-1])
    named = name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    return name.endswith(".py") and (in_tests or named)


class TestIntegrityGate(ChangeCheckGate):
    """Tests removed, skipped, emptied or loosened by the PR, and `# pragma: no cover` added."""

    __test__ = False  # pytest: this class is not a test class despite its name

    name = GATE
    stage = Stage.INTEGRITY
    traits = replace(ChangeCheckGate.traits, rules=RULES)
    description = "tests removed, skipped or weakened by the PR (base vs head, on the AST)"

    def wants(self, path: str) -> bool:
        # Every Python file: the pragma rule reads them all, and a deleted function in
        # non-test code explains the removal of the tests that used it.
        return path.endswith((".py", ".pyi"))

    def scan_changes(
        self, changes: Sequence[FileChange], options: Mapping[str, object]
    ) -> list[Finding]:
        del options
        findings: list[Finding] = []
        findings.extend(no_cover(changes, is_test_file))
        tests = [c for c in changes if is_test_file(c.path) or is_test_file(c.old_path)]
        base, head, notes = _read_sides(tests)
        findings.extend(notes)
        removed_names = functools.cache(lambda: _removed_names(changes))
        findings.extend(_judge_safely(tests, base, head, removed_names))
        for path, module in head.items():
            before = base[path].ignored if path in base else ()
            findings.extend(ignored(path, before, module.ignored))
        return _merge_shared_markers(findings)


def _judge_safely(
    tests: Sequence[FileChange],
    base: Mapping[str, ModuleFacts],
    head: Mapping[str, ModuleFacts],
    removed_names: Callable[[], frozenset[str]],
) -> list[Finding]:
    """`_judge_tests`, but a file nesting deeper than Python's recursion limit lets the readers
    go (a generated expression hundreds of operators long) is left out with a note instead of
    making the gate an error."""
    try:
        return list(_judge_tests(base, head, removed_names))
    except RecursionError:
        deep = {c.path for c in tests if _nests_too_deep(c)}
        notes = [_unparsable(path, "base or head", TOO_DEEP) for path in sorted(deep)]
        base = {path: facts for path, facts in base.items() if path not in deep}
        head = {path: facts for path, facts in head.items() if path not in deep}
        return notes + list(_judge_tests(base, head, removed_names))


def _judge_tests(
    base: Mapping[str, ModuleFacts],
    head: Mapping[str, ModuleFacts],
    removed_names: Callable[[], frozenset[str]],
) -> Iterator[Finding]:
    matching = match(base, head, removed_names)
    for missing in matching.missing:
        path = missing.base.path
        counts = (len(base[path].tests), len(head[path].tests) if path in head else 0)
        away = head[path].collected_away(missing.base.test) if path in head else None
        yield removed(missing, counts, None if missing.lost_cases else away)
    added = {id(pair): added_claims(pair) for pair in matching.pairs}
    gained = Counter(text for texts in added.values() for text in texts)
    gained.update(s.text for new in matching.new for s in new.test.checks.claims)
    for pair in matching.pairs:
        yield from compare(pair, gained - Counter(added[id(pair)]))


def _read_sides(
    changes: Sequence[FileChange],
) -> tuple[dict[str, ModuleFacts], dict[str, ModuleFacts], list[Finding]]:
    """Each test file's tests on both sides. A file that does not parse on a side is left out
    of the comparison on both sides (its tests are unknown, not removed) and gets a note."""
    base: dict[str, ModuleFacts] = {}
    head: dict[str, ModuleFacts] = {}
    notes: list[Finding] = []
    for change in changes:
        sides = {"base": change.base, "head": change.head}
        read = {side: _facts(text) for side, text in sides.items() if text is not None}
        broken = {side: why for side, why in read.items() if isinstance(why, str)}
        notes.extend(_unparsable(change.path, side, why) for side, why in broken.items())
        if broken:
            continue
        for side, facts in read.items():
            if isinstance(facts, ModuleFacts):
                (base if side == "base" else head)[change.path] = facts
        if change.head is None:
            head[change.path] = ModuleFacts(tests={}, defined=frozenset())
    return base, head, notes


TOO_DEEP = "nested too deeply to analyse"


def _nests_too_deep(change: FileChange) -> bool:
    trees = [parse(text) for text in (change.base, change.head) if text is not None]
    return any(not isinstance(tree, str) and nesting(tree) > MAX_NESTING for tree in trees)


def _facts(text: str) -> ModuleFacts | str:
    tree = parse(text)
    if isinstance(tree, str):
        return tree
    try:
        return module_facts(tree, text)
    except RecursionError:
        return TOO_DEEP


def _unparsable(path: str, side: str, why: str) -> Finding:
    message = f"{path} does not parse at {side} ({why}); its tests were not compared"
    return Finding(GATE, "gates", "syntax-error", Severity.NOTE, path, message)


def _removed_names(changes: Sequence[FileChange]) -> frozenset[str]:
    """Functions and classes the PR deleted from non-test code: a test that used one went
    with the feature it tested, which is not a weakened check."""
    before: set[str] = set()
    after: set[str] = set()
    for change in changes:
        for text, names, only_code in ((change.base, before, True), (change.head, after, False)):
            if text is None or (only_code and is_test_file(change.old_path)):
                continue
            tree = parse(text)
            if not isinstance(tree, str):
                names.update(defined_names(tree))
    return frozenset(before - after)


def _merge_shared_markers(findings: list[Finding]) -> list[Finding]:
    """A skip added to a class or a module applies to each of its tests: one finding per
    marker, naming how many tests it skips."""
    merged: dict[tuple[str, str, int | None, str], list[Finding]] = {}
    for f in findings:
        merged.setdefault((f.rule, f.path, f.line, _marker_label(f)), []).append(f)
    return [_one(group) for group in merged.values()]


def _marker_label(finding: Finding) -> str:
    label, found, _ = finding.message.rpartition(SKIP_ADDED)
    return label if found and finding.rule == "test-skipped" else finding.message


def _one(group: list[Finding]) -> Finding:
    first = group[0]
    if len(group) == 1 or first.rule != "test-skipped":
        return first  # e.g. a helper's lost assertion, found once per test that calls it
    message = f"{_marker_label(first)}{SKIP_ADDED}{len(group)} tests that ran at base are skipped"
    return first.replace(message=message + " at head")
