"""`gates.md`: the Markdown report that becomes the PR comment and the job summary.

Order of importance, which is also the order kept when a size limit cuts the report: the verdict,
the table of gates, the new blocking findings, other new findings, the gates' own small tables
(e.g. the files whose size changed most), then collapsed details (errors, old findings). Every
piece of untrusted text goes through gates.text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from urllib.parse import quote

from gates.model import Finding, GateResult, Report, Status, Table, Verdict
from gates.reporters.headline import headline_metrics
from gates.text import code_span, escape_html, escape_markdown, one_line

STATUS_ICON = {
    Status.PASS: "✅ pass",
    Status.FAIL: "❌ fail",
    Status.ERROR: "💥 error",
    Status.SKIPPED: "⏭️ skipped",
}
VERDICT_LINE = {
    Verdict.PASS: "✅ **gates passed**",
    Verdict.FAIL: "❌ **gates failed**",
    Verdict.ERROR: "💥 **gates could not check everything** (a gate errored; failing closed)",
}
SEVERITY_ICON = {"error": "🔴", "warning": "🟠", "note": "🔵"}
MAX_TABLE_ROWS = 10


def _fmt_duration(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def verdict_block(report: Report) -> list[str]:
    blocking = sum(g.blocking_count for g in report.gates)
    new = sum(g.new_count for g in report.gates)
    total = sum(len(g.findings) for g in report.gates)
    head = report.diff.head[:12]
    lines = [
        f"## {VERDICT_LINE[report.verdict]}",
        "",
        f"{blocking} blocking · {new} new · {total} total findings · "
        f"head `{head}` · {_fmt_duration(report.duration_s)}",
    ]
    if report.diff.mode == "all-files":
        lines += ["", f"> ⚠️ {escape_markdown(report.diff.note)}"]
    if report.incomplete:
        lines += ["", "> ⚠️ The run was interrupted: this report is incomplete."]
    return lines


def environment_line(report: Report) -> list[str]:
    """One line under the gate table: which interpreter and which tool versions judged."""
    env = report.environment
    if env is None:
        return []
    tools = " · ".join(f"{escape_markdown(k)} {escape_markdown(v)}" for k, v in env.tools.items())
    python = f"Python {escape_markdown(env.python_version)} {code_span(env.python)}"
    return ["", f"<sub>{python}{' · ' + tools if tools else ''}</sub>"]


def gate_table(gates: Iterable[GateResult]) -> list[str]:
    rows = ["| stage | gate | status | new / total | duration |", "|---|---|---|---|---|"]
    for g in gates:
        metrics = _metric_note(g)
        rows.append(
            f"| {g.stage.value} | {escape_markdown(g.name)} | {STATUS_ICON[g.status]}{metrics} "
            f"| {g.new_count} / {len(g.findings)} | {_fmt_duration(g.duration_s)} |"
        )
    return rows


def _metric_note(g: GateResult) -> str:
    shown = headline_metrics(g)
    return f" ({escape_markdown(', '.join(shown))})" if shown else ""


def finding_line(f: Finding, link_base: str | None = None) -> str:
    where = f"L{f.line}" if f.line else ""
    if f.line and f.end_line and f.end_line != f.line:
        where += f"-L{f.end_line}"
    if link_base and f.path and f.line:
        anchor = f"#L{f.line}" + (f"-L{f.end_line}" if f.end_line and f.end_line != f.line else "")
        where = f"[{where}]({link_base}{quote(f.path, safe='/')}{anchor})"
    flag = (
        f" _(suppressed: {escape_markdown(f.suppressed.reason or f.suppressed.kind)})_"
        if f.suppressed
        else ""
    )
    head = " ".join(part for part in (SEVERITY_ICON[f.severity.value], where) if part)
    return f"- {head} {_what(f.rule, f.message, f.tool)}{flag}"


@functools.lru_cache(maxsize=4096)
def _what(rule: str, message: str, tool: str) -> str:
    """Rule, message and tool, escaped: escaped once per distinct text, as a linter repeats
    its messages (ruff's 16k findings on sqlalchemy hold a few hundred)."""
    return f"{code_span(rule)} {escape_markdown(one_line(message))} — {escape_markdown(tool)}"


def findings_by_file(findings: Iterable[Finding], link_base: str | None = None) -> list[str]:
    lines: list[str] = []
    current: str | None = None
    for f in findings:
        if f.path != current:
            current = f.path
            lines += ["", f"**{code_span(f.path) if f.path else '(project)'}**", ""]
        lines.append(finding_line(f, link_base))
    return lines


_MARKER_NAMES = {
    "noqa": "`# noqa`",
    "nosec": "`# nosec`",
    "type_ignore": "`# type: ignore`",
    "pragma_no_cover": "`# pragma: no cover`",
}


def suppression_lines(report: Report) -> list[str]:
    """How many findings were suppressed and by what, and the markers the PR adds."""
    counts = report.suppressions
    parts = [f"{counts[k]} {k}" for k in ("inline", "baseline", "expired") if counts.get(k)]
    added = [f"{counts[k]} {name}" for k, name in _MARKER_NAMES.items() if counts.get(k)]
    lines: list[str] = []
    if parts or added:
        text = "Suppressed findings: " + (", ".join(parts) if parts else "none")
        if added:
            text += " · tool-native markers this PR adds: " + ", ".join(added)
        lines += ["", text]
    if report.notices:
        lines += ["", "### Suppressions and baseline", *findings_by_file(report.notices)]
    return lines


def table_lines(gate: str, table: Table) -> list[str]:
    """A gate's table as escaped Markdown, at most MAX_TABLE_ROWS rows (the gate sorts them)."""
    width = len(table.columns)

    def row(cells: Iterable[str]) -> str:
        padded = [*cells, *([""] * width)][:width]
        return "| " + " | ".join(escape_markdown(one_line(c, 120)) for c in padded) + " |"

    lines = ["", f"**{escape_markdown(gate)}: {escape_markdown(table.title)}**", ""]
    lines += [row(table.columns), "|" + "---|" * width]
    lines += [row(r) for r in table.rows[:MAX_TABLE_ROWS]]
    if len(table.rows) > MAX_TABLE_ROWS:
        lines += ["", f"_{len(table.rows) - MAX_TABLE_ROWS} more rows in gates.json_"]
    return lines


def _details(summary: str, body: list[str]) -> list[str]:
    return ["", "<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def render_sections(report: Report, link_base: str | None = None) -> list[list[str]]:
    """The report as sections, most important first."""
    findings = sorted(report.all_findings(), key=lambda f: (f.path, f.line or 0))
    blocking_ids = {id(f) for g in report.gates for f in g.findings if f.blocks(g.fail_on)}
    blocking = [f for f in findings if id(f) in blocking_ids]
    other_new = [f for f in findings if f.new and not f.suppressed and id(f) not in blocking_ids]
    rest = [f for f in findings if not f.new or f.suppressed]
    sections = [[*verdict_block(report), "", *gate_table(report.gates), *environment_line(report)]]
    if blocking:
        sections.append(["", "### Blocking findings", *findings_by_file(blocking, link_base)])
    if other_new:
        sections.append(["", "### Other new findings", *findings_by_file(other_new, link_base)])
    for g in report.gates:
        sections += [table_lines(g.name, t) for t in g.tables if t.columns]
    housekeeping = suppression_lines(report)
    if housekeeping:
        sections.append(housekeeping)
    errors = [g for g in report.gates if g.status in (Status.ERROR, Status.SKIPPED) and g.detail]
    for g in errors:
        detail = escape_html(g.detail[-3000:])
        label = "errored" if g.status is Status.ERROR else "skipped"
        sections.append(_details(f"{escape_html(g.name)} {label}", [f"<pre>{detail}</pre>"]))
    if rest:
        body = findings_by_file(rest, link_base)
        sections.append(
            _details(f"{len(rest)} findings not introduced by this PR or suppressed", body)
        )
    sections.append(["", f"<sub>{escape_html(report.diff.note)}</sub>"])
    return sections


def render_markdown(
    report: Report, limit: int | None = None, more_hint: str = "", link_base: str | None = None
) -> str:
    """The whole report, or as much as fits in `limit` characters with a note of what was cut."""
    sections = render_sections(report, link_base)
    text = "\n".join(line for section in sections for line in section) + "\n"
    if limit is None or len(text) <= limit:
        return text
    return _truncate(sections, limit, report, more_hint)


def _truncate(sections: list[list[str]], limit: int, report: Report, more_hint: str) -> str:
    """Keep whole sections in order; a findings list may be cut between lines, a collapsed
    <details> block only whole, so the HTML is never left open."""
    total = len(report.all_findings())
    budget = limit - 300 - len(more_hint)
    kept: list[str] = []
    for section in sections:
        size = sum(len(line) + 1 for line in section)
        if size <= budget:
            kept += section
            budget -= size
            continue
        if "<details>" not in section:
            for line in section:
                if len(line) + 1 > budget:
                    break
                kept.append(line)
                budget -= len(line) + 1
        break
    shown = sum(1 for line in kept if line.startswith("- "))
    note = f"> ✂️ Report cut to fit: {shown} of {total} findings shown. {more_hint}".rstrip()
    return "\n".join([*kept, "", note]) + "\n"
