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
