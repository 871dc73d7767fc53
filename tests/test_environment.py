"""The project's interpreter, the report's `environment`, the tests' environment and pass_env.

Every run here is the real CLI in a subprocess (or the real pipeline) on a real git repository,
with real interpreters: bare venvs stand for a project environment that lacks the tools.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import Repo, gates_run

from gates.environment import PYTHON_ENV, choose_python, merged_tools
from gates.passenv import never_passes, pattern_problem, selected, split_list, withheld
from gates.proc import is_secret_name
from gates.reporters.json_report import load_report
from gates.text import escape_markdown

PLANTED = "ghs_PlantedTokenValue0123456789abcdefXYZ"
DB_PASSWORD = "pg-Service-Container-Pw-4242"


def _bare_venv(path: Path) -> str:
    venv.create(path, with_pip=False, symlinks=True)
    return str(path / "bin" / "python")


def test_the_project_python_by_precedence(tmp_path: Path) -> None:
    env = {PYTHON_ENV: "/from/env/python", "PATH": os.environ["PATH"]}
    assert choose_python("/cli/python", "/config/python", env, tmp_path).path == "/cli/python"
    chosen = choose_python(None, "/config/python", env, tmp_path)
    assert (chosen.path, chosen.source) == ("/config/python", "config key `python`")
    assert choose_python(None, "", env, tmp_path).path == "/from/env/python"
    assert choose_python(None, "", {}, tmp_path).path == sys.executable
    # Relative in the config: to the repository; a venv's symlink is never resolved.
    assert choose_python(None, ".venv/bin/python", {}, tmp_path).path == str(
        tmp_path / ".venv/bin/python"
    )
    name = Path(sys.executable).name
    assert Path(choose_python(name, "", env, tmp_path).path).is_absolute()


def test_each_tool_version_comes_from_where_it_runs() -> None:
    own = {"ruff": "0.9", "mypy": "1.20", "pytest": "9.0"}  # gates' own pytest is not used
    assert merged_tools({"pytest": "7.4", "coverage": "7.1"}, own) == {
        "coverage": "7.1",
        "mypy": "1.20",
        "pytest": "7.4",
        "ruff": "0.9",
    }
    assert merged_tools({"mypy": "1.5"}, own)["mypy"] == "1.5"


def test_the_report_states_the_interpreter_and_tool_versions(repo: Repo, tmp_path: Path) -> None:
    python = _bare_venv(tmp_path / "project-env")
    repo.write("a.py", "import os\n")
    repo.commit()
    result = gates_run(repo.path, "--stages", "ruff", "--python", python)
    assert result.returncode == 1, result.stdout + result.stderr
    text = (repo.path / "reports/gates.json").read_text()
    report = load_report(text, "gates.json")  # validates against the schema
    env = json.loads(text)["environment"]
    assert env["python"] == python and env["python_version"] == platform.python_version()
    assert "ruff" in env["tools"] and "pytest" not in env["tools"]  # the bare venv has none
    assert report.gates[0].tool_version == f"ruff {env['tools']['ruff']}"
    markdown = (repo.path / "reports/gates.md").read_text()
    version = escape_markdown(platform.python_version())
    assert f"<sub>Python {version} `{python}` · " in markdown
    assert f"python {platform.python_version()} {python}; " in result.stdout


@pytest.mark.parametrize(
    ("how", "named"),
    [
        (("--python", "/no/such/python"), "/no/such/python (from --python) does not exist"),
        (("config", "/no/such/python"), "(from config key `python`) does not exist"),
        (("env", "/bin/false"), "/bin/false (from GATES_PYTHON) does not run"),
    ],
)
def test_a_python_that_does_not_run_is_exit_2_naming_it(
    repo: Repo, how: tuple[str, str], named: str
) -> None:
    kind, value = how
    repo.write("a.py", "x = 1\n")
    if kind == "config":
        repo.write(".gates.toml", f'python = "{value}"\n')
    repo.commit()
    args = ("--python", value) if kind == "--python" else ()
    env = {**os.environ, PYTHON_ENV: value} if kind == "env" else None
    result = gates_run(repo.path, "--stages", "ruff", *args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_tests_missing_from_the_project_environment_say_what_to_add(
    repo: Repo, tmp_path: Path
) -> None:
    python = _bare_venv(tmp_path / "project-env")
    repo.write("test_a.py", "def test_a():\n    assert True\n")
    repo.commit()
    result = gates_run(repo.path, "--stages", "coverage", "--python", python)
    assert result.returncode == 1, result.stdout + result.stderr
    (gate,) = json.loads((repo.path / "reports/gates.json").read_text())["gates"]
    assert gate["status"] == "error"
    assert gate["detail"].startswith(f"coverage is not installed in {python}; ")
    assert "add pytest and coverage to the project's environment" in gate["detail"]
    assert "\n" not in gate["detail"]


_DUMP = """
import json, os, pathlib

def test_dump():
    pathlib.Path(os.environ["DUMP_TO"]).write_text(json.dumps(dict(os.environ)))
