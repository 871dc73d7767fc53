"""Control and data flow the dangerous-code rules need: loop exits, repeated calls, decoded data.

All of it is static and local: a loop's own exits, the calls that run in a loop, and whether an
expression (or a local it reads) was decoded, decompressed, reversed or downloaded.
"""

from __future__ import annotations

import ast

from gates.checks.egress import downloads
from gates.checks.pyast import SCOPES, Names, arg, const_int, walk_scope

_DECODERS = {
    *(
        f"base64.{n}"
        for n in [
            "b64decode",
            "b32decode",
            "b32hexdecode",
            "b16decode",
            "a85decode",
            "b85decode",
            "decodebytes",
            "decodestring",
            "urlsafe_b64decode",
            "standard_b64decode",
        ]
    ),
    *(f"{m}.decompress" for m in ("zlib", "gzip", "bz2", "lzma")),
    "codecs.decode",
    "binascii.unhexlify",
    "binascii.a2b_base64",
    "binascii.a2b_hex",
    "binascii.a2b_uu",
    "bytes.fromhex",
    "bytearray.fromhex",
    "marshal.loads",
    "chr",
}

_LOOP_EXITS = {"sys.exit", "exit", "quit", "os._exit", "os.abort"}


def params(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *extra]


def exits(body: list[ast.stmt], names: Names) -> bool:
    """True when the loop body can leave the loop: break (of this loop), return, raise, exit.

    A `yield` or `await` counts too: a generator or coroutine loop is driven, and can be
    stopped or cancelled, by its consumer.
    """
    own = _own_breaks(body)
    for node in walk_scope(body):
        if isinstance(node, (ast.Return, ast.Raise, ast.Yield, ast.YieldFrom, ast.Await)):
            return True
        if isinstance(node, ast.Break) and id(node) in own:
            return True
        if isinstance(node, ast.Call) and names.call_name(node) in _LOOP_EXITS:
            return True
    return False


def _own_breaks(body: list[ast.stmt]) -> set[int]:
    """The `break` statements in a loop body that leave that loop, not a nested one."""
    found: set[int] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            found.add(id(node))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            stack.extend(node.orelse)  # a nested loop's else belongs to the outer loop
        elif not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return found


_TRY_NODES: tuple[type[ast.Try], ...] = (ast.Try, getattr(ast, "TryStar", ast.Try))


def loops_in_try(tree: ast.Module) -> set[int]:
    """Ids of the loops inside a `try` body that has `except` handlers (in the same function)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, _TRY_NODES) and node.handlers:
            found.update(id(n) for n in walk_scope(node.body) if isinstance(n, ast.While))
    return found


def calls_in_loops(tree: ast.Module) -> set[int]:
    """Ids of the calls that run repeatedly: in a loop or comprehension of the same function."""
    found: set[int] = set()
    for node in ast.walk(tree):
        repeated: list[ast.stmt] = []
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            repeated = list(node.body)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            repeated = [ast.Expr(node.elt)]
        elif isinstance(node, ast.DictComp):
            repeated = [ast.Expr(node.key), ast.Expr(node.value)]
        found.update(id(n) for n in walk_scope(repeated) if isinstance(n, ast.Call))
    return found


def decoded(node: ast.expr, names: Names, seen: set[str], depth: int = 0) -> bool:
    """True when the expression (or a local it reads) decodes, decompresses or reverses data."""
    if depth > 6:
        return False
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            called = names.call_name(inner)
            if called in _DECODERS or called.endswith(".fromhex") or downloads(called):
                return True
            method = inner.func.attr if isinstance(inner.func, ast.Attribute) else ""
            if method == "decode" and _decodes_literal_or_codec(inner):
                return True
        if isinstance(inner, ast.Subscript) and _reversed(inner):
            return True
        if isinstance(inner, ast.Name) and names.qualname(inner) == "chr":
            return True  # "".join(map(chr, [...])) spells code as numbers
        if isinstance(inner, ast.Name) and inner.id not in seen:
            seen.add(inner.id)
            if any(decoded(v, names, seen, depth + 1) for v in names.values(inner.id)):
                return True
    return False


def _decodes_literal_or_codec(call: ast.Call) -> bool:
    """`b"...".decode()` of an inline blob, or `.decode("rot13")`-style codec decoding."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(receiver, ast.Constant) or _codec_arg(call)


def _codec_arg(call: ast.Call) -> bool:
    codec = arg(call, 0, "encoding")
    return isinstance(codec, ast.Constant) and str(codec.value).lower().replace("_", "") in (
        "rot13",
        "hex",
        "base64",
        "zlib",
        "bz2",
        "hexcodec",
        "base64codec",
        "zlibcodec",
    )


def _reversed(node: ast.Subscript) -> bool:
    """`"...)(tnirp"[::-1]`: a string literal reversed to hide what it says."""
    step = node.slice.step if isinstance(node.slice, ast.Slice) else None
    return (
        step is not None
        and const_int(step) == -1
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, (str, bytes))
    )


def stringy(node: ast.expr | None, names: Names) -> bool:
    """A command given as one string (literal, f-string, concatenation or formatting)."""
    if node is None:
        return False
    node = names.unique(node)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return stringy(node.left, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and isinstance(node.func.value, ast.Constant)
    return False
