"""The tests of one Python file, as the test-integrity rules compare them.

A test is what pytest or unittest would collect: a `test*` function at module level, or a
`test*` method of a `Test*` class or of a `unittest.TestCase` subclass. Each test is reduced to
position-free facts (its body's dump, its skip markers, what it asserts) so that a test that
moved keeps its identity and only a change of meaning shows as a difference.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from gates.checks.test_integrity_asserts import Checks, Reader
from gates.checks.test_integrity_forms import Spot, dump, last_name
from gates.checks.test_integrity_skips import (
    collect_ignored,
    decorator_markers,
    module_skips,
    pytestmark,
    skip_calls,
)
from gates.checks.test_integrity_tolerance import Numbers

Function = ast.FunctionDef | ast.AsyncFunctionDef
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class TestFacts:
    """One test. What every comparison needs is read at once; the rest (body dump, shape,
    assertions, references) only when asked, since most tests of a big file are unchanged
    and never are (a 3,500-line test file took 0.7 s when everything was read)."""

    def __init__(self, node: Function, qualname: str, scope: _Scope) -> None:
        self.node = node
        self.qualname = qualname  # "TestCart.test_total" or "test_total"
        self.name = node.name
        self.line = node.lineno
        self.scope = scope
        # The class it is in and its parameters (the fixtures it gets).
        self.signature = qualname.rpartition(".")[0] + dump(node.args)
        self.cases = _cases(node, scope.lists)  # parametrized cases (1 when not parametrized)
        # skip / skipif / xfail markers in force (own, class, module)
        self.markers = scope.markers + tuple(decorator_markers(node))
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        # Its text with decorators, and where it lives: both equal means nothing to compare.
        self.unchanged_key = (scope.context, "\n".join(scope.lines[first - 1 : node.end_lineno]))

    @functools.cached_property
    def body(self) -> str:
        """The body's dump without positions: equal bodies are the same test."""
        return "".join(dump(stmt) for stmt in _without_docstring(self.node.body))

    @functools.cached_property
    def shape(self) -> str:
        """The body with literals and parameters blanked: one case of a parametrized test."""
        return _shape(self.node)

    @functools.cached_property
    def skip_calls(self) -> tuple[Spot, ...]:
        return tuple(skip_calls(self.node.body))

    @functools.cached_property
    def checks(self) -> Checks:
        return Reader(self.scope.helpers, self.scope.constants).read(self.node)

    @functools.cached_property
    def references(self) -> frozenset[str]:
        """Names and attributes the body (and its classes) use."""
        return self.scope.references | frozenset(_references(self.node.body))


@dataclass(frozen=True)
class ModuleFacts:
    tests: Mapping[str, TestFacts]  # by qualname, in file order
    defined: frozenset[str]  # functions, classes and methods it defines
    imports: frozenset[str] = frozenset()  # names it imports (top-level names of modules)
    classes: Mapping[str, frozenset[str]] = field(default_factory=dict)  # test class -> tests
    ignored: tuple[Spot, ...] = ()  # conftest.py's collect_ignore entries


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
            if isinstance(node, _DEFINITIONS):
                names.add(node.name)
            if isinstance(node, ast.ClassDef):
                scopes.append(node.body)
            elif isinstance(node, (ast.If, ast.Try)):  # `if TYPE_CHECKING:`, `try: import`
                scopes.extend([node.body, node.orelse])
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        names.update(t.id for t in targets if isinstance(t, ast.Name) and not t.id.startswith("__"))
    return frozenset(names)


@dataclass(frozen=True)
class _Scope:
    """What a test inherits from where it is defined."""

    helpers: Mapping[str, ast.AST]  # non-test functions (and methods of its class)
    constants: Mapping[str, float]
    lists: Mapping[str, int]
    markers: tuple[Spot, ...]  # skips of the module and enclosing classes
    lines: Sequence[str]  # the module's text
    references: frozenset[str] = frozenset()  # names its classes use (bases, attributes)
    bases: tuple[str, ...] = ()  # the classes its class inherits from (last names)
    context: str = ""  # digest of all of the above that can change what a test checks