"""
# The coverage gate's own variables (gates.tools.pytest_cov): where coverage writes its data,
# no bytecode in the checkout, and the one `coverage run` sets itself. Everything else must be
# the job's.
_COVERAGE_GATE_VARS = {"COVERAGE_FILE", "PYTHONDONTWRITEBYTECODE", "COVERAGE_RUN"}


def test_the_tests_see_the_jobs_environment_minus_credentials(repo: Repo, tmp_path: Path) -> None:
    repo.write("test_dump.py", _DUMP)
    repo.commit()
    job = {
        **os.environ,
        "GITHUB_TOKEN": PLANTED,
        "ACTIONS_RUNTIME_TOKEN": PLANTED,
        "COLUMNS": "123",
        "LINES": "41",
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "FORCE_COLOR": "1",
        "TTY_COMPATIBLE": "1",
        "LC_ALL": "C.UTF-8",
        "PROJECT_SETTING": "kept",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    plain_dump, gates_dump = tmp_path / "plain.json", tmp_path / "gates.json"
    plain_env = {
        k: v
        for k, v in {**job, "DUMP_TO": str(plain_dump)}.items()
        if not is_secret_name(k) and k != "GITHUB_OUTPUT"
    }
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_dump.py"],
        cwd=repo.path,
        env=plain_env,
        check=True,
        capture_output=True,
    )
    result = gates_run(repo.path, "--stages", "coverage", env={**job, "DUMP_TO": str(gates_dump)})
    assert result.returncode in (0, 1), result.stdout + result.stderr
    plain = json.loads(plain_dump.read_text())
    under_gates = json.loads(gates_dump.read_text())
    extra = set(under_gates) - set(plain)
    assert extra <= _COVERAGE_GATE_VARS, extra
    changed = {k for k in plain if under_gates.get(k) != plain[k]} - {"DUMP_TO"}
    assert not changed, {k: (plain[k], under_gates.get(k)) for k in changed}
    assert under_gates["COLUMNS"] == "123" and under_gates["PROJECT_SETTING"] == "kept"
    assert PLANTED not in json.dumps(under_gates)


def test_pass_env_patterns_are_checked() -> None:
    assert pattern_problem("POSTGRES_PASSWORD") is None and pattern_problem("DB_*") is None
    for bad in ("GITHUB_TOKEN", "gh_token", "ACTIONS_RUNTIME_TOKEN", "INPUT_TOKEN", "GITHUB_*"):
        assert "never passed" in (pattern_problem(bad) or ""), bad
    assert "ACTIONS_ID_TOKEN_REQUEST_URL" and never_passes("ACTIONS_ID_TOKEN_REQUEST_URL")
    assert "not a variable name" in (pattern_problem("A-B") or "")
    assert split_list("A, B\nC_*") == ["A", "B", "C_*"]
    held = withheld({"POSTGRES_PASSWORD": "p", "GITHUB_TOKEN": "t", "PATH": "/bin"})
    assert held == {"POSTGRES_PASSWORD": "p"}
    assert selected(["POSTGRES_*"], {**held, "GITHUB_TOKEN": "t"}) == held


_SERVICE_TEST = """
import json, os, pathlib

def _ancestors():
    pid = os.getppid()
    while pid > 1:
        yield pid
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])

def test_service():
    environs, fds = [], []
    for pid in _ancestors():
        try:
            environs.append(pathlib.Path(f"/proc/{pid}/environ").read_bytes().decode())
            fds += [os.readlink(p) for p in pathlib.Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            pass
    seen = {"value": os.environ.get("POSTGRES_PASSWORD"), "environs": environs, "fds": fds}
    pathlib.Path(os.environ["SEEN_FILE"]).write_text(json.dumps(seen))
"""


@pytest.mark.parametrize("named_by", ["config", "--pass-env", "GATES_PASS_ENV", "nothing"])
def test_pass_env_reaches_the_tests_and_never_sits_in_gates_environ(
    repo: Repo, tmp_path: Path, named_by: str
) -> None:
    repo.write("test_service.py", _SERVICE_TEST)
    if named_by == "config":
        repo.write(".gates.toml", 'pass_env = ["POSTGRES_*"]\n')
    repo.commit()
    seen_file = tmp_path / "seen.json"
    env = {
        **os.environ,
        "GITHUB_TOKEN": PLANTED,
        "POSTGRES_PASSWORD": DB_PASSWORD,
        "SEEN_FILE": str(seen_file),
    }
    if named_by == "GATES_PASS_ENV":
        env["GATES_PASS_ENV"] = "REDIS_PASSWORD, POSTGRES_PASSWORD"
    args = ("--pass-env", "POSTGRES_PASSWORD") if named_by == "--pass-env" else ()
    result = gates_run(repo.path, "--stages", "coverage", *args, env=env)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    seen = json.loads(seen_file.read_text())
    assert seen["value"] == (None if named_by == "nothing" else DB_PASSWORD)
    assert seen["environs"]  # the test really read its ancestors, gates among them
    assert not any(DB_PASSWORD in e or PLANTED in e for e in seen["environs"])
    assert not any("gates-pass-env" in fd for fd in seen["fds"])  # the memfd was closed


@pytest.mark.parametrize(
    ("where", "value"),
    [("config", "GITHUB_TOKEN"), ("--pass-env", "ACTIONS_RUNTIME_TOKEN"), ("env", "GH_TOKEN")],
)
def test_naming_a_github_credential_is_exit_2(repo: Repo, where: str, value: str) -> None:
    if where == "config":
        repo.write(".gates.toml", f'pass_env = ["{value}"]\n')
    repo.write("a.py", "x = 1\n")
    repo.commit()
    args = ("--pass-env", value) if where == "--pass-env" else ()
    env = {**os.environ, "GITHUB_TOKEN": PLANTED}
    if where == "env":
        env["GATES_PASS_ENV"] = value
    result = gates_run(repo.path, "--stages", "ruff", *args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{value} is never passed to the tools" in result.stderr
    assert "Traceback" not in result.stderr
