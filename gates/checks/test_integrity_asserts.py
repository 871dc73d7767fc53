"""What a test checks, read from its AST: assertion strength, claims, vacuous forms.

The test-integrity rules compare these facts between the base and the head of one test, so
each fact is a plain value that ignores positions: a test that moved keeps its facts."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from gates.checks.test_integrity_forms import (
    RAISES,
    WEAK_CALLS,
    Spot,
    dump,
    is_truthy_constant,
    last_name,
    or_true,
    raises,
    short,
    vacuous,
    walk,
)
from gates.checks.test_integrity_tolerance import Numbers, Tolerance

_ASSERT_CALLS = frozenset({"raises", "warns", "deprecated_call", "fail"})
_HELPER_PREFIXES = ("assert", "check_", "verify_", "expect_")
_MAX_HELPER_DEPTH = 3


@dataclass(frozen=True)
class Checks:
    """Everything one test asserts."""

    strength: int  # assertions, each counted per compared element of a literal
    statements: int  # assertions, each counted once
    claims: tuple[Spot, ...]  # canonical assertion, `text` = canonical form
    parts: Mapping[str, frozenset[str]]  # claim text -> the expressions it is about
    weak: tuple[tuple[str, Spot], ...]  # (dump of E, spot) for `assert E` / `E is not None`
    vacuous: tuple[Spot, ...]
    tolerances: tuple[Tolerance, ...]
    raises: tuple[tuple[bool, Spot], ...]  # (broad, spot)
    wholes: Mapping[str, str]  # claim text -> its subject, compared to a literal of 2+ items
    pieces: tuple[tuple[str, Spot], ...]  # (container, spot): claims about `c[k]` or `c.attr`
    # claim text -> dumps of every expression in it, and of what its local names were set to
    about: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # claim text -> dumps of the sides of an `==` with a value (not None/True/False)
    equals: Mapping[str, frozenset[str]] = field(default_factory=dict)


class Reader:
    """Reads the checks of test functions in one module, resolving its own helpers."""

    def __init__(self, helpers: Mapping[str, ast.AST], constants: Mapping[str, float]) -> None:
        self._helpers = helpers
        self._numbers = Numbers(constants)
        self._helper_strength: dict[tuple[str, bool], int] = {}
        self._depth = 0
        self._literals = True  # count a literal's elements (strength) or not (statements)

    def read(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> Checks:
        body = func.body
        claims = list(_claim_items(body))
        aliases = _aliases(body)
        return Checks(
            strength=self._count(body, literals=True),
            statements=self._count(body, literals=False),
            claims=tuple(spot for _, _, spot in claims),
            parts={spot.text: _parts(op, operands) for op, operands, spot in claims},
            weak=tuple(
                (subject, spot)
                for op, operands, spot in claims
                if (subject := _weak_subject(op, operands)) is not None
            ),
            vacuous=tuple(vacuous(body)),
            tolerances=tuple(self._numbers.tolerances(body)),
            raises=tuple(raises(body)),
            wholes={
                spot.text: subject
                for op, operands, spot in claims
                if (subject := _whole_subject(op, operands)) is not None
            },
            pieces=tuple(
                (container, spot)
                for op, operands, spot in claims
                if (container := _piece_container(op, operands)) is not None
            ),
            about={spot.text: _about(operands, aliases) for _, operands, spot in claims},
            equals={
                spot.text: frozenset(dump(o) for o in operands if not isinstance(o, ast.Constant))
                for op, operands, spot in claims
                if op == "Eq" and not any(_is_flag(o) for o in operands)
            },
        )

    def helper_weight(self, name: str) -> tuple[int, int]:
        """What helper `name` asserts: (per compared element, per statement)."""
        weights = []
        for literals in (True, False):
            self._literals = literals
            weights.append(self._helper(name))
        return weights[0], weights[1]

    def _count(self, body: list[ast.stmt], literals: bool) -> int:
        self._literals = literals
        return sum(self._strength(stmt, 1) for stmt in _reachable(body))

    def _size(self, node: ast.AST) -> int:
        return _literal_size(node) if self._literals else 1

    def _assert_weight(self, test: ast.expr) -> int:
        if is_truthy_constant(test) or or_true(test):
            return 0
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            return sum(self._assert_weight(value) for value in test.values)
        if isinstance(test, ast.Compare):
            return max(self._size(side) for side in [test.left, *test.comparators])
        return 1

    def _strength(self, node: ast.AST, times: int) -> int:
        """How many things a test checks: an assertion counts once per compared element of a
        literal (`assert (a, b) == (1, 2)` checks two), per operand of `and`, per literal case
        of a `for` loop around it; a local helper counts what its own body asserts."""
        if isinstance(node, ast.Assert):
            return times * self._assert_weight(node.test)
        if isinstance(node, (ast.If, ast.While)) and _never(node.test):
            return sum(self._strength(child, times) for child in node.orelse)
        if isinstance(node, ast.For) and isinstance(node.iter, (ast.List, ast.Tuple, ast.Set)):
            inner = times * max(1, len(node.iter.elts))
            return sum(self._strength(child, inner) for child in node.body + node.orelse)
        own = times * self._call_weight(node) if isinstance(node, ast.Call) else 0
        return own + sum(self._strength(child, times) for child in ast.iter_child_nodes(node))

    def _call_weight(self, call: ast.Call) -> int:
        name = last_name(call)
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        own = isinstance(call.func, ast.Name) or (
            isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")
        )
        if own and name in self._helpers:
            # A helper handed a literal of n elements compares n elements, as the inline
            # assertion it replaced did.
            helper = self._helper(name)
            return max([helper, *(self._size(a) for a in call.args)]) if helper else 0
        if name in WEAK_CALLS and call.args and is_truthy_constant(call.args[0]):
            return 0
        if name in _ASSERT_CALLS or name in RAISES:
            return 1 + any(k.arg == "match" for k in call.keywords)
        if name.startswith("assert"):
            return max([1, *(self._size(a) for a in call.args[:2])])
        return 1 if name.startswith(_HELPER_PREFIXES[1:]) else 0

    def _helper(self, name: str) -> int:
        key = (name, self._literals)
        if key not in self._helper_strength:
            self._helper_strength[key] = 0  # a recursive helper counts what it asserts once
            if self._depth < _MAX_HELPER_DEPTH:
                self._depth += 1
                node = self._helpers[name]
                self._helper_strength[key] = sum(
                    self._strength(stmt, 1) for stmt in getattr(node, "body", [])
                )
                self._depth -= 1
        return self._helper_strength[key]


def _never(test: ast.expr) -> bool:
    """`if False:`, `if 0:`, `while None:`: a block that never runs."""
    return isinstance(test, ast.Constant) and not test.value


def _reachable(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements before the first top-level `return`: what follows it never runs, so
    an early `return` added above the assertions removes them."""
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.Return):
            return body[:index]
    return body


