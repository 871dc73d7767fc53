"""action.yml, our workflows and every YAML example in README.md and docs/: valid, injection-free.

Validation uses check-jsonschema's bundled GitHub Action and Workflow schemas (no network).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples_in(path: Path) -> list[str]:
    return _YAML_BLOCK.findall(path.read_text(encoding="utf-8"))


def readme_examples() -> list[str]:
    """Every YAML example a user may copy: the README's and those in docs/."""
    return [text for path in DOCUMENTS for text in examples_in(path)]


def kind(text: str) -> str:
    data = yaml.safe_load(text)
    if "runs" in data:
        return "action"
    if "jobs" in data:
        return "workflow"
    if "repos" in data:
        return "pre-commit"
    raise AssertionError(f"unrecognised YAML example:\n{text}")


def check(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_readme_and_docs_have_the_documented_examples() -> None:
    def kinds(name: str) -> list[str]:
        return sorted(kind(text) for text in examples_in(ROOT / name))

    assert kinds("README.md") == ["pre-commit", "workflow"]  # the simple setup, gates-safety
    assert kinds("docs/github.md") == ["workflow"] * 4  # simple, fork-safe pair, sharding
    assert kinds("docs/pre-commit.md") == ["pre-commit"] * 2


def test_action_and_workflows_validate_against_the_github_schemas(tmp_path: Path) -> None:
    examples = {"action": [ROOT / "action.yml"], "workflow": list(WORKFLOWS), "pre-commit": []}
    for index, text in enumerate(readme_examples()):
        path = tmp_path / f"readme-{index}.yml"
        path.write_text(text)
        examples[kind(text)].append(path)
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "gates.yml"}
    for schema, files in (
        ("vendor.github-actions", examples["action"]),
        ("vendor.github-workflows", examples["workflow"]),
    ):
        result = check(schema, files)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_validation_can_fail(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    action["runs"]["steps"][1]["shell"] = 42  # not a string
    del action["runs"]["using"]
    bad = tmp_path / "action.yml"
    bad.write_text(yaml.safe_dump(action))
    assert check("vendor.github-actions", [bad]).returncode == 1
    workflow = tmp_path / "w.yml"
    workflow.write_text("on: pull_request\njobs:\n  a:\n    runs-on: x\n    stepz: []\n")
    assert check("vendor.github-workflows", [workflow]).returncode == 1


def run_scripts(data: Any) -> Iterator[str]:
    """Every `run:` script of an action or a workflow."""
    steps = list((data.get("runs") or {}).get("steps") or [])
    for job in (data.get("jobs") or {}).values():
        steps.extend(job.get("steps") or [])
    for step in steps:
        if "run" in step:
            yield step["run"]


def all_documents() -> list[tuple[str, Any]]:
    docs = [("action.yml", yaml.safe_load((ROOT / "action.yml").read_text()))]
    docs += [(p.name, yaml.safe_load(p.read_text())) for p in WORKFLOWS]
    docs += [(f"README example {i}", yaml.safe_load(t)) for i, t in enumerate(readme_examples())]
    return docs


@pytest.mark.parametrize(
    ("name", "data"), all_documents(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_no_expression_inside_a_run_script(name: str, data: Any) -> None:
    """`${{ }}` in a script is expanded before the shell parses it: template injection."""
    for script in run_scripts(data):
        assert "${{" not in script, f"{name}: expression inside run:\n{script}"


def test_the_expression_check_finds_one() -> None:
    data = yaml.safe_load("jobs:\n  a:\n    steps:\n      - run: echo ${{ github.head_ref }}\n")
    assert any("${{" in s for s in run_scripts(data))


def test_the_token_is_given_only_to_the_publish_step() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    holders = [
        step.get("id")
        for step in action["runs"]["steps"]
        if "github-token" in yaml.safe_dump(step.get("env") or {}) + str(step.get("with") or {})
    ]
    assert holders == ["fetch-base", "publish"]


def test_dogfooding_workflow_has_minimal_permissions() -> None:
    gates = yaml.safe_load((ROOT / ".github/workflows/gates.yml").read_text())
    assert gates["permissions"] == {}
    assert gates["jobs"]["gates"]["permissions"] == {
        "contents": "read",
        "checks": "write",
        "pull-requests": "write",
        "statuses": "write",
    }
    assert list(gates[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as True
    steps = gates["jobs"]["gates"]["steps"]
    assert any(s.get("uses") == "./" for s in steps)
    assert not any(
        "python-version" in (s.get("with") or {}) for s in steps if s.get("uses") == "./"
    )
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    versions = ci["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    commands = " ".join(s.get("run", "") for job in ci["jobs"].values() for s in job["steps"])
    for needle in ('-c constraints.txt -e ".[all,test]"', "ruff check", "ruff format --check"):
        assert needle in commands
    assert "mypy --strict gates" in commands
    assert "zizmor --offline" in commands


def test_fork_safe_publisher_never_runs_pr_code() -> None:
    """The workflow_run half: no checkout, and gates installed from its release, not the PR."""
    (publisher,) = [
        yaml.safe_load(t)
        for t in readme_examples()
        if kind(t) == "workflow" and "workflow_run" in yaml.safe_load(t)[True]
    ]
    steps = publisher["jobs"]["publish"]["steps"]
    assert not any("checkout" in str(s.get("uses", "")) for s in steps)
    download = next(s for s in steps if "download-artifact" in str(s.get("uses", "")))
    assert set(download["with"]) >= {"run-id", "github-token"}
    installs = [s["run"] for s in steps if "pip install" in s.get("run", "")]
    assert installs and all("-e ." not in i and "pr-reports" not in i for i in installs)
    (runner,) = [
        yaml.safe_load(t) for t in readme_examples() if "upload-artifact" in t and "pr-number" in t
    ]
    assert runner["permissions"] == {"contents": "read"}
    assert "pull_request_target" not in "".join(readme_examples())


_PRE_COMMIT_MANIFEST = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "name", "entry", "language", "minimum_pre_commit_version"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "entry": {"type": "string"},
            "language": {"enum": ["python", "system", "script"]},
            "pass_filenames": {"type": "boolean"},
            "always_run": {"type": "boolean"},
            "require_serial": {"type": "boolean"},
            "stages": {"type": "array", "items": {"type": "string"}},
            "description": {"type": "string"},
            "minimum_pre_commit_version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        },
        "additionalProperties": False,
    },
}


def test_pre_commit_hook_manifest_and_readme_example() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    jsonschema.validate(hooks, _PRE_COMMIT_MANIFEST)
    examples = [yaml.safe_load(t) for t in readme_examples() if kind(t) == "pre-commit"]
    used = {h["id"] for ex in examples for repo in ex["repos"] for h in repo["hooks"]}
    assert used == {h["id"] for h in hooks}  # every hook shown, none that does not exist


def test_every_run_script_is_valid_bash() -> None:
    for name, data in all_documents():
        for script in run_scripts(data):
            result = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
            assert result.returncode == 0, f"{name}: {result.stderr}\n{script}"


def _publisher_step() -> dict[str, Any]:
    (publisher,) = [
        yaml.safe_load(t)
        for t in readme_examples()
        if kind(t) == "workflow" and "workflow_run" in yaml.safe_load(t)[True]
    ]
    return next(s for s in publisher["jobs"]["publish"]["steps"] if s.get("name") == "Publish")


HEAD = "a" * 40


def _run_publisher(
    tmp: Path, api: Any, number: str, pr_head: str
) -> subprocess.CompletedProcess[str]:
    """The README's Publish script, with `gh` answering from a file, against the fake API."""
    from gates.app import write_reports
    from gates.model import DiffInfo, Finding, GateResult, Report, Severity, Stage, Status, Verdict

    finding = Finding("ruff", "ruff", "F401", Severity.ERROR, "new.py", "unused", line=1, new=True)
    gate = GateResult("ruff", Stage.QUALITY, Status.FAIL, (finding.replace(fingerprint="f" * 32),))
    diff = DiffInfo("b" * 40, HEAD, "b" * 40, "diff", "note", 1, 1, 0)
    write_reports(Report(Verdict.FAIL, diff, (gate,), "", 1.0), tmp / "pr-reports")
    (tmp / "pr-reports/pr-number").write_text(number + "\n")
    pull = {
        "number": 7,
        "head": {"sha": pr_head, "repo": {"full_name": "someone/fork"}},
        "base": {"sha": "b" * 40, "repo": {"full_name": "o/r"}},
    }
    (tmp / "pull.fixture.json").write_text(json.dumps(pull))
    bindir = tmp / "bin"
    bindir.mkdir()
    (bindir / "gh").write_text(
        '#!/bin/sh\n[ "$1 $2" = "api repos/o/r/pulls/7" ] || exit 9\ncat "$PULL_FIXTURE"\n'
    )
    (bindir / "gh").chmod(0o755)
    workflow_event = tmp / "workflow_run.json"
    workflow_event.write_text(json.dumps({"workflow_run": {"head_sha": HEAD}}))
    step = _publisher_step()
    assert set(step["env"]) == {"GITHUB_TOKEN", "GH_TOKEN", "HEAD_SHA"}
    env = {
        "PATH": os.pathsep.join(
            [str(bindir), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "HOME": str(tmp),
        "PULL_FIXTURE": str(tmp / "pull.fixture.json"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(workflow_event),
        "GITHUB_SHA": "c" * 40,
        "GITHUB_API_URL": api.url,
        "GATES_PUBLISH_WRITE_INTERVAL": "0",
        "GITHUB_TOKEN": "t0k",
        "GH_TOKEN": "t0k",
        "HEAD_SHA": HEAD,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_fork_safe_publisher_posts_a_forks_report(tmp_path: Path) -> None:
    from fake_github import FakeGitHub

    with FakeGitHub() as api:
        result = _run_publisher(tmp_path, api, "7", HEAD)
    assert result.returncode == 0, result.stdout + result.stderr
    (check,) = api.check_runs.values()
    assert (check["head_sha"], check["conclusion"]) == (HEAD, "failure")
    (comment,) = api.comments[7]
    assert "new.py" in comment["body"]


@pytest.mark.parametrize(
    ("number", "pr_head", "needle"),
    [("7; touch pwned", HEAD, "bad PR number"), ("7", "c" * 40, "is not at")],
)
def test_fork_safe_publisher_refuses_a_forged_artifact(
    tmp_path: Path, number: str, pr_head: str, needle: str
) -> None:
    from fake_github import FakeGitHub

    with FakeGitHub() as api:
        result = _run_publisher(tmp_path, api, number, pr_head)
    assert result.returncode == 1 and needle in result.stdout
    assert api.requests == [] and not (tmp_path / "pwned").exists()


# A `uses:` line: the action, `@`, the ref, and an optional comment.
_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s#]+)(?:@(?P<ref>[^\s#]+))?\s*(?P<comment>#.*)?$"
)
_PINNED = re.compile(r"[0-9a-f]{40}")
_VERSION_COMMENT = re.compile(r"# v\d+(\.\d+){0,2}$")


def uses_lines() -> list[tuple[str, str]]:
    """Every `uses:` line of action.yml, our workflows and the README's examples, with where."""
    texts = [("action.yml", (ROOT / "action.yml").read_text())]
    texts += [(p.name, p.read_text()) for p in WORKFLOWS]
    texts += [(f"README example {i}", text) for i, text in enumerate(readme_examples())]
    return [
        (f"{name}:{number}", line)
        for name, text in texts
        for number, line in enumerate(text.splitlines(), 1)
        if re.match(r"^\s*(-\s+)?uses:", line)
    ]


def unpinned(line: str) -> str | None:
    """Why a `uses:` line is not pinned by a full commit SHA with its version, or None."""
    found = _USES.match(line)
    if found is None:
        return "unparsed"
    action, ref, comment = found["action"], found["ref"], found["comment"] or ""
    if action.startswith("./"):
        return None  # this repository's own action, as checked out
    if action == "OWNER/gates":  # the reader's pin of a gates release: the comment says how
        return None if ref == "RELEASE_COMMIT_SHA" and _VERSION_COMMENT.search(comment) else "gates"
    if ref is None or not _PINNED.fullmatch(ref):
        return f"{action} is pinned by {ref!r}, not a full commit SHA"
    if not _VERSION_COMMENT.search(comment):
        return f"{action}@{ref} has no '# vX.Y.Z' comment"
    return None


def test_every_uses_is_pinned_by_a_full_commit_sha() -> None:
    lines = uses_lines()
    assert len(lines) >= 15
    assert [(where, line, unpinned(line)) for where, line in lines if unpinned(line)] == []


def test_the_pin_check_finds_a_tag_a_short_sha_and_a_missing_comment() -> None:
    sha = "11d5960a326750d5838078e36cf38b85af677262"
    assert unpinned("      - uses: actions/checkout@v4") is not None
    assert unpinned(f"      - uses: actions/checkout@{sha[:12]} # v4.4.0") is not None
    assert unpinned(f"      - uses: actions/checkout@{sha}") is not None
    assert unpinned("      - uses: OWNER/gates@v1") is not None
    assert unpinned(f"      - uses: actions/checkout@{sha} # v4.4.0") is None


def checkout_steps() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, data in all_documents():
        for job in (data.get("jobs") or {}).values():
            found += [(name, s) for s in job.get("steps") or [] if "checkout" in s.get("uses", "")]
    return found


def test_every_checkout_keeps_no_credentials() -> None:
    """The PR's tests run in the checkout: actions/checkout must not leave the token in it."""
    steps = checkout_steps()
    assert len(steps) >= 5
    kept = [
        name for name, s in steps if (s.get("with") or {}).get("persist-credentials") is not False
    ]
    assert kept == []


def test_jobs_hold_only_the_permissions_they_name() -> None:
    """Top level: nothing or `contents: read`; a write scope only in the job that needs it."""
    for name, data in all_documents():
        if "jobs" not in data:
            continue
        top = data.get("permissions")
        assert top in ({}, {"contents": "read"}), name
        for job_name, job in data["jobs"].items():
            perms = job.get("permissions", top)
            assert isinstance(perms, dict), (name, job_name)  # never read-all / write-all
            writes = {k for k, v in perms.items() if v == "write"}
            if writes:
                assert "permissions" in job and top != perms, (name, job_name)


ZIZMOR = str(Path(sys.executable).parent / "zizmor")


def zizmor(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    """zizmor offline, without a config file: only inline `# zizmor: ignore[...]` comments count."""
    cmd = [ZIZMOR, "--offline", "--no-config", "--format", "json", *map(str, paths)]
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    return done.returncode, json.loads(done.stdout or "[]")


def test_zizmor_finds_nothing_in_the_action_and_the_workflows() -> None:
    code, findings = zizmor(ROOT / "action.yml", ROOT / ".github/workflows")
    described = [(f["ident"], f["locations"][0]["symbolic"]["key"]) for f in findings]
    assert (code, described) == (0, [])
    # Each ignore names its rule and says why, on its own line or the line above.
    for path in [ROOT / "action.yml", *WORKFLOWS]:
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if "zizmor: ignore" in line:
                assert re.search(r"zizmor: ignore\[[a-z-]+\]", line), (path.name, line)
                assert lines[number - 1].strip().startswith("#"), (path.name, number + 1)


def test_zizmor_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\npermissions: write-all\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: echo ${{ github.head_ref }}\n"
    )
    code, findings = zizmor(bad)
    assert code != 0
    assert {"artipacked", "unpinned-uses", "template-injection"} <= {f["ident"] for f in findings}
