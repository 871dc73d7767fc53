"""Request bodies for GitHub, built as plain values from the report (pure, no I/O).

Every string is cut to its GitHub limit here, so a request can never be refused for its size,
and untrusted text is neutralised for where it lands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gates.github import limits
from gates.github.workflow import plain_text
from gates.model import Finding, GateResult, Report, Severity, Stage, Status, Verdict
from gates.reporters.markdown import RunLinks, gate_table, render_markdown, verdict_block
from gates.text import code_span, one_line

REPORT_MARKER = "<!-- gates:report -->"
ANNOTATION_LEVEL = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_marker(check_name: str) -> str:
    """A hidden marker naming the check, so two configurations keep two comments."""
    safe = re.sub(r"[^A-Za-z0-9_./ -]", "_", check_name).replace("--", "__")
    return f"<!-- gates:check={safe} -->"


def comment_markers(check_name: str) -> tuple[str, str]:
    return REPORT_MARKER, check_marker(check_name)


def publishable(report: Report) -> list[Finding]:
    """New, unsuppressed findings, blocking ones first, then by severity and place."""
    blocking = {id(f) for g in report.gates for f in g.findings if f.blocks(g.fail_on)}
    found = [f for f in report.all_findings() if f.new and f.suppressed is None]
    return sorted(
        found,
        key=lambda f: (id(f) not in blocking, -f.severity.rank, f.path, f.line or 0, f.rule),
    )


def annotation(f: Finding) -> dict[str, Any] | None:
    """One check-run annotation; project-level findings (no path) have none."""
    if not f.path:
        return None
    start = f.line or 1
    end = f.end_line if f.end_line and f.end_line >= start else start
    body: dict[str, Any] = {
        "path": f.path,
        "start_line": start,
        "end_line": end,
        "annotation_level": ANNOTATION_LEVEL[f.severity],
        "message": cut(plain_text(f.message), limits.ANNOTATION_MESSAGE // 4),
        "title": one_line(plain_text(f"{f.tool} {f.rule}"), limits.ANNOTATION_TITLE),
    }
    if start == end and f.column:
        body["start_column"] = f.column
        body["end_column"] = max(f.end_column or f.column, f.column)
    return body


def all_annotations(report: Report) -> list[dict[str, Any]]:
    return [a for a in (annotation(f) for f in publishable(report)) if a is not None]


def batches(
    items: list[dict[str, Any]], size: int = limits.ANNOTATIONS_PER_REQUEST
) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def conclusion(report: Report) -> str:
    if report.verdict is not Verdict.PASS:
        return "failure"
    ran = [g for g in report.gates if g.status is not Status.SKIPPED]
    return "success" if ran else "neutral"


def check_title(report: Report) -> str:
    blocking = sum(g.blocking_count for g in report.gates)
    new = sum(g.new_count for g in report.gates)
    word = {Verdict.PASS: "passed", Verdict.FAIL: "failed", Verdict.ERROR: "errored"}
    title = f"gates {word[report.verdict]}: {blocking} blocking, {new} new findings"
    return cut(title, limits.CHECK_OUTPUT_TITLE)


def check_summary(report: Report) -> str:
    lines = [*verdict_block(report), "", *gate_table(report.gates)]
    return cut("\n".join(lines), limits.CHECK_OUTPUT_SUMMARY)


@dataclass(frozen=True)
class CheckRunPlan:
    create: dict[str, Any]
    updates: tuple[dict[str, Any], ...]
    annotation_total: int


def check_run_plan(
    report: Report, name: str, sha: str, external_id: str, link_base: str | None, details: str
) -> CheckRunPlan:
    """The create body with the first 50 annotations, then one PATCH body per further 50
    (GitHub appends the annotations of each update)."""
    notes = all_annotations(report)
    hint = "All findings are in the gates.json artifact."
    output = {
        "title": check_title(report),
        "summary": check_summary(report),
        "text": render_markdown(
            report, limit=limits.CHECK_OUTPUT_TEXT, more_hint=hint, link_base=link_base
        ),
    }
    chunks = batches(notes)
    create: dict[str, Any] = {
        "name": name,
        "head_sha": sha,
        "external_id": external_id,
        "status": "completed",
        "conclusion": conclusion(report),
        "output": {**output, "annotations": chunks[0]},
    }
    if details:
        create["details_url"] = details
    updates = tuple(
        {"output": {"title": output["title"], "summary": output["summary"], "annotations": c}}
        for c in chunks[1:]
    )
    return CheckRunPlan(create, updates, len(notes))


def comment_body(
    report: Report, check_name: str, link_base: str | None, links: RunLinks | None = None
) -> str:
    """The sticky comment: hidden markers, then the report; `links`: the workflow run and the
    check run, when known, linked from its footer."""
    header = "\n".join(comment_markers(check_name)) + "\n"
    check = f"the {code_span(check_name)} check run"
    if links and links.check_url.startswith(("https://", "http://")):
        check = f"[{check}]({links.check_url})"
    hint = f"The rest are in {check} and the gates.json artifact."
    body = render_markdown(
        report,
        limit=limits.COMMENT_BODY - len(header),
        more_hint=hint,
        link_base=link_base,
        links=links,
    )
    return header + body


def is_our_comment(body: str, author: str, check_name: str, me: str) -> bool:
    """Ours = both hidden markers AND written by our identity: a marker alone can be copied."""
    return author == me and all(m in body for m in comment_markers(check_name))


def stage_state(results: list[GateResult]) -> str:
    if any(g.status is Status.ERROR for g in results):
        return "error"
    if any(g.status is Status.FAIL for g in results):
        return "failure"
    return "success"


def stage_description(results: list[GateResult]) -> str:
    counts = {s: sum(1 for g in results if g.status is s) for s in Status}
    parts = [f"{n} {s.value}" for s, n in counts.items() if n]
    blocking = sum(g.blocking_count for g in results)
    text = f"{len(results)} gates: {', '.join(parts)}; {blocking} blocking findings"
    return cut(text, limits.STATUS_DESCRIPTION)


def statuses(report: Report, target_url: str) -> Iterator[dict[str, Any]]:
    """One commit status per stage that has gates, context `gates/<stage>`."""
    for stage in Stage:
        results = [g for g in report.gates if g.stage is stage]
        if not results:
            continue
        body: dict[str, Any] = {
            "state": stage_state(results),
            "context": f"gates/{stage.value}",
            "description": stage_description(results),
        }
        if target_url:
            body["target_url"] = target_url
        yield body