def _literal_size(node: ast.AST) -> int:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return len(node.elts)
    return len(node.keys) if isinstance(node, ast.Dict) else 1


def _canonical(node: ast.AST) -> tuple[str, list[ast.expr]] | None:
    """An assertion as (operator, operands): `assertEqual(a, b)` and `assert a == b` agree."""
    if isinstance(node, ast.Assert):
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            right = test.comparators[0]
            if isinstance(test.ops[0], ast.IsNot) and _is_none(right):
                return "notnone", [test.left]
            if isinstance(test.ops[0], ast.Is) and _is_none(right):
                return "isnone", [test.left]
            return type(test.ops[0]).__name__, [test.left, right]
        return "truth", [test]
    if isinstance(node, ast.Call) and last_name(node).startswith("assert") and node.args:
        name = last_name(node)
        simple = {"assertEqual": "Eq", "assertEquals": "Eq", "assertIn": "In", "assertIs": "Is"}
        op = WEAK_CALLS.get(name) or simple.get(name) or name
        return op, list(node.args[:2])
    return None


def _aliases(body: list[ast.stmt]) -> dict[str, set[str]]:
    """Local name -> dumps of the values assigned to it (`caps = client.capabilities`)."""
    found: dict[str, set[str]] = {}
    for node in walk(body):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            found.setdefault(target.id, set()).add(dump(value))
    return found


def _about(operands: list[ast.expr], aliases: Mapping[str, set[str]]) -> frozenset[str]:
    """Every expression in a claim's operands, a local name standing for its value too: what
    an `==` on a whole value makes the claim redundant with."""
    found: set[str] = set()
    for operand in operands:
        for inner in ast.walk(operand):
            if isinstance(inner, ast.expr):
                found.add(dump(inner))
            if isinstance(inner, ast.Name):
                found.update(aliases.get(inner.id, ()))
    return frozenset(found)


def _is_flag(node: ast.AST) -> bool:
    """None, True or False: an `==` with one says no more than `is`."""
    return isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool))


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def claims_of(node: ast.AST) -> tuple[Spot, ...]:
    """The assertions in a function's body (a helper's, compared between base and head)."""
    return tuple(spot for _, _, spot in _claim_items(getattr(node, "body", [])))


def _claim_items(body: list[ast.stmt]) -> Iterator[tuple[str, list[ast.expr], Spot]]:
    for node in walk(body):
        canonical = _canonical(node)
        if canonical is not None:
            op, operands = canonical
            text = op + "|" + "|".join(dump(o) for o in operands)
            yield op, operands, Spot(text, short(node), getattr(node, "lineno", 0))


# Claims about mere existence or truth: replacing one by another is no weakening.
EXISTENCE = frozenset({"truth", "notnone", "isnone"})


def _parts(op: str, operands: list[ast.expr]) -> frozenset[str]:
    """Dumps of the expressions a claim is about: everything inside its operands, and the
    operands themselves unless the claim is a mere truthiness or existence check."""
    found: set[str] = set()
    for operand in operands:
        found.update(dump(inner) for inner in ast.walk(operand) if inner is not operand)
        if op not in EXISTENCE:
            found.add(dump(operand))
    return frozenset(found)


def _weak_subject(op: str, operands: list[ast.expr]) -> str | None:
    """The expression of an assertion of mere existence or truthiness (`assert E`,
    `assert E is not None`, `assertTrue(E)`); None for any other assertion."""
    subject = operands[0]
    if op == "notnone" or (op == "truth" and not isinstance(subject, _STRONG_TRUTH)):
        return dump(subject)
    return None


def _whole_subject(op: str, operands: list[ast.expr]) -> str | None:
    """`x == {"a": 1, "b": 2}` -> dump of x: a comparison with a whole literal collection."""
    if op != "Eq" or len(operands) != 2:
        return None
    left, right = operands
    if _literal_size(right) > 1:
        return dump(left)
    return dump(right) if _literal_size(left) > 1 else None


def _piece_container(op: str, operands: list[ast.expr]) -> str | None:
    """`x["a"] == 1` or `x.a == 1` -> dump of x: a comparison of one piece of a value."""
    if op != "Eq":
        return None
    for operand in operands:
        if isinstance(operand, (ast.Subscript, ast.Attribute)):
            return dump(operand.value)
    return None


# `assert a < b`, `assert x and y`, `assert not x` already say something specific.
_STRONG_TRUTH = (ast.Compare, ast.BoolOp, ast.UnaryOp)
