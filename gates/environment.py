"""The two Python environments of a run: gates' own, and the project's.

gates and the tools that never import the project (ruff, bandit, semgrep, pip-audit) run in the
interpreter that runs gates. What must import the project (pytest under coverage, mypy's view of
its dependencies) runs in the project's interpreter: the one its own setup steps installed its
dependencies into. Which one that is: `--python` > config `python` > env `GATES_PYTHON` > gates'
own. A `python` that does not exist or does not run is a usage error naming it, decided before
any gate starts, so a typo never turns into six gates `error`.

One short subprocess of the project's interpreter answers everything the run needs of it (its
version, the tools installed there, a digest of its packages for the result cache); it is
started early and waited for only when the gates are about to start.
"""

from __future__ import annotations

import concurrent.futures
import importlib.metadata
import json
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gates import __version__
from gates.errors import UsageError
from gates.model import GateResult, RunEnvironment
from gates.proc import run_process, scrubbed_env
from gates.text import one_line

if TYPE_CHECKING:
    from gates.gate import Gate

PYTHON_ENV = "GATES_PYTHON"
PROBE_TIMEOUT_S = 60.0
# The tools that may run in the project's interpreter, and those that run in gates' own.
PROJECT_TOOLS = ("pytest", "coverage", "mypy", "pytest-benchmark")
OWN_TOOLS = ("ruff", "mypy", "bandit", "semgrep", "pip-audit", "zizmor")
# A gate's `tool` -> the distribution that provides it.
_DISTRIBUTION = {"pytest": "pytest", "pip-audit": "pip-audit"}
# The first line drops the current directory (`-c` puts it first on sys.path): a file in the
# checkout named like a module the probe imports (json.py) must not run here.
_PROBE = (
    "import sys; del sys.path[0]\n"
    "import hashlib, importlib.metadata as m, json, platform\n"
    "tools = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try: tools[name] = m.version(name)\n"
    "    except m.PackageNotFoundError: pass\n"
    "pins = sorted({f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions()"
    " if d.metadata['Name']})\n"
    "print(json.dumps({'python_version': platform.python_version(), 'tools': tools,"
    " 'packages': hashlib.sha256('\\n'.join(pins).encode()).hexdigest()[:32]}))\n"
)


@dataclass(frozen=True)
class ProjectPython:
    """The project's interpreter and where the choice came from (named in errors)."""

    path: str
    source: str  # "--python", "config key `python`", "GATES_PYTHON" or "gates' own interpreter"


@dataclass(frozen=True)
class Environment:
    """What ran where: the project's interpreter, its version, and each tool's version from
    the interpreter it ran in; `packages` digests the project's installed distributions."""

    python: str
    python_version: str
    tools: Mapping[str, str] = field(default_factory=dict)
    packages: str = ""
    project_tools: Mapping[str, str] = field(default_factory=dict)

    def tool_version(self, tool: str) -> str:
        """`"ruff 0.6.1"` for a gate's `tool`, "" when unknown (gates' own checks: gates)."""
        name = _DISTRIBUTION.get(tool, tool)
        version = self.tools.get(name, "")
        return f"{name} {version}" if version else ""

    def for_report(self) -> RunEnvironment:
        return RunEnvironment(self.python, self.python_version, dict(self.tools))

    def cache_material(self) -> dict[str, str]:
        """What the result cache keys on besides the interpreter's path."""
        return {
            **{f"tool:{k}": v for k, v in sorted(self.tools.items())},
            "python_version": self.python_version,
            "packages": self.packages,
        }


def choose_python(
    cli: str | None, configured: str, env: Mapping[str, str], root: Path
) -> ProjectPython:
    """The project's interpreter by precedence. A relative path in the config is relative to the
    repository; on the command line or in the environment, to the current directory. A bare name
    is looked up on PATH. The path is made absolute but never resolved: a venv's python is a
    symlink, and resolving it would leave the venv."""
    if cli:
        return ProjectPython(_absolute(cli, Path.cwd(), env), "--python")
    if configured:
        return ProjectPython(_absolute(configured, root, env), "config key `python`")
    if env.get(PYTHON_ENV):
        return ProjectPython(_absolute(env[PYTHON_ENV], Path.cwd(), env), PYTHON_ENV)
    return ProjectPython(sys.executable, "gates' own interpreter")


def _absolute(value: str, base: Path, env: Mapping[str, str]) -> str:
    if os.sep not in value and "/" not in value:
        found = shutil.which(value, path=env.get("PATH") or os.environ.get("PATH"))
        return found or value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else base / path)


def probe(python: ProjectPython, cwd: Path) -> Environment:
    """Run the project's interpreter once; a missing or broken one is a UsageError naming it."""
    if not Path(python.path).is_file() or not os.access(python.path, os.X_OK):
        raise UsageError(
            f"python {python.path} (from {python.source}) does not exist or is not executable"
        )
    result = run_process(
        [python.path, "-c", _PROBE, *PROJECT_TOOLS],
        cwd=cwd,
        env=scrubbed_env(),
        timeout_s=PROBE_TIMEOUT_S,
    )
    try:
        data = json.loads(result.stdout) if result.ok else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        why = one_line(result.tail(300) or result.describe_failure(), 200)
        raise UsageError(f"python {python.path} (from {python.source}) does not run: {why}")
    project = {str(k): str(v) for k, v in (data.get("tools") or {}).items()}
    return Environment(
        python=python.path,
        python_version=str(data.get("python_version", "")),
        tools=merged_tools(project, own_tools()),
        packages=str(data.get("packages", "")),
        project_tools=project,
    )


def own_tools() -> dict[str, str]:
    """The versions of the tools in gates' own environment, read in this process."""
    found: dict[str, str] = {}
    for name in OWN_TOOLS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def merged_tools(project: Mapping[str, str], own: Mapping[str, str]) -> dict[str, str]:
    """Each tool's version from the interpreter it runs in: pytest and coverage from the
    project's; mypy from the project's when it is installed there, else gates' own (see
    gates.tools.mypy); the linters from gates' own."""
    tools = {name: own[name] for name in OWN_TOOLS if name in own}
    tools.update(project)
    return dict(sorted(tools.items()))


def probe_soon(python: ProjectPython, cwd: Path) -> Callable[[], Environment]:
    """Start the probe on a thread now (git computes the diff meanwhile); the callable waits
    for it and raises its UsageError."""
    answer: concurrent.futures.Future[Environment] = concurrent.futures.Future()

    def ask() -> None:
        try:
            answer.set_result(probe(python, cwd))
        except BaseException as exc:  # handed to whoever waits for the answer
            answer.set_exception(exc)

    threading.Thread(target=ask, daemon=True).start()
    return answer.result


def with_tool_versions(
    results: Iterable[GateResult], registry: Mapping[str, Gate], ran_in: Environment
) -> list[GateResult]:
    """Each gate's `tool_version`, where its adapter did not read one itself: the version of
    its tool in the interpreter it ran in; gates' own checks are gates."""
    out = []
    for result in results:
        gate = registry.get(result.name)
        if result.tool_version or gate is None:
            out.append(result)
            continue
        tool = gate.tool
        version = f"gates {__version__}" if tool == "gates" else ran_in.tool_version(tool)
        out.append(replace(result, tool_version=version))
    return out
