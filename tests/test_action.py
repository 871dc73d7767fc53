"""The composite action, executed step by step the way the runner does, on a real PR checkout.

The checkout mirrors actions/checkout's default with `persist-credentials: false`: a depth-1
fetch of the PR's merge commit (refs/pull/N/merge) from origin, so the base has to be fetched.

gates is installed the way the action installs it, into its own venv under RUNNER_TEMP, built
once per test session from a copy of this checkout (the action's files as a runner downloads
them) and then restored from a stand-in for GitHub's cache service (`ActionsCache`), onto a
RUNNER_TEMP emptied before every run as on a fresh runner.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from actions_runner import ActionRun, ActionsCache, StepResult, load_action, run_action, runner_env
from conftest import Repo, git
from fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
ACTION = load_action(ROOT / "action.yml")
TOKEN = "ghs_test-token-never-for-tools"
DEV_BIN = Path(sys.executable).parent  # the developer's venv: gates, pytest, coverage, ...
# A project's own environment with old pins, as a workflow's setup steps leave it.
PROJECT_PINS = ("requests==2.31.0", "urllib3==1.26.18", "click==8.1.7", "PyYAML==6.0.1")


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every path under `root`: mode, mtime and content hash (or link target)."""
    found: dict[str, tuple[int, int, str]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            what = "-> " + os.readlink(path)
        elif path.is_file():
            what = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            what = "dir"
        found[str(path.relative_to(root))] = (st.st_mode, st.st_mtime_ns, what)
    return found


def pip_freeze(python: Path) -> str:
    cmd = [str(python), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout


def make_venv(path: Path, *packages: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
    if packages:
        cmd = [str(path / "bin/python"), "-m", "pip", "install", "-q", *packages]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"pip install {packages} (PyPI):\n{done.stderr[-3000:]}"
    return path


def runner_machine_env(runner_temp: Path, user_bin: Path) -> dict[str, str]:
    env = runner_env()
    env.update(
        {
            "PATH": f"{user_bin}{os.pathsep}{env.get('PATH', '')}",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "RUNNER_TEMP": str(runner_temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
        }
    )
    return env


@dataclass
class Machine:
    """What outlives one test: the action's files, the cache service, the first (cold) run."""

    root: Path
    action_path: Path
    runner_temp: Path
    cache: ActionsCache
    project_env: Path
    project_before: tuple[str, dict[str, tuple[int, int, str]]]
    cold: ActionRun

    def fresh_runner(self) -> None:
        """An empty RUNNER_TEMP, as every job on a hosted runner starts with."""
        shutil.rmtree(self.runner_temp, ignore_errors=True)
        self.runner_temp.mkdir()

    def project_state(self) -> tuple[str, dict[str, tuple[int, int, str]]]:
        return pip_freeze(self.project_env / "bin/python"), snapshot(self.project_env)


def copy_action(dest: Path) -> Path:
    """The action's files as a runner downloads them (no .git, no venv, no build output)."""
    dest.mkdir()
    for name in ("action.yml", "pyproject.toml", "constraints.txt", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "gates", dest / "gates", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="session")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Machine:
    """Builds gates' venv once, cold, through action.yml, with a pinned project env on PATH."""
    root = tmp_path_factory.mktemp("actions-machine")
    project_env = make_venv(root / "project-env", *PROJECT_PINS)
    workspace = root / "workspace"
    workspace.mkdir()
    made = Machine(
        root,
        copy_action(root / "action"),
        root / "runner-temp",
        ActionsCache(root / "cache-service"),
        project_env,
        ("", {}),
        ActionRun([], {}),
    )
    made.project_before = made.project_state()
    made.fresh_runner()
    made.cold = run_action(
        ACTION,
        {},
        {"action_path": str(made.action_path), "token": TOKEN, "workspace": str(workspace)},
        runner_machine_env(made.runner_temp, project_env / "bin"),
        workspace,
        root / "cold-steps",
        cache=made.cache,
        until="pip-save",
    )
    return made


class Checkout:
    """origin with a base and a PR, and a workspace holding a depth-1 clone of the merge."""

    def __init__(
        self,
        tmp: Path,
        pr_files: dict[str, str],
        api: FakeGitHub,
        machine: Machine,
        user_bin: Path = DEV_BIN,
    ) -> None:
        self.api = api
        self.machine = machine
        self.user_bin = user_bin  # first on PATH: the project's Python, as setup steps left it
        self.runs = 0
        origin = Repo(tmp / "origin")
        origin.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
        origin.write("old.py", "import os\n")
        self.base = origin.commit("base")
        git(origin.path, "checkout", "-q", "-b", "feature")
        for rel, text in pr_files.items():
            origin.write(rel, text)
        self.head = origin.commit("pr")
        git(origin.path, "checkout", "-q", "main")
        git(origin.path, "merge", "-q", "--no-ff", "-m", "merge", "feature")
        self.merge = git(origin.path, "rev-parse", "HEAD").strip()
        git(origin.path, "update-ref", "refs/pull/7/merge", self.merge)
        git(origin.path, "reset", "-q", "--hard", self.base)
        git(origin.path, "config", "uploadpack.allowAnySHA1InWant", "true")
        self.workspace = tmp / "workspace"
        self.workspace.mkdir()
        git(self.workspace, "init", "-q")
        git(self.workspace, "remote", "add", "origin", f"file://{origin.path}")
        git(self.workspace, "fetch", "-q", "--depth=1", "origin", "+refs/pull/7/merge")
        git(self.workspace, "checkout", "-q", "--detach", "FETCH_HEAD")
        self.tmp = tmp

    def event(self) -> Path:
        path = self.tmp / "event.json"
        payload = {
            "action": "synchronize",
            "number": 7,
            "pull_request": {
                "number": 7,
                "base": {"sha": self.base, "ref": "main", "repo": {"full_name": "o/r"}},
                "head": {"sha": self.head, "ref": "feature", "repo": {"full_name": "o/r"}},
            },
            "repository": {"full_name": "o/r"},
        }
        path.write_text(json.dumps(payload))
        return path

    def env(self) -> dict[str, str]:
        env = runner_machine_env(self.machine.runner_temp, self.user_bin)
        summary = self.tmp / "summary.md"
        summary.write_text("")
        env.update(
            {
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_EVENT_PATH": str(self.event()),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_REPOSITORY": "o/r",
                "GITHUB_SHA": self.merge,
                "GITHUB_REF": "refs/pull/7/merge",
                "GITHUB_SERVER_URL": "https://github.example",
                "GITHUB_API_URL": self.api.url,
                "GITHUB_RUN_ID": "42",
                "GATES_PUBLISH_WRITE_INTERVAL": "0",
            }
        )
        return env

    def run(
        self,
        setup_python: str | None = None,
        after_step: Callable[[StepResult], None] | None = None,
        until: str | None = None,
        env: dict[str, str] | None = None,
        **inputs: str,
    ) -> ActionRun:
        """Run the action on a fresh runner; only the ruff gate unless a test asks for more."""
        inputs.setdefault("stages", "ruff")
        self.runs += 1
        self.machine.fresh_runner()
        github = {
            "action_path": str(self.machine.action_path),
            "token": TOKEN,
            "workspace": str(self.workspace),
        }
        return run_action(
            ACTION,
            inputs,
            github,
            {**self.env(), **(env or {})},
            self.workspace,
            self.tmp / f"steps{self.runs}",
            cache=self.machine.cache,
            setup_python=setup_python,
            after_step=after_step,
            until=until,
        )


@pytest.fixture
def api() -> Iterator[FakeGitHub]:
    """The fake GitHub API (tests/github/fake_github.py): enforces GitHub's write schemas."""
    with FakeGitHub() as fake:
        yield fake
    assert fake.over_limit() == []
    assert [r.path for r in fake.requests if r.status == 422] == []


FAILING = {"new.py": "import sys\n", "old.py": "import os\nx = 1\n"}
PASSING = {"new.py": "import sys\nprint(sys)\n"}


def test_failing_pr_sets_outputs_and_fails_with_the_runs_exit_code(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    checkout = Checkout(tmp_path, FAILING, api, machine)
    result = checkout.run(stages="")  # every configured stage, as by default
    run = result.step("run")
    assert run.returncode == 0, run.stderr  # the run step records the code, never fails itself
    assert run.outputs["exit-code"] == "1"
    assert result.outputs["verdict"] == "fail" and result.outputs["findings"] == "1"
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert Path(result.outputs["sarif"]).is_file()
    assert report["base"] == checkout.base and report["merge_base"] == checkout.base
    assert result.step("fetch-base").outputs["fetched"] == "50"  # the action's own fetch...
    assert "fetched base from origin" not in report["diff"]["note"]  # ...so gates needed none
    new = [f["path"] for g in report["gates"] for f in g["findings"] if f["new"]]
    assert new == ["new.py"]  # the old finding in old.py is not the PR's
    verdict = result.steps[-1]
    assert verdict.ran and verdict.returncode == 1 and result.failed
    publish = result.step("publish")
    assert publish.returncode == 0, publish.stdout + publish.stderr  # the verdict is not its job
    (check,) = api.check_runs.values()
    assert check["head_sha"] == checkout.head  # the PR's head, not the merge commit
    assert (check["name"], check["conclusion"]) == ("gates", "failure")
    (annotation,) = next(iter(api.annotations.values()))
    assert (annotation["path"], annotation["start_line"]) == ("new.py", 1)
    (comment,) = api.comments[7]
    assert "new.py" in comment["body"]
    assert "gates" in (checkout.tmp / "summary.md").read_text()
    assert api.statuses == []  # statuses are opt-in
    again = checkout.run(statuses="true")  # a new push: the comment is edited
    assert again.outputs["verdict"] == "fail" and len(api.comments[7]) == 1
    assert {s["context"] for s in api.statuses} >= {"gates/quality"}


def test_passing_pr_passes_and_on_failure_posts_no_comment(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    result = Checkout(tmp_path, PASSING, api, machine).run(comment="on-failure")
    assert result.outputs["verdict"] == "pass" and result.outputs["findings"] == "0"
    assert not result.failed and result.steps[-1].returncode == 0
    (check,) = api.check_runs.values()
    assert check["conclusion"] == "success"
    assert api.comments.get(7, []) == []


def test_inputs_reach_the_run(tmp_path: Path, api: FakeGitHub, machine: Machine) -> None:
    checkout = Checkout(tmp_path, FAILING, api, machine)
    result = checkout.run(
        **{"fail-on": "never", "stages": "quality", "extra-args": "--new all  --output-dir out"},
    )
    assert result.outputs["verdict"] == "pass", result.step("run").stdout
    assert result.outputs["report"] == str(checkout.workspace / "out/gates.json")
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert report["new_mode"] == "all"
    assert {g["fail_on"] for g in report["gates"]} == {"never"}


SERVICE_TEST = {
    "app/__init__.py": "import os\n\n\ndef password():\n"
    "    return os.environ.get('POSTGRES_PASSWORD')\n",
    "tests/test_service.py": "from app import password\n\n\ndef test_db():\n"
    "    assert password() == 'service-pw'\n",
}


def test_pass_env_gives_the_projects_tests_a_variable_the_scrub_drops(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    """A service container's password reaches the tests only when the workflow names it."""
    project_bin = Path(sys.executable).parent  # a project environment with pytest and coverage
    checkout = Checkout(tmp_path, SERVICE_TEST, api, machine, user_bin=project_bin)
    job_env = {"POSTGRES_PASSWORD": "service-pw"}
    named = checkout.run(stages="coverage", env=job_env, **{"pass-env": "POSTGRES_PASSWORD"})
    assert named.step("run").outputs["exit-code"] == "0", named.step("run").stdout
    unnamed = checkout.run(stages="coverage", env=job_env)
    report = json.loads(Path(unnamed.outputs["report"]).read_text())
    [gate] = report["gates"]
    assert gate["status"] == "fail", unnamed.step("run").stdout + unnamed.step("run").stderr
    assert [f["rule"] for f in gate["findings"]][:1] == ["test-failed"], gate


def test_hostile_inputs_are_data_not_code(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    """An input is never evaluated by the shell: a stage name with $(...) is just a bad name."""
    checkout = Checkout(tmp_path, PASSING, api, machine)
    marker = tmp_path / "pwned"
    result = checkout.run(
        stages=f"$(touch {marker})",
        **{"extra-args": f"; touch {marker} `touch {marker}` *"},
    )
    assert not marker.exists()
    assert result.step("run").outputs["exit-code"] == "2"
    assert result.steps[-1].returncode == 2
    publish = result.step("publish")  # no report to publish: a warning, no request
    assert publish.returncode == 0 and "nothing to publish" in publish.stdout
    assert api.requests == []


def test_the_token_reaches_only_the_publish_step(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    result = Checkout(tmp_path, PASSING, api, machine).run()
    expected = {"publish": ["GITHUB_TOKEN"], "fetch-base": ["GATES_FETCH_TOKEN"]}
    for step in result.steps:
        holders = [k for k, v in {**step.env, **step.with_}.items() if TOKEN in v]
        assert holders == expected.get(step.id, []), step.id
    assert result.step("run").ran and result.step("fetch-base").ran
    publish = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "publish")
    assert publish["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"


@pytest.mark.parametrize(("comment", "code"), [("sometimes", 2)])
def test_a_bad_comment_input_is_named(
    tmp_path: Path, api: FakeGitHub, machine: Machine, comment: str, code: int
) -> None:
    result = Checkout(tmp_path, PASSING, api, machine).run(comment=comment)
    publish = result.step("publish")
    assert publish.returncode == code and "input 'comment'" in publish.stdout


def step_of(step_id: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)


def inodes(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """Every path under `root` with its inode, mode, size and mtime: any rewrite shows."""
    found = {}
    for path in root.rglob("*"):
        st = path.lstat()
        found[str(path.relative_to(root))] = (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def test_a_cold_install_builds_gates_venv_outside_the_workspace_and_caches_it(
    machine: Machine,
) -> None:
    cold = machine.cold
    assert not cold.failed, [(s.id, s.returncode, s.stdout + s.stderr) for s in cold.steps]
    where = cold.step("gates-env").outputs
    assert Path(where["venv"]) == machine.runner_temp / "gates-action/venv"
    assert Path(where["pip-cache"]) == machine.runner_temp / "gates-action/pip-cache"
    version = "cpython" + ".".join(map(str, sys.version_info[:3]))
    assert where["key"].startswith(f"gates-venv-Linux-X64-{version}-")
    assert where["pip-restore-key"] == f"gates-pip-Linux-X64-{version}-"
    assert "cache-hit" not in cold.step("venv-cache").outputs  # a miss, as actions/cache says it
    assert cold.step("pip-cache").ran  # pip's cache is wanted only when the venv is not there
    install = cold.step("install")
    assert install.outputs["installed"] == "true" and "building" in install.stdout
    assert cold.step("venv-save").ran and cold.step("pip-save").ran
    assert machine.cache.saves[0] == where["key"]
    # The build ran on a copy: nothing was written into the action's own files.
    assert sorted(p.name for p in machine.action_path.iterdir()) == sorted(
        ["action.yml", "pyproject.toml", "constraints.txt", "README.md", "gates"]
    )
    assert not list(machine.action_path.rglob("*.egg-info"))
    print(f"\ncold install: {install.seconds:.1f} s")


def test_the_projects_environment_is_byte_identical_after_install_and_run(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    """Old pins in the project's venv survive gates' install (cold, in the fixture) and a run."""
    freeze, _ = machine.project_before
    assert set(PROJECT_PINS) <= set(freeze.split()), freeze
    assert machine.project_state() == machine.project_before  # after the cold install
    project_python = str(machine.project_env / "bin/python")
    assert machine.cold.step("python").outputs["path"] == project_python
    checkout = Checkout(tmp_path, PASSING, api, machine, user_bin=machine.project_env / "bin")
    result = checkout.run()
    run = result.step("run")
    assert result.outputs["verdict"] == "pass", run.stdout + run.stderr
    assert run.env["GATES_PYTHON"] == project_python
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert report["environment"]["python"] == project_python  # gates took it from GATES_PYTHON
    assert not result.step("test-tools").ran
    assert machine.project_state() == machine.project_before


def test_a_warm_cache_installs_nothing(tmp_path: Path, api: FakeGitHub, machine: Machine) -> None:
    venv = Path(machine.cold.step("gates-env").outputs["venv"])
    seen: dict[str, dict[str, tuple[int, int, int, int]]] = {}

    def look(step: StepResult) -> None:
        if step.id in ("venv-cache", "install"):
            seen[step.id] = inodes(venv)

    saves = list(machine.cache.saves)
    result = Checkout(tmp_path, PASSING, api, machine).run(after_step=look)
    assert result.outputs["verdict"] == "pass", result.step("run").stdout
    assert result.step("venv-cache").outputs["cache-hit"] == "true"
    install = result.step("install")
    assert install.outputs["installed"] == "false", install.stdout + install.stderr
    assert "nothing to install" in install.stdout
    assert len(seen["venv-cache"]) > 1000 and seen["install"] == seen["venv-cache"]
    for skipped in ("pip-cache", "venv-save", "pip-save"):
        assert not result.step(skipped).ran, skipped
    assert machine.cache.saves == saves
    print(f"\nwarm install step: {install.seconds:.2f} s")


@pytest.mark.parametrize("damage", ["none", "other key", "file missing", "no marker"])
def test_the_install_step_rebuilds_a_venv_that_is_not_intact(
    tmp_path: Path, machine: Machine, damage: str
) -> None:
    """The install script on the restored venv; a stand-in base Python stops a rebuild early."""
    where = machine.cold.step("gates-env").outputs
    venv = Path(where["venv"])
    machine.fresh_runner()
    assert machine.cache.restore([where["venv"]], where["key"], [])["cache-hit"] == "true"
    marker = venv / "gates-action.key"
    if damage in ("other key", "no marker"):
        marker.unlink()  # never edit in place: the cache's copy is a hard link
    if damage == "other key":
        marker.write_text("gates-venv-Linux-X64-cpython3.11.0-0123\n")
    if damage == "file missing":
        (venv / "bin/ruff").unlink()
    stub = tmp_path / "base-python"
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_FILE"\nexit 7\n')
    stub.chmod(0o755)
    step = step_of("install")
    assert set(step["env"]) == {
        "GATES_ACTION_PATH",
        "GATES_BASE_PYTHON",
        "GATES_DIR",
        "GATES_VENV",
        "GATES_KEY",
        "PIP_CACHE_DIR",
    }
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "ARGS_FILE": str(tmp_path / "args"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GATES_ACTION_PATH": str(machine.action_path),
        "GATES_BASE_PYTHON": str(stub),
        "GATES_DIR": where["dir"],
        "GATES_VENV": where["venv"],
        "GATES_KEY": where["key"],
        "PIP_CACHE_DIR": where["pip-cache"],
    }
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60
    )
    if damage == "none":
        assert proc.returncode == 0 and "nothing to install" in proc.stdout, proc.stderr
        assert (tmp_path / "output").read_text() == "installed=false\n"
        assert not (tmp_path / "args").exists()
        return
    assert proc.returncode == 7 and "building" in proc.stdout, proc.stdout + proc.stderr
    assert (tmp_path / "args").read_text().splitlines() == ["-m", "venv", where["venv"]]
    assert not venv.exists()  # removed before the rebuild, never patched
    copy = Path(where["dir"]) / "src"
    assert (copy / "pyproject.toml").is_file() and (copy / "gates/__init__.py").is_file()


def test_the_projects_python_is_found_before_setup_python(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    """python-version sets up the Python gates runs on; the project's stays the one on PATH."""
    base_python = str(Path(sys.base_prefix) / "bin/python3")  # what setup-python would give
    result = Checkout(tmp_path, PASSING, api, machine).run(
        setup_python=base_python, **{"python-version": "3.11"}
    )
    assert result.outputs["verdict"] == "pass", result.step("run").stdout
    setup = result.step("setup-python")
    assert setup.ran and setup.with_ == {"python-version": "3.11", "update-environment": "false"}
    assert result.step("gates-env").outputs["base-python"] == base_python
    assert result.step("run").env["GATES_PYTHON"] == str(DEV_BIN / "python")
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert report["environment"]["python"] == str(DEV_BIN / "python")
    assert result.step("venv-cache").outputs["cache-hit"] == "true"  # same interpreter, same key


def test_python_is_set_up_only_when_asked(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    setup = step_of("setup-python")
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["if"] == "inputs.python-version != ''"
    result = Checkout(tmp_path, PASSING, api, machine).run(until="gates-env")
    assert not result.step("setup-python").ran
    assert result.step("gates-env").outputs["base-python"] == str(DEV_BIN / "python")


@pytest.mark.parametrize(
    ("given", "expected", "error"),
    [
        ("", "{dev}/python", ""),
        ("project/bin/python", "{ws}/project/bin/python", ""),  # relative to working-directory
        ("python3", "{dev}/python3", ""),
        ("no/such/python", "", "input 'python' names no executable"),
        ("not-python", "", "is not a working Python"),
    ],
)
def test_the_python_input_names_the_projects_interpreter(
    tmp_path: Path, api: FakeGitHub, machine: Machine, given: str, expected: str, error: str
) -> None:
    checkout = Checkout(tmp_path, PASSING, api, machine)
    (checkout.workspace / "project/bin").mkdir(parents=True)
    (checkout.workspace / "project/bin/python").symlink_to(machine.project_env / "bin/python")
    fake = tmp_path / "bin/not-python"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    path = f"{fake.parent}{os.pathsep}{checkout.env()['PATH']}"
    result = checkout.run(until="python", env={"PATH": path}, python=given)
    step = result.step("python")
    if error:
        assert step.returncode == 2 and error in step.stdout
        return
    assert step.returncode == 0, step.stdout + step.stderr
    want = expected.format(dev=DEV_BIN, ws=checkout.workspace)
    assert step.outputs["path"] == want  # absolute, and a venv's symlink is kept, not resolved


def test_install_test_tools_adds_only_whats_missing_to_the_projects_python(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    bare = make_venv(tmp_path / "bare")
    python = bare / "bin/python"
    checkout = Checkout(tmp_path, PASSING, api, machine, user_bin=bare / "bin")
    before = pip_freeze(python)
    off = checkout.run(until="test-tools")
    assert not off.step("test-tools").ran and pip_freeze(python) == before  # opt-in only
    on = checkout.run(until="test-tools", **{"install-test-tools": "true"})
    step = on.step("test-tools")
    assert step.returncode == 0, step.stdout + step.stderr
    assert f"installing pytest coverage[toml] into {python}" in step.stdout
    names = {line.split("==")[0].lower() for line in pip_freeze(python).split()}
    assert {"pytest", "coverage"} <= names
    after = pip_freeze(python)
    again = checkout.run(until="test-tools", **{"install-test-tools": "true"})
    assert "already in" in again.step("test-tools").stdout and pip_freeze(python) == after


def test_the_base_is_fetched_with_the_token_for_that_one_command_and_never_stored(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    """A `git` first on PATH logs every call: the token is in one `fetch`'s -c, nowhere else."""
    checkout = Checkout(tmp_path, PASSING, api, machine)
    wrapper = tmp_path / "wrapper/git"
    wrapper.parent.mkdir()
    real_git = shutil.which("git")
    wrapper.write_text(
        "#!/bin/sh\n"
        'printf "%s\\037" "${GATES_FETCH_TOKEN:+TOKEN-IN-ENV}" "$@" >> "$GIT_LOG"\n'
        'printf "\\036" >> "$GIT_LOG"\n'
        f'exec "{real_git}" "$@"\n'
    )
    wrapper.chmod(0o755)
    log = tmp_path / "git.log"
    path = f"{wrapper.parent}{os.pathsep}{checkout.env()['PATH']}"
    result = checkout.run(env={"PATH": path, "GIT_LOG": str(log)})
    assert result.outputs["verdict"] == "pass", result.step("run").stdout
    assert result.step("fetch-base").outputs["fetched"] == "50"
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert report["merge_base"] == checkout.base
    assert "fetched base from origin" not in report["diff"]["note"]
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    calls = [record.split("\037")[:-1] for record in log.read_text().split("\036")[:-1]]
    assert calls and all(call[0] == "" for call in calls)  # no git ever had the token's env
    holding = [call[1:] for call in calls if any(basic in a or TOKEN in a for a in call)]
    header = f"http.https://github.example/.extraheader=AUTHORIZATION: basic {basic}"
    assert holding == [
        [
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "credential.helper=",
            "-c",
            header,
            "fetch",
            "--no-tags",
            "--no-recurse-submodules",
            "--quiet",
            "--depth=50",
            "origin",
            checkout.base,
            checkout.merge,
        ]
    ]
    # Nothing kept: no file under .git, no config git would read, no log line but the mask.
    for file in (checkout.workspace / ".git").rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert TOKEN.encode() not in data and basic.encode() not in data, file
    config = git(checkout.workspace, "config", "--list", "--show-origin", "--includes")
    assert "extraheader" not in config and TOKEN not in config
    for step in result.steps:
        text = step.stdout + step.stderr
        assert TOKEN not in text
        assert [line for line in text.splitlines() if basic in line] in (
            [],
            [f"::add-mask::{basic}"],
        )


def test_a_checkout_with_the_base_needs_no_fetch(
    tmp_path: Path, api: FakeGitHub, machine: Machine
) -> None:
    checkout = Checkout(tmp_path, PASSING, api, machine)
    git(checkout.workspace, "fetch", "-q", "--unshallow", "origin", "+refs/heads/main")
    result = checkout.run(until="fetch-base")
    step = result.step("fetch-base")
    assert step.returncode == 0 and "nothing to fetch" in step.stdout
    assert "fetched" not in step.outputs


def test_fail_on_on_the_command_line_overrides_the_config(repo: Repo) -> None:
    repo.write(
        "pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n[tool.gates.ruff]\nfail_on = "never"\n'
    )
    base = repo.commit("base")
    repo.write("new.py", "import sys\n")
    repo.commit("pr")

    def gates_run(*args: str) -> int:
        cmd = [sys.executable, "-m", "gates", "run", str(repo.path), "--base", base]
        cmd += ["--stages", "ruff", *args]
        return subprocess.run(cmd, capture_output=True, timeout=300).returncode

    assert gates_run() == 0
    assert gates_run("--fail-on", "warning") == 1
    assert gates_run("--fail-on", "sometimes") == 2
