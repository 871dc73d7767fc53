"""A skip condition that only names the platform, read as that platform.

`skipif(platform.system() == "Windows")`, `skipif(sys.platform == "win32")`,
`skipif(os.name == "nt")` and `skipif(WIN)` (a project's own flag, named for the platform) skip
the same test on the same machines: rewriting one as another is no new condition. Anything else
(an `and`, a version, another flag) is compared as written.
"""

from __future__ import annotations

import ast
import re

from gates.checks.test_integrity_forms import dotted

# What a platform-reading expression is compared with -> the platform it means.
_VALUES = {
    "windows": "windows",
    "win32": "windows",
    "cygwin": "windows",
    "nt": "windows",
    "darwin": "mac",
    "linux": "linux",
}
_READERS = frozenset({"platform.system", "sys.platform", "os.name"})
_FLAG = re.compile(
    r"^(?:IS_|ON_|RUNNING_ON_)?(?:(?P<windows>WIN|WIN32|WINDOWS)|(?P<mac>MAC|MACOS|OSX|DARWIN)"
    r"|(?P<linux>LINUX))$",
    re.IGNORECASE,
)


def platform_condition(node: ast.expr) -> str | None:
    """`platform:windows` or `platform:!windows` for a pure platform test, else None."""
    negated = False
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        negated, node = not negated, node.operand
    found = _read(node)
    if found is None:
        return None
    name, inverted = found
    return f"platform:{'!' if negated != inverted else ''}{name}"


def _read(node: ast.expr) -> tuple[str, bool] | None:
    if isinstance(node, (ast.Name, ast.Attribute)):
        match = _FLAG.match(dotted(node).rpartition(".")[2])
        return (match.lastgroup or "", False) if match else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # sys.platform.startswith("win")
        if node.func.attr == "startswith" and dotted(node.func.value) == "sys.platform":
            return _value(node.args[0] if len(node.args) == 1 else None, False)
        return None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        inverted = isinstance(node.ops[0], ast.NotEq)
        if not (inverted or isinstance(node.ops[0], ast.Eq)):
            return None
        left, right = node.left, node.comparators[0]
        if _reader(left):
            return _value(right, inverted)
        return _value(left, inverted) if _reader(right) else None
    return None


def _reader(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) and not node.args else node
    return dotted(target) in _READERS


def _value(node: ast.expr | None, inverted: bool) -> tuple[str, bool] | None:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    name = _VALUES.get(node.value.lower()) or ("windows" if node.value == "win" else None)
    return (name, inverted) if name else None
