"""Talking to the Actions runner through files and stdout: outputs, job summary, annotations.

No token and no network: `run` may use these too, and they are the fallback when the API
cannot be written (fork PRs, read-only tokens).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from gates.github import limits
from gates.model import Finding, Report
from gates.text import escape_workflow_data, escape_workflow_property, one_line, reveal_invisible

COMMAND_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}
_PLAIN_REF = re.compile(r"([@#])(?=[A-Za-z0-9])")


def plain_text(text: str) -> str:
    """Text shown as plain text (annotation messages): control and invisible characters made
    visible, `@team` and `#12` broken with a zero-width space so nothing pings or links."""
    return _PLAIN_REF.sub("\\1\u200b", reveal_invisible(text))


def format_output(name: str, value: str) -> str:
    """One `GITHUB_OUTPUT` entry; multi-line values use the heredoc form with a random
    delimiter, so a value cannot end the block early and inject other outputs."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def write_outputs(values: Mapping[str, str], env: Mapping[str, str]) -> bool:
    """Append the outputs to GITHUB_OUTPUT; False when there is no such file (not in Actions)."""
    target = env.get("GITHUB_OUTPUT", "")
    if not target:
        return False
    with Path(target).open("a", encoding="utf-8") as fh:
        fh.write("".join(format_output(k, v) for k, v in values.items()))
    return True


def report_outputs(report: Report, report_path: Path) -> dict[str, str]:
    """`verdict`, `report`, `sarif` (empty when absent), `findings` (new and unsuppressed)."""
    sarif = report_path.with_name("gates.sarif")
    new = sum(1 for f in report.all_findings() if f.new and f.suppressed is None)
    return {
        "verdict": report.verdict.value,
        "report": str(report_path),
        "sarif": str(sarif) if sarif.is_file() else "",
        "findings": str(new),
    }


def fit_bytes(render: Renderer, budget: int) -> str:
    """The largest rendering whose UTF-8 size fits in `budget` bytes."""
    text = render(None)
    if len(text.encode("utf-8")) <= budget:
        return text
    limit = min(len(text), budget)
    while limit > 1000:
        text = render(limit)
        if len(text.encode("utf-8")) <= budget:
            return text
        limit = limit * 3 // 4
    return ""


class Renderer:
    """A Markdown renderer taking a character limit (None = everything)."""

    def __init__(self, report: Report, more_hint: str, link_base: str | None) -> None:
        self.report, self.more_hint, self.link_base = report, more_hint, link_base

    def __call__(self, limit: int | None) -> str:
        from gates.reporters.markdown import render_markdown

        return render_markdown(
            self.report, limit=limit, more_hint=self.more_hint, link_base=self.link_base
        )


def write_step_summary(
    report: Report, env: Mapping[str, str], link_base: str | None = None, more_hint: str = ""
) -> bool:
    """Append the Markdown report to GITHUB_STEP_SUMMARY within its 1 MiB per step."""
    target = env.get("GITHUB_STEP_SUMMARY", "")
    if not target:
        return False
    path = Path(target)
    used = path.stat().st_size if path.exists() else 0
    hint = more_hint or "The full report is in the gates.json artifact."
    text = fit_bytes(Renderer(report, hint, link_base), limits.STEP_SUMMARY_BYTES - used - 2)
    if not text:
        return False
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return True


def annotation_command(f: Finding) -> str:
    """`::error file=...,line=...,title=...::message`, escaped so nothing breaks out."""
    props: list[tuple[str, str]] = []
    if f.path:
        props.append(("file", f.path))
        if f.line:
            props.append(("line", str(f.line)))
            if f.end_line and f.end_line != f.line:
                props.append(("endLine", str(f.end_line)))
            elif f.column:
                props.append(("col", str(f.column)))
                if f.end_column:
                    props.append(("endColumn", str(f.end_column)))
    title = one_line(plain_text(f"{f.tool} {f.rule}"), limits.ANNOTATION_TITLE)
    props.append(("title", title))
    rendered = ",".join(f"{k}={escape_workflow_property(v)}" for k, v in props)
    message = escape_workflow_data(plain_text(f.message[: limits.ANNOTATION_MESSAGE // 4]))
    return f"::{COMMAND_LEVEL[f.severity.value]} {rendered}::{message}"


def emit_annotations(findings: Iterable[Finding], out: TextIO) -> int:
    """Print workflow-command annotations for the first findings, at most as many per level
    as the runner shows (the rest would be dropped silently). Returns how many were printed."""
    shown: dict[str, int] = {}
    count = 0
    for f in findings:
        level = COMMAND_LEVEL[f.severity.value]
        if shown.get(level, 0) >= limits.WORKFLOW_ANNOTATIONS_PER_LEVEL:
            continue
        shown[level] = shown.get(level, 0) + 1
        out.write(annotation_command(f) + "\n")
        count += 1
    return count


def write_outputs_and_summary(
    report: Report, report_path: Path, env: Mapping[str, str], link_base: str | None = None
) -> list[str]:
    """Outputs and job summary for `run` and `publish` (runner files, no token). Returns the
    problems instead of raising: a full disk must not fail the gates."""
    try:
        write_outputs(report_outputs(report, report_path), env)
        write_step_summary(report, env, link_base=link_base)
    except OSError as exc:
        return [f"cannot write the job summary or outputs: {exc}"]
    return []
