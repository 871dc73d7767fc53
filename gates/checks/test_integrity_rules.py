"""The test-integrity rules: one test at base against the same test at head.

Every rule compares position-free facts, so a test that only moved is silent, and every finding
says what changed, base against head, in one line at the head line that did it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from gates.checks.test_integrity_asserts import Checks
from gates.checks.test_integrity_facts import TestFacts
from gates.checks.test_integrity_forms import Spot
from gates.checks.test_integrity_helpers import helper_losses
from gates.checks.test_integrity_match import Missing, Pair
from gates.checks.test_integrity_tolerance import Tolerance
from gates.model import Finding, Severity

GATE = "test-integrity"
SKIP_ADDED = " added: "  # between a skip marker and the tests it skips, in messages
RULES = frozenset(
    {
        "test-removed",
        "test-skipped",
        "assertion-removed",
        "assertion-vacuous",
        "tolerance-loosened",
        "raises-widened",
        "no-cover-added",  # gates.checks.test_integrity_pragmas
        "syntax-error",  # a file that does not parse (gates.checks.test_integrity)
    }
)


def finding(rule: str, path: str, message: str, line: int | None) -> Finding:
    return Finding(GATE, "gates", rule, Severity.WARNING, path, message, line=line)


def removed(
    missing: Missing, counts: tuple[int, int], away: tuple[str, int] | None = None
) -> Finding:
    """`away`: the function (name, head line) the test's body now lives in, uncollected."""
    test = missing.base.test
    path = missing.base.path
    if away is not None:
        message = (
            f"{test.qualname} in {path} renamed to {away[0]}, which pytest does not collect "
            f"({counts[0]} tests at base, {counts[1]} at head)"
        )
        return finding("test-removed", path, message, away[1])
    if missing.lost_cases:
        message = (
            f"{missing.lost_cases} of {test.cases} parametrized cases of {test.qualname} removed "
            f"in {path}; not found elsewhere in the PR"
        )
        return finding("test-removed", path, message, missing.head_line)
    message = (
        f"{test.qualname} removed from {path} ({counts[0]} tests at base, {counts[1]} at head); "
        "not found elsewhere in the PR"
    )
    return finding("test-removed", path, message, None)


def added_claims(pair: Pair) -> list[str]:
    """The assertions a test has at head and did not have at base."""
    if pair.base.test.unchanged_key == pair.head.test.unchanged_key:
        return []
    return [s.text for s in _new_spots(pair.base.test.checks.claims, pair.head.test.checks.claims)]


def compare(pair: Pair, elsewhere: Counter[str]) -> Iterator[Finding]:
    """Findings about one test that exists on both sides (perhaps moved or renamed).
    `elsewhere`: assertions other tests of the PR gained, where a split test's went."""
    base, head = pair.base.test, pair.head.test
    if base.unchanged_key == head.unchanged_key:
        return  # same text, same helpers, constants and markers: the same test
    path = pair.head.path
    yield from _skips(pair)
    vacuous = list(_vacuous(base.checks, head.checks, head.qualname, path))
    yield from vacuous
    gone = _new_spots(head.checks.claims, base.checks.claims)
    moved = sum(1 for spot in gone if elsewhere[spot.text] > 0)
    split = bool(gone) and moved == len(gone)  # every assertion it lost is in another test now
    if not (vacuous or split or _rewritten(base, head, gone, elsewhere)) and _fewer(pair, moved):
        scale = head.cases / base.cases if head.cases > base.cases else 1
        shared = helper_losses(base, head, path, scale)
        yield from shared if shared else [_fewer_assertions(pair, gone)]
    elif not vacuous:
        yield from _narrowed(base.checks, head.checks, head.qualname, path)
    yield from _tolerances(base.checks, head.checks, head.qualname, path)
    yield from _widened(base.checks, head.checks, head.qualname, path)


def _new_equalities(base: Checks, head: Checks) -> frozenset[str]:
    """The values the head compares whole with `==` in assertions the base did not have."""
    found: set[str] = set()
    for spot in _new_spots(base.claims, head.claims):
        found.update(head.equals.get(spot.text, ()))
    return frozenset(found)


def _rewritten(base: TestFacts, head: TestFacts, gone: list[Spot], elsewhere: Counter[str]) -> bool:
    """Every assertion the test lost is in another test now or is covered by an `==` the test
    gained on the whole value it was about, and no `pytest.raises` went: the checks were
    rewritten, not dropped."""
    if not gone or len(head.checks.raises) < len(base.checks.raises):
        return False
    wholes = _new_equalities(base.checks, head.checks)
    return all(elsewhere[spot.text] > 0 or _covered(spot, base, wholes) for spot in gone)


def _covered(spot: Spot, base: TestFacts, wholes: frozenset[str]) -> bool:
    """A base assertion about a value, or one of its attributes or items, that the head now
    compares whole (`assert r.items is not None`, `assert len(r.items) > 0` ->
    `assert r == snapshot(...)`): the equality checks all of it, so nothing was lost."""
    return bool(base.checks.about.get(spot.text, frozenset()) & wholes)


def _new_spots(base: tuple[Spot, ...], head: tuple[Spot, ...]) -> list[Spot]:
    """Head spots beyond what the base had, compared as multisets of their text."""
    left = Counter(s.text for s in base)
    fresh = []
    for spot in head:
        if left[spot.text] > 0:
            left[spot.text] -= 1
        else:
            fresh.append(spot)
    return fresh


