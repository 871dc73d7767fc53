"""The check steps a file declares: workflow and composite-action steps, tox envs, nox
sessions, Makefile recipes and pre-commit hooks, each with its state on that side.

A step is `active` when its failure fails the run, `disabled` when it never runs on a pull
request (`if: false`, a manual-only hook, a workflow without a PR trigger, `session.skip()`),
`ignored` when it runs but its failure is swallowed (`continue-on-error`, `|| true`, a `-`
recipe prefix, `ignore_outcome`, `success_codes`). Files are parsed (YAML, INI, the Python
AST), and only the commands inside them are tokenized as shell.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from gates.checks.checks_weakened_commands import (
    GATES,
    LINT,
    TESTS,
    TOOL_KINDS,
    TYPES,
    Invocation,
    invocations,
    named_kind,
    option_flags,
)
from gates.checks.checks_weakened_shell import Command, parse_script, tokens
from gates.checks.checks_weakened_yaml import LineMap, load_yaml

ACTIVE, DISABLED, IGNORED = "active", "disabled", "ignored"
_PR_TRIGGERS = frozenset({"pull_request", "pull_request_target", "push", "merge_group"})
_FALSE_EXPR = re.compile(r"^\s*(false|0|''|\"\")\s*(&&.*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class CheckStep:
    """One check run by one step, on one side of the PR."""

    invocation: Invocation
    label: str  # where in its file: "test/Run tests", "testenv:lint", "hook:mypy"
    path: str
    line: int | None
    state: str = ACTIVE
    why: str = ""  # what disables or ignores it

    @property
    def kind(self) -> str:
        return self.invocation.kind

    @property
    def command(self) -> str:
        inv = self.invocation
        return (inv.shown or " ".join((inv.tool, *inv.args)))[:120]


def steps_of(path: str, text: str) -> list[CheckStep]:
    """The check steps of one file, by its kind; [] for a file that holds none."""
    name = path.rsplit("/", 1)[-1]
    if _is_workflow(path):
        return list(_workflow_steps(path, text))
    if name in ("action.yml", "action.yaml"):
        return list(_action_steps(path, text))
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


# --- GitHub workflows and composite actions ---------------------------------------------------


Matrix = Mapping[str, list[str]]
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")
MAX_VARIANTS = 64  # matrix combinations expanded per script (a bigger matrix is cut there)


def matrix_values(strategy: object) -> dict[str, list[str]]:
    """Each matrix key's values, from its axes and its `include` entries (not `exclude`:
    a value excluded from some combinations still runs in others)."""
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return {}
    out: dict[str, list[str]] = {}
    for key, values in matrix.items():
        if isinstance(values, list) and key not in ("include", "exclude"):
            out.setdefault(str(key), []).extend(_scalar(v) for v in values)
    include = matrix.get("include")
    for entry in include if isinstance(include, list) else ():
        for key, value in entry.items() if isinstance(entry, dict) else ():
            out.setdefault(str(key), []).append(_scalar(value))
    return {k: list(dict.fromkeys(v)) for k, v in out.items()}


def _scalar(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def expand(script: str, matrix: Matrix) -> list[str]:
    """The script once per value of the matrix keys it uses (`tox -e ${{ matrix.env }}`)."""
    variants = [script]
    for key in dict.fromkeys(_MATRIX_REF.findall(script)):
        values = matrix.get(key)
        if not values:
            continue
        pattern = re.compile(r"\$\{\{\s*matrix\." + re.escape(key) + r"\s*\}\}")
        variants = [pattern.sub(_literal(v), s) for s in variants for v in values]
        variants = variants[:MAX_VARIANTS]
    return variants


def _literal(value: str) -> Callable[[re.Match[str]], str]:
    """A replacement taken as is (a matrix value may hold a backslash)."""
    return lambda _match: value


def _distinct(steps: Iterable[CheckStep]) -> list[CheckStep]:
    """One step per check: matrix variants that run the same check count once."""
    seen: dict[tuple[object, ...], CheckStep] = {}
    for step in steps:
        inv = step.invocation
        seen.setdefault((inv.kind, inv.tool, inv.targets, inv.options, step.state), step)
    return list(seen.values())


def _always_false(value: object) -> bool:
    """Whether an `if:` never holds on a pull request: a false constant, or a conjunction
    with a part that is false there (`github.event_name == 'push'`, `github.ref ==
    'refs/heads/main'`, `startsWith(github.ref, 'refs/tags/')`). An `||` is not judged."""
    if value is False or value == 0:
        return True
    if not isinstance(value, str):
        return False
    expr = _bare(value)
    if _FALSE_EXPR.match(expr):
        return True
    return "||" not in expr and any(_false_on_pr(part.strip()) for part in expr.split("&&"))


def _bare(value: str) -> str:
    expr = value.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    return expr.strip()


def _false_on_pr(part: str) -> bool:
    part = part.replace('"', "'")
    event = _EVENT_IS.fullmatch(part)
    if event:
        return event.group(1) not in _PR_EVENTS
    event = _EVENT_IS_NOT.fullmatch(part)
    if event:
        return event.group(1) == "pull_request"
    return bool(_REF_IS.fullmatch(part) or _REF_STARTS.fullmatch(part))


_PR_EVENTS = frozenset({"pull_request", "pull_request_target"})
_EVENT_IS = re.compile(r"github\.event_name\s*==\s*'([\w-]+)'")
_EVENT_IS_NOT = re.compile(r"github\.event_name\s*!=\s*'([\w-]+)'")
_REF_IS = re.compile(r"github\.ref\s*==\s*'refs/(heads|tags)/[^']*'")
_REF_STARTS = re.compile(r"startsWith\(\s*github\.ref\s*,\s*'refs/(heads|tags)/[^']*'\s*\)")


def _truthy(value: object) -> bool:
    """`continue-on-error: true`, `${{ true }}`, or an expression that is not a matrix flag
    (`${{ github.event_name == 'pull_request' }}` is true on every PR); a matrix expression
    (`${{ matrix.experimental }}`) allows failures for some entries only and is not."""
    if value is True:
        return True
    if not isinstance(value, str) or _always_false(value):
        return False
    if value.replace(" ", "").lower() in ("true", "${{true}}"):
        return True
    return "${{" in value and "matrix." not in value


def _workflow_steps(path: str, text: str) -> Iterator[CheckStep]:
    doc, lines = load_yaml(text)
    if not isinstance(doc, dict):
        return
    triggers = _triggers(doc.get("on", doc.get(True)))
    gated = not triggers or bool(triggers & _PR_TRIGGERS)
    jobs = doc.get("jobs")
    for job_id, job in jobs.items() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        state, why = ACTIVE, ""
        if not gated:
            state, why = DISABLED, f"the workflow runs only on {', '.join(sorted(triggers))}"
        elif _always_false(job.get("if")):
            state, why = DISABLED, f"job {job_id} if: {_shown(job.get('if'))}"
        elif _truthy(job.get("continue-on-error")):
            state, why = IGNORED, f"job {job_id} continue-on-error: true"
        matrix = matrix_values(job.get("strategy"))
        for step in _job_steps(path, str(job_id), job.get("steps"), lines, matrix):
            yield _worst(step, state, why)


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _triggers(on: object) -> frozenset[str]:
    if isinstance(on, str):
        return frozenset({on})
    if isinstance(on, (list, dict)):
        return frozenset(str(t) for t in on)
    return frozenset()


def _action_steps(path: str, text: str) -> Iterator[CheckStep]:
    doc, lines = load_yaml(text)
    runs = doc.get("runs") if isinstance(doc, dict) else None
    if isinstance(runs, dict):
        yield from _job_steps(path, "action", runs.get("steps"), lines)


def _job_steps(
    path: str, job: str, steps: object, lines: LineMap, matrix: Matrix | None = None
) -> Iterator[CheckStep]:
    if not isinstance(steps, list):
        return
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        label = f"{job}/{step.get('name') or step.get('id') or index}"
        line = lines.get(id(step))
        state, why = ACTIVE, ""
        if _always_false(step.get("if")):
            state, why = DISABLED, f"if: {_shown(step.get('if'))}"
        elif _truthy(step.get("continue-on-error")):
            state, why = IGNORED, "continue-on-error: true"
        for found in _step_checks(path, label, line, step, matrix or {}):
            yield _worst(found, state, why)


def _step_checks(
    path: str, label: str, line: int | None, step: dict[Any, Any], matrix: Matrix
) -> list[CheckStep]:
    run = step.get("run")
    if isinstance(run, str):
        first = line + 1 if line is not None else None
        scripts = expand(run, matrix)
        return _distinct(s for script in scripts for s in _script_steps(path, label, first, script))
    uses = step.get("uses")
    if not isinstance(uses, str):
        return []
    given = step.get("with")
    inputs: Mapping[Any, Any] = given if isinstance(given, dict) else {}
    action = _action_invocation(uses, inputs)
    found = [CheckStep(action, label, path, line)] if action else []
    for key in _SCRIPT_INPUTS:  # actions that run a command for you (benchmarks, retries)
        script = inputs.get(key)
        if isinstance(script, str):
            found.extend(_script_steps(path, label, line, script))
    return _distinct(found)


_SCRIPT_INPUTS = ("run", "command", "script")


def _action_invocation(uses: str, inputs: Mapping[Any, Any]) -> Invocation | None:
    """The check a `uses:` step runs, known by the action's name (or gates' own inputs)."""
    name = uses.split("@", 1)[0].lower()
    gates_inputs = {"fail-on", "stages", "comment", "statuses"} & {str(k) for k in inputs}
    options = frozenset(
        f"--{key}={inputs[key]}"
        for key in ("fail-on", "stages")
        if inputs.get(key) not in (None, "")
    )
    if "gates" in name.rsplit("/", 1)[-1] or (name.startswith("./") and gates_inputs):
        return Invocation(GATES, name, (), options=options)
    if name.startswith("pre-commit/action"):
        return Invocation(LINT, name, ())
    # An action named after the tool it runs: astral-sh/ruff-action, psf/black,
    # jakebailey/pyright-action, zizmorcore/zizmor-action, pypa/gh-action-pip-audit.
    words = set(re.split(r"[/_.]|-action|action-|gh-action-", name))
    for tool in sorted(words & TOOL_KINDS.keys()):
        return Invocation(TOOL_KINDS[tool], name, ())
    return None


def _script_steps(path: str, label: str, first: int | None, script: str) -> Iterator[CheckStep]:
    for command in parse_script(script):
        line = first + command.line if first is not None else None
        yield from _command_steps(path, label, line, command)


def _command_steps(
    path: str, label: str, line: int | None, command: Command
) -> Iterator[CheckStep]:
    for inv in invocations(command.argv):
        state = IGNORED if command.ignored or "--exit-zero" in inv.options else ACTIVE
        why = command.ignored or ("--exit-zero" if state == IGNORED else "")
        if "--collect-only" in inv.options:
            state, why = DISABLED, "--collect-only (lists the tests, runs none)"
        yield CheckStep(inv, label, path, line, state, why)


def _worst(step: CheckStep, state: str, why: str) -> CheckStep:
    """A step inside a disabled job is disabled, whatever the step itself says."""
    order = {ACTIVE: 0, IGNORED: 1, DISABLED: 2}
    if order[state] > order[step.state]:
        return replace(step, state=state, why=why)
    return step


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
        yield from _command_steps(path, label, line, replace(command, ignored=why))


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
        yield from _command_steps(path, f"make:{target}", number, replace(command, ignored=ignored))


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
        for step in _command_steps(path, f"nox:{node.name}", call.lineno, command):
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


__all__ = ["ACTIVE", "DISABLED", "IGNORED", "TESTS", "CheckStep", "read_ini", "steps_of"]
