"""Questions about a Python module's AST that the test-integrity facts ask: what it defines
and imports, how deep it nests, a test's parametrized cases and one-case shape.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator, Mapping, Sequence

from gates.checks.test_integrity_forms import dump, last_name
from gates.checks.test_integrity_tolerance import Numbers

Function = ast.FunctionDef | ast.AsyncFunctionDef
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def parse(text: str) -> ast.Module | str:
    """The module's AST, or why it cannot be read (one line)."""
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return type(exc).__name__


# Deeper expressions than this (a generated `1 + 1 + ...` of hundreds of terms) are beyond
# what the recursive readers can follow within Python's recursion limit.
MAX_NESTING = 100


def nesting(tree: ast.AST) -> int:
    """The AST's depth, found without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def defined_names(tree: ast.Module) -> frozenset[str]:
    """Functions, classes and methods anywhere, and names bound at module level
    (`Infinity = InfinityType()`): what a test can use from the module."""
    names: set[str] = set()
    scopes: list[list[ast.stmt]] = [tree.body]
    while scopes:  # the module, its classes and theirs (not the insides of functions)
        for node in scopes.pop():
            if isinstance(node, DEFINITIONS):
                names.add(node.name)
            if isinstance(node, ast.ClassDef):
                scopes.append(node.body)
            elif isinstance(node, (ast.If, ast.Try)):  # `if TYPE_CHECKING:`, `try: import`
                scopes.extend([node.body, node.orelse])
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        names.update(t.id for t in targets if isinstance(t, ast.Name) and not t.id.startswith("__"))
    return frozenset(names)


def functions(tree: ast.Module) -> Iterator[Function]:
    """Functions at module level and in classes (at any depth of classes)."""
    scopes: list[list[ast.stmt]] = [tree.body]
    while scopes:
        for node in scopes.pop():
            if isinstance(node, Function):
                yield node
            elif isinstance(node, ast.ClassDef):
                scopes.append(node.body)


def imports(tree: ast.Module) -> frozenset[str]:
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    return frozenset(names)


def without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return body[1:] or body
    return body


def cases(node: Function, lists: Mapping[str, int]) -> int:
    """How many cases the parametrize decorators generate (literal lists, or module-level
    lists named by a constant); 1 when not parametrized or not known."""
    total = 1
    for decorator in node.decorator_list:
        if not (isinstance(decorator, ast.Call) and last_name(decorator) == "parametrize"):
            continue
        values = decorator.args[1:2] or [
            k.value for k in decorator.keywords if k.arg == "argvalues"
        ]
        if not values:
            continue
        value = values[0]
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            total *= max(1, len(value.elts))
        elif isinstance(value, ast.Name):
            total *= lists.get(value.id, 1)
    return total


def shape(node: Function) -> str:
    """The body with every literal and every parameter blanked: the copies a parametrized test
    replaces differ only there."""
    params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    blanker = _Blanker(params)
    body = [blanker.visit(copy.deepcopy(stmt)) for stmt in without_docstring(node.body)]
    return "".join(dump(stmt) for stmt in body)


class _Blanker(ast.NodeTransformer):
    def __init__(self, params: set[str]) -> None:
        self._params = params

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Name(id="_", ctx=ast.Load())

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(id="_", ctx=ast.Load()) if node.id in self._params else node

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        # `f(("a", 1))` and `f(case)` are one case's call: a literal tuple is blanked whole.
        if all(isinstance(e, ast.Constant) for e in node.elts):
            return ast.Name(id="_", ctx=ast.Load())
        return self.generic_visit(node)


def references(body: Sequence[ast.AST]) -> Iterator[str]:
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                yield node.id
            elif isinstance(node, ast.Attribute):
                yield node.attr


def constants(tree: ast.Module) -> dict[str, float]:
    """Module-level names bound once to a number (`REL = 1e-3`), for tolerances."""
    numbers = Numbers({})
    found: dict[str, float] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            value = numbers.constant(stmt.value)
            if isinstance(target, ast.Name) and value is not None:
                found[target.id] = value
    return found


def list_lengths(tree: ast.Module) -> dict[str, int]:
    found: dict[str, int] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and isinstance(stmt.value, (ast.List, ast.Tuple)):
                found[target.id] = len(stmt.value.elts)
    return found
