"""The ruff version a side of the PR pins, from the touched files that pin it.

A config with `select = ["ALL"]` enables every rule the installed ruff knows, so upgrading
ruff turns on its new rules; ignoring some of them in the same PR keeps the lint as it was, it
does not loosen it. The pin is read from the ruff-pre-commit hook's `rev` (a tag, or a frozen
commit with its `# frozen: vX.Y.Z` comment), from `ruff==`/`ruff>=`/`ruff~=` requirements in
pyproject.toml and requirements files (`requirements*.txt`, `requirements/*.in`). Only the
PR's touched files are read: a side whose pin is in an untouched file has none here, and then
no upgrade is assumed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Version = tuple[int, ...]

_REQUIREMENT = re.compile(
    r"""(?:^|["'\s])ruff\s*(?:\[[^\]]*\])?\s*(?:==|~=|>=)\s*v?(\d+(?:\.\d+)*)"""
)
_HOOK_REV = re.compile(
    r"ruff-pre-commit[^\n]*\n(?:[^\n]*\n){0,3}?\s*rev:\s*['\"]?([^\s'\"#]+)['\"]?[ \t]*(#[^\n]*)?"
)
_TAG = re.compile(r"v?(\d+(?:\.\d+)+)")


def ruff_pin(files: Sequence[tuple[str, str | None]]) -> Version | None:
    """The highest ruff version the files pin (None when none does)."""
    found = [v for path, text in files if text for v in _pins(path, text)]
    return max(found) if found else None


def _pins(path: str, text: str) -> list[Version]:
    name = path.rsplit("/", 1)[-1]
    if name in (".pre-commit-config.yaml", ".pre-commit-config.yml"):
        return [v for v in (_hook_version(m) for m in _HOOK_REV.finditer(text)) if v]
    if name == "pyproject.toml" or _requirements(path, name):
        return [_version(m.group(1)) for m in _REQUIREMENT.finditer(text)]
    return []


def _requirements(path: str, name: str) -> bool:
    """`requirements-dev.txt`, `requirements/lint.in`: pip's requirement files."""
    return name.endswith((".txt", ".in")) and (
        name.startswith("requirements") or "requirements/" in path
    )


def _hook_version(match: re.Match[str]) -> Version | None:
    """`rev: v0.16.0`, or a frozen commit whose comment names the tag."""
    for part in (match.group(1), match.group(2) or ""):
        tag = _TAG.search(part)
        if tag:
            return _version(tag.group(1))
    return None


def _version(text: str) -> Version:
    return tuple(int(p) for p in text.split("."))
