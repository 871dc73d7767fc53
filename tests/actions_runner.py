"""A small stand-in for the GitHub Actions runner: enough to execute our composite action.

It reads the files a runner gives a step (GITHUB_OUTPUT), evaluates the few expressions our
action.yml uses (inputs, github.action_path, github.token, runner.temp/os/arch,
steps.<id>.outputs/outcome, always(), ==, !=, &&, ||), and runs `run:` steps the way
`shell: bash` does: `bash -e {0}` on a script file, with the step's `env:` on top of the job's
environment. Of the `uses:` steps it plays actions/cache/restore and actions/cache/save against
a directory that stands for GitHub's cache service (`ActionsCache`), and actions/setup-python
by answering its `python-path` output with an interpreter the test names; any other `uses:`
step counts as succeeded without doing anything.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
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
    with_: dict[str, str] = field(default_factory=dict)  # a `uses:` step's evaluated inputs
    seconds: float = 0.0


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

    def __init__(
        self,
        inputs: Mapping[str, str],
        github: Mapping[str, str],
        runner: Mapping[str, str] | None = None,
    ) -> None:
        self.inputs = dict(inputs)
        self.github = dict(github)
        self.runner = dict(runner or {})
        self.steps: dict[str, StepResult] = {}
        self.failed = False

    def lookup(self, path: str) -> str:
        parts = path.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(parts[1], "")
        if parts[0] == "github":
            return self.github.get(parts[1], "")
        if parts[0] == "runner":
            return self.runner.get(parts[1], "")
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


class ActionsCache:
    """GitHub's cache service, as actions/cache v4 uses it, in a directory.

    An entry is found by its key and its paths (the service's "version" is a hash of the paths,
    so a cache saved for one path never restores to another). Restoring replaces each path with
    the saved copy, as a fresh runner would have it; an existing key is never overwritten.
    Copies are hard links, for speed: a test must replace files, never edit them in place.
    """

    def __init__(self, store: Path) -> None:
        self.store = store
        self.saves: list[str] = []  # keys saved, in order
        self.restores: list[tuple[str, str]] = []  # (primary key, matched key or "")

    def _version(self, paths: list[str]) -> Path:
        digest = hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]
        return self.store / digest

    def _entry(self, paths: list[str], key: str) -> Path:
        return self._version(paths) / hashlib.sha256(key.encode()).hexdigest()[:32]

    def restore(self, paths: list[str], key: str, restore_keys: list[str]) -> dict[str, str]:
        outputs = {"cache-primary-key": key}
        exact = self._entry(paths, key)
        found = exact if exact.is_dir() else self._newest_with_prefix(paths, restore_keys)
        self.restores.append((key, (found / "key").read_text() if found else ""))
        if found is None:
            return outputs  # as v4: no cache-hit output at all on a miss
        for index, path in enumerate(paths):
            target = Path(path)
            _remove(target)
            saved = found / str(index)
            if saved.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                _link_copy(saved, target)
        outputs["cache-hit"] = str(found == exact).lower()
        outputs["cache-matched-key"] = (found / "key").read_text()
        return outputs

    def _newest_with_prefix(self, paths: list[str], prefixes: list[str]) -> Path | None:
        version = self._version(paths)
        entries = (
            [e for e in version.iterdir() if (e / "key").is_file()] if version.is_dir() else []
        )
        entries.sort(key=lambda e: float((e / "saved").read_text()), reverse=True)
        for prefix in prefixes:
            for entry in entries:
                if (entry / "key").read_text().startswith(prefix):
                    return entry
        return None

    def save(self, paths: list[str], key: str) -> tuple[int, str]:
        entry = self._entry(paths, key)
        if entry.exists():
            return 0, f"Failed to save: Unable to reserve cache with key {key} (it exists)."
        if not any(Path(p).exists() for p in paths):
            return 0, "Path Validation Error: no path to cache exists; nothing saved."
        partial = entry.with_name(entry.name + ".partial")
        partial.mkdir(parents=True)
        for index, path in enumerate(paths):
            if Path(path).exists():
                _link_copy(Path(path), partial / str(index))
        (partial / "key").write_text(key)
        (partial / "saved").write_text(repr(time.time()))
        partial.rename(entry)
        self.saves.append(key)
        return 0, f"Cache saved with key: {key}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _link_copy(source: Path, target: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=os.link)
    else:
        shutil.copy2(source, target, follow_symlinks=False)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def run_action(
    action: Mapping[str, Any],
    inputs: Mapping[str, str],
    github: Mapping[str, str],
    env: Mapping[str, str],
    cwd: Path,
    tmp: Path,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    timeout: float = 300,
    *,
    cache: ActionsCache | None = None,
    setup_python: str | None = None,
    after_step: Callable[[StepResult], None] | None = None,
    until: str | None = None,
) -> ActionRun:
    """Run the composite steps in order; steps whose id is in `skip` count as succeeded.

    `cache` plays actions/cache (without it, cache steps do nothing and restore misses);
    `setup_python` is the interpreter actions/setup-python answers with; `after_step` is called
    after every step that ran; `until` stops after the step with that id.
    """
    defaults = {k: str(v.get("default", "")) for k, v in (action.get("inputs") or {}).items()}
    runner = {
        "temp": env.get("RUNNER_TEMP", ""),
        "os": env.get("RUNNER_OS", ""),
        "arch": env.get("RUNNER_ARCH", ""),
        "tool_cache": env.get("RUNNER_TOOL_CACHE", ""),
    }
    ctx = Context({k: ctx_default(defaults, inputs, k) for k in defaults}, github, runner)
    # Defaults may themselves be expressions such as ${{ github.token }}.
    ctx.inputs = {k: ctx.substitute(v) for k, v in ctx.inputs.items()}
    results: list[StepResult] = []
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"__{index}")
        result = StepResult(step_id, step.get("name", step_id), ran=False)
        ctx.steps[step_id] = result
        results.append(result)
        if not ctx.condition(step.get("if")):
            if step_id == until:
                break
            continue
        started = time.monotonic()
        if step_id in skip:
            result.ran = True
        elif "uses" in step:
            _use(ctx, step, result, cache, setup_python)
        else:
            _run_step(ctx, step, result, env, cwd, tmp / f"step{index}", timeout)
        result.seconds = time.monotonic() - started
        if result.returncode != 0 and not step.get("continue-on-error"):
            ctx.failed = True
        if after_step is not None:
            after_step(result)
        if step_id == until:
            break
    outputs = {
        name: ctx.substitute(str(spec.get("value", "")))
        for name, spec in (action.get("outputs") or {}).items()
    }
    return ActionRun(results, outputs)


def _use(
    ctx: Context,
    step: Mapping[str, Any],
    result: StepResult,
    cache: ActionsCache | None,
    setup_python: str | None,
) -> None:
    """A `uses:` step: the cache and setup-python actions played, any other a no-op."""
    name = str(step["uses"]).split("@", 1)[0]
    raw = (step.get("with") or {}).items()
    given = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in raw}
    result.with_ = {k: ctx.substitute(v) for k, v in given.items()}
    result.ran = True
    given = result.with_
    if name == "actions/cache/restore" and cache is not None:
        paths = _lines(given["path"])
        result.outputs = cache.restore(paths, given["key"], _lines(given.get("restore-keys", "")))
    elif name == "actions/cache/save" and cache is not None:
        result.returncode, result.stdout = cache.save(_lines(given["path"]), given["key"])
    elif name == "actions/cache/restore":
        result.outputs = {"cache-primary-key": given["key"]}
    elif name == "actions/setup-python" and setup_python is not None:
        result.outputs = {"python-path": setup_python}
    elif name == "actions/setup-python":
        result.returncode, result.stderr = 1, "the test named no interpreter for setup-python"


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
