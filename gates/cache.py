"""A disk cache of gate outcomes, so a re-run on an unchanged tree costs almost nothing.

The key holds everything that decides a gate's raw outcome: the checkout's git tree id (content
of every file, config files included), the diff base (gates such as diff coverage depend on
it), the gate's resolved config, the files it looks at, the versions of the tools, the
interpreter, and gates' own version and code (a digest of the package's files). A work tree
with uncommitted changes has no tree id, so nothing is cached or reused for it. Only outcomes
that are not errors are stored, and gates whose results depend on the outside world (a
vulnerability database) opt out with `cacheable = False`. What is cached is the raw outcome,
before fingerprints, suppressions and new-marking, which are cheap and are always decided again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gates import __version__, jsontext
from gates.config import GateConfig
from gates.credentials import runs_project_code
from gates.gate import Gate, GateOutcome, traits_of
from gates.model import FINDING_FIELDS, Finding, Severity, Status, Suppression, Table

CACHE_FORMAT = 1


@functools.cache
def code_digest() -> str:
    """A hash of gates' own code and shipped rules: the package version does not change when
    a gate is edited (an editable install, a branch of gates), and a stale outcome must not
    be served for code that would now decide otherwise."""
    return package_digest(Path(__file__).parent)


def package_digest(package: Path) -> str:
    """The hash of a package's code, rules and schemas (not its docs), by relative path."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yml", ".json") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


# Variables that differ on every CI run (ids, paths of the runner's files) and that a project's
# tests have no business reading; in the key they would make every run a cache miss.
_VOLATILE_ENV = re.compile(
    r"^(GITHUB_.*|RUNNER_.*|ACTIONS_.*|GATES_.*|INVOCATION_ID|JOURNAL_STREAM|PWD|OLDPWD|SHLVL|_)$"
)


def environment_digest(env: Mapping[str, str]) -> str:
    """A hash of the environment the project's code runs with, less per-run variables."""
    stable = sorted((k, v) for k, v in env.items() if not _VOLATILE_ENV.match(k))
    return hashlib.sha256(json.dumps(stable).encode()).hexdigest()[:32]


def cache_root(configured: str, env: Mapping[str, str]) -> Path:
    if configured:
        return Path(configured).expanduser()
    if env.get("GATES_CACHE_DIR"):
        return Path(env["GATES_CACHE_DIR"]).expanduser()
    xdg = env.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(xdg) / "gates"


def _repo_slot(repo: Path) -> str:
    return hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:16]


def durations_path(root: Path, repo: Path) -> Path:
    return root / "tools" / _repo_slot(repo) / "durations.json"


def load_durations(path: Path) -> dict[str, float]:
    """How long each gate took when it last ran here: the schedule starts the longest first."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float)) and v >= 0}


def store_durations(path: Path, durations: Mapping[str, float]) -> None:
    """Merge this run's durations into the log; a cache that cannot be written is no error."""
    merged = {**load_durations(path), **durations}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(dict(sorted(merged.items())), indent=1), encoding="utf-8")
        tmp.replace(path)


def tool_cache_env(root: Path, repo: Path, role: str) -> dict[str, str]:
    """Where ruff and mypy keep their own incremental caches: under the gates cache (one
    directory the action can keep with actions/cache), per repository and per role (head or
    base), so a new push to a PR re-checks only what changed."""
    base = root / "tools" / _repo_slot(repo) / role
    return {"RUFF_CACHE_DIR": str(base / "ruff"), "MYPY_CACHE_DIR": str(base / "mypy")}


@dataclass(frozen=True)
class ResultCache:
    """Where outcomes live and what every key of this run shares (tree, base, tools)."""

    root: Path
    tree: str  # git tree id of the checkout the gates look at
    base: str  # the diff base, "" for none
    versions: Mapping[str, str]
    python: str
    # What the project's code sees of the environment (see environment_digest): a test that
    # reads COLUMNS or a locale must not be served an outcome measured under another.
    environment: str = ""

    def key(self, gate: Gate, config: GateConfig, files: tuple[str, ...]) -> str:
        material = {
            "format": CACHE_FORMAT,
            "gates": __version__,
            "code": code_digest(),
            "tree": self.tree,
            "base": self.base,
            "gate": gate.name,
            "config": dataclasses.asdict(config),
            "files": files,
            "versions": dict(sorted(self.versions.items())),
            "python": self.python,
            "environment": self.environment if runs_project_code(gate) else "",
        }
        blob = json.dumps(material, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:40]

    def _path(self, key: str) -> Path:
        return self.root / "results" / key[:2] / f"{key}.json"

    def load(self, key: str) -> GateOutcome | None:
        try:
            data = json.loads(self._path(key).read_bytes())
            return outcome_from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(self, key: str, outcome: GateOutcome) -> None:
        path = self._path(key)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(jsontext.dumps(outcome_to_json(outcome)), encoding="utf-8")
            tmp.replace(path)


def cacheable(gate: Gate, outcome: GateOutcome) -> bool:
    if not traits_of(gate).cacheable:
        return False
    return outcome.status is not Status.ERROR


def _finding_to_json(f: Finding) -> dict[str, Any]:
    """The fields as they are: `dataclasses.asdict` deep-copies each value on its way, on
    the worker that just ran the tool, and a linter can report tens of thousands."""
    data = {name: getattr(f, name) for name in FINDING_FIELDS}
    data["severity"] = f.severity.value
    data["suppressed"] = dataclasses.asdict(f.suppressed) if f.suppressed else None
    data["extra"] = dict(f.extra)
    return data


def _finding_from_json(d: Mapping[str, Any]) -> Finding:
    sup = d.get("suppressed")
    fields = {k: v for k, v in d.items() if k not in ("severity", "suppressed", "extra")}
    return Finding(
        **fields,
        severity=Severity(d["severity"]),
        suppressed=Suppression(**sup) if sup else None,
        extra=dict(d.get("extra") or {}),
    )


def outcome_to_json(outcome: GateOutcome) -> dict[str, Any]:
    return {
        "findings": [_finding_to_json(f) for f in outcome.findings],
        "metrics": dict(outcome.metrics),
        "status": outcome.status.value if outcome.status else None,
        "detail": outcome.detail,
        "tool_version": outcome.tool_version,
        "tables": [dataclasses.asdict(t) for t in outcome.tables],
    }


def outcome_from_json(d: Mapping[str, Any]) -> GateOutcome:
    return GateOutcome(
        findings=tuple(_finding_from_json(f) for f in d["findings"]),
        metrics=dict(d["metrics"]),
        status=Status(d["status"]) if d["status"] else None,
        detail=str(d["detail"]),
        tool_version=str(d["tool_version"]),
        tables=tuple(
            Table(t["title"], tuple(t["columns"]), tuple(tuple(r) for r in t["rows"]))
            for t in d.get("tables", [])
        ),
    )
