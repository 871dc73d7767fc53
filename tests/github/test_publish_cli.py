"""`python -m gates publish` through the CLI: exit codes, usage errors, dry run, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Repo
from fake_github import FakeGitHub
from publish_helpers import HEAD_SHA, actions_env, finding, make_report

from gates.cli import main
from gates.reporters.json_report import render_json


def _report_file(tmp: Path, failing: bool = True) -> Path:
    path = tmp / "reports" / "gates.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(render_json(make_report([finding(1)] if failing else [])), encoding="utf-8")
    return path


def _env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "GATES_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_dry_run_sends_nothing_and_prints_the_plan(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _env(monkeypatch, actions_env(tmp_path, github))
    code = main(["publish", str(_report_file(tmp_path)), "--dry-run", "--statuses"])
    out = capsys.readouterr().out
    assert code == 1 and github.requests == []
    assert "would send: POST /repos/octo/demo/check-runs (" in out
    assert "would send: POST /repos/octo/demo/issues/7/comments (" in out
    assert f"would send: POST /repos/octo/demo/statuses/{HEAD_SHA}" in out
    assert not (tmp_path / "output.txt").exists() and not (tmp_path / "summary.md").exists()


def test_dry_run_outside_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, {})
    assert main(["publish", str(_report_file(tmp_path, failing=False)), "--dry-run"]) == 0
    assert "check-runs" in capsys.readouterr().out


def test_dry_run_of_a_fork_says_it_would_fall_back(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _env(monkeypatch, actions_env(tmp_path, github, fork=True))
    assert main(["publish", str(_report_file(tmp_path)), "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "would send nothing (a pull request from a fork" in out and "::" not in out


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "cannot read the report"), ("{", "not JSON"), ('{"a": 1}', "not a gates report")],
)
def test_bad_report_is_a_usage_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    needle: str,
) -> None:
    _env(monkeypatch, {})
    path = tmp_path / "gates.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["publish", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_missing_repository_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, {"GITHUB_TOKEN": "x"})
    assert main(["publish", str(_report_file(tmp_path))]) == 2
    assert "GITHUB_REPOSITORY" in capsys.readouterr().err


def test_publish_failure_keeps_the_verdict_unless_strict(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    github.read_only = True
    _env(monkeypatch, actions_env(tmp_path, github))
    report = str(_report_file(tmp_path, failing=False))
    assert main(["publish", report]) == 0
    out = capsys.readouterr().out
    assert out.count("::warning") == 1 and "Traceback" not in out
    assert main(["publish", report, "--strict-publish"]) == 1


def test_fork_exit_code_is_the_verdict(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _env(monkeypatch, actions_env(tmp_path, github, fork=True))
    assert main(["publish", str(_report_file(tmp_path)), "--strict-publish"]) == 1
    assert main(["publish", str(_report_file(tmp_path, failing=False)), "--strict-publish"]) == 0
    assert github.requests == [] and "::warning" in capsys.readouterr().out


def test_run_then_publish_end_to_end(github: FakeGitHub, repo: Repo, tmp_path: Path) -> None:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    repo.write("old.py", "x = 1\n")
    base = repo.commit("base")
    repo.write("new.py", "import sys\n")
    repo.commit("pr")
    run = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo.path), "--base", base, "--stages", "ruff"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATES_"))}
    env |= actions_env(tmp_path, github)
    published = subprocess.run(
        [sys.executable, "-m", "gates", "publish", str(repo.path / "reports/gates.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert published.returncode == 1, published.stderr
    (run_state,) = github.check_runs.values()
    (note,) = github.annotations[run_state["id"]]
    assert (note["path"], note["start_line"], note["title"]) == ("new.py", 1, "ruff F401")
    (comment,) = github.all_comments()
    assert "new.py" in comment["body"]
    outputs = (tmp_path / "output.txt").read_text(encoding="utf-8")
    assert "verdict=fail" in outputs and "findings=1" in outputs
    assert f"sarif={repo.path / 'reports/gates.sarif'}" in outputs
