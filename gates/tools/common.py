"""Helpers every tool adapter shares: file selection, batching, turning failures into errors."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from gates.gate import GateContext, GateError
from gates.paths import PYTHON_SUFFIXES
from gates.proc import ProcResult

# Leave room below the kernel's ARG_MAX for the environment and the tool's own arguments.
ARGV_BUDGET = 96 * 1024


def python_files(files: Iterable[str]) -> list[str]:
    return [f for f in files if f.endswith(PYTHON_SUFFIXES)]


def batches(items: Sequence[str], budget: int = ARGV_BUDGET) -> Iterator[list[str]]:
    """Split arguments into runs that fit on one command line, like xargs."""
    batch: list[str] = []
    size = 0
    for item in items:
        cost = len(os.fsencode(item)) + 1
        if batch and size + cost > budget:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += cost
    if batch:
        yield batch


def require_ran(result: ProcResult, install_hint: str) -> None:
    """Raise GateError when the tool did not run to completion at all."""
    if result.missing or (result.returncode is None and not result.timed_out and result.error):
        raise GateError(f"{result.describe_failure()}; {_how(install_hint)}")
    if result.timed_out or result.crashed:
        raise GateError(result.describe_failure(), result.tail())


def require_module(result: ProcResult, module: str, install_hint: str) -> None:
    """Raise GateError when `python -m module` failed because the module is not installed.

    The interpreter exists, so the process ran: only its message tells a missing tool apart.
    """
    pattern = re.compile(rf"No module named '?{re.escape(module)}'?\s*$", re.MULTILINE)
    if result.returncode == 1 and pattern.search(result.stderr + "\n" + result.stdout):
        python = result.argv[0] if result.argv else "python"
        raise GateError(f"{module} is not installed in {python}; {_how(install_hint)}")


def _how(hint: str) -> str:
    """A command is introduced; a sentence (what to add where) is said as it is."""
    return f"install it with: {hint}" if hint.startswith("pip install") else hint


def tool_failure(result: ProcResult, why: str) -> GateError:
    return GateError(f"{result.describe_failure()}: {why}", result.tail())


def relative(root: Path, filename: str) -> str:
    """A tool's file name (absolute or relative to root) as a repo-relative POSIX path."""
    path = Path(filename)
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            return path.relative_to(root).as_posix()
        with contextlib.suppress(ValueError, OSError):
            return path.resolve().relative_to(root.resolve()).as_posix()
        return path.as_posix()
    text = path.as_posix()
    return text[2:] if text.startswith("./") else text


def version_of(ctx: GateContext, module: str) -> str:
    result = ctx.python_module(module, "--version", timeout_s=60)
    return result.stdout.strip().splitlines()[0] if result.ok and result.stdout.strip() else ""
