"""The small forms the test-integrity rules look for in a test's AST: names, vacuous
assertions, expected exceptions.

Names are matched by their last part (`pytest.raises`, `raises` and `pt.raises` are one thing)
because a test file imports its helpers in many ways, and a wrong guess costs one missed
comparison, never a crash.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

from gates.checks.redact import mask

BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})
RAISES = frozenset({"raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})
WEAK_CALLS = {"assertTrue": "truth", "assertIsNotNone": "notnone"}


def last_name(node: ast.AST) -> str:
    """`pytest.mark.skip` -> "skip"; a call is named by what it calls."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def dotted(node: ast.AST) -> str:
    """`pytest.mark.skip(...)` -> "pytest.mark.skip"; "" for anything but names and attributes."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return node.id if isinstance(node, ast.Name) else ""


def dump(node: ast.AST) -> str:
    return ast.dump(node)


def is_truthy_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value) and node.value is not Ellipsis


@dataclass(frozen=True)
class Spot:
    """Something found at a line: `text` identifies it across versions, `label` shows it."""

    text: str
    label: str
    line: int


def walk(body: list[ast.stmt]) -> Iterator[ast.AST]:
    for stmt in body:
        yield from ast.walk(stmt)


def or_true(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.BoolOp)
        and isinstance(test.op, ast.Or)
        and (any(is_truthy_constant(value) for value in test.values))
    )


def vacuous(body: list[ast.stmt]) -> Iterator[Spot]:
    for node in walk(body):
        label = _vacuous_label(node)
        if label:
            yield Spot(label + "|" + dump(node), label, getattr(node, "lineno", 0))


def _vacuous_label(node: ast.AST) -> str:
    if isinstance(node, ast.Assert):
        if is_truthy_constant(node.test):
            return f"assert {short(node.test)}"
        if or_true(node.test):
            return "assert ... or True"
        if _compares_to_itself(node.test):
            return "assert x == x"
        if _length_at_least_zero(node.test):
            return "assert len(x) >= 0"
    if isinstance(node, ast.Call) and last_name(node) in WEAK_CALLS and node.args:
        first = node.args[0]
        return f"{last_name(node)}({short(first)})" if is_truthy_constant(first) else ""
    if isinstance(node, ast.Try) and any(_swallows(h) for h in node.handlers):
        return "except ...: pass around the checked code"
    if isinstance(node, (ast.With, ast.AsyncWith)) and any(
        last_name(item.context_expr) == "suppress" and _broad_args(item.context_expr)
        for item in node.items
    ):
        return "contextlib.suppress(Exception) around the checked code"
    return ""


def _compares_to_itself(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and dump(test.left) == dump(test.comparators[0])
    )


def _length_at_least_zero(test: ast.expr) -> bool:
    """`len(x) >= 0` (or `0 <= len(x)`): true of every sized value."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.LtE):
        left, right, op = right, left, ast.GtE()
    zero = isinstance(right, ast.Constant) and right.value == 0 and type(right.value) is int
    return isinstance(op, ast.GtE) and last_name(left) == "len" and zero


def _swallows(handler: ast.ExceptHandler) -> bool:
    broad = handler.type is None or is_broad(handler.type)
    quiet = all(isinstance(s, (ast.Pass, ast.Continue)) or _is_ellipsis(s) for s in handler.body)
    return broad and quiet


def _is_ellipsis(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _broad_args(call: ast.expr) -> bool:
    return isinstance(call, ast.Call) and any(is_broad(arg) for arg in call.args)


def is_broad(node: ast.expr) -> bool:
    """`Exception`, `BaseException`, `builtins.Exception`, or a tuple holding one."""
    if isinstance(node, ast.Tuple):
        return any(is_broad(elt) for elt in node.elts)
    return last_name(node) in BROAD_EXCEPTIONS


def raises(body: list[ast.stmt]) -> Iterator[tuple[bool, Spot]]:
    for node in walk(body):
        if isinstance(node, ast.Call) and last_name(node) in RAISES and node.args:
            expected = node.args[0]
            spot = Spot(dump(expected), short(node), node.lineno)
            yield is_broad(expected), spot


def short(node: ast.AST) -> str:
    """The code of a node for a message: one line of at most 80 characters, and any
    token-like string in it masked, since tests hold credentials too (fake or not)."""
    text = " ".join(ast.unparse(_Masker().visit(copy.deepcopy(node))).split())
    return text if len(text) <= 80 else text[:79] + "…"


_TOKEN_LIKE = 16  # a string this long, without a space, with letters and digits: a key?


def _token_like(text: str) -> bool:
    return (
        len(text) >= _TOKEN_LIKE
        and not any(c.isspace() for c in text)
        and any(c.isdigit() for c in text)
        and any(c.isalpha() for c in text)
    )


class _Masker(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        return ast.Constant(mask(text)) if isinstance(text, str) and _token_like(text) else node
