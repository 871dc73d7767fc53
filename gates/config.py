"""Load and validate configuration into a frozen `Config`.

Sources, first found wins: `--config FILE`, `.gates.toml` (keys at top level), `pyproject.toml`
(`[tool.gates]`). No file means defaults. Every key is checked: an unknown key or a wrong type is
a `ConfigError` that names the key and the file, so a typo never silently disables a gate.

Sections: `[tool.gates.<gate>]` for one gate, `[tool.gates.<stage>]` for defaults shared by the
gates of a stage. A gate reads a key from its own section, then its stage's, then its default.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gates.errors import ConfigError
from gates.gate import Option, traits_of
from gates.model import STAGE_ORDER, Severity, Stage
from gates.passenv import check_option as check_pass_env
from gates.paths import check_globs

if TYPE_CHECKING:
    from gates.gate import Gate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FAIL_ON_CHOICES = ("error", "warning", "note", "never")
NEW_MODES = ("lines", "compare", "all")


def _positive(value: object) -> str | None:
    return None if isinstance(value, (int, float)) and value > 0 else "must be greater than 0"


def _known_stage(value: object) -> str | None:
    names = {s.value for s in STAGE_ORDER}
    bad = [v for v in value if v not in names] if isinstance(value, list) else []
    return f"unknown stage {bad[0]!r} (known: {', '.join(sorted(names))})" if bad else None


COMMON_GATE_OPTIONS: Mapping[str, Option] = {
    "enabled": Option(bool, True, help="run this gate"),
    "paths": Option(
        list, [], item=str, check=check_globs, help="globs of the files this gate looks at"
    ),
    "exclude": Option(
        list, [], item=str, check=check_globs, help="globs of files this gate ignores"
    ),
    "timeout_s": Option((int, float), None, check=_positive, help="time budget in seconds"),
    "fail_on": Option(str, None, choices=FAIL_ON_CHOICES, help="lowest severity that blocks"),
    "new": Option(str, None, choices=NEW_MODES, help="what counts as new for this gate"),
}

GLOBAL_OPTIONS: Mapping[str, Option] = {
    "stages": Option(list, [s.value for s in STAGE_ORDER], item=str, check=_known_stage),
    "fail_fast": Option(bool, False),
    "exclude": Option(list, [], item=str, check=check_globs),
    "python": Option(
        str, "", help="the project's interpreter (default: $GATES_PYTHON, else gates' own)"
    ),
    "pass_env": Option(
        list, [], item=str, check=check_pass_env, help="variables the tools get despite the scrub"
    ),
    "new": Option(str, "lines", choices=NEW_MODES),
    "jobs": Option(int, 0, help="parallel gates; 0 means the number of cores"),
    "output_dir": Option(str, "reports"),
    "baseline": Option(str, ".gates-baseline.json", help="the baseline file, relative to the repo"),
    "cache": Option(bool, True, help="reuse gate results for an unchanged tree"),
    "safety_pr_suppressions": Option(
        bool, True, help="false: suppressions a PR adds cannot silence its own safety findings"
    ),
    "allow_persisted_credentials": Option(
        bool, False, help="run the PR's code even where the checkout keeps a git credential"
    ),
    "cache_dir": Option(
        str, "", help="base-run cache (default: $GATES_CACHE_DIR or ~/.cache/gates)"
    ),
}


@dataclass(frozen=True)
class GateConfig:
    enabled: bool
    paths: tuple[str, ...]
    exclude: tuple[str, ...]
    timeout_s: float
    fail_on: str
    options: Mapping[str, Any]
    new: str | None = None  # this gate's own `new`, over the run's


@dataclass(frozen=True)
class Config:
    source: str  # the file the config came from, or "defaults"
    stages: tuple[Stage, ...]
    fail_fast: bool
    exclude: tuple[str, ...]
    python: str
    new: str
    jobs: int
    output_dir: str
    baseline: str = ".gates-baseline.json"
    cache_dir: str = ""
    cache: bool = True
    safety_pr_suppressions: bool = True
    allow_persisted_credentials: bool = False
    pass_env: tuple[str, ...] = ()
    gates: Mapping[str, GateConfig] = field(default_factory=dict)

    def gate(self, name: str) -> GateConfig:
        return self.gates[name]

    def new_mode(self, gate: Gate) -> str:
        """What counts as new for this gate: its own `new`, else the gate's default when the
        run marks by lines (mypy compares with the base: its errors are not local to the lines
        a PR touches), else the run's."""
        own = self.gates[gate.name].new if gate.name in self.gates else None
        if own:
            return own
        if self.new == "lines":
            return traits_of(gate).default_new
        return self.new


