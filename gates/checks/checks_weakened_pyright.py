"""pyright's settings (`pyrightconfig.json` or `[tool.pyright]`), compared by what they check.

`typeCheckingMode` is ordered off < basic < standard < strict; each `report*` rule by its level
(none/false < information < warning < error/true). A rule's default depends on the mode and
the pyright version, so only levels written on a side are compared, except that under strict
every rule is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_MODES = {"off": 0, "basic": 1, "standard": 2, "strict": 3}
_LEVELS = {"none": 0, "information": 1, "warning": 2, "error": 3}


@dataclass(frozen=True)
class PyrightRules:
    mode: int
    levels: Mapping[str, int]  # report* rules written in the config
    strict_paths: frozenset[str]
    path: str
    line: int | None


def load_jsonc(text: str) -> dict[str, Any] | None:
    """pyrightconfig.json allows `//` comments and trailing commas (JSONC)."""
    for candidate in (text, _without_comments(text)):
        try:
            doc = json.loads(candidate)
        except ValueError:
            continue
        return doc if isinstance(doc, dict) else None
    return None


def _without_comments(text: str) -> str:
    text = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r",(\s*[}\]])", r"\1", text)


def _level(value: object) -> int | None:
    if isinstance(value, bool):
        return 3 if value else 0
    return _LEVELS.get(value) if isinstance(value, str) else None


def pyright_rules(table: Mapping[str, Any], path: str, line: int | None) -> PyrightRules:
    mode = table.get("typeCheckingMode", "standard")
    levels = {
        str(k): level
        for k, v in table.items()
        if str(k).startswith("report") and (level := _level(v)) is not None
    }
    strict = table.get("strict")
    paths = frozenset(str(p) for p in strict) if isinstance(strict, list) else frozenset()
    return PyrightRules(_MODES.get(str(mode), 2), levels, paths, path, line)


def pyright_loosened(base: PyrightRules, head: PyrightRules) -> list[str]:
    """What the head's pyright config stops checking that the base's checked."""
    names = {v: k for k, v in _MODES.items()}
    out = []
    if head.mode < base.mode:
        out.append(f"typeCheckingMode {names[base.mode]} -> {names[head.mode]}")
    lowered = []
    for rule, level in sorted(head.levels.items()):
        before = base.levels.get(rule, 3 if base.mode == 3 else None)
        if before is not None and level < before:
            lowered.append(rule)
    if lowered:
        out.append(f"{', '.join(lowered)} lowered")
    dropped = sorted(base.strict_paths - head.strict_paths)
    if dropped:
        out.append(f"strict no longer covers {', '.join(dropped)}")
    return out
