"""A PR is judged by the gates config of its base: it cannot switch off or loosen its gates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Repo

LOOSENED = "[tool.gates.ruff]\nenabled = false\n[tool.gates.dangerous-code]\nenabled = false\n"


def _pr_that_loosens_its_own_gates(repo: Repo) -> str:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    base = repo.commit("base")
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n' + LOOSENED)
    repo.write("evil.py", "import os\nimport sys\nos.system(input())\n")
    repo.commit("pr")
    return base


def _run(repo: Path, *args: str, actions: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITHUB_ACTIONS": "true" if actions else ""}
    env.pop("GITHUB_OUTPUT", None)
    return subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo), *args, "--stages", "ruff,dangerous-code"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_under_actions_the_base_config_judges_the_pr(repo: Repo) -> None:
    base = _pr_that_loosens_its_own_gates(repo)
    result = _run(repo.path, "--base", base, actions=True)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert {g["name"]: g["status"] for g in report["gates"]} == {
        "dangerous-code": "fail",
        "ruff": "fail",
    }
    [notice] = [n for n in report["notices"] if n["rule"] == "config-changed"]
    assert notice["path"] == "pyproject.toml"


def test_locally_the_checkout_config_applies_unless_asked(repo: Repo) -> None:
    base = _pr_that_loosens_its_own_gates(repo)
    assert _run(repo.path, "--base", base).returncode == 0  # the developer's own config
    assert _run(repo.path, "--base", base, "--config-from", "base").returncode == 1


def test_no_notice_when_the_config_is_unchanged(repo: Repo) -> None:
    repo.write(".gates.toml", '[ruff]\nfail_on = "warning"\n')
    base = repo.commit("base")
    repo.write("a.py", "x = 1\n")
    repo.commit("pr")
    assert _run(repo.path, "--base", base, "--config-from", "base").returncode == 0
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert report["notices"] == []
