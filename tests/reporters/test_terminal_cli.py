"""`python -m gates run` in a real repo with the real ruff, in a pipe and on a pseudo-terminal:
plain text when not a TTY, a live table that clears on one, NO_COLOR / FORCE_COLOR, -q, -v."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from conftest import Repo, gates_run

COLOUR = re.compile(r"\x1b\[(?:\d+;)*3[0-7]m")  # a foreground colour
CURSOR = re.compile(r"\x1b\[\d*[AK]")  # cursor up / erase line: a live table redrawn or cleared


def _pr(repo: Repo) -> str:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    repo.write("old.py", "import os\n")
    base = repo.commit("base")
    repo.write("new.py", "import sys\n")
    repo.write("old.py", "import os\nx = 1\n")  # touched, but the old finding is on line 1
    repo.commit("pr")
    return base


def _env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.pop("GITHUB_ACTIONS", None)
    return {**env, "TERM": "xterm-256color", "COLUMNS": "120", **more}


def _on_a_tty(repo: Path, *args: str, env: dict[str, str]) -> str:
    """The bytes a terminal would show, from a pseudo-terminal the CLI writes to."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "gates", "run", str(repo), *args]
    proc = subprocess.Popen(command, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_in_a_pipe_the_output_is_plain_text(repo: Repo) -> None:
    base = _pr(repo)
    result = gates_run(repo.path, "--base", base, "--stages", "ruff", env=_env())
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stdout
    assert "  done    ruff (" in result.stdout and "blocking new/total" in result.stdout
    assert "gates: FAIL — 1 blocking finding in 1 gate." in result.stdout


def test_force_color_colours_a_pipe_without_a_live_table(repo: Repo) -> None:
    base = _pr(repo)
    result = gates_run(repo.path, "--base", base, "--stages", "ruff", env=_env(FORCE_COLOR="1"))
    assert COLOUR.search(result.stdout) and not CURSOR.search(result.stdout)
    both = _env(FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b" not in gates_run(repo.path, "--base", base, "--stages", "ruff", env=both).stdout


def test_on_a_terminal_the_live_table_clears_and_the_final_table_is_coloured(repo: Repo) -> None:
    base = _pr(repo)
    screen = _on_a_tty(repo.path, "--base", base, "--stages", "ruff", env=_env())
    assert CURSOR.search(screen) and "\x1b[2K" in screen  # drawn in place, then erased
    final = screen[screen.rindex("\x1b[2K") :]
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", final)
    assert plain.count("blocking new/total") == 1 and "gates: FAIL" in plain
    assert COLOUR.search(final)
    assert "queued" not in plain and "running" not in plain


def test_no_color_on_a_terminal_keeps_the_live_table_without_colour(repo: Repo) -> None:
    base = _pr(repo)
    screen = _on_a_tty(repo.path, "--base", base, "--stages", "ruff", env=_env(NO_COLOR="1"))
    assert "gates: FAIL" in screen and not COLOUR.search(screen)


def test_no_progress_quiet_and_verbose(repo: Repo) -> None:
    base = _pr(repo)
    args = ("--base", base, "--stages", "ruff")
    quiet = gates_run(repo.path, *args, "-q", env=_env()).stdout
    assert quiet.splitlines() == [
        "new.py",
        "         1:8  warning BLOCKING   ruff/F401: `sys` imported but unused (fixable)",
        "",
        "gates: FAIL — 1 blocking finding in 1 gate.",
    ]
    normal = gates_run(repo.path, *args, "--no-progress", env=_env()).stdout
    assert "started" not in normal and "old.py" not in normal
    assert "1 finding not introduced by this PR or suppressed (-v shows them)" in normal
    verbose = gates_run(repo.path, *args, "-v", "--no-progress", env=_env()).stdout
    assert re.search(r"1:8 +warning +old +ruff/F401: `os` imported but unused", verbose)
