"""A small stand-in for the GitHub Actions runner: enough to execute our composite action.

It reads the files a runner gives a step (GITHUB_OUTPUT), evaluates the few expressions our
action.yml uses (inputs, github.action_path, github.token, steps.<id>.outputs/outcome,
always(), ==, !=, &&, ||), and runs `run:` steps the way `shell: bash` does: `bash -e {0}`
on a script file, with the step's `env:` on top of the job's environment.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT lines: `name=value` and `name<<DELIM` ... `DELIM`; later values win."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        i += 1
    return values


@dataclass
class StepResult:
    id: str
    name: str
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(s.ran and s.returncode != 0 for s in self.steps)

    def step(self, step_id: str) -> StepResult:
        return next(s for s in self.steps if s.id == step_id)


class Context:
    """The values expressions may read."""

    def __init__(self, inputs: Mapping[str, str], github: Mapping[str, str]) -> None:
        self.inputs = dict(inputs)
        self.github = dict(github)
        self.steps: dict[str, StepResult] = {}
        self.failed = False

    def lookup(self, path: str) -> str:
        parts = path.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(parts[1], "")
        if parts[0] == "github":
            return self.github.get(parts[1], "")
        if parts[0] == "steps":
            step = self.steps.get(parts[1])
            if step is None:
                return ""
            if parts[2] == "outputs":
                return step.outputs.get(parts[3], "")
            if parts[2] in ("outcome", "conclusion"):
                if not step.ran:
                    return "skipped"
                return "success" if step.returncode == 0 else "failure"
        raise ValueError(f"expression not supported by the test runner: {path}")

    def value(self, expr: str) -> Any:
        """A tiny evaluator: || and && of comparisons of paths, literals and status calls."""
        expr = expr.strip()
        if "||" in expr:
            for part in expr.split("||"):
                got = self.value(part)
                if got:
                    return got
            return got
        if "&&" in expr:
            got: Any = True
            for part in expr.split("&&"):
                got = self.value(part)
                if not got:
                    return got
            return got
        for op in ("!=", "=="):
            if op in expr:
                left, right = (self.value(p) for p in expr.split(op, 1))
                same = str(left).lower() == str(right).lower()
                return same if op == "==" else not same
        if expr.startswith("!"):
            return not self.value(expr[1:])
        if expr == "always()":
            return True
        if expr == "success()":
            return not self.failed
        if expr == "failure()":
            return self.failed
        if expr[0] == expr[-1] == "'":
            return expr[1:-1].replace("''", "'")
        if expr in ("true", "false"):
            return expr == "true"
        return self.lookup(expr)

    def substitute(self, text: str) -> str:
        return _EXPR.sub(lambda m: str(self.value(m.group(1))), text)

    def condition(self, text: str | None) -> bool:
        if text is None:
            return not self.failed
        inner = _EXPR.fullmatch(text.strip())
        expr = inner.group(1) if inner else text
        has_status = re.search(r"\b(always|success|failure|cancelled)\(\)", expr)
        if not has_status:
            expr = f"success() && {expr}"
        return bool(self.value(expr))


def load_action(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run_action(
    action: Mapping[str, Any],
    inputs: Mapping[str, str],
    github: Mapping[str, str],
    env: Mapping[str, str],
    cwd: Path,
    tmp: Path,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    timeout: float = 300,
) -> ActionRun:
    """Run the composite steps in order; steps whose id is in `skip` count as succeeded."""
    defaults = {k: str(v.get("default", "")) for k, v in (action.get("inputs") or {}).items()}
    ctx = Context({k: ctx_default(defaults, inputs, k) for k in defaults}, github)
    # Defaults may themselves be expressions such as ${{ github.token }}.
    ctx.inputs = {k: ctx.substitute(v) for k, v in ctx.inputs.items()}
    results: list[StepResult] = []
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"__{index}")
        result = StepResult(step_id, step.get("name", step_id), ran=False)
        ctx.steps[step_id] = result
        results.append(result)
        if not ctx.condition(step.get("if")):
            continue
        if step_id in skip or "uses" in step:
            result.ran = True
            continue
        _run_step(ctx, step, result, env, cwd, tmp / f"step{index}", timeout)
        if result.returncode != 0 and not step.get("continue-on-error"):
            ctx.failed = True
    outputs = {
        name: ctx.substitute(str(spec.get("value", "")))
        for name, spec in (action.get("outputs") or {}).items()
    }
    return ActionRun(results, outputs)


def ctx_default(defaults: Mapping[str, str], inputs: Mapping[str, str], name: str) -> str:
    return inputs.get(name, defaults.get(name, ""))


def _run_step(
    ctx: Context,
    step: Mapping[str, Any],
    result: StepResult,
    env: Mapping[str, str],
    cwd: Path,
    scratch: Path,
    timeout: float,
) -> None:
    assert step.get("shell") == "bash", "our composite steps all use shell: bash"
    scratch.mkdir(parents=True)
    script = scratch / "script.sh"
    script.write_text(step["run"], encoding="utf-8")
    output_file = scratch / "output"
    output_file.write_text("")
    step_env = {k: ctx.substitute(str(v)) for k, v in (step.get("env") or {}).items()}
    result.env = step_env
    workdir = ctx.substitute(str(step.get("working-directory", ".")))
    full_env = {**env, **step_env, "GITHUB_OUTPUT": str(output_file)}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd / workdir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    result.ran = True
    result.returncode = proc.returncode
    result.stdout, result.stderr = proc.stdout, proc.stderr
    result.outputs = parse_outputs(output_file.read_text(encoding="utf-8"))


def runner_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The job environment without anything from the developer's own GitHub setup."""
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
