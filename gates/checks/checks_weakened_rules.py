"""Lint rules (ruff, flake8) and type-checking rules (mypy), normalised so that base and head
compare by what they enforce, not by how they are written.

A lint rule counts as loosened only when the base enforced it: ignoring D203 while adopting
the D rules is not a loosening, ignoring E501 with E selected is. mypy's flags are compared
by their effective value, so `strict = true` and the list of flags it stands for are equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Located:
    """A setting's value and where it is written (line None: the file as a whole)."""

    value: Any
    path: str
    line: int | None = None


_DEFAULT_SELECT = {"ruff": ("E4", "E7", "E9", "F"), "flake8": ("E", "F", "W", "C90")}
_FLAKE8_DEFAULT_IGNORE = frozenset(("E121", "E123", "E126", "E226", "E24", "E704", "W503", "W504"))
_CODE_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class LintRules:
    tool: str
    select: tuple[str, ...]
    ignore: frozenset[str]
    per_file: Mapping[str, frozenset[str]]  # pattern (normalised) -> ignored codes
    path: str
    line: int | None
    exclude: frozenset[str] = frozenset()  # paths the linter skips

    def selects(self, code: str) -> bool:
        """Whether any selected prefix overlaps `code` (itself a code or a prefix)."""
        return any(covers(p, code) or covers(code, p) for p in self.select)

    def enforces(self, code: str, pattern: str = "") -> bool:
        """Whether `code` is reported (in files matching `pattern`, when given)."""
        ignored = self.ignore | (self.per_file.get(pattern, frozenset()) if pattern else set())
        return self.selects(code) and not any(covers(i, code) for i in ignored)


_CODE = re.compile(r"^([A-Z]+)([0-9]*)$")
_PYLINT = frozenset({"PLC", "PLE", "PLR", "PLW"})  # ruff's PL linter is four letter groups


def covers(prefix: str, code: str) -> bool:
    """Whether the rule selector `prefix` includes `code`: same linter letters, then digits
    by prefix (`F` covers `F401` but not `FBT001`; `PL` covers `PLR0913`; `ALL` everything)."""
    if prefix == "ALL":
        return True
    p, c = _CODE.match(prefix), _CODE.match(code)
    if p is None or c is None:
        return prefix == code
    same = p.group(1) == c.group(1) or (p.group(1) == "PL" and c.group(1) in _PYLINT)
    return same and c.group(2).startswith(p.group(2))


