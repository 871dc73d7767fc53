"""Which base test became which head test, across every test file of the PR.

A test counts as removed only when nothing in the PR accounts for it. In order, a base test is
matched to: the head test of the same name in the same file; a head test of the same name that
is new anywhere in the PR (it moved); a new head test with the same body (it was renamed); a
parametrized head test whose one-case shape is the same (copies folded into parameters); and
it is explained when it used a function or class the PR deleted from non-test code (the
feature went with its test). What is left is weighed per file: new tests in the same file make
up for it (a rewrite under a new name keeps the count), and only a net loss is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from gates.checks.test_integrity_facts import ModuleFacts, TestFacts


@dataclass(frozen=True)
class Located:
    path: str  # the file at head (for a deleted file, where it was)
    test: TestFacts


@dataclass(frozen=True)
class Pair:
    base: Located
    head: Located


@dataclass(frozen=True)
class Missing:
    base: Located
    lost_cases: int  # for a test that still exists: parametrized cases it lost; else 0
    head_line: int | None = None


@dataclass(frozen=True)
class Matching:
    pairs: tuple[Pair, ...]
    missing: tuple[Missing, ...]
    new: tuple[Located, ...]  # head tests that match no base test


def _located(files: Mapping[str, ModuleFacts]) -> list[Located]:
    return [Located(path, t) for path, module in files.items() for t in module.tests.values()]


class _Matcher:
    def __init__(self, base: Mapping[str, ModuleFacts], head: Mapping[str, ModuleFacts]) -> None:
        self.pending = _located(base)
        self.new = _located(head)
        self.pairs: list[Pair] = []
        self.spare: dict[int, int] = {}  # id(head Located) -> cases not yet accounted for
        self.base_imports = {path: module.imports for path, module in base.items()}

    def pair(self, key: str, same_file_only: bool) -> None:
        """Pair pending base tests with new head tests that agree on `key`, same file first."""
        for same_file in (True,) if same_file_only else (True, False):
            index: dict[tuple[str, str], list[Located]] = {}
            for h in self.new:
                index.setdefault((h.path if same_file else "", _key(h, key)), []).append(h)
            kept = []
            for b in self.pending:
                found = index.get((b.path if same_file else "", _key(b, key)))
                if found:
                    head = found.pop(0)
                    self.new.remove(head)
                    self.pairs.append(Pair(b, head))
                else:
                    kept.append(b)
            self.pending = kept

    def pair_similar(self) -> None:
        """A pending test and a new test of the same file with nearly the same body: renamed
        and edited. Paired, so what the edit did to its assertions and skips is judged; the
        net count of the file is the same either way."""
        kept = []
        for b in self.pending:
            candidates = [h for h in self.new if h.path == b.path][:_MAX_CANDIDATES]
            best = max(candidates, key=lambda h: _ratio(b, h), default=None)
            if best is not None and _ratio(b, best) >= _SIMILAR:
                self.new.remove(best)
                self.pairs.append(Pair(b, best))
            else:
                kept.append(b)
        self.pending = kept

    def fold_into_parameters(self) -> None:
        """A pending test whose shape equals a parametrized head test's is one of its cases."""
        for h in self.new:
            self.spare[id(h)] = h.test.cases
        grown = [p.head for p in self.pairs if p.head.test.cases > p.base.test.cases]
        for p in self.pairs:
            if p.head.test.cases > p.base.test.cases:
                self.spare[id(p.head)] = p.head.test.cases - p.base.test.cases
        folds = [h for h in (*self.new, *grown) if h.test.cases > 1]
        kept = []
        for b in self.pending:
            target = next(
                (h for h in folds if h.test.shape == b.test.shape and self.spare[id(h)] > 0),
                None,
            )
            if target is None:
                kept.append(b)
            else:
                self.spare[id(target)] = max(0, self.spare[id(target)] - b.test.cases)
        self.pending = kept

    def explain_duplicates(self, head: list[Located]) -> None:
        """A test whose body, class and fixtures equal another test's at head was a copy:
        removing it loses nothing."""
        wanted = {(b.path, b.test.signature) for b in self.pending}
        kept = {
            (h.path, h.test.signature, h.test.body)
            for h in head
            if (h.path, h.test.signature) in wanted
        }
        self.pending = [
            b for b in self.pending if (b.path, b.test.signature, b.test.body) not in kept
        ]

    def explain_inherited(self, head: Mapping[str, ModuleFacts]) -> None:
        """A method removed from a test class whose parent test class (in any file of the PR)
        has a test of that name: the parent's test now runs in its place."""
        classes: dict[str, set[str]] = {}
        for module in head.values():
            for name, methods in module.classes.items():
                classes.setdefault(name, set()).update(methods)
        self.pending = [
            b
            for b in self.pending
            if not any(b.test.name in classes.get(base, ()) for base in b.test.scope.bases)
        ]

    def explain_removed_features(
        self, removed: Callable[[], frozenset[str]], gone: set[str]
    ) -> None:
        """A test that used a name the PR deleted from non-test code went with its feature;
        a test file deleted with the feature counts what it imported (`from pkg.jws import
        JWSSerializer` used through a class attribute or a fixture)."""
        if not self.pending:
            return
        removed_names = removed()
        self.pending = [
            b
            for b in self.pending
            if not (_uses(b, self.base_imports if b.path in gone else {}) & removed_names)
        ]


