"""The check steps a file declares: workflow and composite-action steps (see
`checks_weakened_workflows`), tox envs, nox sessions, Makefile recipes and pre-commit hooks,
each with its state on that side (see `checks_weakened_step`). Files are parsed (YAML, INI, the
Python AST), and only the commands inside them are tokenized as shell.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from gates.checks.checks_weakened_args import option_flags
from gates.checks.checks_weakened_commands import (
    LINT,
    TYPES,
    Invocation,
    invocations,
    named_kind,
)
from gates.checks.checks_weakened_shell import Command, parse_script, tokens
from gates.checks.checks_weakened_step import (
    ACTIVE,
    DISABLED,
    IGNORED,
    CheckStep,
    command_steps,
)
from gates.checks.checks_weakened_workflows import action_steps, workflow_steps
from gates.checks.checks_weakened_yaml import load_yaml


def steps_of(path: str, text: str) -> list[CheckStep]:
    """The check steps of one file, by its kind; [] for a file that holds none."""
    name = path.rsplit("/", 1)[-1]
    if _is_workflow(path):
        return list(workflow_steps(path, text))
    if name in ("action.yml", "action.yaml"):
        return list(action_steps(path, text))
    if name == "tox.ini":
        return list(tox_steps(path, text, 0))
    if name == "Makefile" or name.endswith(".mk"):
        return list(_make_steps(path, text))
    if name == "noxfile.py":
        return list(_nox_steps(path, text))
    if name == ".pre-commit-config.yaml":
        return list(_hook_steps(path, text))
    return []


def _is_workflow(path: str) -> bool:
    return path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml"))


# --- tox -------------------------------------------------------------------------------------


class _CaseKeepingParser(configparser.RawConfigParser):
    """INI keys as written (configparser lowers them; mypy's flags are compared by name)."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def read_ini(text: str) -> configparser.RawConfigParser | None:
    parser = _CaseKeepingParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def tox_steps(path: str, text: str, offset: int) -> Iterator[CheckStep]:
    """Each tox env's commands; `- cmd` and `ignore_outcome` swallow a failure."""
    parser = read_ini(text)
    if parser is None:
        return
    for section in parser.sections():
        if section != "testenv" and not section.startswith("testenv:"):
            continue
        env = section.partition(":")[2]
        if env and named_kind(env) == "":
            continue
        outcome = _ini_true(parser.get(section, "ignore_outcome", fallback=""))
        line = _section_line(text, section, offset)
        commands = parser.get(section, "commands", fallback="").replace("\\\n", " ")
        for raw in commands.splitlines():
            label = f"testenv:{env}" if env else "testenv"
            yield from _tox_command(path, label, line, raw, outcome)


_FACTOR = re.compile(r"^[\w!{},.-]+:\s+")
_POSARGS = re.compile(r"\{posargs:?([^}]*)\}")
_ENV_DEFAULT = re.compile(r"\{env:[^:}]+(?::([^}]*))?\}")


def _tox_command(
    path: str, label: str, line: int | None, raw: str, outcome: bool
) -> Iterator[CheckStep]:
    raw = _FACTOR.sub("", raw.strip())  # `mypy: mypy src` runs only in envs with that factor
    dash = raw.startswith("-")
    raw = _POSARGS.sub(lambda m: m.group(1), raw.lstrip("-").strip()).replace(" []", "")
    raw = _ENV_DEFAULT.sub(lambda m: m.group(1) or "", raw)  # {env:CMD:pytest} -> pytest
    for command in parse_script(raw):
        why = "ignore_outcome = true" if outcome else ("- prefix" if dash else command.ignored)
        yield from command_steps(path, label, line, replace(command, ignored=why))


def _ini_true(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes", "on")


def _section_line(text: str, section: str, offset: int) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() == f"[{section}]":
            return number + offset
    return None


# --- Makefile --------------------------------------------------------------------------------

_RULE = re.compile(r"^([A-Za-z0-9_.%/-][^:=\s]*(?:\s+[^:=\s]+)*)\s*::?(?!=)(.*)$")


def _make_steps(path: str, text: str) -> Iterator[CheckStep]:
    target = ""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("\t") and target:
            yield from _recipe_line(path, target, number, line[1:])
            continue
        rule = _RULE.match(line)
        if rule and not line.startswith((" ", "#", ".PHONY")):
            target = rule.group(1).split()[0]
        elif line.strip() and not line.startswith("\t"):
            target = ""


def _recipe_line(path: str, target: str, number: int, line: str) -> Iterator[CheckStep]:
    prefix = re.match(r"^[@+\-\s]*", line)
    flags = prefix.group(0) if prefix else ""
    for command in parse_script(line[len(flags) :]):
        ignored = "- prefix" if "-" in flags else command.ignored
        yield from command_steps(path, f"make:{target}", number, replace(command, ignored=ignored))


# --- nox -------------------------------------------------------------------------------------


def _nox_steps(path: str, text: str) -> Iterator[CheckStep]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and _is_session(node):
            yield from _session_steps(path, node)


def _is_session(node: ast.FunctionDef) -> bool:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Attribute) and target.attr == "session":
            return True
        if isinstance(target, ast.Name) and target.id == "session":
            return True
    return False


def _session_steps(path: str, node: ast.FunctionDef) -> Iterator[CheckStep]:
    skipped = any(_session_call(n) == "skip" for n in ast.walk(node))
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        if _session_call(call) not in ("run", "run_always"):
            continue
        argv = tuple(
            a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        )
        ignored = "success_codes" if _accepts_failure(call) else ""
        command = Command(argv, 0, ignored)
        for step in command_steps(path, f"nox:{node.name}", call.lineno, command):
            yield replace(step, state=DISABLED, why="session.skip()") if skipped else step


def _session_call(node: ast.AST) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr if func.value.id == "session" else ""
    return ""


def _accepts_failure(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "success_codes" and isinstance(keyword.value, (ast.List, ast.Tuple)):
            codes = [e.value for e in keyword.value.elts if isinstance(e, ast.Constant)]
            return any(code != 0 for code in codes)
        if keyword.arg == "success_codes":
            return True  # a computed list: assume it is there to accept a failure
    return False


# --- pre-commit ------------------------------------------------------------------------------

_HOOK_KINDS = {
    "ruff": LINT, "ruff-check": LINT, "flake8": LINT, "pylint": LINT, "pyupgrade": "",
    "ruff-format": "format", "black": "format", "isort": "format",
    "mypy": TYPES, "pyright": TYPES, "bandit": "security",
}  # fmt: skip
_MANUAL_STAGES = frozenset({"manual"})


def _hook_steps(path: str, text: str) -> Iterator[CheckStep]:
    doc, lines = load_yaml(text)
    repos = doc.get("repos") if isinstance(doc, dict) else None
    for repo in repos if isinstance(repos, list) else ():
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else ():
            if isinstance(hook, dict):
                yield from _hook(path, hook, lines.get(id(hook)))


def _hook(path: str, hook: dict[Any, Any], line: int | None) -> Iterator[CheckStep]:
    hook_id = str(hook.get("id", ""))
    entry = hook.get("entry")
    args = hook.get("args")
    argv = tuple(str(a) for a in args) if isinstance(args, list) else ()
    found = invocations(tuple(tokens(entry)) + argv) if isinstance(entry, str) else []
    kind = _HOOK_KINDS.get(hook_id)
    if not found and kind:
        shown = f"pre-commit hook {hook_id}"
        found = [Invocation(kind, hook_id, argv, options=option_flags(argv), shown=shown)]
    stages = hook.get("stages")
    manual = isinstance(stages, list) and set(map(str, stages)) <= _MANUAL_STAGES
    for inv in found:
        state, why = ACTIVE, ""
        if manual:
            state, why = DISABLED, "stages: [manual]"
        elif "--exit-zero" in argv or "--exit-zero" in inv.options:
            state, why = IGNORED, "--exit-zero"
        yield CheckStep(inv, f"hook:{hook_id}", path, line, state, why)
