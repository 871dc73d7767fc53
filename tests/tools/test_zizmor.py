"""workflow-security: zizmor's real JSON output parsed, and the real zizmor (offline) on real
workflow and action files in git repos, through the pipeline and through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Repo, gates_run

from gates.app import RunRequest, run
from gates.diff import Diff
from gates.gate import GateContext, GateError
from gates.git import Revisions
from gates.model import GateResult, Severity, Status
from gates.runner import NoProgress
from gates.tools.zizmor import (
    WorkflowSecurityGate,
    actions_files,
    failure_reason,
    parse_zizmor_json,
    severity_of,
    step_label,
    without_ref,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "zizmor"
SOURCES = GOLDEN / "workflows"
# Where each fixture lives in a repository: the golden output was made with these paths.
PLACES = {
    "pr-target.yml": ".github/workflows/pr-target.yml",
    "release.yml": ".github/workflows/release.yml",
    "ci.yml": ".github/workflows/ci.yml",
    "greet-action.yml": ".github/actions/greet/action.yml",
}
# (path, rule, line, severity) of every finding zizmor 1.33 makes on the fixtures.
EXPECTED = {
    (".github/workflows/pr-target.yml", "artipacked", 11, Severity.NOTE),
    (".github/workflows/pr-target.yml", "excessive-permissions", 8, Severity.WARNING),
    (".github/workflows/pr-target.yml", "dangerous-triggers", 4, Severity.ERROR),
    (".github/workflows/pr-target.yml", "template-injection", 16, Severity.ERROR),
    (".github/workflows/pr-target.yml", "unpinned-uses", 11, Severity.ERROR),
    (".github/workflows/release.yml", "excessive-permissions", 7, Severity.ERROR),
    (".github/actions/greet/action.yml", "template-injection", 11, Severity.ERROR),
    (".github/actions/greet/action.yml", "unpinned-uses", 6, Severity.ERROR),
}


def fixture(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


def add_fixtures(repo: Repo, *names: str) -> None:
    for name in names:
        repo.write(PLACES[name], fixture(name))


def run_gate(repo: Repo, base: str) -> GateResult:
    gate = WorkflowSecurityGate()
    outcome = run(RunRequest(path=repo.path, base=base), {gate.name: gate}, NoProgress())
    return outcome.report.gates[0]


def summary(result: GateResult) -> set[tuple[str, str, int | None, Severity]]:
    return {(f.path, f.rule, f.line, f.severity) for f in result.findings}


def context(repo: Repo, files: tuple[str, ...], **options: object) -> GateContext:
    return GateContext(
        name="workflow-security",
        root=repo.path,
        diff=Diff(Revisions(None, "h" * 40, None, ""), all_changed=True),
        files=files,
        options=options,
        python=sys.executable,
        scratch=repo.path / ".scratch",
        timeout_s=120.0,
        env=dict(os.environ),
        tool_python=sys.executable,
    )


# The parser, on output captured from zizmor 1.33.1 -----------------------------------------


def test_parse_real_output() -> None:
    findings = parse_zizmor_json((GOLDEN / "pr_workflows.json").read_text(), Path("/nowhere"))
    assert {(f.path, f.rule, f.line, f.severity) for f in findings} == EXPECTED
    by_rule = {(f.path, f.rule): f for f in findings}
    injection = by_rule[(".github/workflows/pr-target.yml", "template-injection")]
    assert injection.column == 42 and injection.tool == "zizmor"
    assert injection.gate == "workflow-security"
    assert injection.message == (
        "code injection via template expansion: may expand into attacker-controllable code "
        "(`github.event.pull_request.title`)"
    )
    assert injection.help_uri == "https://docs.zizmor.sh/audits/#template-injection"
    assert {k: v for k, v in injection.extra.items() if k != "identity"} == {
        "zizmor_severity": "high",
        "confidence": "high",
        "persona": "regular",
    }
    unpinned = by_rule[(".github/workflows/pr-target.yml", "unpinned-uses")]
    assert "(`actions/checkout@v4`)" in unpinned.message
    artipacked = by_rule[(".github/workflows/pr-target.yml", "artipacked")]
    # The step's first line only: an edit inside an old checkout step does not make it new.
    assert (artipacked.line, artipacked.end_line, artipacked.end_column) == (11, None, None)
    assert (injection.end_line, injection.end_column) == (None, 73)
    assert "persist-credentials: false" in artipacked.message


@pytest.mark.parametrize(
    ("severity", "confidence", "expected"),
    [
        ("High", "High", Severity.ERROR),
        ("High", "Medium", Severity.ERROR),
        ("High", "Low", Severity.WARNING),
        ("Medium", "High", Severity.WARNING),
        ("Medium", "Low", Severity.NOTE),
        ("Low", "High", Severity.NOTE),
        ("Informational", "High", Severity.NOTE),
        ("Unknown", "Unknown", Severity.NOTE),
    ],
)
def test_severity_mapping(severity: str, confidence: str, expected: Severity) -> None:
    assert severity_of(severity, confidence) is expected


@pytest.mark.parametrize("text", ["", "not json", "{}", '{"findings": []}', "[1, 2]"])
def test_unreadable_output_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_zizmor_json(text, Path())


def test_only_workflows_and_actions_are_audited() -> None:
    files = [
        ".github/workflows/ci.yml",
        ".github/workflows/release.yaml",
        ".github/workflows/README.md",
        ".github/workflows/old/ci.yml",  # GitHub runs no workflow from a sub-folder
        ".github/dependabot.yml",
        "action.yml",
        "tools/setup/action.yaml",
        "docs/action.yml.md",
        "src/ci.yml",
    ]
    assert actions_files(files) == [
        ".github/workflows/ci.yml",
        ".github/workflows/release.yaml",
        "action.yml",
        "tools/setup/action.yaml",
    ]


def test_failure_reason_keeps_the_cause() -> None:
    stderr = (
        "fatal: no audit was performed\n"
        "failed to load file://./.github/workflows/a.yml as workflow\n\n"
        "Caused by:\n"
        "    0: invalid YAML syntax: mapping values are not allowed at line 6 column 21\n"
        "    1: mapping values are not allowed at line 6 column 21\n"
    )
    assert failure_reason(stderr) == (
        "failed to load file://./.github/workflows/a.yml as workflow: "
        "invalid YAML syntax: mapping values are not allowed at line 6 column 21"
    )
    assert failure_reason("") == "zizmor could not audit the files"


# The real zizmor on real repositories --------------------------------------------------------


def test_pr_with_known_problems_fails_and_clean_files_have_none(repo: Repo) -> None:
    repo.write("README.md", "# app\n")
    base = repo.commit("base")
    add_fixtures(repo, *PLACES)
    repo.commit("pr: CI, release, preview and a greeting action")
    result = run_gate(repo, base)
    assert result.status is Status.FAIL, result.detail
    assert summary(result) == EXPECTED
    assert not [f for f in result.findings if f.path == ".github/workflows/ci.yml"]
    assert all(f.new for f in result.findings)
    blocking = {f.rule for f in result.findings if f.blocks(result.fail_on)}
    # artipacked is a low-confidence guess here (no artifact upload): reported, not blocking.
    assert blocking == {
        "dangerous-triggers",
        "template-injection",
        "unpinned-uses",
        "excessive-permissions",
    }
    assert result.metrics["files_scanned"] == 4
    assert result.tool_version.startswith("zizmor 1.")


def test_clean_workflow_passes(repo: Repo) -> None:
    base = repo.commit("base")
    add_fixtures(repo, "ci.yml")
    repo.commit("pr")
    result = run_gate(repo, base)
    assert result.status is Status.PASS, result.detail
    assert result.findings == ()
    assert result.metrics["files_scanned"] == 1


def test_old_problem_on_an_untouched_line_does_not_block(repo: Repo) -> None:
    add_fixtures(repo, "release.yml")
    base = repo.commit("base")
    repo.write(PLACES["release.yml"], fixture("release.yml").replace("echo publish", "twine"))
    repo.commit("pr: the publish step changes")
    result = run_gate(repo, base)
    assert result.status is Status.PASS, result.detail
    (old,) = result.findings
    assert (old.rule, old.line, old.new) == ("excessive-permissions", 7, False)


def without_permissions(text: str) -> str:
    return text.replace("permissions:\n  contents: read\n\n", "")


def test_a_pr_that_only_deletes_a_permissions_block_is_judged_against_the_base(
    repo: Repo,
) -> None:
    """No line is added, so the changed lines cannot tell; the base's findings can (the
    gate's default `new = "compare"`)."""
    add_fixtures(repo, "ci.yml")
    base = repo.commit("base")
    repo.write(PLACES["ci.yml"], without_permissions(fixture("ci.yml")))
    repo.commit("pr: drop the permissions block")
    result = run_gate(repo, base)
    assert result.status is Status.FAIL, result.detail
    (left,) = result.findings
    assert (left.rule, left.line, left.severity, left.new) == (
        "excessive-permissions",
        9,
        Severity.WARNING,
        True,
    )


