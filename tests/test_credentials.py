"""A checkout that keeps a git credential: under Actions, the PR's code is not run beside it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import Repo, gates_run, git

from gates.credentials import find_persisted, holds_credential
from gates.git import Git

# What actions/checkout writes: base64 of "x-access-token:<token>" (a made-up token here).
HEADER = "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2Zha2VmYWtlZmFrZQ=="
MARKER = "tests-ran.txt"


def _project(repo: Repo) -> str:
    """A project whose test leaves a marker file behind, so a test can tell whether it ran."""
    repo.write("pkg/__init__.py", "def one() -> int:\n    return 1\n")
    repo.write(
        "tests/test_one.py",
        "from pathlib import Path\nfrom pkg import one\n\n"
        f"def test_one():\n    Path({MARKER!r}).write_text('ran')\n    assert one() == 1\n",
    )
    repo.write(".gitignore", f"{MARKER}\nreports/\n")
    base = repo.commit("base")
    repo.write("pkg/__init__.py", "def one() -> int:\n    return 1\n\n\nTWO = 2\n")
    repo.commit("pr")
    return base


def _run_under_actions(repo: Repo, base: str, *extra: str) -> dict[str, object]:
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GATES_NO_CACHE": "1"}
    for name in ("GITHUB_OUTPUT", "GITHUB_EVENT_PATH", "GITHUB_STEP_SUMMARY"):
        env.pop(name, None)
    result = gates_run(repo.path, "--base", base, "--stages", "coverage", *extra, env=env)
    assert result.returncode in (0, 1), result.stderr
    report: dict[str, object] = json.loads((repo.path / "reports/gates.json").read_text())
    return report


def _coverage(report: dict[str, object]) -> dict[str, object]:
    gates = report["gates"]
    assert isinstance(gates, list)
    [gate] = [g for g in gates if g["name"] == "coverage"]
    assert isinstance(gate, dict)
    return gate


def test_a_persisted_token_stops_the_gates_that_run_the_prs_code(repo: Repo) -> None:
    base = _project(repo)
    git(repo.path, "config", "http.https://github.com/.extraheader", HEADER)
    report = _run_under_actions(repo, base)
    gate = _coverage(report)
    assert gate["status"] == "error"
    assert "persist-credentials: false" in str(gate["detail"])
    assert "http.https://github.com/.extraheader" in str(gate["detail"])
    assert not (repo.path / MARKER).exists()  # the PR's test never ran
    texts = "".join(p.read_text() for p in (repo.path / "reports").iterdir())
    assert "eC1hY2Nlc3MtdG9rZW46" not in texts  # where the credential is, never what it is


def test_a_credential_in_an_included_file_is_found_too(repo: Repo, tmp_path: Path) -> None:
    """actions/checkout v6 keeps the header in a file of its own that .git/config includes."""
    base = _project(repo)
    included = tmp_path / "git-credentials.config"
    included.write_text(f'[http "https://github.com/"]\n\textraheader = {HEADER}\n')
    gitdir = (repo.path / ".git").resolve()
    git(repo.path, "config", f"includeIf.gitdir:{gitdir}.path", str(included))
    [found] = find_persisted(Git(repo.path))
    assert found.key == "http.https://github.com/.extraheader"
    assert str(included) in found.origin
    assert _coverage(_run_under_actions(repo, base))["status"] == "error"


def test_without_a_credential_or_when_allowed_the_tests_run(repo: Repo) -> None:
    base = _project(repo)
    assert _coverage(_run_under_actions(repo, base))["status"] != "error"
    assert (repo.path / MARKER).exists()
    (repo.path / MARKER).unlink()
    git(repo.path, "config", "http.https://github.com/.extraheader", HEADER)
    config = repo.path.parent / "allow.toml"
    config.write_text("allow_persisted_credentials = true\n")
    gate = _coverage(_run_under_actions(repo, base, "--config", str(config)))
    assert gate["status"] != "error", gate["detail"]
    assert (repo.path / MARKER).exists()


def test_outside_actions_a_developers_own_credentials_are_theirs(repo: Repo) -> None:
    base = _project(repo)
    git(repo.path, "config", "credential.helper", "store")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    result = gates_run(repo.path, "--base", base, "--stages", "coverage", env=env)
    assert result.returncode in (0, 1), result.stderr
    assert (repo.path / MARKER).exists()


@pytest.mark.parametrize(
    ("key", "value", "holds"),
    [
        ("http.https://github.com/.extraheader", HEADER, True),
        ("http.extraheader", "Authorization: Bearer x", True),
        ("credential.helper", "store", True),
        ("credential.https://github.com.helper", "cache", True),
        ("http.https://github.com/.extraheader", "", False),
        ("remote.origin.url", "https://x-access-token:abc@github.com/o/r", True),
        ("remote.origin.url", "https://ghp_abc@github.com/o/r", True),
        ("remote.origin.url", "https://github.com/o/r", False),
        ("remote.origin.url", "git@github.com:o/r.git", False),
        ("url.https://tok:x@github.com/.insteadof", "https://github.com/", True),
        ("url.https://github.com/.insteadof", "git@github.com:", False),
        ("core.bare", "false", False),
    ],
)
def test_what_holds_a_credential(key: str, value: str, holds: bool) -> None:
    assert holds_credential(key, value) is holds


def test_the_gates_that_run_the_projects_code_say_so() -> None:
    """A rewrite of a gate must not drop the trait: without it the guard above lets it run."""
    from gates.credentials import runs_project_code
    from gates.registry import REGISTRY

    running = {name for name, gate in REGISTRY.items() if runs_project_code(gate)}
    assert running == {"coverage", "mypy", "benchmark"}
