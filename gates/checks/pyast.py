"""Small static helpers over a Python AST: resolving import aliases, locals, constants and paths.

They answer "what does this expression name or hold?" without running anything, so the
dangerous-code rules can see through `import subprocess as sp`, `from os import system`, a URL
kept in a local variable or a path built with `Path.home() / ".ssh"`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

# A module imported under another name means the same module to the rules.
_MODULE_SYNONYMS = {"cPickle": "pickle", "_pickle": "pickle", "posix": "os", "nt": "os"}
_MAX_DEPTH = 6  # how far names are followed through assignments
UNKNOWN = "\0"  # stands for a path part we cannot know statically
HUGE = 10**100  # cap for constant folding, so `10**10**10` does not hang the scanner


def import_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> the dotted name it was imported as, for every import in the module."""
    names: dict[str, str] = {}
    for node in statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                full = _canonical(alias.name)
                if alias.asname:
                    names[alias.asname] = full
                else:
                    top = alias.name.split(".")[0]
                    names[top] = _canonical(top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            module = _canonical(node.module)
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{module}.{alias.name}"
    return names


def _canonical(dotted: str) -> str:
    head, _, rest = dotted.partition(".")
    head = _MODULE_SYNONYMS.get(head, head)
    return f"{head}.{rest}" if rest else head


# The nodes that assign a name, for `walk_scope(..., kept=...)`.
ASSIGNING = frozenset({ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.withitem})


def scope_assignments(nodes: Iterable[ast.AST]) -> dict[str, list[ast.expr]]:
    """Name -> every value assigned to it among a scope's nodes (from `walk_scope`)."""
    found: dict[str, list[ast.expr]] = {}
    for node in nodes:
        if type(node) not in ASSIGNING:  # most nodes: one lookup instead of four isinstance
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            if isinstance(node.target, ast.Name):
                found.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            found.setdefault(node.optional_vars.id, []).append(node.context_expr)
    return found


def walk_scope(body: list[ast.stmt], kept: frozenset[type[ast.AST]] | None = None) -> list[ast.AST]:
    """Every node of a scope's body in `ast.walk`'s depth-first order; nested functions,
    lambdas and classes are included, not entered. With `kept`, only nodes of those types.

    The rules spend most of their time here (two million nodes in sqlalchemy), so it is one
    loop building a list: no generator per level, no helper call per node, and only the fields
    that can hold a node worth visiting. A caller
    that looks at a few node types passes them as `kept`: the list it then loops over again is
    a tenth as long.
    """
    nodes: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        cls = type(node)
        if kept is None or cls in kept:
            nodes.append(node)
        if cls in _SCOPE_TYPES:
            continue
        fields = _FIELDS.get(cls)
        if fields is None:
            fields = _node_fields(cls)
        below: list[ast.AST] = []
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                below += [item for item in value if isinstance(item, ast.AST)]
            elif isinstance(value, ast.AST):
                below.append(value)
        if below:
            below.reverse()
            stack += below
    return nodes


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SCOPE_TYPES = frozenset(SCOPES)
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")

# Fields that hold a name, a number or a flag (the Name under 3.12's `type X = ...` has nothing
# below it either), and `ctx`: its Load/Store marker under every name was a fifth of the nodes.
_LEAF_FIELDS = frozenset(
    {"ctx", "id", "attr", "arg", "name", "kind", "type_comment", "level", "module", "conversion"}
    | {"simple", "is_async"}
)


_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _node_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields to look under; a constant's `value` is a Python value, never a node."""
    fields = _FIELDS.get(cls)
    if fields is None:
        leaves = _LEAF_FIELDS | {"value"} if cls is ast.Constant else _LEAF_FIELDS
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in leaves)
    return fields


def statements(tree: ast.AST) -> list[ast.AST]:
    """Every statement, at any depth, without entering expressions (imports are statements).

    A block (`body`, `handlers`, ...) holds only statements, handlers or match cases, so its
    items go on the stack unchecked, and a list instead of a generator: a quarter faster.
    """
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        for block in _BLOCKS:
            value = getattr(node, block, None)
            if value.__class__ is list:
                stack += value
    return found