def find_config_file(root: Path, explicit: Path | None) -> tuple[Path | None, bool]:
    """The config file and whether its keys sit under [tool.gates] (pyproject) or at top."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit, explicit.name == "pyproject.toml"
    dotfile = root / ".gates.toml"
    if dotfile.is_file():
        return dotfile, False
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        return pyproject, True
    return None, False


def read_table(path: Path, nested: bool) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_table(text, str(path), nested)


def parse_table(text: str, where: str, nested: bool) -> dict[str, Any]:
    """The gates table of a config file's text: top level, or `[tool.gates]` of a pyproject."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    if not nested:
        return data
    tool = data.get("tool", {})
    table = tool.get("gates", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.gates] must be a table")
    return table


CONFIG_FILES = ((".gates.toml", False), ("pyproject.toml", True))
Reader = Callable[[str], "str | None"]


def table_at_revision(read: Reader, label: str) -> tuple[dict[str, Any], str, str] | None:
    """The gates table as committed at a revision (`read(name)` gives a file's text there):
    the table, where it came from (for messages) and the source; None without a config file."""
    for name, nested in CONFIG_FILES:
        text = read(name)
        if text is not None:
            where = f"{name} at {label}"
            return (
                parse_table(text, where, nested),
                where + (" [tool.gates]" if nested else ""),
                where,
            )
    return None


def load_config(
    root: Path,
    registry: Mapping[str, Gate],
    explicit: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    at_revision: tuple[Reader, str] | None = None,
) -> Config:
    """The config from `explicit`, else from the files at a trusted revision (`at_revision`:
    a reader and its label), else from the work tree."""
    if explicit is None and at_revision is not None:
        found = table_at_revision(*at_revision)
        raw, where, source = (
            found if found else ({}, "command line", f"defaults at {at_revision[1]}")
        )
    else:
        path, nested = find_config_file(root, explicit)
        raw = read_table(path, nested) if path else {}
        where = (f"{path} [tool.gates]" if nested else str(path)) if path else "command line"
        source = str(path) if path else "defaults"
    table = dict(raw)
    table.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return build_config(table, registry, where, source)


def work_tree_table(root: Path) -> dict[str, Any]:
    """The gates table in the work tree's config file, {} without one."""
    path, nested = find_config_file(root, None)
    return read_table(path, nested) if path else {}