def _skips(pair: Pair) -> Iterator[Finding]:
    base, head = pair.base.test, pair.head.test
    gone = _new_spots(head.markers, base.markers)
    for spot in _new_spots(base.markers, head.markers):
        kind = spot.text.partition("|")[0]
        was = next((g for g in gone if g.text.partition("|")[0] == kind), None)
        if was is None:
            detail = f"{head.qualname} ran at base and is skipped at head"
        else:  # the condition changed: it may now skip where it ran
            detail = f"{head.qualname} was skipped under `{was.label}` at base"
        yield finding("test-skipped", pair.head.path, spot.label + SKIP_ADDED + detail, spot.line)
    for spot in _new_spots(base.skip_calls, head.skip_calls):
        message = f"{spot.label} added in {head.qualname} (not at base)"
        yield finding("test-skipped", pair.head.path, message, spot.line)


def ignored(path: str, base: tuple[Spot, ...], head: tuple[Spot, ...]) -> Iterator[Finding]:
    """conftest.py entries that stop pytest from collecting files."""
    for spot in _new_spots(base, head):
        message = f"{spot.label} added in {path}: pytest no longer collects what it names"
        yield finding("test-skipped", path, message, spot.line)


def _fewer(pair: Pair, moved: int) -> bool:
    """Fewer assertions, counted both ways: per statement (`assert x == [1, 2, 3]` replaced by
    `assert x == expected` is one check either way) and per compared element (three asserts
    combined into one tuple comparison still check three things). A test turned into a
    parametrized one checks its assertions once per case."""
    base, head = pair.base.test, pair.head.test
    scale = head.cases / base.cases if head.cases > base.cases else 1
    if head.checks.strength == 0:
        return base.checks.strength > 0
    return (
        head.checks.strength * scale + moved < base.checks.strength
        and head.checks.statements * scale + moved < base.checks.statements
    )


def _narrowed(base: Checks, head: Checks, test: str, path: str) -> Iterator[Finding]:
    """`x == {"a": 1, "b": 2}` at base, only `x["a"] == 1` at head: one piece of it checked."""
    before = {s.text for s in base.claims}
    after = {s.text for s in head.claims}
    wholes = {subject: text for text, subject in base.wholes.items() if text not in after}
    labels = {s.text: s.label for s in base.claims}
    for container, spot in head.pieces:
        if spot.text not in before and container in wholes:
            was = labels[wholes[container]]
            message = f"{test} checks less: `{was}` at base narrowed to `{spot.label}` at head"
            yield finding("assertion-removed", path, message, spot.line)


def _fewer_assertions(pair: Pair, gone: list[Spot]) -> Finding:
    base, head = pair.base.test, pair.head.test
    was, now = base.checks.strength, head.checks.strength
    left = "no assertion left" if now == 0 else f"{now} at head"
    detail = f"; gone: {gone[0].label}" if gone else ""
    message = f"{head.qualname} checks less: {was} assertions at base, {left}{detail}"
    return finding("assertion-removed", pair.head.path, message, head.line)


def _vacuous(base: Checks, head: Checks, test: str, path: str) -> Iterator[Finding]:
    for spot in _new_spots(base.vacuous, head.vacuous):
        message = f"{spot.label} in {test} can no longer fail (not at base)"
        yield finding("assertion-vacuous", path, message, spot.line)
    base_claims = {s.text for s in base.claims}
    head_claims = {s.text for s in head.claims}
    gone = [s for s in base.claims if s.text not in head_claims]
    for subject, spot in head.weak:
        if spot.text in base_claims:
            continue
        was = next((s for s in gone if subject in base.parts.get(s.text, ())), None)
        if was is not None:
            message = f"{test}: `{was.label}` at base became `{spot.label}` at head"
            yield finding("assertion-vacuous", path, message, spot.line)


def _tolerances(base: Checks, head: Checks, test: str, path: str) -> Iterator[Finding]:
    for now in head.tolerances:
        was = _counterpart(now, base.tolerances, head.tolerances)
        if was is None:
            continue
        if any(_grew(was.values[k], v) for k, v in now.values.items() if k in was.values):
            message = f"{test}: tolerance loosened from `{was.label}` to `{now.label}`"
            yield finding("tolerance-loosened", path, message, now.line)


def _grew(before: float, after: float) -> bool:
    return after > before + abs(before) * 1e-6


def _counterpart(
    now: Tolerance, base: tuple[Tolerance, ...], head: tuple[Tolerance, ...]
) -> Tolerance | None:
    """The base call the head one replaced: same kind and compared values, else the same kind
    at the same position among the test's calls of that kind."""
    same_kind = [t for t in base if t.kind == now.kind]
    for was in same_kind:
        if was.key == now.key:
            return was
    index = [t for t in head if t.kind == now.kind].index(now)
    return same_kind[index] if index < len(same_kind) else None


def _widened(base: Checks, head: Checks, test: str, path: str) -> Iterator[Finding]:
    broad_before = [spot for broad, spot in base.raises if broad]
    specific = [spot for broad, spot in base.raises if not broad]
    broad_now = [spot for broad, spot in head.raises if broad]
    if not specific or len(broad_now) <= len(broad_before):
        return
    head_specific = {spot.text for broad, spot in head.raises if not broad}
    was = next((s for s in specific if s.text not in head_specific), specific[0])
    for spot in _new_spots(tuple(broad_before), tuple(broad_now)):
        message = f"{test}: `{was.label}` at base widened to `{spot.label}`"
        yield finding("raises-widened", path, message, spot.line)
