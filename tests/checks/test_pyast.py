"""The AST helpers under dangerous-code: the scope walk's order and reach."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from gates.checks.pyast import Names, import_aliases, scope_assignments, statements, walk_scope

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
        import pickle as p
try:
    from subprocess import run
except ImportError:
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


def test_a_kept_walk_is_the_full_walk_filtered_in_the_same_order() -> None:
    tree = ast.parse(SOURCE)
    kept = frozenset({ast.Call, ast.Assign, ast.FunctionDef, ast.Lambda})
    assert walk_scope(tree.body, kept) == [n for n in walk_scope(tree.body) if type(n) in kept]
    assert [type(n) for n in walk_scope(tree.body, frozenset({ast.Assign}))] == [ast.Assign]


def test_statements_reach_every_block_and_never_an_expression() -> None:
    tree = ast.parse(SOURCE)
    every = [n for n in ast.walk(tree) if isinstance(n, (ast.stmt, ast.excepthandler))]
    found = statements(tree)
    assert {id(n) for n in every} <= {id(n) for n in found}
    assert not [n for n in found if isinstance(n, ast.expr)]
    aliases = import_aliases(tree)  # in a match case and in a try: still imports
    assert aliases == {"os": "os", "p": "pickle", "run": "subprocess.run"}


ALIASES = """
import builtins, os, re
from myapp import defaults
run = exec
ev = getattr(builtins, "eval")
sy = getattr(os, "system")
ex = vars(builtins)["exec"]
co = builtins.__dict__["compile"]
bi = __builtins__["eval"]
rc = re.compile
key = settings["eval"]
other = vars(defaults)["get_" + name]
"""


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("run", "exec"),
        ("ev", "builtins.eval"),
        ("sy", "os.system"),
        ("ex", "builtins.exec"),
        ("co", "builtins.compile"),
        ("bi", "__builtins__.eval"),
        ("rc", "re.compile"),
        ("key", "key"),  # an item of a plain dict names nothing
        ("other", "other"),  # a computed key names nothing
    ],
)
def test_a_name_bound_once_resolves_to_what_it_aliases(name: str, resolved: str) -> None:
    tree = ast.parse(ALIASES)
    module = scope_assignments(ast.walk(tree))
    names = Names(import_aliases(tree), module, module)
    assert names.qualname(ast.Name(id=name)) == resolved
