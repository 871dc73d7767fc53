"""Fixtures that build real git repositories in tmp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def gates_run(
    repo: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m gates run REPO ARGS...` as a user types it: the real CLI, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else None,
    )


def processes_running(command_line: str) -> list[int]:
    """The pids whose command line contains this text: `pgrep -f` without needing procps."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
        except OSError:  # it ended while we looked
            continue
        if command_line in argv.replace(b"\0", b" ").decode(errors="replace"):
            pids.append(int(entry.name))
    return pids


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main")
        git(path, "config", "user.email", "t@example.com")
        git(path, "config", "user.name", "t")

    def write(self, rel: str, content: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    def commit(self, message: str = "c") -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@pytest.fixture(autouse=True)
def _private_home_and_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets its own HOME and result cache, so no run reuses another test's results
    and no tool writes into the real home directory."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GATES_CACHE_DIR", str(home / "gates-cache"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)


_OUTPUT_NAMES = ("gates.json", "gates.sarif", "gates.md")


def _report_texts(root: Path) -> Iterator[tuple[str, str]]:
    """Every report file, job summary and outputs file a test produced under its tmp dir."""
    for path in root.rglob("*"):
        name = path.name.lower()
        wanted = (
            name in _OUTPUT_NAMES
            or path.parent.name.startswith("reports")
            or "summary" in name
            or "output" in name
            or name.endswith(".log")
        )
        if wanted and path.is_file() and not path.is_symlink():
            yield str(path), path.read_bytes().decode("utf-8", errors="replace")


@pytest.fixture(autouse=True)
def _leak_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No planted secret or PII value may appear in full in anything gates produced: the
    output of every subprocess a test ran, every report file, job summary and outputs file,
    and every request the fake GitHub API received."""
    import planted

    captured: list[tuple[str, str]] = []
    real_run = subprocess.run

    def recording_run(*args: Any, **kwargs: Any) -> Any:
        result = real_run(*args, **kwargs)
        for stream in (result.stdout, result.stderr):
            if stream:
                text = stream if isinstance(stream, str) else stream.decode(errors="replace")
                captured.append((f"output of {args[0]!r:.120}", text))
        return result

    monkeypatch.setattr(subprocess, "run", recording_run)
    servers_before = _fake_servers()
    yield
    texts = captured + list(_report_texts(tmp_path))
    for server in _fake_servers()[len(servers_before) :]:
        texts += [(f"{r.method} {r.path}", repr(r.body)) for r in server.requests]
    leaks = [(where, value) for where, text in texts for value in planted.ALL if value in text]
    assert not leaks, f"planted values leaked: {leaks[:5]}"


def _fake_servers() -> list[Any]:
    try:
        from fake_github import FakeGitHub
    except ImportError:  # pragma: no cover - tests/github is on the path in pyproject
        return []
    return list(FakeGitHub.instances)
