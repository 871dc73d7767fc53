"""The AST helpers under dangerous-code: the scope walk's order and reach, the collector pause."""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterator

import pytest

from gates.checks.pyast import collector_paused, walk_scope

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


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_pause_restores_what_it_found(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
