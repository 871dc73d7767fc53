"""The result cache: a warm re-run reuses outcomes; any change that matters invalidates them."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import Repo

import gates
from gates.app import RunRequest, run
from gates.cache import (
    ResultCache,
    code_digest,
    outcome_from_json,
    outcome_to_json,
    package_digest,
)
from gates.config import GateConfig
from gates.gate import GateContext, GateOutcome, Option, Scope
from gates.model import Finding, Severity, Stage, Status, Suppression, Table
from gates.runner import NoProgress


class _Counting:
    name, stage, tool, scope = "counting", Stage.QUALITY, "counting", Scope.CHANGED
    description, default_timeout_s, default_fail_on = "", 30.0, "warning"
    options: ClassVar[dict[str, Option]] = {"flag": Option(bool, False)}
    calls: ClassVar[list[str]] = []

    def run(self, ctx: GateContext) -> GateOutcome:
        self.calls.append((ctx.root / "a.py").read_text())
        return GateOutcome(
            findings=[Finding(self.name, "t", "R", Severity.WARNING, "a.py", "m", line=1)]
        )


class _Uncacheable(_Counting):
    name, cacheable = "uncacheable", False


def _run(repo: Repo, cache: Path, registry: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    env = {"GATES_CACHE_DIR": str(cache)}
    registry = registry or {"counting": _Counting()}
    return run(RunRequest(path=repo.path, env=env), registry, NoProgress(), threading.Event())  # type: ignore[arg-type]


def _setup(repo: Repo) -> None:
    _Counting.calls = []
    repo.write("a.py", "one\n")
    repo.commit()


def test_warm_rerun_reuses_the_outcome_and_marks_it(repo: Repo, tmp_path: Path) -> None:
    _setup(repo)
    first = _run(repo, tmp_path / "c")
    second = _run(repo, tmp_path / "c")
    assert _Counting.calls == ["one\n"]
    [gate] = second.report.gates
    assert gate.metrics["cache_hit"] is True and "cache_hit" not in first.report.gates[0].metrics
    assert [f.fingerprint for f in gate.findings] == [
        f.fingerprint for f in first.report.gates[0].findings
    ]
    assert gate.status is Status.FAIL  # status decided again from the cached findings


def test_content_change_invalidates(repo: Repo, tmp_path: Path) -> None:
    _setup(repo)
    _run(repo, tmp_path / "c")
    repo.write("a.py", "two\n")
    repo.commit()
    _run(repo, tmp_path / "c")
    assert _Counting.calls == ["one\n", "two\n"]


def test_config_change_invalidates(repo: Repo, tmp_path: Path) -> None:
    _setup(repo)
    _run(repo, tmp_path / "c")
    repo.write(".gates.toml", "[counting]\nflag = true\n")
    repo.commit()
    _run(repo, tmp_path / "c")
    assert len(_Counting.calls) == 2


def test_dirty_tree_is_never_cached(repo: Repo, tmp_path: Path) -> None:
    _setup(repo)
    repo.write("a.py", "uncommitted\n")
    _run(repo, tmp_path / "c")
    _run(repo, tmp_path / "c")
    assert _Counting.calls == ["uncommitted\n", "uncommitted\n"]


def test_opt_out_and_no_cache_env(repo: Repo, tmp_path: Path) -> None:
    _setup(repo)
    _run(repo, tmp_path / "c", {"uncacheable": _Uncacheable()})
    _run(repo, tmp_path / "c", {"uncacheable": _Uncacheable()})
    assert len(_Counting.calls) == 2
    env = {"GATES_CACHE_DIR": str(tmp_path / "d"), "GATES_NO_CACHE": "1"}
    for _ in range(2):
        run(RunRequest(path=repo.path, env=env), {"counting": _Counting()}, NoProgress())
    assert len(_Counting.calls) == 4


def test_tool_versions_are_part_of_the_key() -> None:
    config = GateConfig(True, (), (), 10.0, "error", {})
    one = ResultCache(Path("/x"), "tree", "base", {"ruff": "0.1"}, "python")
    two = ResultCache(Path("/x"), "tree", "base", {"ruff": "0.2"}, "python")
    assert one.key(_Counting(), config, ("a.py",)) != two.key(_Counting(), config, ("a.py",))


def test_outcome_round_trip_keeps_undecided_fields() -> None:
    finding = Finding(
        "g",
        "t",
        "R",
        Severity.NOTE,
        "p",
        "m",
        line=3,
        new=None,
        suppressed=Suppression("tool", "x"),
        extra={"k": "v"},
    )
    outcome = GateOutcome(
        findings=(finding,),
        metrics={"m": 1.5},
        status=Status.SKIPPED,
        detail="d",
        tool_version="1",
        tables=(Table("t", ("a", "b"), (("1", "2"),)),),
    )
    back = outcome_from_json(json.loads(json.dumps(outcome_to_json(outcome))))
    assert back == outcome
    assert back.findings[0].extra == {"k": "v"}  # not part of equality: checked apart


def test_ruff_and_mypy_keep_their_caches_under_the_gates_cache(repo: Repo, tmp_path: Path) -> None:
    from gates.registry import REGISTRY

    repo.write("a.py", "import os\n")
    repo.commit()
    cache = tmp_path / "c"
    registry = {name: REGISTRY[name] for name in ("ruff", "mypy")}
    _run(repo, cache, registry)
    [slot] = (cache / "tools").iterdir()
    assert any((slot / "head" / "ruff").rglob("*")), "ruff wrote no cache"
    assert (slot / "head" / "mypy" / "CACHEDIR.TAG").exists(), "mypy wrote no cache"
    assert not (repo.path / ".ruff_cache").exists() and not (repo.path / ".mypy_cache").exists()


def test_the_key_changes_with_gates_own_code_not_its_docs(tmp_path: Path) -> None:
    copy = tmp_path / "gates"
    shutil.copytree(Path(gates.__file__).parent, copy)
    before = package_digest(copy)
    assert before == package_digest(Path(gates.__file__).parent) and len(code_digest()) == 32
    (copy / "docs" / "quality.md").write_text("edited docs\n")
    assert package_digest(copy) == before
    (copy / "checks" / "size.py").write_text("# an edited gate\n")
    assert package_digest(copy) != before


class _ProjectCode(_Counting):
    name, runs_project_code = "project-code", True


def test_what_the_projects_code_sees_of_the_environment_is_part_of_its_key(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test that reads COLUMNS or a locale ran under another value: not the same outcome.
    Gates that never run the project's code, and per-run CI variables, keep the cache warm."""
    _setup(repo)
    registry: dict[str, object] = {"counting": _Counting(), "project-code": _ProjectCode()}
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("GITHUB_RUN_ID", "1")
    _run(repo, tmp_path / "c", registry)
    monkeypatch.setenv("GITHUB_RUN_ID", "2")
    _run(repo, tmp_path / "c", registry)
    assert len(_Counting.calls) == 2  # one run each: the run id is not in the key
    monkeypatch.setenv("COLUMNS", "40")
    second = _run(repo, tmp_path / "c", registry)
    hits = {g.name: bool(g.metrics.get("cache_hit")) for g in second.report.gates}
    assert hits == {"counting": True, "project-code": False}
    assert len(_Counting.calls) == 3
