"""Commands in CI scripts, tox/nox sessions and Makefile recipes, parsed into argv lists.

The checks-weakened gate needs to know which commands run a check (tests, linters, type
checkers, gates) and whether their failure still fails the job: `pytest || true`, `set +e`
before it, or a trailing `; exit 0` make a red run green. Shell is tokenized with `shlex`
(quotes and comments handled), then split at the control operators; nothing is executed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

# After `cmd ||`, these keep the script going as if `cmd` had passed.
_SWALLOWERS = frozenset({"true", ":", "echo", "printf", "/bin/true", "/usr/bin/true"})
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")", "|&"})
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_REDIRECTS = frozenset({">", ">>", "<", "<<", "<<<", ">&", "&>", "&>>", ">|", "<>"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RERAISE = re.compile(r"^\$\{?\??[A-Za-z_?]")  # exit $? / exit "$status" / exit ${rc}


@dataclass(frozen=True)
class Command:
    """One simple command of a script; `ignored` says how its failure is swallowed ("")."""

    argv: tuple[str, ...]
    line: int  # 0-based line of the script it starts on
    ignored: str = ""


def _compact(match: re.Match[str]) -> str:
    """`${{ env.PY }}` -> `${{env.PY}}`: GitHub substitutes it before the shell reads it, so
    it is one word (its spaces and quotes are not the shell's)."""
    return "${{" + re.sub(r"[\s'\"]", "", match.group(1)) + "}}"


def split_script(script: str) -> Iterator[tuple[int, str]]:
    """Logical lines with their first physical line: backslash continuations joined."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(script.splitlines()):
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        yield start, " ".join(pending)
        pending = []
    if pending:
        yield start, " ".join(pending)


def tokens(line: str) -> list[str]:
    """Shell words and operators of one logical line; [] when it does not tokenize."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: not a command we can judge
        return []


def _segments(words: list[str]) -> list[tuple[list[str], str]]:
    """Simple commands with the operator that follows each ("" at the end of the line)."""
    out: list[tuple[list[str], str]] = []
    current: list[str] = []
    redirect = False
    for word in words:
        if redirect:  # the file a redirection names is not an argument
            redirect = False
            continue
        if word in _REDIRECTS:
            redirect = True
            if current and current[-1].isdigit():
                current.pop()  # `2>`: the descriptor
            continue
        if word in _OPERATORS:
            if current:
                out.append((current, word))
            current = []
        else:
            current.append(word)
    if current:
        out.append((current, ""))
    return out


def parse_script(script: str) -> list[Command]:
    """Every simple command of a shell script, with how (if at all) its failure is ignored."""
    flat: list[tuple[int, list[str], str]] = []
    script = _EXPRESSION.sub(_compact, script)
    for line, text in split_script(script):
        flat.extend((line, argv, op) for argv, op in _segments(tokens(text)))
    reraised = _reraises(flat)
    commands: list[Command] = []
    errexit_off = False
    for index, (line, argv, op) in enumerate(flat):
        if argv[:1] == ["set"]:
            errexit_off = _errexit_after(argv[1:], errexit_off)
            continue
        following = flat[index + 1][1] if index + 1 < len(flat) else []
        ignored = _ignored_by(op, following)
        if not ignored and errexit_off and not reraised.get(index, False):
            ignored = "set +e"
        commands.append(Command(tuple(argv), line, ignored))
    return commands


def _errexit_after(flags: list[str], current: bool) -> bool:
    for flag in flags:
        if flag.startswith("+") and "e" in flag:
            current = True
        elif flag.startswith("-") and "e" in flag and not flag.startswith("--"):
            current = False
    return current


def _reraises(flat: list[tuple[int, list[str], str]]) -> dict[int, bool]:
    """For each command index: whether a later `exit $status` hands its failure on."""
    out: dict[int, bool] = {}
    seen = False
    for index in range(len(flat) - 1, -1, -1):
        argv = flat[index][1]
        if argv[:1] == ["exit"] and len(argv) > 1 and _RERAISE.match(argv[1]):
            seen = True
        out[index] = seen
    return out


def _ignored_by(op: str, following: list[str]) -> str:
    if op == "||" and following and following[0] in _SWALLOWERS:
        return f"|| {following[0]}"
    if op == "||" and following[:2] == ["exit", "0"]:
        return "|| exit 0"
    if op == ";" and following[:2] == ["exit", "0"]:
        return "; exit 0"
    return ""


def strip_assignments(argv: tuple[str, ...]) -> tuple[str, ...]:
    """`FOO=1 BAR=2 pytest` -> `pytest`."""
    index = 0
    while index < len(argv) and _ASSIGNMENT.match(argv[index]):
        index += 1
    return argv[index:]
