"""Lengths of Python functions and classes, by qualified name, from the AST.

Length is `end_lineno - lineno + 1` of the `def`/`class` statement: from the `def` line to the
last line of the body. Decorators are NOT counted (they configure the function, they are not
its body), so adding `@pytest.mark.parametrize(...)` rows never pushes a test over budget.
Qualified names (`Class.method`, `outer.<locals>.inner`) let the base and head versions of the
same definition be compared, so only definitions the PR added or grew block.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    kind: str  # "function" | "class"
    name: str  # qualified name
    line: int
    end_line: int

    @property
    def length(self) -> int:
        return self.end_line - self.line + 1


def definitions(source: str | bytes) -> list[Definition] | None:
    """Every function and class in the module, or None when it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not our business
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found: list[Definition] = []
    _walk(tree, "", found)
    return found


def _walk(node: ast.AST, prefix: str, found: list[Definition]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            kind = "class" if isinstance(child, ast.ClassDef) else "function"
            name = f"{prefix}{child.name}"
            end = child.end_lineno or child.lineno
            found.append(Definition(kind, name, child.lineno, end))
            inner = f"{name}." if kind == "class" else f"{name}.<locals>."
            _walk(child, inner, found)
        else:
            _walk(child, prefix, found)


def longest_by_name(defs: list[Definition]) -> dict[tuple[str, str], int]:
    """The length of each (kind, qualified name); a name defined twice keeps its longest."""
    out: dict[tuple[str, str], int] = {}
    for d in defs:
        key = (d.kind, d.name)
        out[key] = max(out.get(key, 0), d.length)
    return out
