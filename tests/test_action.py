"""The composite action, executed step by step the way the runner does, on a real PR checkout.

The checkout mirrors actions/checkout's default: a depth-1 fetch of the PR's merge commit
(refs/pull/N/merge) from origin, so `gates run` has to fetch the base itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from actions_runner import ActionRun, load_action, run_action, runner_env
from conftest import Repo, git
from fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
ACTION = load_action(ROOT / "action.yml")
TOKEN = "ghs_test-token-never-for-tools"


class Checkout:
    """origin with a base and a PR, and a workspace holding a depth-1 clone of the merge."""

    def __init__(self, tmp: Path, pr_files: dict[str, str], api: FakeGitHub) -> None:
        self.api = api
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
        env = runner_env()
        bindir = str(Path(sys.executable).parent)  # `python` is the venv's, with gates installed
        summary = self.tmp / "summary.md"
        summary.write_text("")
        env.update(
            {
                "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '')}",
                "CI": "true",
                "GITHUB_ACTIONS": "true",
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

    def run(self, skip: set[str], **inputs: str) -> ActionRun:
        """Run the action; only the ruff gate unless a test asks for more (keeps tests fast)."""
        inputs.setdefault("stages", "ruff")
        self.runs += 1
        github = {"action_path": str(ROOT), "token": TOKEN, "workspace": str(self.workspace)}
        return run_action(
            ACTION, inputs, github, self.env(), self.workspace, self.tmp / f"steps{self.runs}", skip
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
    tmp_path: Path, api: FakeGitHub
) -> None:
    checkout = Checkout(tmp_path, FAILING, api)
    result = checkout.run(skip={"install"}, stages="")  # every configured stage, as by default
    run = result.step("run")
    assert run.returncode == 0, run.stderr  # the run step records the code, never fails itself
    assert run.outputs["exit-code"] == "1"
    assert result.outputs["verdict"] == "fail" and result.outputs["findings"] == "1"
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert Path(result.outputs["sarif"]).is_file()
    assert report["base"] == checkout.base and report["merge_base"] == checkout.base
    assert "fetched base from origin" in report["diff"]["note"]
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
    again = checkout.run(skip={"install"}, statuses="true")  # a new push: the comment is edited
    assert again.outputs["verdict"] == "fail" and len(api.comments[7]) == 1
    assert {s["context"] for s in api.statuses} >= {"gates/quality"}


def test_passing_pr_passes_and_on_failure_posts_no_comment(tmp_path: Path, api: FakeGitHub) -> None:
    result = Checkout(tmp_path, PASSING, api).run(skip={"install"}, comment="on-failure")
    assert result.outputs["verdict"] == "pass" and result.outputs["findings"] == "0"
    assert not result.failed and result.steps[-1].returncode == 0
    (check,) = api.check_runs.values()
    assert check["conclusion"] == "success"
    assert api.comments.get(7, []) == []


def test_inputs_reach_the_run(tmp_path: Path, api: FakeGitHub) -> None:
    checkout = Checkout(tmp_path, FAILING, api)
    result = checkout.run(
        skip={"install"},
        **{"fail-on": "never", "stages": "quality", "extra-args": "--new all  --output-dir out"},
    )
    assert result.outputs["verdict"] == "pass", result.step("run").stdout
    assert result.outputs["report"] == str(checkout.workspace / "out/gates.json")
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert report["new_mode"] == "all"
    assert {g["fail_on"] for g in report["gates"]} == {"never"}


def test_hostile_inputs_are_data_not_code(tmp_path: Path, api: FakeGitHub) -> None:
    """An input is never evaluated by the shell: a stage name with $(...) is just a bad name."""
    checkout = Checkout(tmp_path, PASSING, api)
    marker = tmp_path / "pwned"
    result = checkout.run(
        skip={"install"},
        stages=f"$(touch {marker})",
        **{"extra-args": f"; touch {marker} `touch {marker}` *"},
    )
    assert not marker.exists()
    assert result.step("run").outputs["exit-code"] == "2"
    assert result.steps[-1].returncode == 2
    publish = result.step("publish")  # no report to publish: a warning, no request
    assert publish.returncode == 0 and "nothing to publish" in publish.stdout
    assert api.requests == []


def test_the_token_reaches_only_the_publish_step(tmp_path: Path, api: FakeGitHub) -> None:
    result = Checkout(tmp_path, PASSING, api).run(skip={"install"})
    for step in result.steps:
        holders = [k for k, v in step.env.items() if TOKEN in v]
        assert holders == (["GITHUB_TOKEN"] if step.id == "publish" else []), step.id
    custom = {k: v for k, v in ACTION["runs"]["steps"][3]["env"].items()}
    assert custom["GITHUB_TOKEN"] == "${{ inputs.github-token }}"


@pytest.mark.parametrize(("comment", "code"), [("sometimes", 2)])
def test_a_bad_comment_input_is_named(
    tmp_path: Path, api: FakeGitHub, comment: str, code: int
) -> None:
    result = Checkout(tmp_path, PASSING, api).run(skip={"install"}, comment=comment)
    publish = result.step("publish")
    assert publish.returncode == code and "input 'comment'" in publish.stdout


def test_install_step_installs_the_action_with_extras_and_constraints(tmp_path: Path) -> None:
    """Run the real install script against a stand-in `python` that records its arguments."""
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "install")
    shim = tmp_path / "bin/python"
    shim.parent.mkdir()
    shim.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    shim.chmod(0o755)
    args_file = tmp_path / "args"
    action_path = tmp_path / "the action"  # a space, to prove the quoting
    env = {
        "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
        "ARGS_FILE": str(args_file),
        "GATES_ACTION_PATH": str(action_path),
    }
    assert step["env"] == {"GATES_ACTION_PATH": "${{ github.action_path }}"}
    subprocess.run(["bash", "-e", "-c", step["run"]], env=env, check=True, timeout=30)
    args = args_file.read_text().splitlines()
    assert args[:3] == ["-m", "pip", "install"]
    assert args[args.index("-c") + 1] == f"{action_path}/constraints.txt"
    assert args[-1] == f"{action_path}[all]"


def test_python_is_set_up_only_when_asked() -> None:
    setup = ACTION["runs"]["steps"][0]
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["if"] == "inputs.python-version != ''"


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
