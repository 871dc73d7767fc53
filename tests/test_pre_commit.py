"""The pre-commit hooks through real pre-commit: it installs gates from a commit of this checkout
into its own environment (from PyPI-resolvable dependencies, no tools) and runs the hook as a
user's `git commit` or `pre-commit run --all-files` would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import planted
import pytest
from conftest import Repo, git

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

AWS_LINE = f'key = "{planted.AWS_ACCESS_KEY_ID}"\n'
BIDI_LINE = 'access = "user\u202e \u2066// admin\u2069 \u2066"\n'  # Trojan Source


def _snapshot(dest: Path) -> str:
    """A one-commit repository holding this checkout's files as they are now (committed or
    not): pre-commit installs a hook repository at a rev."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file() and not source.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    repo = Repo(dest)
    return repo.commit("gates as checked out")


@pytest.fixture(scope="session")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, str]]:
    """The hook repository, its rev, and an environment whose PRE_COMMIT_HOME (and HOME, for
    pip's cache) outlive one test: gates is installed once per session."""
    root = tmp_path_factory.mktemp("pre-commit")
    rev = _snapshot(root / "gates-src")
    env = {**os.environ, "PRE_COMMIT_HOME": str(root / "home"), "HOME": str(root)}
    env.pop("GIT_INDEX_FILE", None)
    return str(root / "gates-src"), rev, env


def _project(path: Path, hooks: tuple[str, str, dict[str, str]]) -> Repo:
    """A project that uses the gates-safety hook, its config committed with one clean file."""
    source, rev, _ = hooks
    repo = Repo(path)
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: gates-safety\n",
    )
    repo.write(".gitignore", "reports/\n")
    repo.write("clean.py", "x = 1\n")
    repo.commit("base")
    return repo


def _pre_commit(
    repo: Repo, hooks: tuple[str, str, dict[str, str]], *args: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "gates-safety", "--color=never", *args],
        cwd=repo.path,
        env={**hooks[2], "GATES_CACHE_DIR": os.environ.get("GATES_CACHE_DIR", "")},
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "internal error" not in result.stdout, result.stdout
    return result


def test_a_staged_secret_or_bidi_control_fails_the_hook(
    tmp_path: Path, hooks: tuple[str, str, dict[str, str]]
) -> None:
    repo = _project(tmp_path / "project", hooks)
    repo.write("keys.py", AWS_LINE)
    git(repo.path, "add", "keys.py")
    result = _pre_commit(repo, hooks)  # what `git commit` runs: the staged files
    assert result.returncode == 1, result.stdout
    assert "keys.py" in result.stdout and "secret-aws-access-key" in result.stdout
    assert planted.AWS_ACCESS_KEY_ID not in result.stdout  # redacted
    git(repo.path, "rm", "-q", "--cached", "keys.py")

    repo.write("trojan.py", BIDI_LINE)
    git(repo.path, "add", "trojan.py")
    result = _pre_commit(repo, hooks, "--files", "trojan.py")
    assert result.returncode == 1, result.stdout
    assert "trojan.py" in result.stdout and "hidden-unicode" in result.stdout


def test_all_files_reports_a_problem_in_a_file_the_commit_does_not_touch(
    tmp_path: Path, hooks: tuple[str, str, dict[str, str]]
) -> None:
    repo = _project(tmp_path / "project", hooks)
    repo.write("legacy/old.py", AWS_LINE)  # committed before the hook was installed
    repo.commit("old key")
    repo.write("clean.py", "x = 2\n")
    git(repo.path, "add", "clean.py")
    staged_only = _pre_commit(repo, hooks)
    assert staged_only.returncode == 0, staged_only.stdout
    everything = _pre_commit(repo, hooks, "--all-files")
    assert everything.returncode == 1, everything.stdout
    assert "legacy/old.py" in everything.stdout
    assert "secret-aws-access-key" in everything.stdout


def test_a_clean_repository_passes_all_files(
    tmp_path: Path, hooks: tuple[str, str, dict[str, str]]
) -> None:
    repo = _project(tmp_path / "project", hooks)
    repo.write("pkg/mod.py", "def f() -> int:\n    return 1\n")
    repo.commit("more")
    result = _pre_commit(repo, hooks, "--all-files")
    assert result.returncode == 0, result.stdout
    assert "Passed" in result.stdout
