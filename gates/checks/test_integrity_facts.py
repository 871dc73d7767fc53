"""The tests of one Python file, as the test-integrity rules compare them.

A test is what pytest or unittest would collect: a `test*` function at module level, or a
`test*` method of a `Test*` class or of a `unittest.TestCase` subclass. Each test is reduced to
position-free facts (its body's dump, its skip markers, what it asserts) so that a test that
moved keeps its identity and only a change of meaning shows as a difference.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from gates.checks.test_integrity_asserts import Checks, Reader
from gates.checks.test_integrity_ast import (
    DEFINITIONS,
    Function,
    cases,
    constants,
    defined_names,
    functions,
    imports,
    list_lengths,
    references,
    shape,
    without_docstring,
)
from gates.checks.test_integrity_forms import Spot, dump, last_name
from gates.checks.test_integrity_skips import (
    collect_ignored,
    decorator_markers,
    module_skips,
    pytestmark,
    skip_calls,
)


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
        self.cases = cases(node, scope.lists)  # parametrized cases (1 when not parametrized)
        # skip / skipif / xfail markers in force (own, class, module)
        self.markers = scope.markers + tuple(decorator_markers(node))
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        # Its text with decorators, and where it lives: both equal means nothing to compare.
        self.unchanged_key = (scope.context, "\n".join(scope.lines[first - 1 : node.end_lineno]))

    @functools.cached_property
    def body(self) -> str:
        """The body's dump without positions: equal bodies are the same test."""
        return "".join(dump(stmt) for stmt in without_docstring(self.node.body))

    @functools.cached_property
    def shape(self) -> str:
        """The body with literals and parameters blanked: one case of a parametrized test."""
        return shape(self.node)

    @functools.cached_property
    def skip_calls(self) -> tuple[Spot, ...]:
        return tuple(skip_calls(self.node.body))

    @functools.cached_property
    def checks(self) -> Checks:
        return Reader(self.scope.helpers, self.scope.constants).read(self.node)

    @functools.cached_property
    def references(self) -> frozenset[str]:
        """Names and attributes the body (and its classes) use."""
        return self.scope.references | frozenset(references(self.node.body))


@dataclass(frozen=True)
class ModuleFacts:
    tests: Mapping[str, TestFacts]  # by qualname, in file order
    defined: frozenset[str]  # functions, classes and methods it defines
    imports: frozenset[str] = frozenset()  # names it imports (top-level names of modules)
    classes: Mapping[str, frozenset[str]] = field(default_factory=dict)  # test class -> tests
    ignored: tuple[Spot, ...] = ()  # conftest.py's collect_ignore entries
    tree: ast.Module | None = None  # for the rare question `collected_away` asks

    def collected_away(self, test: TestFacts) -> tuple[str, int] | None:
        """A function pytest does not collect (`_test_x`, `check_x`, a method of a class that
        is no longer a test class) with the body of `test`: where it went, name and line."""
        if self.tree is None:
            return None
        collected = {id(t.node) for t in self.tests.values()}
        for node in functions(self.tree):
            if id(node) in collected:
                continue
            if "".join(dump(stmt) for stmt in without_docstring(node.body)) == test.body:
                return node.name, node.lineno
        return None


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
    scope = _Scope(helpers, constants(tree), list_lengths(tree), markers, lines)
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
        imports=imports(tree),
        classes={name: frozenset(methods) for name, methods in classes.items()},
        ignored=tuple(collect_ignored(tree.body)),
        tree=tree,
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
    others = [n for n in node.body if not isinstance(n, DEFINITIONS)]
    scope = replace(
        outer,
        helpers={**outer.helpers, **methods},
        markers=outer.markers + tuple(decorator_markers(node)) + tuple(pytestmark(node.body)),
        references=outer.references | frozenset(references([*node.bases, *others])),
        bases=tuple(last_name(base) for base in node.bases),
    )
    scope = replace(scope, context=_digest(scope, [*methods.values(), *others, *node.bases]))
    for child in node.body:
        if isinstance(child, Function) and _is_test(child):
            yield TestFacts(child, qual + child.name, scope)
        elif isinstance(child, ast.ClassDef):
            yield from _class_tests(child, qual, scope)