def test_by_lines_an_edit_inside_an_old_job_does_not_make_its_problem_new(repo: Repo) -> None:
    """A finding sits on the first line zizmor points at (the job's key), not on all of it."""
    repo.write("pyproject.toml", '[tool.gates.workflow-security]\nnew = "lines"\n')
    add_fixtures(repo, "ci.yml")
    repo.write(PLACES["ci.yml"], without_permissions(fixture("ci.yml")))
    base = repo.commit("base: no permissions block")
    edited = without_permissions(fixture("ci.yml")).replace("pytest -q", "pytest -q -x")
    repo.write(PLACES["ci.yml"], edited)
    repo.commit("pr: stop at the first failure")
    result = run_gate(repo, base)
    assert result.status is Status.PASS, result.detail
    (old,) = result.findings
    assert (old.rule, old.line, old.new) == ("excessive-permissions", 9, False)


def test_no_workflow_changed_is_skipped(repo: Repo) -> None:
    add_fixtures(repo, "pr-target.yml")
    base = repo.commit("base")
    repo.write("app.py", "x = 1\n")
    repo.commit("pr")
    result = run_gate(repo, base)
    assert result.status is Status.SKIPPED
    assert result.detail == "no GitHub Actions workflow or action file changed"


def test_broken_yaml_is_an_error_not_a_pass(repo: Repo) -> None:
    """Without --strict-collection zizmor skips the file with a warning and audits the rest."""
    base = repo.commit("base")
    add_fixtures(repo, "ci.yml")
    repo.write(".github/workflows/lint.yml", "on: push\njobs:\n  a:\n    run: echo a: b: [\n")
    repo.commit("pr")
    result = run_gate(repo, base)
    assert result.status is Status.ERROR
    assert "lint.yml" in result.detail and "YAML" in result.detail, result.detail


