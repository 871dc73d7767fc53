"""Numeric tolerances in a test: `pytest.approx`, `math.isclose`, numpy's `allclose` family and
`assertAlmostEqual`, with what each call allows, so base and head can be compared.

Values are folded from literals, `10**-3`-style arithmetic and module-level constants
(`REL = 1e-3`); a parameter that cannot be known statically is left out of the comparison.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from gates.checks.test_integrity_forms import dump, last_name, short, walk

# Parameters that loosen a comparison when they grow, with the library's default.
_TOLERANCES: dict[str, dict[str, float]] = {
    "approx": {"rel": 1e-6, "abs": 1e-12},
    "isclose": {"rel_tol": 1e-9, "abs_tol": 0.0, "rtol": 1e-5, "atol": 1e-8},
    "allclose": {"rtol": 1e-5, "atol": 1e-8},
    "assert_allclose": {"rtol": 1e-7, "atol": 0.0},
    "assertAlmostEqual": {"places": 7.0, "delta": 0.0},
    "assertAlmostEquals": {"places": 7.0, "delta": 0.0},
}


@dataclass(frozen=True)
class Tolerance:
    kind: str
    key: str  # what is compared, so the same comparison is found on both sides
    values: Mapping[str, float]  # looseness parameters given or defaulted
    label: str
    line: int


class Numbers:
    """Folds numbers and reads tolerances in one module, knowing its constants."""

    def __init__(self, constants: Mapping[str, float]) -> None:
        self._constants = constants

    def constant(self, node: ast.AST | None) -> float | None:
        """The number an expression folds to: literals, unary minus, `10**-3`, module constants."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return None if isinstance(node.value, bool) else float(node.value)
        if isinstance(node, ast.Name):
            return self._constants.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.constant(node.operand)
            return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.BinOp):
            return _fold(node.op, self.constant(node.left), self.constant(node.right))
        return None

    def tolerances(self, body: list[ast.stmt]) -> Iterator[Tolerance]:
        for node in walk(body):
            if isinstance(node, ast.Call) and last_name(node) in _TOLERANCES:
                found = self._tolerance(node)
                if found is not None:
                    yield found

    def _tolerance(self, call: ast.Call) -> Tolerance | None:
        kind = last_name(call)
        defaults = _TOLERANCES[kind]
        given = {k.arg: k.value for k in call.keywords if k.arg in defaults}
        if kind.startswith("assertAlmost") and len(call.args) > 2 and "places" not in given:
            given["places"] = call.args[2]
        values: dict[str, float] = {}
        for param, default in defaults.items():
            value = self.constant(given[param]) if param in given else default
            if value is None:
                continue
            values[param] = -value if param == "places" else value  # fewer places: looser
        if kind == "approx" and "abs" in given and "rel" not in given:
            values.pop("rel", None)  # pytest.approx ignores rel when only abs is given
        key = dump(ast.Tuple(elts=list(call.args[:2]), ctx=ast.Load()))
        label = short(call)
        return Tolerance(kind, key, values, label, call.lineno)


def _fold(op: ast.operator, left: float | None, right: float | None) -> float | None:
    if left is None or right is None:
        return None
    operations: dict[type[ast.operator], Callable[[float, float], float]] = {
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Pow: lambda a, b: float(a**b),
    }
    operation = operations.get(type(op))
    if operation is None or (isinstance(op, ast.Pow) and abs(right) > 400):
        return None
    try:
        return operation(left, right)
    except (ZeroDivisionError, OverflowError):
        return None
