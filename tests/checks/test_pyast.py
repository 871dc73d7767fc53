"""The AST helpers under dangerous-code: the scope walk's order and reach."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gates.checks.pyast import walk_scope

SOURCE = """
import os
x = {"k": [os.system("a"), None], **extra}
def f(a=eval("1")):
    return exec("2")
class C:
    y = lambda: compile("3")
for i in range(3):
    print(f"{i!r:>{width}}", *args, key=i)
match x:
    case {"k": [1, *rest]}:
        pass
"""


def _preorder(node: ast.AST) -> Iterator[ast.AST]:
    """The specification: depth first, children in field order, scopes yielded not entered."""
    yield node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
        return
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.expr_context):
            yield from _preorder(child)


def test_walk_is_the_preorder_of_the_scope_without_entering_nested_scopes() -> None:
    tree = ast.parse(SOURCE)
    expected = [n for stmt in tree.body for n in _preorder(stmt)]
    assert walk_scope(tree.body) == expected
    calls = [n.func for n in walk_scope(tree.body) if isinstance(n, ast.Call)]
    names = [ast.unparse(c) for c in calls]
    assert names == ["os.system", "range", "print"]  # eval, exec, compile: in nested scopes
