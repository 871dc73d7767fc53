"""Compare mode (`new = "compare"`): a finding is new when the base revision did not have it.

The changed-lines filter cannot see problems a PR causes on lines it did not touch (an import
made unused, a caller's type error). Here the same gates run on the merge-base, in a separate
`git worktree` (the user's checkout is never touched), and a head finding is new when its
fingerprint (no line numbers, occurrence-counted) is not among the base's. Base results are
cached on disk keyed by everything that could change them, so re-runs and later pushes to the
same PR do not pay twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from gates import __version__
from gates.diff import Diff
from gates.filters.changed_lines import is_new
from gates.gate import Gate
from gates.git import Git, Worktree
from gates.model import GateResult, Status, decide_status
from gates.proc import run_process
from gates.runner import NoProgress, Planned, RunSettings, plan, run_planned

# The tools whose versions can change a gate's findings; read from the gates' interpreter.
TOOL_DISTRIBUTIONS = (
    "ruff",
    "mypy",
    "bandit",
    "semgrep",
    "coverage",
    "pytest",
    "pip-audit",
    "detect-secrets",
)
_VERSIONS_SCRIPT = (
    "import importlib.metadata as m, json, sys\n"
    "out = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try: out[name] = m.version(name)\n"
    "    except m.PackageNotFoundError: out[name] = ''\n"
    "print(json.dumps(out))\n"
)


@dataclass(frozen=True)
class BaseRun:
    """The base revision's results by gate name, and how they were obtained."""

    results: Mapping[str, GateResult]
    cache_hits: tuple[str, ...] = ()
    note: str = ""


def cache_root(configured: str, env: Mapping[str, str]) -> Path:
    if configured:
        return Path(configured).expanduser()
    if env.get("GATES_CACHE_DIR"):
        return Path(env["GATES_CACHE_DIR"]).expanduser()
    xdg = env.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(xdg) / "gates"


def tool_versions(python: str, cwd: Path) -> dict[str, str]:
    result = run_process(
        [python, "-c", _VERSIONS_SCRIPT, *TOOL_DISTRIBUTIONS], cwd=cwd, timeout_s=60
    )
    try:
        versions: dict[str, str] = json.loads(result.stdout)
    except ValueError:
        return {}
    return versions


def cache_key(planned: Planned, base_sha: str, versions: Mapping[str, str]) -> str:
    """Everything that decides a gate's base findings: revision, config, files, tools."""
    material = {
        "gates": __version__,
        "base": base_sha,
        "gate": planned.gate.name,
        "config": asdict(planned.config),
        "files": planned.files,
        "versions": dict(sorted(versions.items())),
    }
    blob = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:40]


def _load_cached(path: Path) -> GateResult | None:
    from gates.reporters.json_report import gate_from_dict

    try:
        return gate_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(path: Path, result: GateResult) -> None:
    from gates.reporters.json_report import gate_to_dict

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(gate_to_dict(result)), encoding="utf-8")
        tmp.replace(path)


def base_scope(diff: Diff) -> tuple[tuple[str, ...], dict[str, str]]:
    """The base-side paths of the files the PR changed, and base path -> head path."""
    paths: list[str] = []
    renames: dict[str, str] = {}
    for changed in diff.files.values():
        if not changed.exists_at_head or changed.kind.value == "added":
            continue
        old = changed.old_path or changed.path
        paths.append(old)
        if old != changed.path:
            renames[old] = changed.path
    return tuple(sorted(paths)), renames


def _compares(gate: Gate) -> bool:
    """Gates that judge before/after themselves (size) opt out with `compare_base = False`."""
    return bool(getattr(gate, "compare_base", True))


def run_base(
    git: Git,
    head_settings: RunSettings,
    registry: Mapping[str, Gate],
    only: Sequence[str],
    stop: threading.Event,
    cache: Path,
) -> BaseRun:
    diff = head_settings.diff
    base_sha = diff.base
    if base_sha is None or diff.all_changed:
        return BaseRun({}, note="compare mode: no base revision, findings marked by lines")
    scope, renames = base_scope(diff)
    scratch = head_settings.scratch.parent / "base"
    with Worktree(git, base_sha, scratch) as tree:
        settings = replace(
            head_settings,
            root=tree,
            diff=Diff(diff.revisions),  # nothing is "changed" on the base side
            scratch=scratch / "gates",
            project_files=tuple(git.tracked_files(base_sha)),
            scope_files=scope,
            path_map=renames,
        )
        wanted = [p for p in plan(registry, settings, only) if _compares(p.gate)]
        return _run_cached(settings, wanted, base_sha, stop, cache)


def _run_cached(
    settings: RunSettings,
    planned: Sequence[Planned],
    base_sha: str,
    stop: threading.Event,
    cache: Path,
) -> BaseRun:
    root = cache / "base"
    versions = tool_versions(settings.config.python, settings.root)
    results: dict[str, GateResult] = {}
    hits: list[str] = []
    todo: list[tuple[Planned, Path]] = []
    for p in planned:
        path = root / f"{cache_key(p, base_sha, versions)}.json"
        cached = _load_cached(path)
        if cached is not None:
            results[p.gate.name] = cached
            hits.append(p.gate.name)
        else:
            todo.append((p, path))
    ran = run_planned([p for p, _ in todo], settings, NoProgress(), stop)
    for (_, path), result in zip(todo, ran, strict=True):
        results[result.name] = result
        if result.status in (Status.PASS, Status.FAIL):
            _store(path, result)
    note = f"compare mode: base {base_sha[:12]}, {len(hits)} of {len(planned)} gates from cache"
    return BaseRun(results, tuple(hits), note)


def mark_against_base(results: Sequence[GateResult], base: BaseRun, diff: Diff) -> list[GateResult]:
    """Decide `new` for every undecided finding, then each gate's status again."""
    return [_mark_gate(result, base.results.get(result.name), diff) for result in results]


def _mark_gate(result: GateResult, base: GateResult | None, diff: Diff) -> GateResult:
    usable = base is not None and base.status in (Status.PASS, Status.FAIL)
    known = {f.fingerprint for f in base.findings} if usable and base else set()
    findings = tuple(
        f
        if f.new is not None
        else f.replace(new=f.fingerprint not in known if usable else is_new(f, diff))
        for f in result.findings
    )
    metrics = dict(result.metrics)
    if usable and base:
        metrics.update(
            {
                f"{k}_base": v
                for k, v in base.metrics.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
        )
    detail = result.detail
    if not usable and result.findings:
        why = "did not run on the base" if base is None else f"was {base.status.value} on the base"
        detail = (
            detail + "\n" if detail else ""
        ) + f"compare mode: this gate {why}; findings marked by changed lines"
    status = result.status
    if status in (Status.PASS, Status.FAIL):
        status = decide_status(findings, result.fail_on)
    return replace(result, findings=findings, metrics=metrics, detail=detail, status=status)