class Names:
    """Resolves expressions to dotted names and values in one scope (a function or the module)."""

    def __init__(
        self,
        aliases: Mapping[str, str],
        local: Mapping[str, list[ast.expr]],
        module: Mapping[str, list[ast.expr]],
    ) -> None:
        self.aliases = aliases
        self.local = local
        self.module = module

    def values(self, name: str) -> list[ast.expr]:
        if name in self.local:
            return list(self.local[name])
        return list(self.module.get(name, []))

    def unique(self, node: ast.expr, depth: int = 0) -> ast.expr:
        """Follow a name assigned exactly once to its value; anything else is returned as is."""
        while isinstance(node, ast.Name) and depth < _MAX_DEPTH:
            values = self.values(node.id)
            if len(values) != 1:
                break
            node, depth = values[0], depth + 1
        return node

    def qualname(self, node: ast.expr, depth: int = 0) -> str | None:
        """`sp.run` -> `subprocess.run`; `s = requests.Session()` makes `s` `requests.Session()`."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            if node.id in self.local and self.local is not self.module:
                return self._local_qualname(node.id, depth)  # a local shadows an import
            if node.id in self.aliases:
                return self.aliases[node.id]
            values = self.values(node.id)
            if len(values) == 1 and isinstance(values[0], _ALIASING):
                return self.qualname(values[0], depth + 1) or node.id
            return node.id.removeprefix("builtins.")
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value, depth + 1)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            return self._call_qualname(node, depth)
        if isinstance(node, ast.Subscript):
            return self._item_qualname(node, depth)
        return None

    def _call_qualname(self, node: ast.Call, depth: int) -> str | None:
        func = self.qualname(node.func, depth + 1)
        imported = _imported_module(func, node)
        if imported:
            return imported  # __import__("os").system is os.system
        if func == "getattr" and len(node.args) >= 2 and _text(node.args[1]) is not None:
            base = self.qualname(node.args[0], depth + 1)  # getattr(os, "system") is os.system
            return f"{base}.{_text(node.args[1])}" if base else None
        return f"{func}()" if func else None

    def _item_qualname(self, node: ast.Subscript, depth: int) -> str | None:
        """A module's namespace read as a dict is the module: `vars(builtins)["eval"]`,
        `builtins.__dict__["eval"]` and `__builtins__["eval"]` (a dict outside __main__)."""
        key = _text(node.slice)
        if key is None:
            return None
        container = node.value
        if isinstance(container, ast.Call) and self.qualname(container.func, depth + 1) == "vars":
            if len(container.args) != 1:
                return None
            container = container.args[0]
        base = self.qualname(container, depth + 1)
        if base is not None and base.endswith(".__dict__"):
            base = base.removesuffix(".__dict__")
        elif container is node.value and base != "__builtins__":
            return None
        return f"{base}.{key}" if base else None

    def _local_qualname(self, name: str, depth: int) -> str | None:
        values = self.local[name]
        if len(values) == 1 and isinstance(values[0], _ALIASING):
            return self.qualname(values[0], depth + 1)
        return None

    def call_name(self, call: ast.Call) -> str:
        name = self.qualname(call.func) or ""
        return name.removeprefix("builtins.").removeprefix("__builtins__.")


# A name bound once to one of these is another name for what it holds: `run = subprocess.run`,
# `f = getattr(builtins, "eval")`, `_eval = eval`, `e = vars(builtins)["eval"]`.
_ALIASING = (ast.Call, ast.Attribute, ast.Name, ast.Subscript)


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _imported_module(func: str | None, call: ast.Call) -> str | None:
    if func not in ("__import__", "importlib.import_module") or not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
        return _canonical(first.value)
    return None


def arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """A call's argument by position or keyword."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[:index]):
        return call.args[index]
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def is_literal_text(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))


