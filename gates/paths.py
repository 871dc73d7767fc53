"""Path globs with `**` and `{a,b}`: the one matching rule of every config key that takes globs.

The rules are in docs/globs.md. In short: `*` within one path segment, `**` any number of
segments, `?` one character, `[abc]`/`[!abc]` a class, `{a,b}` alternatives (nested, expanded
first as in bash), `\\` escapes the next character. A pattern without `/` matches the name at
any depth; a pattern naming a directory matches the files below it (as in .gitignore).

A pattern that cannot mean what its author wrote (an unbalanced brace, an unclosed class, a
range such as `z-a`) is a `GlobError`. Config keys are checked with `check_globs` when the
config loads, so a typo is exit 2 naming the key, never a glob that silently matches nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

# The files the Python tools (bandit, ruff, mypy ...) and the Python size budgets read.
PYTHON_SUFFIXES = (".py", ".pyi")
# `{a,b}{c,d}...` doubles per group: past this many patterns it is a mistake, not a glob.
MAX_ALTERNATIVES = 256
MAX_NESTING = 16


class GlobError(ValueError):
    """A pattern that cannot be used; the message says why, without the pattern itself."""


def check_glob(pattern: str) -> str | None:
    """Why `pattern` is not a usable path glob, or None."""
    try:
        compile_glob(pattern)
    except GlobError as exc:
        return f"bad glob {pattern!r}: {exc}"
    return None


def check_globs(value: object) -> str | None:
    """A config check (`Option.check`) for a list of path globs: names the bad item."""
    return _check_each(value, check_glob)


def check_host_globs(value: object) -> str | None:
    """A config check for a list of host globs (`allowed_hosts`)."""
    return _check_each(value, _check_host_glob)


def _check_each(value: object, check: Callable[[str], str | None]) -> str | None:
    items = value if isinstance(value, list) else []
    for index, item in enumerate(items):
        problem = check(item) if isinstance(item, str) else None
        if problem:
            return f"item {index}: {problem}"
    return None


def _check_host_glob(pattern: str) -> str | None:
    try:
        compile_host_glob(pattern)
    except GlobError as exc:
        return f"bad glob {pattern!r}: {exc}"
    return None


@functools.lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regex of a path glob; a `GlobError` when the pattern is malformed."""
    pat = pattern.strip()
    if not pat:
        raise GlobError("empty pattern")
    if pat.startswith("!"):
        raise GlobError("'!' negation is not supported: use an exclude key (or \\! for a '!')")
    alternatives = [_path_rules(alt) for alt in expand_braces(pat)]
    return _compile("|".join(f"(?:{_translate(a)}(?:/.*)?)" for a in alternatives))


def _path_rules(pat: str) -> str:
    """The .gitignore-like rules, applied to one alternative after brace expansion."""
    if pat.startswith("./"):
        pat = pat[2:]
    if pat.endswith("/"):
        pat += "**"
    if "/" not in pat:
        pat = "**/" + pat
    return pat.lstrip("/")


@functools.lru_cache(maxsize=256)
def compile_host_glob(pattern: str) -> re.Pattern[str]:
    """A host glob (`*.example.com`, `{api,www}.example.com`): the whole name must match."""
    pat = pattern.strip().lower()
    if not pat:
        raise GlobError("empty pattern")
    return _compile("|".join(f"(?:{_translate(alt)})" for alt in expand_braces(pat)))


def _compile(regex: str) -> re.Pattern[str]:
    try:
        return re.compile(f"(?:{regex})\\Z", re.DOTALL)
    except (re.error, OverflowError, RecursionError) as exc:  # a safety net: _translate escapes
        raise GlobError(f"cannot be compiled ({exc})") from None


def expand_braces(pattern: str) -> tuple[str, ...]:
    """`a{b,c{d,e}}f` -> abf, acdf, acef, in order, duplicates dropped. Escapes (`\\{`) and
    classes (`[{]`) are kept as they are, for `_translate`."""
    alternatives, end = _sequence(pattern, 0, depth=0)
    if end != len(pattern):  # only a `}` stops the top level early
        raise GlobError("unbalanced '}' (write \\} for a literal brace)")
    return tuple(dict.fromkeys(alternatives))


