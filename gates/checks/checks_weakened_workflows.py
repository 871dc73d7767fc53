"""GitHub workflows and composite actions: their jobs' steps as check steps.

A job's matrix is expanded into the commands that use it (`tox -e ${{ matrix.env }}`), and a
step's state follows its own `if:` / `continue-on-error`, its job's, and whether the workflow
runs on pull requests at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from gates.checks.checks_weakened_commands import (
    GATES,
    LINT,
    TESTS,
    TOOL_KINDS,
    Invocation,
    named_kind,
)
from gates.checks.checks_weakened_step import (
    ACTIVE,
    DISABLED,
    IGNORED,
    CheckStep,
    distinct,
    script_steps,
    worst,
)
from gates.checks.checks_weakened_triggers import not_on_pull_requests
from gates.checks.checks_weakened_yaml import LineMap, load_yaml

_CHECK_NAME = re.compile(r"test|check|ci\b|^ci|pytest|tox|nox")
_FALSE_EXPR = re.compile(r"^\s*(false|0|''|\"\")\s*(&&.*)?$", re.IGNORECASE)


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


def workflow_steps(path: str, text: str) -> Iterator[CheckStep]:
    doc, lines = load_yaml(text)
    if not isinstance(doc, dict):
        return
    not_gating = not_on_pull_requests(doc.get("on", doc.get(True)))
    jobs = doc.get("jobs")
    for job_id, job in jobs.items() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        state, why = ACTIVE, ""
        if not_gating:
            state, why = DISABLED, not_gating
        elif _always_false(job.get("if")):
            state, why = DISABLED, f"job {job_id} if: {_shown(job.get('if'))}"
        elif _truthy(job.get("continue-on-error")):
            state, why = IGNORED, f"job {job_id} continue-on-error: true"
        matrix = matrix_values(job.get("strategy"))
        steps = list(_job_steps(path, str(job_id), job.get("steps"), lines, matrix))
        steps += _reusable_call(path, str(job_id), job.get("uses"), lines.get(id(job)))
        for step in steps:
            yield worst(step, state, why)


def _reusable_call(path: str, job_id: str, uses: object, line: int | None) -> list[CheckStep]:
    """A job that calls a reusable workflow runs the check its file is named after
    (`./.github/workflows/_tests.yml`, `org/ci/.github/workflows/lint.yml@v2`)."""
    if not isinstance(uses, str):
        return []
    target = uses.split("@", 1)[0]
    name = target.rsplit("/", 1)[-1].rsplit(".", 1)[0].strip("_-").lower()
    kind = named_kind(name)
    if not kind or (kind == TESTS and not _CHECK_NAME.search(name)):
        return []
    return [CheckStep(Invocation(kind, f"workflow:{target}", (), shown=uses), job_id, path, line)]


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def action_steps(path: str, text: str) -> Iterator[CheckStep]:
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
            yield worst(found, state, why)


def _step_checks(
    path: str, label: str, line: int | None, step: dict[Any, Any], matrix: Matrix
) -> list[CheckStep]:
    run = step.get("run")
    if isinstance(run, str):
        first = line + 1 if line is not None else None
        scripts = expand(run, matrix)
        return distinct(s for script in scripts for s in script_steps(path, label, first, script))
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
            found.extend(script_steps(path, label, line, script))
    return distinct(found)


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