def test_broken_zizmor_config_is_an_error(repo: Repo) -> None:
    """zizmor failing as a whole (exit 1) is an error, whatever it printed."""
    base = repo.commit("base")
    add_fixtures(repo, "pr-target.yml")
    repo.write(".github/zizmor.yml", "rules:\n  template-injection: 3\n")
    repo.commit("pr")
    result = run_gate(repo, base)
    assert result.status is Status.ERROR
    assert "configuration error" in result.detail, result.detail
    ctx = context(repo, (PLACES["pr-target.yml"],))
    with pytest.raises(
        GateError, match=r"exited with code 1: configuration error .*rules\.template-injection"
    ):
        WorkflowSecurityGate().run(ctx)  # the message itself names the cause, not only the tail


def test_bad_extra_arguments_are_an_error(repo: Repo) -> None:
    add_fixtures(repo, "pr-target.yml")
    repo.commit()
    ctx = context(repo, (PLACES["pr-target.yml"],), args=["--no-such-flag"])
    with pytest.raises(GateError, match="exited with code 2"):
        WorkflowSecurityGate().run(ctx)


def test_a_zizmor_killed_for_time_is_an_error(repo: Repo) -> None:
    add_fixtures(repo, "pr-target.yml")
    repo.commit()
    ctx = replace(context(repo, (PLACES["pr-target.yml"],)), timeout_s=0.0001)
    with pytest.raises(GateError, match="timed out"):
        WorkflowSecurityGate().run(ctx)


