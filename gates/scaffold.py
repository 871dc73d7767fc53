"""`gates init`: a starter configuration for the layout of a project, written once.

It looks for the project's packages (directories with `__init__.py`, at the top or under
`src/`), its tests folder and its agent code (directories named `agents` or `agent`), and
writes a `[tool.gates]` table into pyproject.toml, or a `.gates.toml` when there is no
pyproject. The table holds only what the layout tells: the quality gates look at the packages
and the tests, bandit leaves the tests alone (their asserts and fixture secrets are on purpose;
the safety gates still read them), and each agent module gets a size budget of 6.5 KB, past which
it is hard to review and to fit in a model's context.

It never overwrites: an existing `.gates.toml` or `[tool.gates]` is exit 2 naming it. Appending
to pyproject.toml keeps every byte of the file as it was (its line endings too), and the result
is loaded with the real config loader before anything is written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gates.config import build_config, parse_table
from gates.errors import ConfigError, UsageError
from gates.gate import Gate

AGENT_MODULE_BYTES = 6656  # 6.5 KB
AGENT_DIR_NAMES = ("agents", "agent")
TEST_DIR_NAMES = ("tests", "test")
MAX_DEPTH = 5  # agent folders deeper than this are left to the user
# Directories that are never the project's own code.
_SKIP = {"node_modules", "site-packages", "build", "dist", "venv", "env", "__pycache__"}
# A name used as is in a glob: no glob syntax, no backslash, no control character.
_PLAIN_NAME = re.compile(r"^[^*?\[\]{}\\\x00-\x1f\x7f]+$")


@dataclass(frozen=True)
class Layout:
    """What `gates init` found, as repository-relative POSIX paths."""

    packages: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Written:
    path: Path
    layout: Layout
    text: str  # the configuration written (the table alone, as appended)


def find_layout(root: Path) -> Layout:
    """The packages, tests folders and agent folders of the project at `root`."""
    tests = tuple(n for n in TEST_DIR_NAMES if (root / n).is_dir())
    packages = tuple(
        p for p in _packages(root) if p not in tests and p.split("/")[-1] not in TEST_DIR_NAMES
    )
    agents = tuple(sorted(_agent_dirs(root)))
    return Layout(packages, tests, agents)


def _packages(root: Path) -> list[str]:
    found = []
    for parent in (root, root / "src"):
        for child in _subdirs(parent):
            if (child / "__init__.py").is_file() and _PLAIN_NAME.match(child.name):
                found.append(child.relative_to(root).as_posix())
    return sorted(found)


def _subdirs(directory: Path) -> list[Path]:
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    return sorted(
        e
        for e in entries
        if e.is_dir()
        and not e.is_symlink()
        and not e.name.startswith(".")
        and e.name not in _SKIP
        and not e.name.endswith(".egg-info")
    )


def _agent_dirs(root: Path) -> Iterator[str]:
    """Directories named like agent code, outermost only (the glob covers what is below)."""
    todo = [(root, 0)]
    while todo:
        directory, depth = todo.pop()
        for child in _subdirs(directory):
            if child.name.lower() in AGENT_DIR_NAMES:
                relative = child.relative_to(root).as_posix()
                if all(_PLAIN_NAME.match(part) for part in relative.split("/")):
                    yield relative
            elif depth + 1 < MAX_DEPTH:
                todo.append((child, depth + 1))


def _string(value: str) -> str:
    """A TOML basic string: JSON's escaping is valid TOML, non-ASCII as \\uXXXX."""
    return json.dumps(value)


