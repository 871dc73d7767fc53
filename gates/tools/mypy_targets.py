"""What mypy checks: what the project's mypy config names, else the packages the PR touches.

Naming every `*.py` of a repository is not how any project runs mypy: fastapi's `scripts/` and
`docs_src/` hold many modules of the same name, and mypy stops at "Duplicate module named ..."
on every PR. So when the config names no targets (`files`, `packages`, `modules`), mypy gets
the top-level package of each changed file (the directory found by walking up `__init__.py`
directories) or, for a module outside any package, the file itself, when it sits in a source
folder: the root, `src/`, or a folder the project names as one (mypy's `mypy_path`,
setuptools' `package-dir` or `packages.find` `where`: sqlalchemy keeps its package in `lib/`).
Other files (scripts/, docs/conf.py) are not checked, and the gate's detail says which.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gates.diff import Diff
from gates.paths import PYTHON_SUFFIXES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The keys of mypy's config that name what to check when the command line names nothing.
CONFIG_TARGET_KEYS = ("files", "packages", "modules")
_SOURCE_DIRS = ((), ("src",))  # where a top-level package or module may live in any project
MAX_LISTED = 10


@dataclass(frozen=True)
class Targets:
    """The paths to give mypy, and the changed files that none of them covers."""

    paths: tuple[str, ...]
    unchecked: tuple[str, ...]

    def note(self) -> str:
        """The detail line naming what was left out, "" when nothing was."""
        if not self.unchecked:
            return ""
        shown = ", ".join(self.unchecked[:MAX_LISTED])
        more = f" and {len(self.unchecked) - MAX_LISTED} more" if len(self.unchecked) > 10 else ""
        return f"not checked (outside any package, and mypy's config names no files): {shown}{more}"


def config_names_targets(config: Mapping[str, Any]) -> bool:
    return any(config.get(key) for key in CONFIG_TARGET_KEYS)


def touched_python(
    root: Path, diff: Diff, in_scope: Iterable[str], touched: Iterable[str] = ()
) -> list[str]:
    """The Python files the PR added, changed, renamed or deleted (a module leaving a package
    can break the files that import it), as the run's `touched` names them, so the base's run
    checks the same packages as the head's; with no base, every file in scope. A touched path
    that is here but not in scope (a symlink, which could lead out of the repository) is not."""
    scope = [f for f in in_scope if f.endswith(PYTHON_SUFFIXES)]
    if diff.all_changed:
        return scope
    regular = set(scope)
    return sorted(
        p
        for p in set(touched)
        if p.endswith(PYTHON_SUFFIXES) and (p in regular or not os.path.lexists(root / p))
    )


def source_dirs(root: Path, mypy_config: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """The folders top-level packages and modules live in: the root, `src/`, and those the
    project's mypy and setuptools config name (relative, inside the repository)."""
    named = [*_mypy_path(mypy_config), *_setuptools_dirs(root)]
    found = list(_SOURCE_DIRS)
    for entry in named:
        parts = _relative_parts(entry)
        if parts is not None and parts not in found:
            found.append(parts)
    return tuple(found)


def _mypy_path(config: Mapping[str, Any]) -> list[str]:
    value = config.get("mypy_path") or []
    items = [value] if isinstance(value, str) else [str(v) for v in value]
    return [part for item in items for part in item.replace(":", ",").split(",")]


def _setuptools_dirs(root: Path) -> Iterator[str]:
    with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        tool = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("tool")
        setuptools = tool.get("setuptools") if isinstance(tool, dict) else None
        if isinstance(setuptools, dict):
            package_dir = setuptools.get("package-dir")
            if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
                yield package_dir[""]
            packages = setuptools.get("packages")
            find = packages.get("find") if isinstance(packages, dict) else None
            where = find.get("where") if isinstance(find, dict) else None
            yield from (str(w) for w in where) if isinstance(where, list) else ()
    parser = configparser.RawConfigParser()
    with contextlib.suppress(OSError, UnicodeDecodeError, configparser.Error):
        parser.read(root / "setup.cfg", encoding="utf-8")
    if parser.has_option("options", "package_dir"):
        for line in parser.get("options", "package_dir").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "" and value.strip():
                yield value.strip()
    if parser.has_option("options.packages.find", "where"):
        yield from parser.get("options.packages.find", "where").split()


def _relative_parts(entry: str) -> tuple[str, ...] | None:
    """`./lib/` -> ("lib",); None for what lies outside the repository or needs expanding."""
    entry = entry.strip()
    if not entry or "$" in entry or entry.startswith(("/", "~")):
        return None
    parts = tuple(p for p in PurePosixPath(entry).parts if p != ".")
    return None if ".." in parts else parts


def pr_targets(
    root: Path, files: Iterable[str], dirs: tuple[tuple[str, ...], ...] = _SOURCE_DIRS
) -> Targets:
    """The top-level packages and modules that cover `files`, and the files none covers."""
    paths: dict[str, None] = {}
    unchecked: list[str] = []
    for rel in files:
        target = target_of(root, rel, dirs)
        if target is None:
            if (root / rel).is_file():  # a deleted script is nothing to mention
                unchecked.append(rel)
        elif (root / target).exists():
            paths[target] = None
    return Targets(_stubs_win(list(paths)), tuple(unchecked))


def target_of(root: Path, rel: str, dirs: tuple[tuple[str, ...], ...] = _SOURCE_DIRS) -> str | None:
    """The top-level package directory holding `rel`, or `rel` itself for a top-level module,
    or None when it is neither (a script, a docs file, a package nested under other folders)."""
    parts = PurePosixPath(rel).parts
    top: int | None = None
    depth = len(parts) - 1  # the number of directories above the file
    while depth > 0 and _is_package(root, parts[:depth]):
        top = depth
        depth -= 1
    if top is not None:
        return "/".join(parts[:top]) if parts[: top - 1] in dirs else None
    return rel if parts[:-1] in dirs else None


def _is_package(root: Path, parts: tuple[str, ...]) -> bool:
    folder = root.joinpath(*parts)
    return (folder / "__init__.py").is_file() or (folder / "__init__.pyi").is_file()


def _stubs_win(paths: list[str]) -> tuple[str, ...]:
    """A module given as both `m.py` and `m.pyi` is a duplicate to mypy; the stub wins."""
    stubs = {p[:-1] for p in paths if p.endswith(".pyi")}
    return tuple(p for p in paths if p not in stubs)