def _uses(located: Located, imports: Mapping[str, frozenset[str]]) -> frozenset[str]:
    return located.test.references | imports.get(located.path, frozenset())


_SIMILAR = 0.8  # share of the body dumps in common for "the same test, edited"
_MAX_CANDIDATES = 50  # new tests compared per pending one (a dump comparison is quadratic)


def _ratio(base: Located, head: Located) -> float:
    matcher = SequenceMatcher(None, base.test.body, head.test.body, autojunk=False)
    return matcher.ratio() if matcher.quick_ratio() >= _SIMILAR else 0.0


def _key(located: Located, key: str) -> str:
    return str(getattr(located.test, key))


def match(
    base: Mapping[str, ModuleFacts],
    head: Mapping[str, ModuleFacts],
    removed_names: Callable[[], frozenset[str]],
) -> Matching:
    """`removed_names` is called only when some base test is left unmatched: it parses the
    PR's non-test files."""
    matcher = _Matcher(base, head)
    matcher.pair("qualname", same_file_only=True)
    matcher.pair("name", same_file_only=False)
    matcher.pair("body", same_file_only=False)
    matcher.fold_into_parameters()
    deleted = {path for path, module in head.items() if not module.tests and path in base}
    matcher.explain_duplicates(_located(head))
    matcher.explain_inherited(head)
    matcher.explain_removed_features(removed_names, deleted)
    matcher.pair_similar()
    losses = _net_losses(matcher)
    # A suite reorganised into new files: tests of the files the PR deleted may be made up for
    # by the tests of the files it added, as within one file.
    added = [h for h in matcher.new if h.path not in base]
    moved_out = [m for m in losses if m.base.path in deleted and not m.lost_cases]
    kept = [m for m in losses if m not in moved_out]
    spare = sum(matcher.spare.get(id(h), h.test.cases) for h in added)
    missing = kept + _least_similar(moved_out, added, spare)
    return Matching(tuple(matcher.pairs), tuple(missing), tuple(matcher.new))


def _net_losses(matcher: _Matcher) -> list[Missing]:
    """Per file, the losses that the file's new tests (and grown parameter lists) do not make
    up for."""
    found: list[Missing] = []
    files = {b.path for b in matcher.pending} | {p.base.path for p in matcher.pairs}
    for path in sorted(files):
        losses = [Missing(b, 0) for b in matcher.pending if b.path == path]
        losses += [
            Missing(p.base, p.base.test.cases - p.head.test.cases, p.head.test.line)
            for p in matcher.pairs
            if p.base.path == path and p.head.test.cases < p.base.test.cases
        ]
        newcomers = [h for h in matcher.new if h.path == path]
        spare = sum(matcher.spare.get(id(h), h.test.cases) for h in newcomers)
        spare += sum(matcher.spare.get(id(p.head), 0) for p in matcher.pairs if p.head.path == path)
        for h in newcomers:
            matcher.spare[id(h)] = 0  # spent here, not again for another file
        found += _least_similar(losses, newcomers, spare)
    return found


def _least_similar(losses: list[Missing], newcomers: list[Located], spare: int) -> list[Missing]:
    """The losses `spare` new cases do not make up for: the least similar to any newcomer."""
    deficit = sum(_units(m) for m in losses) - spare
    reported = []
    for loss in sorted(losses, key=lambda m: _similarity(m, newcomers)):
        if deficit <= 0:
            break
        deficit -= _units(loss)
        reported.append(loss)
    return reported


def _units(missing: Missing) -> int:
    return missing.lost_cases or missing.base.test.cases


def _similarity(missing: Missing, newcomers: list[Located]) -> float:
    body = missing.base.test.body
    return max(
        (SequenceMatcher(None, body, h.test.body).quick_ratio() for h in newcomers), default=0.0
    )