def build_config(
    table: Mapping[str, Any], registry: Mapping[str, Gate], where: str, source: str
) -> Config:
    stage_names = {s.value for s in STAGE_ORDER}
    sections = {k: v for k, v in table.items() if k in registry or k in stage_names}
    plain = {k: v for k, v in table.items() if k not in sections}
    for key, value in plain.items():
        if isinstance(value, dict) and key not in GLOBAL_OPTIONS:  # a misspelt gate or stage
            known = ", ".join(sorted(stage_names) + sorted(registry))
            raise ConfigError(f"{where}: unknown gate or stage {key!r} (known: {known})")
    values = _validate(plain, GLOBAL_OPTIONS, where)
    for name, section in sections.items():
        if not isinstance(section, dict):
            raise ConfigError(f"{where}: {name!r} must be a table, got {_type_name(section)}")
    stage_tables = {
        s: _validate_stage(s, sections.get(s, {}), registry, where) for s in stage_names
    }
    gates = {
        name: _gate_config(gate, sections.get(name, {}), stage_tables[gate.stage.value], where)
        for name, gate in registry.items()
    }
    return Config(
        source=source,
        stages=tuple(Stage(s) for s in values["stages"]),
        fail_fast=values["fail_fast"],
        exclude=tuple(values["exclude"]),
        python=values["python"],
        new=values["new"],
        jobs=values["jobs"],
        output_dir=values["output_dir"],
        baseline=values["baseline"],
        cache_dir=values["cache_dir"],
        cache=values["cache"],
        safety_pr_suppressions=values["safety_pr_suppressions"],
        allow_persisted_credentials=values["allow_persisted_credentials"],
        pass_env=tuple(values["pass_env"]),
        gates=gates,
    )


def _validate_stage(
    stage: str, section: Mapping[str, Any], registry: Mapping[str, Gate], where: str
) -> dict[str, Any]:
    """A stage section accepts the common keys and any key one of its gates declares."""
    allowed = dict(COMMON_GATE_OPTIONS)
    for gate in registry.values():
        if gate.stage.value == stage:
            allowed.update(gate.options)
    if stage in registry:  # a gate named like its stage owns the section
        return {}
    return _validate(section, allowed, f"{where} [{stage}]", fill_defaults=False)


def _gate_config(
    gate: Gate, section: Mapping[str, Any], stage_values: Mapping[str, Any], where: str
) -> GateConfig:
    allowed = {**COMMON_GATE_OPTIONS, **gate.options}
    own = _validate(section, allowed, f"{where} [{gate.name}]", fill_defaults=False)
    merged = {**stage_values, **own}

    def pick(key: str, default: Any) -> Any:
        value = merged.get(key)
        return default if value is None else value

    options = {k: pick(k, opt.default) for k, opt in gate.options.items()}
    return GateConfig(
        enabled=pick("enabled", bool(own) or not traits_of(gate).opt_in),
        paths=tuple(pick("paths", [])),
        # Excludes add up (stage, then gate): narrowing one gate never re-includes what the
        # stage keeps out, such as a corpus of fake secrets.
        exclude=(*stage_values.get("exclude", []), *own.get("exclude", [])),
        timeout_s=float(pick("timeout_s", gate.default_timeout_s)),
        fail_on=pick("fail_on", gate.default_fail_on),
        options=options,
        new=merged.get("new"),
    )


def _validate(
    table: Mapping[str, Any],
    allowed: Mapping[str, Option],
    where: str,
    fill_defaults: bool = True,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        option = allowed.get(key)
        if option is None:
            known = ", ".join(sorted(allowed))
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {known})")
        problem = check_value(option, value)
        if problem:
            raise ConfigError(f"{where}: key {key!r} {problem}")
        out[key] = value
    if fill_defaults:
        for key, option in allowed.items():
            out.setdefault(key, option.default)
    return out


def check_value(option: Option, value: object) -> str | None:
    """Why `value` does not fit `option`, or None. bool is not accepted where a number is."""
    if not _is_instance(value, option.kind):
        return f"must be {_kind_name(option.kind)}, got {_type_name(value)}"
    if isinstance(value, list) and option.item is not None:
        for index, item in enumerate(value):
            if not _is_instance(item, option.item):
                return f"item {index} must be {_kind_name(option.item)}, got {_type_name(item)}"
    if option.choices and value not in option.choices:
        return f"must be one of {', '.join(map(repr, option.choices))}, got {value!r}"
    if option.check is not None:
        return option.check(value)
    return None


def _is_instance(value: object, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "a table",
}


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def _type_name(value: object) -> str:
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def severity_option(default: str) -> Option:
    return Option(str, default, choices=tuple(s.value for s in Severity))
