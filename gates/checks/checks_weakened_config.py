"""One side of a PR's configuration, read from its touched config files with real parsers.

Each tool reads one file of several (mypy reads mypy.ini before pyproject.toml), so for each
tool the side's settings come from the first touched file, in the tool's own order, that
configures it. A setting moved from one file to another in the PR therefore compares equal.
"""

from __future__ import annotations

import configparser
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from gates.checks.checks_weakened_pyright import PyrightRules, load_jsonc, pyright_rules
from gates.checks.checks_weakened_rules import (
    LintRules,
    Located,
    TypeRules,
    lint_rules,
    paths_of,
    type_rules,
)
from gates.checks.checks_weakened_step import CheckStep
from gates.checks.checks_weakened_steps import read_ini, steps_of, tox_steps
from gates.text import one_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# The order each tool looks for its config in (the first file that configures it wins).
_ORDER = {
    "coverage": (".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml"),
    "omit": (".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml"),
    "pytest": ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"),
    "markers": ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"),
    "ruff": (".ruff.toml", "ruff.toml", "pyproject.toml"),
    "flake8": (".flake8", "setup.cfg", "tox.ini"),
    "mypy": ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"),
    "gates": (".gates.toml", "pyproject.toml"),
    "pyright": ("pyrightconfig.json", "pyproject.toml"),
}
CONFIG_NAMES = frozenset(name for names in _ORDER.values() for name in names)


@dataclass
class SideConfig:
    """What one side of the PR configures, tool by tool (None: not configured there)."""

    coverage: Located | None = None  # fail_under
    omit: Located | None = None  # coverage's omit patterns (run and report)
    addopts: Located | None = None  # pytest's addopts as argv
    markers: frozenset[str] = frozenset()  # the markers pytest's config registers
    ruff: LintRules | None = None
    flake8: LintRules | None = None
    mypy: TypeRules | None = None
    gates: Located | None = None  # the [tool.gates] table / .gates.toml
    pyright: PyrightRules | None = None
    steps: list[CheckStep] = field(default_factory=list)
    ruff_pin: tuple[int, ...] | None = None  # the ruff version the touched files pin


@dataclass(frozen=True)
class _File:
    path: str
    text: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def read_side(files: Sequence[tuple[str, str]]) -> SideConfig:
    """The configuration one side's touched files hold (files at the repository root only
    for the tools' own config; steps from anywhere)."""
    side = SideConfig()
    sections: dict[str, list[tuple[int, Located]]] = {tool: [] for tool in _ORDER}
    for path, text in files:
        found = _File(path, text)
        side.steps.extend(steps_of(path, text))
        if "/" in path or found.name not in CONFIG_NAMES:
            continue
        for tool, value in _tool_sections(found):
            sections[tool].append((_ORDER[tool].index(found.name), value))
    chosen = {tool: min(found, key=lambda f: f[0])[1] for tool, found in sections.items() if found}
    side.coverage = chosen.get("coverage")
    side.omit = chosen.get("omit")
    side.addopts = chosen.get("pytest")
    side.markers = chosen["markers"].value if "markers" in chosen else frozenset()
    side.gates = chosen.get("gates")
    side.ruff = lint_rules("ruff", chosen["ruff"]) if "ruff" in chosen else None
    side.flake8 = lint_rules("flake8", chosen["flake8"]) if "flake8" in chosen else None
    side.mypy = type_rules(chosen["mypy"]) if "mypy" in chosen else None
    pyright = chosen.get("pyright")
    side.pyright = pyright_rules(pyright.value, pyright.path, pyright.line) if pyright else None
    return side


def _tool_sections(found: _File) -> Iterator[tuple[str, Located]]:
    if found.name == "pyrightconfig.json":
        doc = load_jsonc(found.text)
        if doc is not None:
            yield "pyright", Located(doc, found.path)
    elif found.name.endswith(".toml"):
        yield from _toml_sections(found)
    else:
        yield from _ini_sections(found)


# --- TOML ------------------------------------------------------------------------------------