def test_zizmor_missing_is_named(repo: Repo, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True
    )
    add_fixtures(repo, "pr-target.yml")
    repo.commit()
    ctx = replace(
        context(repo, (PLACES["pr-target.yml"],)),
        tool_python=str(tmp_path / "env/bin/python"),
        env={**os.environ, "PATH": str(tmp_path / "env/bin")},
    )
    with pytest.raises(GateError, match=r"zizmor is not installed .*pip install zizmor"):
        WorkflowSecurityGate().run(ctx)


def test_zizmor_ignore_comments_are_not_honoured_unless_asked(repo: Repo) -> None:
    """A PR could add `# zizmor: ignore[...]` to silence its own finding."""
    add_fixtures(repo, "pr-target.yml")
    repo.commit()
    path = PLACES["pr-target.yml"]
    text = fixture("pr-target.yml").replace(
        "actions/checkout@v4", "actions/checkout@v4 # zizmor: ignore[unpinned-uses]"
    )
    repo.write(path, text)
    repo.commit()
    gate = WorkflowSecurityGate()
    unpinned = [f for f in gate.run(context(repo, (path,))).findings if f.rule == "unpinned-uses"]
    assert [f.extra.get("zizmor_ignored") for f in unpinned] == ["yes"]
    honoured = gate.run(context(repo, (path,), honor_ignores=True)).findings
    assert "unpinned-uses" not in {f.rule for f in honoured}
    assert "template-injection" in {f.rule for f in honoured}


def test_persona_is_handed_to_zizmor(repo: Repo) -> None:
    add_fixtures(repo, "ci.yml")
    repo.commit()
    gate = WorkflowSecurityGate()
    ctx = context(repo, (PLACES["ci.yml"],), persona="pedantic")
    pedantic = {f.extra.get("persona") for f in gate.run(ctx).findings}
    assert pedantic == {"pedantic"}  # code smells only: the regular persona finds nothing


# End to end, through the CLI -----------------------------------------------------------------


def test_cli_run_reports_a_pr_that_changes_a_workflow(repo: Repo) -> None:
    add_fixtures(repo, "ci.yml")
    base = repo.commit("base")
    ci = fixture("ci.yml").replace(
        "on:\n  push:\n    branches: [main]\n  pull_request:\n",
        "on:\n  push:\n    branches: [main]\n  pull_request_target:\n",
    )
    repo.write(PLACES["ci.yml"], ci)
    repo.commit("pr: run CI for forks with secrets")
    result = gates_run(repo.path, "--base", base, "--stages", "workflow-security")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    (gate,) = report["gates"]
    assert (gate["name"], gate["stage"], gate["status"]) == (
        "workflow-security",
        "integrity",
        "fail",
    )
    found = {(f["rule"], f["line"], f["new"], f["severity"]) for f in gate["findings"]}
    assert ("dangerous-triggers", 6, True, "error") in found, found


def test_hardcoded_registry_password_is_reported_without_the_password(repo: Repo) -> None:
    """zizmor's JSON quotes the credentials block; the finding names the problem only."""
    import planted

    base = repo.commit("base")
    workflow = fixture("ci.yml").replace(
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n"
        "    container:\n"
        "      image: ghcr.io/acme/build@sha256:" + "0123456789abcdef" * 4 + "\n"
        "      credentials:\n"
        "        username: deploy\n"
        f"        password: {planted.GITHUB_TOKEN}\n",
        1,
    )
    repo.write(PLACES["ci.yml"], workflow)
    repo.commit("pr: build in our image")
    result = gates_run(repo.path, "--base", base, "--stages", "workflow-security")
    assert result.returncode == 1, result.stdout + result.stderr
    (gate,) = json.loads((repo.path / "reports/gates.json").read_text())["gates"]
    (found,) = gate["findings"]
    assert (found["rule"], found["line"]) == ("hardcoded-container-credentials", 17)
    assert found["message"].endswith("container registry password is hard-coded")
    # The leak guard (conftest) checks the run's output and every report file for the token.


