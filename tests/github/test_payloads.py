"""Request bodies built from a report: limits, columns, markers (pure functions)."""

from __future__ import annotations

from publish_helpers import HEAD_SHA, finding, make_report

from gates.github import limits, payloads
from gates.model import Severity, Status, Verdict


def test_columns_only_on_single_line_annotations() -> None:
    one = payloads.annotation(finding(1, line=4, column=3, end_column=8))
    many = payloads.annotation(finding(1, line=4, end_line=6, column=3, end_column=8))
    assert one is not None and (one["start_column"], one["end_column"]) == (3, 8)
    assert many is not None and "start_column" not in many and many["end_line"] == 6
    assert payloads.annotation(finding(1, path="")) is None  # project-level: no place


def test_annotation_levels_and_long_titles_are_cut() -> None:
    note = payloads.annotation(finding(1, severity=Severity.NOTE, rule="R" * 400))
    assert note is not None and note["annotation_level"] == "notice"
    assert len(note["title"]) == limits.ANNOTATION_TITLE


def test_check_run_plan_batches_and_blocking_first() -> None:
    findings = [finding(i, severity=Severity.NOTE) for i in range(101)] + [finding(500)]
    plan = payloads.check_run_plan(make_report(findings), "gates", HEAD_SHA, "x", None, "")
    sizes = [len(plan.create["output"]["annotations"])]
    sizes += [len(u["output"]["annotations"]) for u in plan.updates]
    assert sizes == [50, 50, 2] and plan.annotation_total == 102
    assert plan.create["output"]["annotations"][0]["annotation_level"] == "failure"
    assert all(set(u) == {"output"} and u["output"]["summary"] for u in plan.updates)


def test_conclusion_neutral_when_no_gate_ran() -> None:
    report = make_report(verdict=Verdict.PASS)
    assert payloads.conclusion(report) == "success"
    skipped = report.__class__(
        report.verdict,
        report.diff,
        tuple(g.__class__(g.name, g.stage, Status.SKIPPED) for g in report.gates),
        report.started_at,
        0.0,
    )
    assert payloads.conclusion(skipped) == "neutral"


def test_comment_markers_and_ownership() -> None:
    body = payloads.comment_body(make_report([finding(1)]), "gates <x> --", None)
    first, second = body.splitlines()[:2]
    assert first == payloads.REPORT_MARKER
    assert second == "<!-- gates:check=gates _x_ __ -->"
    assert payloads.is_our_comment(body, "bot", "gates <x> --", "bot")
    assert not payloads.is_our_comment(body, "mallory", "gates <x> --", "bot")
    assert not payloads.is_our_comment(body, "bot", "other", "bot")


def test_status_description_within_limit() -> None:
    report = make_report(
        [finding(i) for i in range(3)], **{f"g{i}": Status.FAIL for i in range(40)}
    )
    for body in payloads.statuses(report, ""):
        assert len(body["description"]) <= limits.STATUS_DESCRIPTION
        assert "target_url" not in body