def _toml(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _toml_sections(found: _File) -> Iterator[tuple[str, Located]]:
    doc = _toml(found.text)
    if doc is None:
        return
    if found.name == ".gates.toml":
        yield "gates", Located(doc, found.path)
        return
    if found.name in ("ruff.toml", ".ruff.toml"):
        yield "ruff", Located(doc, found.path)
        return
    tool = doc.get("tool")
    if not isinstance(tool, dict):
        return
    yield from _pyproject_sections(found, tool)


def _pyproject_sections(found: _File, tool: Mapping[str, Any]) -> Iterator[tuple[str, Located]]:
    line = _line_finder(found.text)
    report = _table(_table(tool, "coverage"), "report")
    if "fail_under" in report:
        yield "coverage", Located(report["fail_under"], found.path, line("fail_under"))
    run = _table(_table(tool, "coverage"), "run")
    if "omit" in run or "omit" in report:
        omitted = paths_of(run.get("omit")) | paths_of(report.get("omit"))
        yield "omit", Located(omitted, found.path, line("omit"))
    pytest = _table(_table(tool, "pytest"), "ini_options")
    if pytest:
        yield "pytest", Located(_argv(pytest.get("addopts", "")), found.path, line("addopts"))
        yield "markers", Located(_markers(pytest.get("markers")), found.path)
    for name in ("ruff", "mypy", "gates", "pyright"):
        if name in tool and isinstance(tool[name], dict):
            yield name, Located(tool[name], found.path, line(f"[tool.{name}"))


def _table(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def pyproject_tox(path: str, text: str) -> list[CheckStep]:
    """tox envs written as `legacy_tox_ini` in [tool.tox] (tox reads them as a tox.ini)."""
    doc = _toml(text)
    legacy = _table(_table(doc or {}, "tool"), "tox").get("legacy_tox_ini")
    return list(tox_steps(path, legacy, 0)) if isinstance(legacy, str) else []


# --- INI -------------------------------------------------------------------------------------

# Section names per file: the coverage, pytest, flake8 and mypy sections.
_INI_SECTIONS: Mapping[str, Mapping[str, str]] = {
    ".coveragerc": {"coverage": "report"},
    "setup.cfg": {"coverage": "coverage:report", "pytest": "tool:pytest", "flake8": "flake8"},
    "tox.ini": {"coverage": "coverage:report", "pytest": "pytest", "flake8": "flake8"},
    "pytest.ini": {"pytest": "pytest"},
    ".pytest.ini": {"pytest": "pytest"},
    ".flake8": {"flake8": "flake8"},
}
_MYPY_FILES = frozenset({"mypy.ini", ".mypy.ini", "setup.cfg"})


def _ini_sections(found: _File) -> Iterator[tuple[str, Located]]:
    parser = read_ini(found.text)
    if parser is None:
        return
    line = _line_finder(found.text)
    for tool, section in _INI_SECTIONS.get(found.name, {}).items():
        if not parser.has_section(section):
            continue
        values = dict(parser.items(section))
        yield from _ini_tool(tool, values, found.path, line)
    if found.name in _MYPY_FILES and parser.has_section("mypy"):
        yield "mypy", Located(_mypy_ini(parser), found.path, line("[mypy]"))
    prefix = "" if found.name == ".coveragerc" else "coverage:"
    omit = [parser.get(f"{prefix}{part}", "omit", fallback=None) for part in ("run", "report")]
    if any(o is not None for o in omit) and found.name in _ORDER["omit"]:
        omitted = frozenset().union(*map(paths_of, omit))
        yield "omit", Located(omitted, found.path, line("omit"))


def _ini_tool(
    tool: str, values: Mapping[str, str], path: str, line: Callable[[str], int | None]
) -> Iterator[tuple[str, Located]]:
    if tool == "coverage" and "fail_under" in values:
        yield tool, Located(values["fail_under"], path, line("fail_under"))
    elif tool == "pytest":
        yield tool, Located(_argv(values.get("addopts", "")), path, line("addopts"))
        yield "markers", Located(_markers(values.get("markers")), path)
    elif tool == "flake8":
        yield tool, Located(values, path, line("[flake8]"))


def _mypy_ini(parser: configparser.RawConfigParser) -> dict[str, Any]:
    """mypy's INI sections as the pyproject shape: globals plus `overrides` per module."""
    table: dict[str, Any] = dict(parser.items("mypy"))
    overrides = []
    for section in parser.sections():
        if section.startswith("mypy-"):
            modules = [m.strip() for m in section[5:].split(",") if m.strip()]
            overrides.append({"module": modules, **dict(parser.items(section))})
    table["overrides"] = overrides
    return table


def parse_error(path: str, text: str) -> str | None:
    """Why a config or CI file does not parse (None when it does, or is not one we parse)."""
    name = path.rsplit("/", 1)[-1]
    try:
        if name == "pyrightconfig.json":
            if load_jsonc(text) is None:
                return "not a JSON object"
        elif name.endswith(".toml"):
            tomllib.loads(text)
        elif name.endswith((".yml", ".yaml")):
            yaml.safe_load(text)
        elif name in CONFIG_NAMES:
            configparser.RawConfigParser(strict=False, interpolation=None).read_string(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, configparser.Error) as exc:
        return one_line(str(exc), 120)
    return None


# --- helpers ---------------------------------------------------------------------------------


def _argv(value: object) -> tuple[str, ...]:
    """addopts as arguments: a TOML list holds one argument per item (`"-m", "not slow"`)."""
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return tuple(_split(str(value)))


def _markers(value: object) -> frozenset[str]:
    """The marker names a pytest config registers (`slow: takes long` -> `slow`)."""
    lines = value if isinstance(value, list) else str(value or "").splitlines()
    names = (re.split(r"[:(\s]", str(line).strip(), maxsplit=1)[0] for line in lines)
    return frozenset(name for name in names if name)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def _line_finder(text: str) -> Callable[[str], int | None]:
    """The first line that sets `key` (or starts the table `[tool.x`): for pointing a finding."""
    lines = text.splitlines()

    def find(key: str) -> int | None:
        for number, raw in enumerate(lines, 1):
            stripped = raw.strip().strip('"')
            if key.startswith("["):
                if stripped.startswith(key):
                    return number
            elif stripped.startswith(key) and stripped[len(key) :].lstrip()[:1] in ("=", ":"):
                return number
        return None

    return find


def line_of(text: str | None, key: str) -> int | None:
    """The line that sets `key` in a file's text (None when it is not found or no text)."""
    return _line_finder(text)(key) if text is not None else None
