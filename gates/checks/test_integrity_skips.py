"""Skips in a test file: markers on a test, its class or its module, and skip calls in a body.

Each is a `Spot` whose text ignores the reason, so rewording a reason or moving the same
marker from a class to `pytestmark` is no change, while a new condition is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gates.checks.test_integrity_forms import Spot, dotted, dump, last_name, short
from gates.checks.test_integrity_platform import platform_condition

Decorated = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

# Decorator or marker name (last part) -> the kind both pytest and unittest spellings map to.
_SKIP_MARKERS = {
    "skip": "skip",
    "skipif": "skipif",
    "skipIf": "skipif",
    "skipUnless": "skipunless",
    "xfail": "xfail",
    "expectedFailure": "xfail",
}
_SKIP_CALLS = frozenset({"skip", "skipTest", "xfail", "importorskip", "SkipTest"})
_MARK_OWNERS = frozenset({"mark", "unittest", "pytest", ""})


def _marker(node: ast.expr) -> Spot | None:
    """A skip-like marker as a Spot whose text ignores the reason: rewording it is no change."""
    kind = _SKIP_MARKERS.get(last_name(node))
    owner = dotted(node).rpartition(".")[0].rpartition(".")[2]
    if kind is None or owner not in _MARK_OWNERS:
        return None
    condition = ""
    if isinstance(node, ast.Call) and kind != "skip":
        given = node.args[:1] or [k.value for k in node.keywords if k.arg == "condition"]
        # The same platform written another way is the same condition.
        condition = (platform_condition(given[0]) or dump(given[0])) if given else ""
    label = "@" + short(node)
    return Spot(f"{kind}|{condition}", label, node.lineno)


def decorator_markers(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
) -> Iterator[Spot]:
    for decorator in node.decorator_list:
        found = _marker(decorator)
        if found is not None:
            yield found
        elif isinstance(decorator, ast.Call) and last_name(decorator) == "parametrize":
            yield from _case_marks(decorator)


def _case_marks(parametrize: ast.Call) -> Iterator[Spot]:
    """`pytest.param(..., marks=pytest.mark.skip)`: one case skipped. The text names the case
    (its values), so the same case keeping its mark is no change."""
    for node in ast.walk(parametrize):
        if not (isinstance(node, ast.Call) and last_name(node) == "param"):
            continue
        for keyword in node.keywords:
            if keyword.arg != "marks":
                continue
            marks = keyword.value
            items = marks.elts if isinstance(marks, (ast.List, ast.Tuple)) else [marks]
            for item in items:
                found = _marker(item)
                if found is not None:
                    case = dump(ast.Tuple(node.args, ast.Load()))
                    yield Spot(f"{found.text}|{case}", found.label, item.lineno)


def collect_ignored(body: list[ast.stmt]) -> Iterator[Spot]:
    """`collect_ignore = ["test_x.py"]` (or `_glob`) in a conftest.py: files pytest no longer
    collects, one Spot per entry."""
    for stmt in body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            names.add(stmt.target.id)
        value = getattr(stmt, "value", None)
        if names & {"collect_ignore", "collect_ignore_glob"} and value is not None:
            for item in ast.walk(value):
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    label = f"collect_ignore entry {item.value[:80]!r}"  # a path, not a secret
                    yield Spot(item.value, label, item.lineno)


def pytestmark(body: list[ast.stmt]) -> Iterator[Spot]:
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            value = stmt.value
            values = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
            for item in values:
                found = _marker(item)
                if found is not None:
                    label = "pytestmark = " + found.label[1:]
                    yield Spot(found.text, label, stmt.lineno)


def module_skips(body: list[ast.stmt]) -> Iterator[Spot]:
    """`pytest.importorskip(...)` or `pytest.skip(..., allow_module_level=True)` at module level:
    every test of the file is skipped when it triggers."""
    for stmt in body:
        value = getattr(stmt, "value", None)
        if isinstance(value, ast.Call) and last_name(value) in ("importorskip", "skip"):
            yield Spot(
                f"module|{dump(value.func)}|{dump(ast.Tuple(value.args[:1]))}",
                short(value),
                stmt.lineno,
            )


def skip_calls(body: list[ast.stmt]) -> Iterator[Spot]:
    for stmt in body:
        for node in ast.walk(stmt):
            # `pytest.skip(...)`, `self.skipTest(...)`, `raise SkipTest(...)`, `raise SkipTest`
            target: ast.AST | None = node
            if isinstance(node, ast.Raise):
                target = node.exc if isinstance(node.exc, ast.Name) else None
            elif not isinstance(node, ast.Call):
                target = None
            if target is not None and last_name(target) in _SKIP_CALLS:
                label = short(node)
                yield Spot(last_name(target), label, getattr(node, "lineno", 0))