def test_a_workflow_reached_through_a_linked_folder_is_not_audited(
    repo: Repo, tmp_path: Path
) -> None:
    outside = tmp_path / "outside" / "workflows"
    outside.mkdir(parents=True)
    (outside / "x.yml").write_text(fixture("pr-target.yml"))
    (repo.path / ".github").mkdir()
    (repo.path / ".github" / "workflows").symlink_to(outside)
    outcome = WorkflowSecurityGate().run(context(repo, (".github/workflows/x.yml",)))
    assert outcome.status is Status.SKIPPED and outcome.findings == ()


# A finding's identity: what a harmless edit changes is left out, what a PR adds is not -------

TESTS = """\
name: Tests
on:
  push:
    branches: [main]
  pull_request:
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
      - uses: actions/setup-python@0a5c61591373683505ea898e09a3ea4f39ef2b9c # v5.0.0
        with:
          python-version: "3.12"
      - run: tox -e py
"""
BUMPED = TESTS.replace(
    "actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1",
    "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
).replace(
    "actions/setup-python@0a5c61591373683505ea898e09a3ea4f39ef2b9c # v5.0.0",
    "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0",
)
LINT_JOB = """\
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
      - run: ruff check
"""
PUBLISH = """\
name: Publish
on:
  push:
    tags: ['*']
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0
        with:
          python-version: '3.x'
          cache: pip
      - run: python -m build
"""
UV = """\
      - uses: astral-sh/setup-uv@f0ec1fc3b38f5e7cd731bb6ce540c5af426746bb # v6.1.0
        with:
          enable-cache: true
"""


def judged(repo: Repo, base_text: str, head_text: str, place: str) -> GateResult:
    repo.write(place, base_text)
    base = repo.commit("base")
    repo.write(place, head_text)
    repo.commit("pr")
    return run_gate(repo, base)


def verdicts(result: GateResult) -> set[tuple[str, int | None, bool]]:
    return {(f.rule, f.line, f.new) for f in result.findings}


def test_a_pin_bump_and_a_step_added_above_leave_old_findings_old(repo: Repo) -> None:
    """Dependabot rewrites the `uses:` line of a step zizmor flagged; another step above
    moves its index; the checkout gets an id. None of it is the PR's problem."""
    head = BUMPED.replace("    steps:\n", "    steps:\n      - run: echo start\n").replace(
        "# v4.2.2\n", "# v4.2.2\n        id: checkout\n"
    )
    result = judged(repo, TESTS, head, ".github/workflows/tests.yml")
    assert result.status is Status.PASS, result.detail
    assert verdicts(result) == {("excessive-permissions", 7, False), ("artipacked", 11, False)}


def test_a_new_job_copying_an_old_ones_checkout_is_new_at_its_own_lines(repo: Repo) -> None:
    """The new job comes first and its checkout is the old one's text: the new findings are
    the new job's, not the old job's identical lines further down."""
    head = TESTS.replace("jobs:\n", "jobs:\n" + LINT_JOB)
    result = judged(repo, TESTS, head, ".github/workflows/tests.yml")
    assert result.status is Status.FAIL, result.detail
    # With two jobs and no permissions block, zizmor also flags the workflow (line 1).
    assert verdicts(result) == {
        ("excessive-permissions", 1, True),
        ("excessive-permissions", 7, True),
        ("artipacked", 10, True),
        ("excessive-permissions", 12, False),
        ("artipacked", 15, False),
    }


