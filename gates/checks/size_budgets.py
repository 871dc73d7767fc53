"""The `budgets` option of the size gate, its validation, and human-readable sizes.

A budget is `{ glob = "agents/**/*.py", max_bytes = 6656 }` and/or `max_lines`. The FIRST
budget whose glob matches a file applies to it, the rest are ignored (like a routing table:
put the specific globs before the general ones). Sizes are shown in binary units with the
familiar labels: 1 KB = 1024 bytes, 1 MB = 1024 KB, so `max_bytes = 6656` reads "6.5 KB".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gates.paths import check_glob, compile_glob

BUDGET_KEYS = ("glob", "max_bytes", "max_lines")
_EXAMPLE = '{ glob = "**/*.py", max_lines = 800 }'
_UNITS = ("KB", "MB", "GB", "TB")


@dataclass(frozen=True)
class Budget:
    glob: str
    max_bytes: int | None = None
    max_lines: int | None = None

    def describe(self) -> str:
        parts = [human_bytes(self.max_bytes)] if self.max_bytes else []
        parts += [f"{self.max_lines} lines"] if self.max_lines else []
        return ", ".join(parts)


def check_budgets(value: object) -> str | None:
    """Why a `budgets` value is malformed (naming the entry and key), or None."""
    if not isinstance(value, list):
        return f"must be an array of tables like {_EXAMPLE}"
    for index, entry in enumerate(value):
        problem = _check_entry(entry)
        if problem:
            return f"entry {index}: {problem}"
    return None


def _check_entry(entry: object) -> str | None:
    if not isinstance(entry, dict):
        return f"must be a table like {_EXAMPLE}, got {type(entry).__name__}"
    unknown = sorted(k for k in entry if k not in BUDGET_KEYS)
    if unknown:
        return f"unknown key '{unknown[0]}' (known keys: {', '.join(BUDGET_KEYS)})"
    glob = entry.get("glob")
    if not isinstance(glob, str) or not glob.strip():
        return "key 'glob' must be a non-empty string"
    bad = check_glob(glob)
    if bad:
        return f"key 'glob': {bad}"
    for key in ("max_bytes", "max_lines"):
        limit = entry.get(key)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            return f"key '{key}' must be an integer, got {type(limit).__name__}"
        if limit is not None and limit <= 0:
            return f"key '{key}' must be greater than 0"
    if entry.get("max_bytes") is None and entry.get("max_lines") is None:
        return "needs 'max_bytes' or 'max_lines'"
    return None


def parse_budgets(value: object) -> tuple[Budget, ...]:
    """Budgets from a value `check_budgets` accepted."""
    entries: Sequence[Mapping[str, object]] = value if isinstance(value, list) else []
    return tuple(
        Budget(str(e["glob"]), _int(e.get("max_bytes")), _int(e.get("max_lines"))) for e in entries
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def budget_for(path: str, budgets: Sequence[Budget]) -> Budget | None:
    """The first budget whose glob matches, so specific globs listed first win."""
    return next((b for b in budgets if compile_glob(b.glob).match(path)), None)


def human_bytes(size: int | None) -> str:
    """`9000` -> `8.8 KB`; 1 KB = 1024 bytes; sizes under 1 KB in bytes."""
    if size is None:
        return "?"
    if abs(size) < 1024:
        return f"{size} B"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if abs(value) < 1024 or unit == _UNITS[-1]:
            break
    return f"{value:.1f} {unit}"


def signed_bytes(delta: int) -> str:
    return ("+" if delta > 0 else "-" if delta < 0 else "±") + human_bytes(abs(delta))
