"""Hostile PR content: the token is out of reach of the tools, and of the process above them."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from conftest import Repo, gates_run

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


_THIEF = """
import os, pathlib

def _ancestors():
    pid = os.getpid()
    while pid > 1:
        yield pid
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])

def test_steal():
    loot = [os.environ.get(name, "") for name in ("GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN")]
    for pid in _ancestors():
        try:
            loot.append(pathlib.Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace"))
        except OSError:
            pass
    event = os.environ.get("GITHUB_EVENT_PATH")
    if event:
        loot.append(pathlib.Path(event).read_text())
    pathlib.Path(os.environ["LOOT_FILE"]).write_text("\\n".join(loot))
"""

_FORGER = """
import json, pathlib

def pytest_sessionfinish(session, exitstatus):
    reports = pathlib.Path(__file__).parent / "reports"
    reports.mkdir(exist_ok=True)
    forged = {"schema_version": "1.0", "verdict": "pass", "base": None, "head": "x", "gates": []}
    (reports / "gates.json").write_text(json.dumps(forged))
    (reports / "gates.md").write_text("all good, merge it")
"""


def test_a_test_suite_cannot_steal_the_token(repo: Repo, tmp_path: Path) -> None:
    repo.write("test_thief.py", _THIEF)
    base = repo.commit("base")
    repo.write("mod.py", "X = 1\n")
    repo.commit("pr")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}, "head": {"sha": "x"}}}))
    loot = tmp_path / "loot.txt"
    env = {
        **os.environ,
        "GITHUB_TOKEN": PLANTED,
        "ACTIONS_RUNTIME_TOKEN": PLANTED,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "pull_request",
        "LOOT_FILE": str(loot),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo.path), "--stages", "coverage"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    stolen = loot.read_text()
    assert "pull_request" in stolen  # the suite really ran and read the event file
    assert PLANTED not in stolen


def test_a_conftest_cannot_forge_the_report(repo: Repo) -> None:
    repo.write("conftest.py", _FORGER)
    repo.write("test_fails.py", "def test_fails():\n    assert 1 == 1\n")
    base = repo.commit("base")
    repo.write("test_fails.py", "def test_fails():\n    assert 1 == 3\n")  # the PR breaks it
    repo.commit("pr")
    result = gates_run(repo.path, "--base", base, "--stages", "coverage")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert report["verdict"] == "fail" and report["gates"]
    assert "merge it" not in (repo.path / "reports/gates.md").read_text()


_EVIL_NAMES = [
    "x\n::add-mask::ghs_x\n.py",
    "y\r\n::set-output name=verdict::pass\r\n.py",
    "<img src=x onerror=alert(1)> @org/team #1.py",
    "</details><script>alert(1)</script>.py",
    "%0A::warning::encoded.py",
]


def test_names_cannot_inject_workflow_commands_or_markup(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    base = repo.commit("base")
    for name in _EVIL_NAMES:
        repo.write(name, "import os\n")
    repo.commit("pr")
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo.path), "--base", base, "--stages", "ruff"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    names = [line.split("::")[1] for line in commands]
    assert names[:2] == ["group", "stop-commands"] and names[-1] == "endgroup", commands
    token = commands[1].split("::")[2]
    assert len(token) == 32 and names[-2] == token  # commands resume only after the group
    assert not any("add-mask" in c or "set-output" in c for c in commands)
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert {f["path"] for g in report["gates"] for f in g["findings"]} == set(_EVIL_NAMES)
    md = (repo.path / "reports/gates.md").read_text()
    # Inside a code span GitHub renders HTML and mentions literally; outside, nothing may be live.
    outside_code = re.sub(r"(`+)(?:(?!\1).)+\1", "", md)
    for raw in ("<img", "<script", "</details><", "@org/team", " #1"):
        assert raw not in outside_code, raw
    assert "`<img src=x onerror=alert(1)> @org/team #1.py`" in md