def _strings(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def render_config(layout: Layout, nested: bool) -> str:
    """The starter table: under `[tool.gates]` (pyproject) or at the top (.gates.toml)."""
    prefix = "tool.gates." if nested else ""
    lines = [
        "# gates: a starter configuration written by `gates init` for this layout. Every key:",
        "# https://github.com/gates/gates/blob/main/docs/configuration.md",
    ]
    if nested:
        lines.append("[tool.gates]")
    lines += _found(layout)
    if layout.packages:
        lines += ["", f"[{prefix}quality]", "# ruff, mypy and coverage judge the code and tests"]
        lines += [f"paths = {_strings(layout.packages + layout.tests)}"]
    if layout.tests:
        lines += ["", f"[{prefix}bandit]", "# tests assert and hold fixture secrets on purpose"]
        lines += [f"exclude = {_strings(layout.tests)}"]
    if layout.agents:
        lines += ["", f"[{prefix}size]", "# 6.5 KB per agent module: past that, hard to review"]
        lines += ["budgets = ["]
        for folder in layout.agents:
            glob = _string(f"{folder}/**/*.py")
            lines.append(f"  {{ glob = {glob}, max_bytes = {AGENT_MODULE_BYTES} }},  # 6.5 KB")
        lines.append("]")
    return "\n".join(lines) + "\n"


def _found(layout: Layout) -> list[str]:
    parts = [
        ("packages", layout.packages),
        ("tests", layout.tests),
        ("agent code", layout.agents),
    ]
    said = [f"{name}: {', '.join(values)}" for name, values in parts if values]
    return [f"# found {'; '.join(said)}"] if said else ["# found no packages, tests or agents"]


def init_config(root: Path, registry: Mapping[str, Gate], dry_run: bool = False) -> Written:
    """Write the starter configuration for `root`; never over an existing one."""
    if not root.is_dir():
        raise UsageError(f"not a directory: {root}")
    dotfile, pyproject = root / ".gates.toml", root / "pyproject.toml"
    if dotfile.exists():
        raise UsageError(f"{dotfile} already exists; gates init never overwrites a configuration")
    layout = find_layout(root)
    if not pyproject.is_file():
        text = render_config(layout, nested=False)
        _check(text, str(dotfile), False, registry)
        if not dry_run:
            _write_new(dotfile, text)
        return Written(dotfile, layout, text)
    original = _read(pyproject)
    if "gates" in _tool_tables(original, str(pyproject)):
        raise UsageError(
            f"{pyproject} already has [tool.gates]; gates init never overwrites a configuration"
        )
    table = render_config(layout, nested=True)
    combined = _appended(original, table)
    _check(combined.decode("utf-8"), str(pyproject), True, registry)
    if not dry_run:
        _replace(pyproject, combined)
    return Written(pyproject, layout, table)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _tool_tables(data: bytes, where: str) -> Mapping[str, object]:
    """The `[tool]` table of a pyproject; a broken file is refused, not appended to."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{where}: not valid UTF-8; gates init leaves it alone") from None
    try:
        tool = parse_table(text, where, nested=False).get("tool", {})
    except ConfigError as exc:
        raise UsageError(f"{exc}; gates init leaves it alone") from None
    return tool if isinstance(tool, dict) else {}


def _appended(original: bytes, table: str) -> bytes:
    """The file's bytes unchanged, then a blank line and the table, in the file's line endings."""
    newline = b"\r\n" if b"\r\n" in original else b"\n"
    body = table.encode("utf-8").replace(b"\n", newline)
    if not original:
        return body
    separator = newline if original.endswith(b"\n") else newline * 2
    return original + separator + body


def _check(text: str, where: str, nested: bool, registry: Mapping[str, Gate]) -> None:
    """The text must load with the real config loader, or nothing is written."""
    try:
        build_config(parse_table(text, where, nested), registry, where, where)
    except ConfigError as exc:
        message = f"gates init made a configuration it cannot load ({exc}); nothing written"
        raise UsageError(message) from None


def _write_new(path: Path, text: str) -> None:
    """Create the file; if one appeared meanwhile, it is not ours to replace."""
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        message = f"{path} already exists; gates init never overwrites a configuration"
        raise UsageError(message) from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _replace(path: Path, data: bytes) -> None:
    """Swap in the new pyproject at once (a reader never sees half of it), keeping its mode."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".pyproject.", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        shutil.copymode(path, tmp)
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
