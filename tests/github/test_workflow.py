"""Outputs, job summary and workflow-command annotations: the runner's files and stdout."""

from __future__ import annotations

import io
from pathlib import Path

from publish_helpers import finding, make_report

from gates.github import limits, workflow
from gates.github.context import load_context
from gates.model import Severity


def test_multiline_output_uses_a_random_heredoc_delimiter(tmp_path: Path) -> None:
    out = tmp_path / "out"
    value = "a\nEOF\nverdict=pass"
    assert workflow.write_outputs({"verdict": "fail", "x": value}, {"GITHUB_OUTPUT": str(out)})
    text = out.read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    assert first == "verdict=fail"
    header, *_ = rest.split("\n", 1)
    name, delimiter = header.split("<<")
    assert name == "x" and delimiter.startswith("ghadelimiter_") and delimiter not in value
    assert rest == f"x<<{delimiter}\n{value}\n{delimiter}\n"
    assert not workflow.write_outputs({"a": "b"}, {})


def test_annotation_command_escapes_data_and_properties() -> None:
    f = finding(1, "50% done\r\nnext::line", path="dir,a:b/x.py", rule="R,1", line=3)
    cmd = workflow.annotation_command(f.replace(column=4, end_column=9))
    assert cmd == (
        "::error file=dir%2Ca%3Ab/x.py,line=3,col=4,endColumn=9,title=ruff R%2C1"
        "::50%25 done%0D%0Anext::line"
    )
    assert "\n" not in cmd and "\r" not in cmd


def test_annotations_capped_per_level() -> None:
    findings = [finding(i) for i in range(15)] + [
        finding(i, severity=Severity.NOTE) for i in range(3)
    ]
    out = io.StringIO()
    assert workflow.emit_annotations(findings, out) == limits.WORKFLOW_ANNOTATIONS_PER_LEVEL + 3
    assert out.getvalue().count("::notice ") == 3


def test_step_summary_appends_within_one_mib(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("x" * (limits.STEP_SUMMARY_BYTES - 20_000), encoding="utf-8")
    report = make_report([finding(i, "ü message " * 30) for i in range(500)])
    assert workflow.write_step_summary(report, {"GITHUB_STEP_SUMMARY": str(summary)})
    data = summary.read_bytes()
    assert len(data) <= limits.STEP_SUMMARY_BYTES and b"Report cut to fit" in data


def test_context_targets_head_sha_and_detects_forks(tmp_path: Path) -> None:
    from publish_helpers import HEAD_SHA, write_event

    env = {"GITHUB_REPOSITORY": "octo/demo", "GITHUB_SHA": "m" * 40}
    env["GITHUB_EVENT_PATH"] = str(write_event(tmp_path, fork=True, number=9))
    ctx = load_context(env)
    assert (ctx.sha, ctx.pr_number, ctx.is_fork) == (HEAD_SHA, 9, True)
    assert ctx.api_url == "https://api.github.com"
    target = load_context(env | {"GITHUB_EVENT_NAME": "pull_request_target"})
    assert not target.is_fork  # that event's token can write
    publisher = load_context(env | {"GITHUB_EVENT_NAME": "workflow_run"})
    assert not publisher.is_fork  # the fork-safe publisher in README.md
    push = load_context({"GITHUB_REPOSITORY": "octo/demo", "GITHUB_SHA": "m" * 40})
    assert (push.sha, push.pr_number, push.is_fork) == ("m" * 40, None, False)


def test_unwritable_runner_files_are_a_problem_not_a_crash(tmp_path: Path) -> None:
    report = make_report([finding(1)])
    env = {"GITHUB_OUTPUT": str(tmp_path)}  # a directory
    (problem,) = workflow.write_outputs_and_summary(report, tmp_path / "gates.json", env)
    assert "cannot write the job summary or outputs" in problem