def _sequence(pat: str, i: int, depth: int) -> tuple[list[str], int]:
    """The expansions of the items from `i` up to a `,` or `}` that ends a group (or the end);
    `depth` is the number of groups around it (0: the top level, where `,` is literal)."""
    out = [""]
    while i < len(pat):
        char = pat[i]
        if char == "}" or (char == "," and depth):
            return out, i
        if char == "{":
            items, i = _group(pat, i, depth + 1)
        else:
            end = _token_end(pat, i)
            items, i = [pat[i:end]], end
        out = [a + b for a in out for b in items]
        if len(out) > MAX_ALTERNATIVES:
            raise GlobError(f"braces expand to more than {MAX_ALTERNATIVES} patterns")
    return out, i


def _group(pat: str, i: int, depth: int) -> tuple[list[str], int]:
    """The alternatives of the `{...}` that starts at `i`, and the index after its `}`."""
    if depth > MAX_NESTING:
        raise GlobError(f"braces nested more than {MAX_NESTING} deep")
    alternatives: list[str] = []
    while True:
        items, i = _sequence(pat, i + 1, depth)
        alternatives += items
        if i >= len(pat):
            raise GlobError("unbalanced '{' (write \\{ for a literal brace)")
        if pat[i] == "}":
            return alternatives, i + 1


def _token_end(pat: str, i: int) -> int:
    """The end of the token at `i`: an escape pair, a whole class, or one character."""
    if pat[i] == "\\":
        if i + 1 >= len(pat):
            raise GlobError("ends with a lone '\\'")
        return i + 2
    if pat[i] == "[":
        end = _class_end(pat, i)
        if end is None:
            raise GlobError("unclosed '[' (write \\[ for a literal bracket)")
        return end + 1
    return i + 1


def _class_end(pat: str, i: int) -> int | None:
    """The index of the `]` closing the class at `i`; a `]` first in the class is literal."""
    j = i + 1
    if j < len(pat) and pat[j] in "!^":
        j += 1
    if j < len(pat) and pat[j] == "]":
        j += 1
    while j < len(pat):
        if pat[j] == "\\":
            j += 2
            continue
        if pat[j] == "]":
            return j
        j += 1
    return None


def _translate(pat: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(r".*")
            i += 2
        elif pat[i] == "*":
            out.append(r"[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append(r"[^/]")
            i += 1
        else:
            end = _token_end(pat, i)
            token = pat[i:end]
            out.append(_class(token) if token[0] == "[" else re.escape(token[-1]))
            i = end
    return "".join(out)


def _class(token: str) -> str:
    """`[a-c]`, `[!x]`: a class never matches `/`, like `*` and `?`."""
    body = token[1:-1]
    negated = body[:1] in ("!", "^")
    chars = _class_chars(body[1:] if negated else body)
    parts: list[str] = []
    k = 0
    while k < len(chars):
        if k + 2 < len(chars) and chars[k + 1] == ("-", False):
            low, high = chars[k][0], chars[k + 2][0]
            if low > high:
                raise GlobError(f"bad character range {low}-{high}")
            parts.append(f"{re.escape(low)}-{re.escape(high)}")
            k += 3
        else:
            parts.append(re.escape(chars[k][0]))
            k += 1
    inner = "".join(parts)
    return f"[^/{inner}]" if negated else f"(?!/)[{inner}]"


def _class_chars(body: str) -> list[tuple[str, bool]]:
    """The characters of a class body and whether each was escaped (`\\-` is no range)."""
    out: list[tuple[str, bool]] = []
    k = 0
    while k < len(body):
        escaped = body[k] == "\\" and k + 1 < len(body)
        out.append((body[k + 1], True) if escaped else (body[k], False))
        k += 2 if escaped else 1
    return out


def matches(path: str, patterns: Iterable[str]) -> bool:
    return any(compile_glob(p).match(path) for p in patterns)


def select(
    paths: Iterable[str], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[str, ...]:
    """Keep the paths that match `include` (all when empty) and none of `exclude`."""
    inc, exc = tuple(include), tuple(exclude)
    return tuple(p for p in paths if (not inc or matches(p, inc)) and not matches(p, exc))
