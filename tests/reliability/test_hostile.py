"""Hostile PR content: the token is out of reach of the tools, and of the process above them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from conftest import Repo

PLANTED = "ghs_PlantedTokenValue0123456789abcdefXYZ"


def _spy_python(tmp_path: Path) -> Path:
    """An interpreter that records what a PR's code could see, then runs the real one."""
    spy = tmp_path / "spy-python"
    spy.write_text(
        "#!/bin/sh\n"
        '{ echo "== own env"; env; echo "== parent environ";'
        ' tr "\\0" "\\n" < /proc/$PPID/environ; } >> "$SPY_LOG"\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    spy.chmod(spy.stat().st_mode | stat.S_IEXEC)
    return spy


def test_tools_and_their_parent_never_hold_the_token(repo: Repo, tmp_path: Path) -> None:
    log = tmp_path / "spy.log"
    repo.write(".gates.toml", f'python = "{_spy_python(tmp_path)}"\n')
    repo.write("a.py", "import os\n")
    repo.commit()
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    env = {
        **os.environ,
        "GITHUB_TOKEN": PLANTED,
        "ACTIONS_RUNTIME_TOKEN": PLANTED,
        "INPUT_GITHUB-TOKEN": PLANTED,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_ENV": str(tmp_path / "github_env"),
        "SPY_LOG": str(log),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo.path), "--stages", "ruff"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # ruff ran and found F401
    seen = log.read_text()
    assert "== parent environ" in seen  # the spy really ran as the tool's interpreter
    assert PLANTED not in seen
    own_env = seen.split("== parent environ")[0]
    assert "GITHUB_OUTPUT=" not in own_env and "GITHUB_ENV=" not in own_env  # no file commands
    assert "GITHUB_ENV=" not in seen  # gates itself never needs GITHUB_ENV, so drops it too
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert report["verdict"] == "fail"
