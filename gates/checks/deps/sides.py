"""The PR's manifests on one side (base or head): which files declare dependencies, and
everything they declare, with `-r` includes followed inside the PR's files."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from gates.checks.deps.declared import Dep, IndexSource, Parsed
from gates.checks.deps.manifests import (
    locked_names,
    parse_pipfile,
    parse_pyproject,
    parse_uv_toml,
)
from gates.checks.deps.requirements import parse_pip_config, parse_requirements, parse_setup_cfg

LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock")
_REQUIREMENTS = re.compile(r"(^|[-_.])requirements?([-_.][^/]*)?\.(txt|in)$|\.in$")


def manifest_kind(path: str) -> str:
    """How a file declares dependencies: 'pyproject', 'requirements', ... or '' for none."""
    name = path.rsplit("/", 1)[-1]
    parent = path.rsplit("/", 2)[-2] if path.count("/") else ""
    if name == "pyproject.toml":
        return "pyproject"
    if name == "setup.cfg":
        return "setup.cfg"
    if name == "Pipfile":
        return "pipfile"
    if name in LOCK_FILES:
        return "lock"
    if name in ("pip.conf", "pip.ini"):
        return "pip-config"
    if name == "uv.toml":
        return "uv-config"
    if _REQUIREMENTS.search(name) or (parent == "requirements" and name.endswith(".txt")):
        return "requirements"
    return ""


_PARSERS = {
    "pyproject": parse_pyproject,
    "setup.cfg": parse_setup_cfg,
    "pipfile": parse_pipfile,
    "requirements": parse_requirements,
    "pip-config": parse_pip_config,
    "uv-config": parse_uv_toml,
}


@dataclasses.dataclass
class Side:
    """Every declaration of one side (base or head) of the PR's manifests."""

    deps: list[Dep] = dataclasses.field(default_factory=list)
    sources: list[IndexSource] = dataclasses.field(default_factory=list)
    problems: dict[str, str] = dataclasses.field(default_factory=dict)
    locked: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> lock file
    bound: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> named index
    own_names: set[str] = dataclasses.field(default_factory=set)  # the projects themselves


def read_side(files: Mapping[str, str]) -> Side:
    """Parse one side's manifests; a `.txt` file counts once a requirements file includes it.
    A constraints file (`-c`) adds no dependency, but pip obeys the index options in it."""
    side = Side()
    pending = [p for p in files if manifest_kind(p) not in ("", "lock")]
    constraints: list[str] = []
    done: set[str] = set()
    while pending:
        path = pending.pop(0)
        if path in done:
            continue
        done.add(path)
        parsed: Parsed = _PARSERS[manifest_kind(path) or "requirements"](path, files[path])
        side.deps.extend(parsed.deps)
        side.sources.extend(parsed.sources)
        side.bound.update(parsed.bound)
        side.own_names.update(parsed.own_names)
        if parsed.problem:
            side.problems[path] = parsed.problem
        pending.extend(p for p in parsed.includes if p in files and p not in done)
        constraints.extend(p for p in parsed.constraints if p in files)
    for path in dict.fromkeys(constraints):
        if path not in done:
            side.sources.extend(parse_requirements(path, files[path]).sources)
    for path, text in files.items():
        if manifest_kind(path) == "lock":
            side.locked.update(dict.fromkeys(locked_names(path, text), path))
    return side