def _codes(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [c for c in _CODE_SPLIT.split(value) if c]
    return []


def normalise_pattern(pattern: str) -> str:
    """`tests/*` and `tests/**/*.py` name the same files in practice: keep the literal part."""
    pattern = pattern.strip().removeprefix("./")
    while pattern.startswith(("**/", "*/")):
        pattern = pattern.split("/", 1)[1]
    literal = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    return literal if literal else pattern


def lint_rules(tool: str, located: Located) -> LintRules:
    table = located.value
    if tool == "ruff":
        lint = table.get("lint") if isinstance(table.get("lint"), dict) else {}
        table = {**{k: v for k, v in table.items() if k != "lint"}, **lint}
    select = _codes(table.get("select")) or list(_DEFAULT_SELECT[tool])
    select += _codes(table.get("extend-select")) + _codes(table.get("extend_select"))
    ignore = set(_codes(table.get("extend-ignore")) + _codes(table.get("extend_ignore")))
    if "ignore" in table:
        ignore |= set(_codes(table["ignore"]))
    elif tool == "flake8":
        ignore |= _FLAKE8_DEFAULT_IGNORE
    exclude = paths_of(table.get("exclude")) | paths_of(table.get("extend-exclude"))
    per_file = _per_file(tool, table)
    return LintRules(
        tool, tuple(select), frozenset(ignore), per_file, located.path, located.line, exclude
    )


# Folders every linter skips anyway (flake8's own default exclude list and the like).
_TOOLING = re.compile(r"(^|/)(\.[^/]*|__pycache__|build|dist|venv|env|node_modules)$|\.egg")


def paths_of(value: object) -> frozenset[str]:
    """Path or pattern entries of an exclude/omit setting (TOML list or INI text)."""
    items = value if isinstance(value, list) else re.split(r"[,\n]", str(value or ""))
    entries = (str(item).strip().removeprefix("./").rstrip("/") for item in items)
    return frozenset(e for e in entries if e and not _TOOLING.search(e))


def paths_added(base: frozenset[str], head: frozenset[str]) -> list[str]:
    """Entries the head adds that no base entry already covers (`src/x/**` under `src/**`)."""
    kept = [normalise_pattern(p) for p in base]
    return sorted(
        p
        for p in head - base
        if not any(
            normalise_pattern(p) == k or normalise_pattern(p).startswith(k.rstrip("/") + "/")
            for k in kept
            if k
        )
    )


def _per_file(tool: str, table: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for key in ("per-file-ignores", "extend-per-file-ignores", "per_file_ignores"):
        raw = table.get(key)
        pairs = _flake8_pairs(raw) if isinstance(raw, str) else _toml_pairs(raw)
        for pattern, codes in pairs:
            out.setdefault(normalise_pattern(pattern), set()).update(codes)
    del tool
    return {k: frozenset(v) for k, v in out.items()}


def _toml_pairs(raw: object) -> list[tuple[str, list[str]]]:
    return [(str(k), _codes(v)) for k, v in raw.items()] if isinstance(raw, dict) else []


def _flake8_pairs(raw: str) -> list[tuple[str, list[str]]]:
    pairs = []
    for entry in re.split(r"\n|(?<=\d)\s+(?=\S+:)", raw):
        pattern, _, codes = entry.strip().partition(":")
        if pattern and codes:
            pairs.append((pattern.strip(), _codes(codes)))
    return pairs


def lint_loosened(base: LintRules, head: LintRules) -> list[str]:
    """What the head stops enforcing that the base enforced, one phrase each."""
    out = []
    excluded = paths_added(base.exclude, head.exclude)
    if excluded:
        out.append(f"exclude gained {', '.join(excluded)}")
    dropped = [p for p in base.select if not any(covers(h, p) for h in head.select)]
    if dropped:
        out.append(f"select no longer includes {', '.join(dropped)}")
    # flake8's own default ignores (pycodestyle's opinionated checks) coming back when
    # `ignore =` becomes `extend-ignore =` are not a loosening anyone chose.
    gained = (
        head.ignore - base.ignore - (_FLAKE8_DEFAULT_IGNORE if head.tool == "flake8" else set())
    )
    added = sorted(c for c in gained if base.enforces(c))
    if added:
        out.append(f"ignore gained {', '.join(added)}")
    renamed_from = [codes for p, codes in base.per_file.items() if p not in head.per_file]
    for pattern, codes in sorted(head.per_file.items()):
        if pattern not in base.per_file and any(codes <= old for old in renamed_from):
            continue  # the same ignores under a renamed path (a moved test folder)
        new = sorted(c for c in codes if base.enforces(c, pattern))
        if new:
            out.append(f"per-file-ignores for {pattern} gained {', '.join(new)}")
    return out


# --- mypy ------------------------------------------------------------------------------------

# The flags `strict = true` turns on (mypy 1.x); each is True in its strict direction.
STRICT_FLAGS = (
    "warn_unused_configs", "disallow_any_generics", "disallow_subclassing_any",
    "disallow_untyped_calls", "disallow_untyped_defs", "disallow_incomplete_defs",
    "check_untyped_defs", "disallow_untyped_decorators", "warn_redundant_casts",
    "warn_unused_ignores", "warn_return_any", "no_implicit_reexport", "strict_equality",
    "extra_checks",
)  # fmt: skip
_ALIASES = {"strict_concatenate": "extra_checks"}  # renamed in mypy 1.7
# Flags outside strict, with their default (True in the strict direction).
_OTHER_FLAGS = {
    "strict_optional": True, "no_implicit_optional": True, "warn_no_return": True,
    "warn_unreachable": False, "disallow_any_unimported": False, "disallow_any_expr": False,
    "disallow_any_decorated": False, "disallow_any_explicit": False,
}  # fmt: skip
# Spelt the other way round: True is the loose direction.
_INVERSE = {
    "implicit_reexport": "no_implicit_reexport",
    "implicit_optional": "no_implicit_optional",
    "allow_untyped_calls": "disallow_untyped_calls",
    "allow_untyped_defs": "disallow_untyped_defs",
    "allow_incomplete_defs": "disallow_incomplete_defs",
    "allow_subclassing_any": "disallow_subclassing_any",
    "allow_any_generics": "disallow_any_generics",
    "allow_untyped_decorators": "disallow_untyped_decorators",
}
_LOOSE_WHEN_TRUE = ("ignore_errors", "ignore_missing_imports", "allow_untyped_globals")


@dataclass(frozen=True)
class TypeRules:
    flags: Mapping[str, bool]  # effective, True = strict direction
    loose: frozenset[str]  # _LOOSE_WHEN_TRUE flags set true globally
    disabled: frozenset[str]  # disable_error_code
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # module -> flags
    path: str = ""
    line: int | None = None
    exclude: frozenset[str] = frozenset()  # mypy's exclude regexes


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    return None


def _explicit(table: Mapping[str, Any]) -> dict[str, bool]:
    """Flags written in a table, in the strict direction (`-` and `_` spellings alike)."""
    out: dict[str, bool] = {}
    for raw_key, raw_value in table.items():
        key, value = str(raw_key).replace("-", "_"), _bool(raw_value)
        key = _ALIASES.get(key, key)
        if value is None:
            continue
        if key in _INVERSE:
            out[_INVERSE[key]] = not value
        elif key in STRICT_FLAGS or key in _OTHER_FLAGS:
            out[key] = value
    return out


def type_rules(located: Located) -> TypeRules:
    table: Mapping[str, Any] = located.value
    strict = _bool(table.get("strict")) is True
    flags = {name: strict for name in STRICT_FLAGS} | dict(_OTHER_FLAGS) | _explicit(table)
    loose = frozenset(k for k in _LOOSE_WHEN_TRUE if _bool(table.get(k)) is True)
    overrides: dict[str, dict[str, Any]] = {}
    raw = table.get("overrides")
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, dict):
            for module in _modules(item.get("module")):
                overrides.setdefault(module, {}).update(item)
    excluded = table.get("exclude")
    exclude = frozenset(excluded if isinstance(excluded, list) else paths_of(excluded))
    return TypeRules(
        flags, loose, _error_codes(table), overrides, located.path, located.line, exclude
    )


def _modules(value: object) -> list[str]:
    if isinstance(value, str):
        return [m.strip() for m in value.split(",") if m.strip()]
    return [str(m) for m in value] if isinstance(value, list) else []


def _error_codes(table: Mapping[str, Any]) -> frozenset[str]:
    raw = table.get("disable_error_code", table.get("disable-error-code"))
    return frozenset(_codes(raw))


def types_loosened(base: TypeRules, head: TypeRules) -> list[str]:
    """What the head's mypy config stops checking that the base's checked, one phrase each."""
    out = []
    lost = [name for name, on in base.flags.items() if on and not head.flags.get(name, False)]
    if (
        lost
        and all(base.flags.get(f) for f in STRICT_FLAGS)
        and not all(head.flags.get(f) for f in STRICT_FLAGS)
    ):
        out.append(f"strict mode off ({len(lost)} checks lost: {', '.join(lost[:4])}...)")
    elif lost:
        out.append(f"{', '.join(lost)} turned off")
    for flag in sorted(head.loose - base.loose):
        out.append(f"{flag} = true globally")
    excluded = sorted(head.exclude - base.exclude)
    if excluded:
        out.append(f"exclude gained {', '.join(excluded)}")
    new_codes = sorted(head.disabled - base.disabled)
    if new_codes:
        out.append(f"disable_error_code gained {', '.join(new_codes)}")
    out.extend(_overrides_loosened(base, head))
    return out


def _overrides_loosened(base: TypeRules, head: TypeRules) -> Iterable[str]:
    for module, table in sorted(head.overrides.items()):
        before = base.overrides.get(module, {})
        if _bool(table.get("ignore_errors")) and not _bool(before.get("ignore_errors")):
            yield f"ignore_errors = true for {module}"
        was = _explicit(before)
        for flag, value in sorted(_explicit(table).items()):
            if not value and was.get(flag, base.flags.get(flag, False)):
                yield f"{flag} off for {module}"
        codes = set(_codes(table.get("disable_error_code"))) - set(
            _codes(before.get("disable_error_code"))
        )
        if codes:
            yield f"disable_error_code gained {', '.join(sorted(codes))} for {module}"