def test_an_action_unpinned_in_a_bump_is_new(repo: Repo) -> None:
    head = BUMPED.replace(
        "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b # v5.3.0",
        "actions/setup-python@v5",
    )
    result = judged(repo, TESTS, head, ".github/workflows/tests.yml")
    assert result.status is Status.FAIL, result.detail
    assert ("unpinned-uses", 11, True) in verdicts(result)
    assert ("artipacked", 10, False) in verdicts(result)


def test_a_job_whose_cache_moves_to_another_action_keeps_its_old_finding(repo: Repo) -> None:
    """cache-poisoning is the publishing job's: swapping pip's cache for uv's is not new."""
    swapped = PUBLISH.replace("          cache: pip\n", "").replace(
        "      - run:", UV + "      - run:"
    )
    result = judged(repo, PUBLISH, swapped, ".github/workflows/publish.yml")
    assert result.status is Status.PASS, result.detail
    assert verdicts(result) == {("cache-poisoning", 16, False)}


def test_a_second_cache_in_a_publishing_job_is_new(repo: Repo) -> None:
    head = PUBLISH.replace("      - run:", UV + "      - run:")
    result = judged(repo, PUBLISH, head, ".github/workflows/publish.yml")
    assert [f.new for f in result.findings if f.rule == "cache-poisoning"].count(True) == 1
    assert result.status is Status.FAIL, result.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("actions/checkout@v4", "actions/checkout"),
        (
            "github/codeql-action/init@1b168cd39490f61582a9beae412bb7057a6b2c4e",
            "github/codeql-action/init",
        ),
        (
            "uses actions/cache@v3 and pypa/gh-action-pypi-publish@release/v1",
            "uses actions/cache and pypa/gh-action-pypi-publish",
        ),
        ("docker://alpine:3.20", "docker://alpine:3.20"),
        ("./.github/actions/setup", "./.github/actions/setup"),
        ("github.event.pull_request.title", "github.event.pull_request.title"),
        ("user@example.com", "user@example.com"),
    ],
)
def test_without_ref(text: str, expected: str) -> None:
    assert without_ref(text) == expected


def test_a_step_is_named_by_action_then_id_then_name_and_counted() -> None:
    steps: list[object] = [
        {"uses": "actions/checkout@v4"},
        {"id": "py", "uses": "actions/setup-python@v5"},
        {"name": "Build", "run": "make"},
        {"id": "hash", "name": "hash", "run": "sha256sum"},
        {"uses": "actions/checkout@v3", "name": "Other checkout"},
        {"run": "echo a"},
        {"run": "echo b"},
        "not a step",
    ]
    labels = [step_label(steps, i) for i in range(len(steps))]
    assert labels == [
        "uses:actions/checkout",
        "uses:actions/setup-python",
        "name:Build",
        "id:hash",
        "uses:actions/checkout#1",
        "run",
        "run#1",
        "step",
    ]


def test_identity_without_the_file_falls_back_to_the_index() -> None:
    """The parser run on captured output, away from the workflows: the route keeps indices."""
    findings = parse_zizmor_json((GOLDEN / "pr_workflows.json").read_text(), Path("/nowhere"))
    artipacked = next(f for f in findings if f.rule == "artipacked")
    assert artipacked.extra["identity"].split("\x1f")[0] == "jobs/preview/steps/0"


def test_identity_names_the_step_from_the_workflow(tmp_path: Path) -> None:
    for name, place in PLACES.items():
        (tmp_path / place).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / place).write_text(fixture(name), encoding="utf-8")
    findings = parse_zizmor_json((GOLDEN / "pr_workflows.json").read_text(), tmp_path)
    by_key = {(f.path, f.rule): f.extra["identity"] for f in findings}
    unpinned = by_key[(".github/workflows/pr-target.yml", "unpinned-uses")]
    assert unpinned.split("\x1f") == [
        "jobs/preview/steps/uses:actions/checkout/uses",
        "action is not pinned to a hash (required by blanket policy)",
        "actions/checkout",
    ]