def const_int(node: ast.expr) -> int | None:
    """The value of a constant integer expression (`10**6`, `1_000_000`, `2 * 10**6`), capped."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return int(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = const_int(node.operand)
        return -value if value is not None else None
    if isinstance(node, ast.BinOp):
        left, right = const_int(node.left), const_int(node.right)
        if left is None or right is None:
            return None
        return _fold(node.op, left, right)
    return None


def _fold(op: ast.operator, left: int, right: int) -> int | None:
    if isinstance(op, ast.Pow):
        if right < 0:
            return None
        if abs(left) > 1 and right > 400:
            return HUGE
        power: int = left**right
        return min(power, HUGE)
    if isinstance(op, ast.Mult):
        return min(left * right, HUGE)
    if isinstance(op, ast.Add):
        return min(left + right, HUGE)
    if isinstance(op, ast.Sub):
        return left - right
    if isinstance(op, ast.LShift) and 0 <= right <= 400:
        return min(left << right, HUGE)
    return None


_PATH_CTORS = {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"}
_PASSTHROUGH = {
    "os.path.expanduser",
    "os.path.expandvars",
    "os.path.abspath",
    "os.path.realpath",
    "os.path.normpath",
    "os.fspath",
    "str",
}
_PATH_METHODS = {"expanduser", "resolve", "absolute", "as_posix"}
_HOME_CALLS = {"pathlib.Path.home", "os.path.expanduser", "os.getenv", "os.environ.get"}


def path_text(names: Names, node: ast.expr, depth: int = 0) -> str | None:
    """A best-effort static spelling of a path expression; `~` is home, UNKNOWN an unknown part.

    None when nothing of the path is known.
    """
    if depth > _MAX_DEPTH:
        return None
    node = names.unique(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _home(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(_fstring_part(names, v, depth) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
        left = path_text(names, node.left, depth + 1)
        right = path_text(names, node.right, depth + 1)
        if left is None and right is None:
            return None
        left, right = left or UNKNOWN, right or UNKNOWN
        return join_path(left, right) if isinstance(node.op, ast.Div) else left + right
    if isinstance(node, ast.Subscript) and _is_home_env(names, node):
        return "~"
    if isinstance(node, ast.Call):
        return _call_path(names, node, depth)
    return None


def _fstring_part(names: Names, value: ast.expr, depth: int) -> str:
    if isinstance(value, ast.Constant):
        return str(value.value)
    if isinstance(value, ast.FormattedValue):
        return path_text(names, value.value, depth + 1) or UNKNOWN
    return UNKNOWN


def _call_path(names: Names, call: ast.Call, depth: int) -> str | None:
    func = names.call_name(call)
    if func in _HOME_CALLS and _home_call(call):
        return "~"
    parts = [path_text(names, a, depth + 1) for a in call.args]
    if func in _PATH_CTORS or func == "os.path.join":
        known = [p or UNKNOWN for p in parts]
        if not known or all(p == UNKNOWN for p in known):
            return None
        result = known[0]
        for part in known[1:]:
            result = join_path(result, part)
        return result
    if func in _PASSTHROUGH and call.args:
        return parts[0]
    if isinstance(call.func, ast.Attribute):
        receiver = path_text(names, call.func.value, depth + 1)
        if call.func.attr in _PATH_METHODS:
            return receiver
        if call.func.attr == "joinpath" and receiver is not None:
            joined: str = receiver
            for extra in parts:
                joined = join_path(joined, extra or UNKNOWN)
            return joined
    return None


def _home_call(call: ast.Call) -> bool:
    """`Path.home()`, `os.path.expanduser("~")`, `os.getenv("HOME")` all spell the home folder."""
    if not call.args:
        return True
    first = call.args[0]
    return isinstance(first, ast.Constant) and first.value in ("~", "HOME", "USERPROFILE")


def _is_home_env(names: Names, node: ast.Subscript) -> bool:
    return (
        names.qualname(node.value) == "os.environ"
        and isinstance(node.slice, ast.Constant)
        and node.slice.value in ("HOME", "USERPROFILE")
    )


def _home(text: str) -> str:
    for var in ("${HOME}", "$HOME", "%USERPROFILE%"):
        if text.startswith(var):
            return "~" + text[len(var) :]
    return text


def join_path(left: str, right: str) -> str:
    if right.startswith(("/", "~")):
        return right
    return left.rstrip("/") + "/" + right if left else right
