"""Which files coverage measures: the project's own `source`, or one inferred from its layout.

Told no `source`, coverage reports only the files that ran: a PR that adds a whole module no
test imports still shows 100 %. Told a `source`, it also lists the files nothing imported, at
0 %. So when neither the project's coverage config nor its pytest-cov options name a source,
the gate names one: the project's top-level packages (at the root or under `src/`).
"""

from __future__ import annotations

import configparser
import contextlib
import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gates.gate import GateContext

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# The files pytest 9 takes its config from, in its precedence order (_pytest/config/findpaths).
_PYTEST_CONFIGS = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)
# Top-level folders that hold no shipped code, even with an `__init__.py`.
_NOT_SOURCE = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks"}
    | {"benchmark", "bench", "scripts", "script", "tasks", "ci", "build", "dist", "site"}
)
# Top-level modules that drive the project rather than ship with it.
_NOT_MODULES = frozenset(
    {"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "tasks.py", "manage.py"}
)
# Run in the project's interpreter, in the checkout: what coverage's own config reading makes of
# the project's files (.coveragerc, setup.cfg, tox.ini, pyproject.toml, $COVERAGE_RCFILE), and
# the installed distributions (the base figure's cache key). The checkout itself is taken off
# sys.path, and the project's own (editable) install counts without its version, which a
# setuptools-scm project changes with every commit.
PROBE = r"""
import importlib.metadata as metadata, json, os, sys
root = os.path.realpath(os.getcwd())
sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != root]
out = {"python": sys.version, "source": [], "omit": []}
try:
    import coverage
    config = coverage.Coverage().config
    for attr in ("source", "source_pkgs", "source_dirs"):
        out["source"] += list(getattr(config, attr, None) or [])
    out["omit"] = list(config.run_omit or [])
except Exception as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, exc)
dists = set()
for dist in metadata.distributions():
    where = os.path.realpath(str(dist.locate_file("")))
    try:
        editable = json.loads(dist.read_text("direct_url.json") or "{}")
        editable = editable.get("dir_info", {}).get("editable", False)
    except ValueError:
        editable = False
    own = editable or where == root or where.startswith(root + os.sep)
    dists.add("%s==%s" % (str(dist.metadata["Name"]).lower(), "(own)" if own else dist.version))
out["dists"] = sorted(dists)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Probe:
    """What the project's interpreter says about coverage's config and its environment."""

    source: tuple[str, ...] = ()  # the config's source, source_pkgs and source_dirs
    omit: tuple[str, ...] = ()
    environment: str = ""  # interpreter version and installed distributions, for cache keys
    error: str = ""  # coverage could not read its config (or is missing): the run will say


def probe(ctx: GateContext, root: Path) -> Probe:
    """Ask coverage, in the project's interpreter, how it reads the config in `root`."""
    result = ctx.run([ctx.python, "-c", PROBE], cwd=root, timeout_s=min(ctx.timeout_s, 120))
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Probe(error=result.describe_failure() if not result.ok else "no answer")
    return Probe(
        source=tuple(str(s) for s in data.get("source", ())),
        omit=tuple(str(s) for s in data.get("omit", ())),
        environment=json.dumps([data.get("python"), data.get("dists")]),
        error=str(data.get("error", "")),
    )


@dataclass(frozen=True)
class Source:
    """What coverage measures, and who said so."""

    names: tuple[str, ...]  # folders relative to the root, or module names
    origin: str  # "coverage config", "pytest-cov options", "inferred" or "" for none
    omit: tuple[str, ...] = ()

    @property
    def inferred(self) -> bool:
        return self.origin == "inferred"

    def describe(self) -> str:
        if not self.names:
            return "source: none named or found (coverage counts only the files tests import)"
        return f"source: {', '.join(self.names)} ({self.origin})"

    def covers(self, path: str) -> bool:
        """Whether a repo-relative file lies in a source folder or is a source module."""
        return any(
            path.startswith(f"{name.rstrip('/')}/") or path == f"{name}.py" for name in self.names
        )


def choose_source(root: Path, env: Mapping[str, str], found: Probe) -> Source:
    """pytest-cov's `--cov=X` wins over coverage's config (pytest-cov passes it to coverage),
    which wins over the layout."""
    values = pytest_cov_sources(root, env)
    if values and True not in values:
        return Source(tuple(str(s) for s in values), "pytest-cov options", found.omit)
    if found.source:
        return Source(found.source, "coverage config", found.omit)
    if found.error:  # the run will fail on the same config; do not add to the confusion
        return Source((), "", found.omit)
    inferred = infer_source(root)
    return Source(inferred, "inferred" if inferred else "", found.omit)


def infer_source(root: Path) -> tuple[str, ...]:
    """The top-level packages at the root and under `src/` (all of `src/` when it also holds
    modules); with no package at all, the root's own modules, as names."""
    packages = _packages(root, "")
    src = root / "src"
    if src.is_dir():
        if any(_is_module(p) for p in _children(src)):
            packages.append("src")
        else:
            packages += _packages(src, "src/")
    if packages:
        return tuple(sorted(packages))
    return tuple(sorted(p.stem for p in _children(root) if _is_module(p)))


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _packages(folder: Path, prefix: str) -> list[str]:
    return [
        f"{prefix}{p.name}"
        for p in _children(folder)
        if p.is_dir()
        and not p.is_symlink()
        and p.name.isidentifier()
        and p.name.lower() not in _NOT_SOURCE
        and (p / "__init__.py").is_file()
    ]


def _is_module(path: Path) -> bool:
    name = path.name
    return (
        name.endswith(".py")
        and path.is_file()
        and name not in _NOT_MODULES
        and not name.startswith(("test_", "_"))
        and not name.endswith("_test.py")
    )


def pytest_cov_sources(root: Path, env: Mapping[str, str]) -> list[str | bool]:
    """The `--cov` values in the project's pytest options; True for a bare `--cov`, which
    makes pytest-cov leave the source to coverage's config. Empty: pytest-cov is not on."""
    found: list[str | bool] = []
    for text in (_ini_addopts(root), env.get("PYTEST_ADDOPTS", "")):
        found += _cov_values(_split(text))
    return found


def uses_pytest_cov(root: Path, env: Mapping[str, str]) -> bool:
    """True when the project's pytest options already turn on pytest-cov (`--cov`)."""
    return bool(pytest_cov_sources(root, env))


def name_pytest_cov_source(
    root: Path, env: Mapping[str, str], source: Source
) -> tuple[list[str], dict[str, str]]:
    """pytest arguments and environment that give each bare `--cov` the inferred source.

    `--cov --cov=pkg` is plain `--cov` to pytest-cov, so adding `--cov=pkg` would not do:
    the bare one is rewritten where it was written (`-o addopts=`, or PYTEST_ADDOPTS).
    """
    if not source.inferred:
        return [], {}
    args: list[str] = []
    extra: dict[str, str] = {}
    ini = _split(_ini_addopts(root))
    if True in _cov_values(ini):
        args = ["-o", f"addopts={shlex.join(_with_source(ini, source.names))}"]
    from_env = _split(env.get("PYTEST_ADDOPTS", ""))
    if True in _cov_values(from_env):
        extra["PYTEST_ADDOPTS"] = shlex.join(_with_source(from_env, source.names))
    return args, extra


def _split(text: str) -> list[str]:
    with contextlib.suppress(ValueError):
        return shlex.split(text)
    return []


def _cov_values(tokens: Sequence[str]) -> list[str | bool]:
    """pytest-cov's `--cov` takes an optional value: `--cov=X`, `--cov X` or a bare `--cov`."""
    values: list[str | bool] = []
    for i, arg in enumerate(tokens):
        if arg.startswith("--cov="):
            values.append(arg.split("=", 1)[1])
        elif arg == "--cov":
            following = tokens[i + 1] if i + 1 < len(tokens) else "-"
            values.append(True if following.startswith("-") else following)
    return values


def _with_source(tokens: Sequence[str], names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, arg in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else "-"
        if arg == "--cov" and following.startswith("-"):
            out += [f"--cov={name}" for name in names]
        else:
            out.append(arg)
    return out


def _ini_addopts(root: Path) -> str:
    """The `addopts` of the file pytest 9 takes its config from at the root, in its order."""
    for name in _PYTEST_CONFIGS:
        path = root / name
        if not path.is_file():
            continue
        table = _pytest_table(path)
        if table is not None:
            value = table.get("addopts", "")
            return " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return ""


def _pytest_table(path: Path) -> Mapping[str, Any] | None:
    """pytest's options in one config file, or None when the file has none (pytest skips it)."""
    if path.suffix == ".toml":
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        if path.name != "pyproject.toml":  # pytest.toml: [pytest], and the file always counts
            table = doc.get("pytest", {})
            return table if isinstance(table, dict) else {}
        tool = doc.get("tool", {})
        pytest = tool.get("pytest") if isinstance(tool, dict) else None
        if not isinstance(pytest, dict):
            return None
        native = {k: v for k, v in pytest.items() if k != "ini_options"}
        ini = pytest.get("ini_options")
        return native or (ini if isinstance(ini, dict) else None)
    parser = configparser.RawConfigParser()
    with contextlib.suppress(OSError, UnicodeDecodeError, configparser.Error):
        parser.read(path, encoding="utf-8")
    section = "tool:pytest" if path.name == "setup.cfg" else "pytest"
    if parser.has_section(section):
        return dict(parser.items(section))
    return {} if path.name in ("pytest.ini", ".pytest.ini") else None
