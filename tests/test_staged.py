"""`gates run --staged` (the pre-commit hook): the index against HEAD, inside a git hook."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import planted
import pytest
import yaml
from conftest import Repo, git

ROOT = Path(__file__).resolve().parents[1]


def _hook_argv(hook_id: str = "gates") -> list[str]:
    """The hook's entry as pre-commit runs it; pre-commit appends the args, then file names."""
    (hook,) = [
        h
        for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
        if h["id"] == hook_id
    ]
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    program, *args = shlex.split(hook["entry"])
    assert program == "gates"  # the console script; the same as python -m gates
    return [sys.executable, "-m", "gates", *args]


def test_hook_checks_only_the_staged_changes_and_leaves_the_index_alone(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    repo.write("old.py", "x = 1\n")
    head = repo.commit("base")
    repo.write("staged.py", "import sys\n")
    git(repo.path, "add", "staged.py")
    repo.write("old.py", "import json\n")  # unstaged: not part of the commit being made
    before = (git(repo.path, "status", "--porcelain"), git(repo.path, "ls-files", "--stage"))
    # As inside `git commit`: git points hooks at the index with GIT_INDEX_FILE.
    env = {**os.environ, "GIT_INDEX_FILE": str(repo.path / ".git/index")}
    result = subprocess.run(
        # compare mode also checks out the base in a worktree: the riskier case for the index
        [
            *_hook_argv(),
            "--new",
            "compare",
            "--stages",
            "ruff",
            "--output-dir",
            str(repo.path.parent / "out"),
            "staged.py",  # what pre-commit names: the staged files
        ],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((repo.path.parent / "out/gates.json").read_text())
    assert report["base"] == head and report["head"] != head
    found = [(f["path"], f["new"]) for g in report["gates"] for f in g["findings"]]
    assert found == [("staged.py", True)]
    after = (git(repo.path, "status", "--porcelain"), git(repo.path, "ls-files", "--stage"))
    assert after == before
    assert git(repo.path, "rev-parse", "HEAD").strip() == head
    assert git(repo.path, "worktree", "list").count("\n") == 1


def test_nothing_staged_passes(repo: Repo) -> None:
    repo.write("old.py", "import os\n")
    repo.commit("base")
    result = subprocess.run(
        [*_hook_argv(), "--stages", "ruff"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_staged_takes_no_base(repo: Repo) -> None:
    repo.write("a.py", "a = 1\n")
    repo.commit()
    result = subprocess.run(
        [*_hook_argv(), "--base", "HEAD"], cwd=repo.path, capture_output=True, text=True
    )
    assert result.returncode == 2 and "--staged compares the index with HEAD" in result.stderr


def _hook(repo: Repo, *args: str, hook_id: str = "gates-safety") -> tuple[int, dict[str, Any]]:
    """Run a hook's entry in `repo` as pre-commit does, with `args` (options, then file names);
    the exit code and the report."""
    out = repo.path.parent / "out"
    result = subprocess.run(
        [*_hook_argv(hook_id), "--output-dir", str(out), *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode, json.loads((out / "gates.json").read_text())


def _found(report: dict[str, Any]) -> list[tuple[str, str, int | None, bool]]:
    return sorted(
        (f["path"], f["rule"], f.get("line"), f["new"])
        for g in report["gates"]
        for f in g["findings"]
    )


AWS_LINE = f'key = "{planted.AWS_ACCESS_KEY_ID}"\n'


@pytest.fixture
def history(repo: Repo) -> Repo:
    """A committed key in old.py (before the hook was used), then a staged edit of edited.py:
    its old line 1 holds a key too, its new line 3 another."""
    repo.write("old.py", AWS_LINE)
    repo.write("edited.py", AWS_LINE + "x = 1\n")
    repo.write("clean.py", "y = 2\n")
    repo.commit("base")
    repo.write("edited.py", AWS_LINE + "x = 1\n" + AWS_LINE)
    git(repo.path, "add", "edited.py")
    return repo


def test_a_named_staged_file_is_judged_on_its_staged_lines(history: Repo) -> None:
    code, report = _hook(history, "edited.py")
    assert code == 1
    assert _found(report) == [
        ("edited.py", "secret-aws-access-key", 1, False),
        ("edited.py", "secret-aws-access-key", 3, True),
    ]


def test_a_named_unchanged_file_is_judged_whole(history: Repo) -> None:
    """What `pre-commit run --all-files` passes: every tracked file, changed or not."""
    code, report = _hook(history, "edited.py", "old.py", "clean.py")
    assert code == 1
    assert ("old.py", "secret-aws-access-key", 1, True) in _found(report)
    assert ("edited.py", "secret-aws-access-key", 1, False) in _found(report)
    assert "3 named file(s), 2 of them judged whole" in report["diff"]["note"]
    size = next(g for g in report["gates"] if g["name"] == "size")
    assert size["metrics"]["pr_files"] == 1  # the PR's size is what it changes


def test_files_not_named_are_out_of_scope(history: Repo) -> None:
    code, report = _hook(history, "clean.py")
    assert code == 0 and _found(report) == []
    code, report = _hook(history)  # pre-commit with nothing to pass does not run; this is empty
    assert code == 0 and _found(report) == []


def test_new_all_judges_only_the_named_files_each_whole(history: Repo) -> None:
    history.write(".gates.toml", 'new = "all"\n')
    code, report = _hook(history, "edited.py")
    assert code == 1
    assert [(p, line, new) for p, _, line, new in _found(report)] == [
        ("edited.py", 1, True),
        ("edited.py", 3, True),
    ]


def test_names_are_relative_to_the_current_directory(history: Repo) -> None:
    history.write("sub/deep.py", AWS_LINE)
    history.commit("more")
    out = history.path.parent / "out"
    result = subprocess.run(
        [*_hook_argv(), "--output-dir", str(out), "deep.py", "../old.py"],
        cwd=history.path / "sub",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads((out / "gates.json").read_text())
    assert {f[0] for f in _found(report)} == {"sub/deep.py", "old.py"}


def test_a_name_outside_the_repository_exits_2(history: Repo) -> None:
    result = subprocess.run(
        [*_hook_argv(), "../elsewhere.py"], cwd=history.path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--files: ../elsewhere.py is not inside the repository" in result.stderr


def test_run_without_files_takes_one_repository(history: Repo) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", ".", "old.py"],
        cwd=history.path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "add --files" in result.stderr
