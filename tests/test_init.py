"""`gates init`: a starter config for the layout it finds, loaded by the real config loader and
used by a real run; pyproject kept byte for byte; never over an existing configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Repo, gates_run

from gates.config import load_config
from gates.model import Stage
from gates.registry import REGISTRY
from gates.scaffold import AGENT_MODULE_BYTES, Layout, find_layout


def gates_init(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gates", "init", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _touch(root: Path, *names: str) -> None:
    for name in names:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("", encoding="utf-8")


def test_finds_packages_tests_and_agent_folders(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "src/shop/__init__.py",
        "src/shop/agents/router.py",
        "tools/__init__.py",
        "tests/__init__.py",
        "services/bot/agent/planner.py",
        "notes/agents.md",  # a file named like the folder: not a folder
        ".venv/lib/agents/x.py",
        "node_modules/pkg/agents/x.py",
        "we[ird]/agents/x.py",  # glob syntax in a name: left to the user
    )
    assert find_layout(tmp_path) == Layout(
        packages=("src/shop", "tools"),
        tests=("tests",),
        agents=("services/bot/agent", "src/shop/agents"),
    )


def test_appends_to_pyproject_byte_for_byte_and_loads(tmp_path: Path) -> None:
    _touch(tmp_path, "app/__init__.py", "agents/router.py", "tests/test_app.py")
    original = '[project]\r\nname = "x"  # ünïcode\r\n\r\n[tool.ruff]\r\nline-length = 99'
    (tmp_path / "pyproject.toml").write_bytes(original.encode("utf-8"))
    result = gates_init(tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"wrote a starter configuration to {tmp_path / 'pyproject.toml'}" in result.stdout
    data = (tmp_path / "pyproject.toml").read_bytes()
    assert data.startswith(original.encode("utf-8") + b"\r\n\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # the file's own line endings throughout
    config = load_config(tmp_path, REGISTRY)
    assert config.gate("ruff").paths == ("app", "tests")
    assert config.gate("mypy").paths == ("app", "tests")
    assert config.gate("bandit").exclude == ("tests",)
    budgets = config.gate("size").options["budgets"]
    assert budgets == [{"glob": "agents/**/*.py", "max_bytes": AGENT_MODULE_BYTES}]
    assert config.stages == tuple(Stage)  # nothing else changed


def test_without_pyproject_writes_gates_toml(tmp_path: Path) -> None:
    _touch(tmp_path, "lib/__init__.py")
    result = gates_init(tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / ".gates.toml").read_text(encoding="utf-8")
    assert "[tool" not in text and "[quality]" in text
    assert load_config(tmp_path, REGISTRY).gate("coverage").paths == ("lib",)


def test_an_empty_project_gets_a_config_that_loads(tmp_path: Path) -> None:
    assert gates_init(tmp_path).returncode == 0
    assert "found no packages" in (tmp_path / ".gates.toml").read_text(encoding="utf-8")
    assert load_config(tmp_path, REGISTRY).gate("size").options["budgets"] == []


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        (".gates.toml", "stages = []\n", ".gates.toml already exists"),
        ("pyproject.toml", "[tool.gates]\nfail_fast = true\n", "already has [tool.gates]"),
        ("pyproject.toml", "[tool.gates.ruff]\nenabled = false\n", "already has [tool.gates]"),
        ("pyproject.toml", "[project\nname = 1\n", "invalid TOML"),
        # an inline [tool] cannot take a [tool.gates] after it: checked before writing
        ("pyproject.toml", "tool = { ruff = {} }\n", "cannot load"),
    ],
)
def test_never_overwrites_or_appends_to_what_it_cannot_keep(
    tmp_path: Path, name: str, content: str, needle: str
) -> None:
    _touch(tmp_path, "agents/a.py")
    (tmp_path / name).write_text(content, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    result = gates_init(tmp_path)
    assert result.returncode == 2 and needle in result.stderr, result.stderr
    assert str(tmp_path / name) in result.stderr
    assert "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_print_writes_nothing(tmp_path: Path) -> None:
    _touch(tmp_path, "agents/a.py")
    result = gates_init(tmp_path, "--print")
    assert result.returncode == 0 and 'glob = "agents/**/*.py"' in result.stdout
    assert not (tmp_path / ".gates.toml").exists()


def test_a_quoted_name_round_trips_through_toml(tmp_path: Path) -> None:
    _touch(tmp_path, 'od"d ü/agents/a.py')
    assert gates_init(tmp_path).returncode == 0
    budgets = load_config(tmp_path, REGISTRY).gate("size").options["budgets"]
    assert budgets[0]["glob"] == 'od"d ü/agents/**/*.py'


def test_the_budget_it_writes_judges_an_oversized_agent_module(repo: Repo) -> None:
    repo.write("app/__init__.py", "")
    repo.write("agents/__init__.py", "")
    base = repo.commit("base")
    assert gates_init(repo.path).returncode == 0
    repo.write("agents/router.py", "ROUTES = " + json.dumps(["x" * 60] * 120) + "\n")
    repo.commit("pr: a 7.4 KB agent module")
    result = gates_run(repo.path, "--base", base, "--stages", "size", "--no-progress")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text(encoding="utf-8"))
    (size,) = report["gates"]
    rules = {(f["rule"], f["path"]) for f in size["findings"]}
    assert ("budget-bytes", "agents/router.py") in rules
