"""Event files that are missing, empty, not JSON or of another type: exit 2 naming the problem,
or a run that falls back to the documented base resolution."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import Repo, gates_run


def run_with_event(
    repo: Path, event: Path, name: str = "pull_request"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": name}
    return gates_run(repo, env=env)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "event file"),
        ("", "event file"),
        ("{not json", "event file"),
        ('["a list"]', "event file"),
        ('{"pull_request": {"base": {"sha": 12}}}', "event file"),
    ],
)
def test_bad_event_file_exits_2(
    repo: Repo, tmp_path: Path, content: str | None, needle: str
) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    event = tmp_path / "event.json"
    if content is not None:
        event.write_text(content)
    result = run_with_event(repo.path, event)
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_event_of_another_type_falls_back(repo: Repo, tmp_path: Path) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    event = tmp_path / "event.json"
    event.write_text('{"issue": {"number": 3}}')
    result = run_with_event(repo.path, event, name="issues")
    assert result.returncode == 0, result.stderr
    assert "every file" in (repo.path / "reports/gates.md").read_text()