def module_facts(tree: ast.Module, text: str) -> ModuleFacts:
    helpers = {n.name: n for n in tree.body if isinstance(n, Function) and not _is_test(n)}
    markers = tuple(pytestmark(tree.body)) + tuple(module_skips(tree.body))
    lines = text.splitlines()
    scope = _Scope(helpers, _constants(tree), _list_lengths(tree), markers, lines)
    scope = replace(scope, context=_digest(scope, helpers.values()))
    tests: dict[str, TestFacts] = {}
    for node in tree.body:
        if isinstance(node, Function) and _is_test(node):
            tests[node.name] = TestFacts(node, node.name, scope)
        elif isinstance(node, ast.ClassDef):
            tests.update((t.qualname, t) for t in _class_tests(node, "", scope))
    classes: dict[str, set[str]] = {}
    for test in tests.values():
        owner = test.qualname.rpartition(".")[0].rpartition(".")[2]
        if owner:
            classes.setdefault(owner, set()).add(test.name)
    return ModuleFacts(
        tests=tests,
        defined=defined_names(tree),
        imports=_imports(tree),
        classes={name: frozenset(methods) for name, methods in classes.items()},
        ignored=tuple(collect_ignored(tree.body)),
    )


def _digest(scope: _Scope, nodes: Iterable[ast.AST]) -> str:
    """What a test depends on besides its own text: helpers' text, constants, markers."""
    parts = [
        scope.context,
        repr(sorted(scope.constants.items())),
        repr(sorted(scope.lists.items())),
    ]
    parts += [spot.text for spot in scope.markers]
    for node in nodes:
        start, end = getattr(node, "lineno", 1), getattr(node, "end_lineno", 0)
        parts.append("\n".join(scope.lines[start - 1 : end]))
    return hashlib.blake2b(
        "\x1f".join(parts).encode(errors="surrogatepass"), digest_size=16
    ).hexdigest()


def _imports(tree: ast.Module) -> frozenset[str]:
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    return frozenset(names)


def _is_test(node: Function) -> bool:
    return node.name.startswith("test")


def _is_test_class(node: ast.ClassDef) -> bool:
    return node.name.startswith("Test") or any(
        last_name(base).endswith("TestCase") for base in node.bases
    )


def _class_tests(node: ast.ClassDef, prefix: str, outer: _Scope) -> Iterator[TestFacts]:
    if not _is_test_class(node):
        return
    qual = f"{prefix}{node.name}."
    methods = {n.name: n for n in node.body if isinstance(n, Function) and not _is_test(n)}
    others = [n for n in node.body if not isinstance(n, _DEFINITIONS)]
    scope = replace(
        outer,
        helpers={**outer.helpers, **methods},
        markers=outer.markers + tuple(decorator_markers(node)) + tuple(pytestmark(node.body)),
        references=outer.references | frozenset(_references([*node.bases, *others])),
        bases=tuple(last_name(base) for base in node.bases),
    )
    scope = replace(scope, context=_digest(scope, [*methods.values(), *others, *node.bases]))
    for child in node.body:
        if isinstance(child, Function) and _is_test(child):
            yield TestFacts(child, qual + child.name, scope)
        elif isinstance(child, ast.ClassDef):
            yield from _class_tests(child, qual, scope)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return body[1:] or body
    return body


def _cases(node: Function, lists: Mapping[str, int]) -> int:
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


def _shape(node: Function) -> str:
    """The body with every literal and every parameter blanked: the copies a parametrized test
    replaces differ only there."""
    params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    blanker = _Blanker(params)
    body = [blanker.visit(copy.deepcopy(stmt)) for stmt in _without_docstring(node.body)]
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


def _references(body: Sequence[ast.AST]) -> Iterator[str]:
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name):
                yield node.id
            elif isinstance(node, ast.Attribute):
                yield node.attr


def _constants(tree: ast.Module) -> dict[str, float]:
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


def _list_lengths(tree: ast.Module) -> dict[str, int]:
    found: dict[str, int] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and isinstance(stmt.value, (ast.List, ast.Tuple)):
                found[target.id] = len(stmt.value.elts)
    return found
