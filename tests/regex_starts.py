"""What every match of a regex starts with, read from the regex's own parse tree.

The safety checks skip text that lacks the words their patterns start with; the tests prove
those word lists complete with this walk instead of trusting them.
"""

from __future__ import annotations

from typing import Any

try:  # the parser behind `re`, to read the patterns' own structure
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse  # type: ignore[no-redef]

_OPS = sre_parse  # the opcode names live beside the parser in both versions
_LONGEST = 16  # characters of a literal start worth knowing


def starts(ops: list[tuple[Any, Any]]) -> set[str]:
    """Every literal text a match of `ops` can start with, cut at the first non-literal."""
    if not ops:
        return {""}
    (op, arg), rest = ops[0], ops[1:]
    if op is _OPS.AT or op in (_OPS.ASSERT, _OPS.ASSERT_NOT):  # \b, ^, look-around
        return starts(rest)
    if op is _OPS.LITERAL:
        return {(chr(arg) + tail)[:_LONGEST] for tail in starts(rest)}
    if op is _OPS.IN and len(arg) <= 8 and all(kind is _OPS.LITERAL for kind, _ in arg):
        return {(chr(c) + tail)[:_LONGEST] for _, c in arg for tail in starts(rest)}  # [pousr]
    if op is _OPS.SUBPATTERN:
        return starts(list(arg[-1]) + rest)
    if op is _OPS.BRANCH:
        return {s for branch in arg[1] for s in starts(list(branch) + rest)}
    if op in (_OPS.MAX_REPEAT, _OPS.MIN_REPEAT):
        low, _, item = arg
        once = starts(list(item))  # what one repetition starts with, cut there
        return once | starts(rest) if low == 0 else once
    return {""}  # a class, any character, a category: no literal start


def parse(pattern: str, flags: int = 0) -> list[tuple[Any, Any]]:
    return list(sre_parse.parse(pattern, flags))


def branches(ops: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]:
    """The alternatives of a pattern whose top level is `a|b|c`, else the pattern itself."""
    if len(ops) == 1 and ops[0][0] is _OPS.BRANCH:
        return [list(branch) for branch in ops[0][1][1]]
    return [ops]


def mandatory_literals(ops: list[tuple[Any, Any]]) -> set[str]:
    """Runs of literal text that every match of the sequence `ops` contains: its own runs and
    those of groups and repeats it cannot skip (an alternation inside adds nothing)."""
    runs: set[str] = set()
    current = ""
    for op, arg in ops:
        if op is _OPS.LITERAL:
            current += chr(arg)
            continue
        if current:
            runs.add(current)
            current = ""
        if op is _OPS.SUBPATTERN:
            runs |= mandatory_literals(list(arg[-1]))
        elif op in (_OPS.MAX_REPEAT, _OPS.MIN_REPEAT) and arg[0] >= 1:
            runs |= mandatory_literals(list(arg[2]))
    if current:
        runs.add(current)
    return runs
