"""End to end through `python -m gates run` on real repos with the real ruff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import jsonschema
import pytest
from conftest import Repo, gates_run

from gates.gate import GateOutcome, Option, Scope
from gates.model import Finding, Stage

ROOT = Path(__file__).resolve().parents[1]


def _pr(repo: Repo) -> str:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    repo.write("old.py", "import os\n")
    base = repo.commit("base")
    repo.write("new.py", "import sys\n")
    repo.write("old.py", "import os\nx = 1\n")  # touched, but the old finding is on line 1
    repo.commit("pr")
    return base


def test_run_marks_new_findings_and_writes_valid_reports(repo: Repo) -> None:
    base = _pr(repo)
    result = gates_run(repo.path, "--base", base)
    assert result.returncode == 1, result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    schema = json.loads((ROOT / "reports/gates-report.schema.json").read_text())
    jsonschema.validate(report, schema)
    findings = {f["path"]: f for g in report["gates"] for f in g["findings"]}
    assert findings["new.py"]["new"] and findings["new.py"]["line"] == 1
    assert findings["new.py"]["rule"] == "F401"
    assert not findings["old.py"]["new"]
    sarif = json.loads((repo.path / "reports/gates.sarif").read_text())
    sarif_schema = json.loads((ROOT / "tests/schemas/sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, sarif_schema)
    md = (repo.path / "reports/gates.md").read_text()
    assert "gates failed" in md and "new.py" in md


def test_only_old_findings_pass(repo: Repo) -> None:
    base = _pr(repo)
    repo.write("new.py", "import sys\nprint(sys)\n")
    repo.commit("fix")
    result = gates_run(repo.path, "--base", base)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ("[tool.gates]\nfail_fasst = true\n", "unknown key 'fail_fasst'"),
        ('[tool.gates.ruff]\ntimeout_s = "x"\n', "key 'timeout_s' must be a number"),
        ("[tool.gates\n", "invalid TOML"),
        ('[tool.gates]\nstages = ["nope"]\n', "unknown stage 'nope'"),
        ("[tool.gates.rufff]\nenabled = false\n", "unknown gate or stage 'rufff'"),
    ],
)
def test_config_errors_exit_2_naming_the_key(repo: Repo, config: str, needle: str) -> None:
    repo.write("pyproject.toml", config)
    repo.commit()
    result = gates_run(repo.path)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_not_a_repo_exits_2(tmp_path: Path) -> None:
    result = gates_run(tmp_path)
    assert result.returncode == 2 and "not a git repository" in result.stderr


class _Crash:
    name, stage, tool, scope = "crash", Stage.QUALITY, "crash", Scope.CHANGED
    description, default_timeout_s, default_fail_on = "", 5.0, "error"
    options: ClassVar[dict[str, Option]] = {}

    def run(self, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


class _Hang(_Crash):
    name, default_timeout_s = "hang", 0.5

    def run(self, ctx):  # type: ignore[no-untyped-def]
        result = ctx.run(["sleep", "60"])
        assert not result.timed_out
        return GateOutcome()


class _Ok(_Crash):
    name = "ok"

    def run(self, ctx):  # type: ignore[no-untyped-def]
        return GateOutcome(
            findings=[
                Finding(
                    "ok",
                    "t",
                    "r",
                    __import__("gates.model").model.Severity.NOTE,
                    "a.py",
                    "m",
                    line=1,
                )
            ]
        )


def test_crash_and_timeout_become_errors_others_complete(repo: Repo, monkeypatch) -> None:
    import threading

    import gates.runner as runner
    from gates.app import RunRequest, run

    runner.WATCHDOG_GRACE_S = 0.5
    repo.write("a.py", "a = 1\n")
    repo.commit()
    registry = {g.name: g for g in (_Crash(), _Hang(), _Ok())}
    outcome = run(
        RunRequest(path=repo.path, env={}), registry, runner.NoProgress(), threading.Event()
    )
    status = {g.name: g.status.value for g in outcome.report.gates}
    assert status == {"crash": "error", "hang": "error", "ok": "pass"}
    crash = next(g for g in outcome.report.gates if g.name == "crash")
    assert "boom" in crash.detail
    assert outcome.report.verdict.value == "error"
    assert (outcome.output_dir / "gates.json").exists()


class _Sleep(_Crash):
    name, default_timeout_s = "sleep", 100.0  # the biggest budget: scheduled first

    def run(self, ctx):  # type: ignore[no-untyped-def]
        assert ctx.run(["sleep", "0.3"]).ok
        return GateOutcome()


def test_each_gate_records_when_it_started(repo: Repo) -> None:
    """With one job the gates run back to back: the schedule in gates.json shows that order."""
    import threading

    import gates.runner as runner
    from gates.app import RunRequest, run

    repo.write("pyproject.toml", "[tool.gates]\njobs = 1\n")
    repo.commit()
    registry = {g.name: g for g in (_Ok(), _Sleep())}
    outcome = run(
        RunRequest(path=repo.path, env={}), registry, runner.NoProgress(), threading.Event()
    )
    gates = {
        g["name"]: g for g in json.loads((outcome.output_dir / "gates.json").read_text())["gates"]
    }
    sleep, ok = gates["sleep"], gates["ok"]
    assert 0 <= sleep["started_s"] < ok["started_s"]
    assert ok["started_s"] >= sleep["started_s"] + sleep["duration_s"] - 0.01
    assert ok["started_s"] + ok["duration_s"] <= outcome.report.duration_s


def test_unknown_stage_exits_2(repo: Repo) -> None:
    repo.write("a.py", "a = 1\n")
    repo.commit()
    result = gates_run(repo.path, "--stages", "quality,nope")
    assert result.returncode == 2 and "unknown stage or gate 'nope'" in result.stderr


def test_head_other_than_checkout_runs_in_a_worktree(repo: Repo) -> None:
    base = _pr(repo)
    pr_head = repo.commit("empty")
    from conftest import git

    git(repo.path, "checkout", "-q", base)
    result = gates_run(repo.path, "--base", base, "--head", pr_head)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert report["head"] == pr_head
    assert any(f["path"] == "new.py" and f["new"] for g in report["gates"] for f in g["findings"])
    assert not (repo.path / "new.py").exists()  # the user's checkout was not touched
    assert git(repo.path, "worktree", "list").count("\n") == 1


def test_stages_and_gate_names_mix_as_a_union(repo: Repo) -> None:
    repo.write("a.py", "import os\n")
    repo.commit()
    result = gates_run(repo.path, "--stages", "size,ruff")
    assert result.returncode == 1, result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert [g["name"] for g in report["gates"]] == ["ruff", "size"]
