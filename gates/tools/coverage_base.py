"""The base's total coverage, so the gate judges what the PR did rather than the project's past.

The base (the merge-base) is measured the way the head is, in a `git worktree`, with the same
interpreter and environment; the figure is kept in the gates cache under a key of everything
that decides it: the base's git tree id (every file, config included), the interpreter, the
distributions installed in it, the gate's measuring options and the pytest/coverage variables
of the environment. A later push to the same PR, or another PR on the same base, reads it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from gates import __version__
from gates.diff import Diff
from gates.errors import UsageError
from gates.gate import GateContext
from gates.git import Git, Worktree

CACHE_FORMAT = 2  # 2: the base's failing tests
# Changed files that can change what the tests run or what coverage counts, besides *.py.
CONFIG_FILES = frozenset(
    {"pyproject.toml", "setup.cfg", "tox.ini", ".coveragerc", "pytest.ini", ".pytest.ini"}
    | {"pytest.toml", ".pytest.toml"}
)
# Options of the gate that change the base's figure; thresholds only judge it.
MEASURING_OPTIONS = ("args",)
# Variables of the environment that change how the tests run under coverage.
_ENV_PREFIXES = ("PYTEST_", "COVERAGE_", "PYTHONPATH")


@dataclass(frozen=True)
class BaseTotal:
    """The base's total coverage, or None with the reason; `keep` when worth caching."""

    total: float | None
    note: str
    keep: bool = False
    cached: bool = False
    # The tests that failed or errored on the base (None: not known): a head failure among
    # them is not the PR's doing, and does not block it.
    failing: frozenset[str] | None = None


def may_change_coverage(diff: Diff) -> bool:
    """Whether the PR touches a Python file or a test/coverage config (anywhere: a nested
    conftest.py or tox.ini counts). Otherwise the total cannot have moved."""
    for changed in diff.files.values():
        for path in filter(None, (changed.path, changed.old_path)):
            name = path.rsplit("/", 1)[-1]
            if name.endswith(".py") or name in CONFIG_FILES:
                return True
    return False


def base_total(
    ctx: GateContext,
    environment: str,
    measure: Callable[[Path], BaseTotal],
    git_timeout_s: float = 300.0,
) -> BaseTotal:
    """The base's figure from the cache, or from `measure(worktree)`, stored when kept."""
    sha = ctx.diff.base
    if sha is None or ctx.diff.all_changed:
        return BaseTotal(None, "no base revision: nothing to compare the total with")
    if ctx.new_mode == "all":
        return BaseTotal(None, "base not measured: new = all judges the head, not the change")
    if not may_change_coverage(ctx.diff):
        return BaseTotal(
            None, "base not measured: the PR changes no Python file and no test/coverage config"
        )
    git = Git(ctx.root, timeout_s=git_timeout_s)
    path = _cache_path(ctx, git, sha, environment)
    cached = _load(path) if path else None
    if cached is not None:
        return cached
    try:
        with Worktree(git, sha, ctx.scratch / "base") as tree:
            copy_extension_modules(git, ctx.root, tree)
            found = measure(tree)
    except UsageError as exc:
        return BaseTotal(None, f"the base could not be checked out: {exc}")
    found = replace(found, note=f"base {sha[:12]}: {found.note}")
    if path and found.keep:
        _store(path, found)
    return found


# Compiled extension modules: built into the checkout by the project's editable install, never
# committed, so a fresh worktree of the base lacks them.
EXTENSION_SUFFIXES = ("*.so", "*.pyd")


def copy_extension_modules(git: Git, head: Path, base: Path) -> list[str]:
    """Give the base's worktree the compiled modules the head's checkout has (git-ignored
    build output), so both sides import the same way: without them the base falls back to a
    pure-Python module the head never imports (markupsafe's `_native`), and the totals of the
    two sides measure different code."""
    listed = git.run(
        "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *EXTENSION_SUFFIXES
    )
    copied = []
    for rel in filter(None, listed.out.decode("utf-8", "surrogateescape").split("\0")):
        source, target = head / rel, base / rel
        if source.is_file() and not source.is_symlink() and target.parent.is_dir():
            with contextlib.suppress(OSError):
                shutil.copy2(source, target)
                copied.append(rel)
    return copied


def remember_as_base(ctx: GateContext, environment: str, found: BaseTotal) -> None:
    """Keep the head's own figure under its tree, as a later PR's base figure: once this
    commit is merged (or a PR is stacked on it), its base is read instead of measured. A run
    on the default branch therefore spares every PR based on it the second test run."""
    git = Git(ctx.root, timeout_s=60.0)
    path = _cache_path(ctx, git, ctx.diff.head, environment)
    if path and not path.exists():
        _store(path, found)


def cache_key(tree: str, environment: str, ctx: GateContext) -> str:
    material = {
        "format": CACHE_FORMAT,
        "gates": __version__,
        "tree": tree,
        "python": ctx.python,
        "environment": environment,
        "options": {k: ctx.options.get(k) for k in MEASURING_OPTIONS},
        "env": {k: v for k, v in sorted(ctx.env.items()) if k.startswith(_ENV_PREFIXES)},
    }
    blob = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:40]


def _cache_path(ctx: GateContext, git: Git, sha: str, environment: str) -> Path | None:
    """None when caching is off, the environment is unknown, or git has no tree id."""
    if ctx.cache_dir is None or not environment:
        return None
    tree = git.tree_id(sha)
    if not tree:
        return None
    key = cache_key(tree, environment, ctx)
    return ctx.cache_dir / "coverage-base" / key[:2] / f"{key}.json"


def _load(path: Path) -> BaseTotal | None:
    try:
        data: Mapping[str, object] = json.loads(path.read_text(encoding="utf-8"))
        total, note, failing = data["total"], str(data["note"]), data["failing"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if total is not None and not isinstance(total, (int, float)):
        return None
    if failing is not None and not (
        isinstance(failing, list) and all(isinstance(t, str) for t in failing)
    ):
        return None
    known = None if failing is None else frozenset(failing)
    value = None if total is None else float(total)
    return BaseTotal(value, f"{note} (cached)", True, True, known)


def _store(path: Path, found: BaseTotal) -> None:
    """Write atomically; a cache that cannot be written is no error."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        failing = None if found.failing is None else sorted(found.failing)
        record = {"total": found.total, "note": found.note, "failing": failing}
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(path)
