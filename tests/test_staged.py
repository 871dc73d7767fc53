"""`gates run --staged` (the pre-commit hook): the index against HEAD, inside a git hook."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import Repo, git

ROOT = Path(__file__).resolve().parents[1]


def _hook_argv() -> list[str]:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "gates" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
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
