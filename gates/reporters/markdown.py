"""`gates.md`: the Markdown report that becomes the PR comment and the job summary.

A reviewer reads it on the PR page, so it is built to fit on a screen: the verdict, one line per
gate that did not pass (the passing ones summed in one line), the blocking findings with a link
to each rule's docs and a fix hint, then everything else collapsed in `<details>`, and a footer
with the links to the run and the one command that reproduces it locally. That is also the
order kept when a size limit cuts the report; the footer is always kept. Every piece of
untrusted text goes through gates.text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from gates.model import Finding, GateResult, Report, Status, Table, Verdict
from gates.reporters.headline import headline_metrics
from gates.reporters.hints import fix_hints, reproduce_command, suppression_hint
from gates.rule_docs import rule_doc_url
from gates.text import code_span, escape_html, escape_markdown, markdown_with_code, one_line

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
DETAIL_CHARS = 160  # an error's reason on its gate line; the whole detail is collapsed below
FINDING_PREFIX = "  - "  # a finding's list item, under its file's item: how cut reports count


@dataclass(frozen=True)
class RunLinks:
    """Where the run can be seen on GitHub, when the publisher knows it (empty: unknown)."""

    run_url: str = ""
    check_url: str = ""


def plural(count: int, word: str) -> str:
    """`1 finding`, `2 findings`: the count with its noun in the right number."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _fmt_duration(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def _gate_time(g: GateResult) -> str:
    """A gate's time, or `cached` when its outcome came from the result cache (its stored
    duration is the run that made it, not this one's)."""
    return "cached" if g.metrics.get("cache_hit") is True else _fmt_duration(g.duration_s)


def verdict_block(report: Report) -> list[str]:
    """The verdict as a heading, then the counts that back it in one line."""
    blocking = sum(g.blocking_count for g in report.gates)
    new = sum(g.new_count for g in report.gates)
    total = sum(len(g.findings) for g in report.gates)
    title = VERDICT_LINE[report.verdict]
    if report.verdict is Verdict.FAIL:
        title += f": {plural(blocking, 'blocking finding')}"
    lines = [
        f"## {title}",
        "",
        f"{blocking} blocking · {new} new · {plural(total, 'finding')} in all · "
        f"head {code_span(report.diff.head[:12])} · {_fmt_duration(report.duration_s)}",
    ]
    if report.diff.mode == "all-files":
        lines += ["", f"> ⚠️ {escape_markdown(report.diff.note)}"]
    if report.incomplete:
        lines += ["", "> ⚠️ The run was interrupted: this report is incomplete."]
    return lines


def gate_lines(report: Report) -> list[str]:
    """One line per gate that did not pass, with its fix hint; the rest summed in one line."""
    lines = [_gate_line(g) for g in report.gates if g.status in (Status.FAIL, Status.ERROR)]
    passed = [g for g in report.gates if g.status is Status.PASS]
    skipped = [g for g in report.gates if g.status is Status.SKIPPED]
    summary = []
    if passed:
        names = ", ".join(_name_with_metrics(g) for g in passed)
        summary.append(f"✅ {plural(len(passed), 'gate')} passed: {names}")
    if skipped:
        names = ", ".join(escape_markdown(g.name) for g in skipped)
        summary.append(f"⏭️ {len(skipped)} skipped: {names}")
    if summary:
        lines.append("- " + " · ".join(summary))
    return lines


def _gate_line(g: GateResult) -> str:
    name = f"**{escape_markdown(g.name)}** ({g.stage.value})"
    if g.status is Status.ERROR:
        reason = escape_markdown(one_line(g.detail, DETAIL_CHARS)) if g.detail else "no detail"
        return f"- 💥 {name} errored: {reason}"
    counts = f"{g.blocking_count} blocking, {g.new_count} new of {len(g.findings)}"
    hints = fix_hints(g)
    fix = f" · fix: {', '.join(code_span(h) for h in hints)}" if hints else ""
    return f"- ❌ {name}: {counts}{_metric_note(g)}{fix}"


def _name_with_metrics(g: GateResult) -> str:
    return escape_markdown(g.name) + _metric_note(g)


def _metric_note(g: GateResult) -> str:
    shown = headline_metrics(g)
    return f" ({escape_markdown(', '.join(shown))})" if shown else ""


def environment_line(report: Report) -> list[str]:
    """One line under the gate table: which interpreter and which tool versions judged."""
    env = report.environment
    if env is None:
        return []
    return ["", f"<sub>{_environment(report)}</sub>"]


def _environment(report: Report) -> str:
    env = report.environment
    if env is None:
        return ""
    tools = " · ".join(f"{escape_markdown(k)} {escape_markdown(v)}" for k, v in env.tools.items())
    python = f"Python {escape_markdown(env.python_version)} {code_span(env.python)}"
    return f"{python}{' · ' + tools if tools else ''}"


def gate_table(gates: Iterable[GateResult]) -> list[str]:
    """Every gate in a table: the check run's summary, where there is room for all of them."""
    rows = ["| stage | gate | status | new / total | duration |", "|---|---|---|---|---|"]
    for g in gates:
        metrics = _metric_note(g)
        rows.append(
            f"| {g.stage.value} | {escape_markdown(g.name)} | {STATUS_ICON[g.status]}{metrics} "
            f"| {g.new_count} / {len(g.findings)} | {_gate_time(g)} |"
        )
    return rows


def finding_line(f: Finding, link_base: str | None = None) -> str:
    """`- 🔴 [L3](link) [`rule`](docs) message — tools`, one finding as a list item."""
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
    if f.extra.get("fixable") == "yes" and not f.suppressed:
        flag += " · fixable"
    head = " ".join(part for part in (SEVERITY_ICON[f.severity.value], where) if part)
    tools = _tools(f.tool, f.extra.get("also_reported_by", ""))
    docs = _rule_url(f.gate, f.rule, f.extra.get("name"), f.help_uri or "")
    return f"- {head} {_what(f.rule, f.message, tools, docs)}{flag}"


def _tools(tool: str, also: str) -> str:
    """The tool, and every other tool whose finding on the same problem was merged into it."""
    names = [tool]
    for item in also.split(","):
        other = item.strip().split(":", 1)[0]
        if other and other not in names:
            names.append(other)
    return ", ".join(names)


@functools.lru_cache(maxsize=4096)
def _rule_url(gate: str, rule: str, name: str | None, help_uri: str) -> str:
    """The rule's docs (gates' own section, else the tool's page), else the link the tool gave."""
    return _safe_url(rule_doc_url(gate, rule, name=name) or help_uri)


@functools.lru_cache(maxsize=4096)
def _what(rule: str, message: str, tools: str, docs: str) -> str:
    """Rule (linked to its docs), message and tools, escaped: escaped once per distinct text,
    as a linter repeats its messages (ruff's 16k findings on sqlalchemy hold a few hundred)."""
    rule_text = f"[{code_span(rule)}]({docs})" if docs else code_span(rule)
    return f"{rule_text} {markdown_with_code(one_line(message))} — {escape_markdown(tools)}"


def _safe_url(url: str) -> str:
    """An http(s) URL that cannot end the Markdown link early; anything else is dropped (a
    tool's `help_uri` is untrusted text)."""
    if not url.startswith(("https://", "http://")):
        return ""
    return quote(url, safe=":/?#@!$&'*+,;=%-._~")


def findings_by_file(findings: Iterable[Finding], link_base: str | None = None) -> list[str]:
    """A list item per file, the file's findings nested under it: no blank lines needed."""
    lines: list[str] = []
    current: str | None = None
    for f in findings:
        if f.path != current:
            current = f.path
            lines.append(f"- **{code_span(f.path) if f.path else '(project)'}**")
        lines.append("  " + finding_line(f, link_base))
    return lines


_MARKER_NAMES = {
    "noqa": "`# noqa`",
    "nosec": "`# nosec`",
    "type_ignore": "`# type: ignore`",
    "pragma_no_cover": "`# pragma: no cover`",
}


def suppression_lines(report: Report) -> list[str]:
    """How many findings were suppressed and by what, the markers the PR adds, and the notices
    on them (a PR that suppresses its own safety finding, changes the gates config, leaves a
    suppression without a reason): shown, not collapsed, as the reviewer is the one to judge."""
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
        lines += ["", *findings_by_file(report.notices)]
    return ["", "### Suppressions and notices", *lines] if lines else []


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


@dataclass(frozen=True)
class _Split:
    """The report's findings by where they go: blocking, other new, the rest."""

    blocking: list[Finding]
    other_new: list[Finding]
    rest: list[Finding]


def _split(report: Report) -> _Split:
    findings = sorted(report.all_findings(), key=lambda f: (f.path, f.line or 0))
    blocking_ids = {id(f) for g in report.gates for f in g.findings if f.blocks(g.fail_on)}
    return _Split(
        blocking=[f for f in findings if id(f) in blocking_ids],
        other_new=[f for f in findings if f.new and not f.suppressed and id(f) not in blocking_ids],
        rest=[f for f in findings if not f.new or f.suppressed],
    )


def render_sections(report: Report, link_base: str | None = None) -> list[list[str]]:
    """The report as sections, most important first (the footer is not among them)."""
    split = _split(report)
    sections = [[*verdict_block(report), "", *gate_lines(report)]]
    if split.blocking:
        body = findings_by_file(split.blocking, link_base)
        placed = [f for f in split.blocking if f.path and f.line]
        hint = ["", suppression_hint(placed[0].rule)] if placed else []
        sections.append(["", "### Blocking findings", "", *body, *hint])
    sections.append(suppression_lines(report))
    if split.other_new:
        body = findings_by_file(split.other_new, link_base)
        sections.append(_details(plural(len(split.other_new), "other new finding"), body))
    explained = _gate_details(report)
    if explained:
        sections.append(_details("Why gates errored or were skipped", explained))
    if split.rest:
        body = findings_by_file(split.rest, link_base)
        summary = f"{plural(len(split.rest), 'finding')} not introduced by this PR or suppressed"
        sections.append(_details(summary, body))
    sections.append(_details("Every gate", _every_gate(report)))
    return sections


def _gate_details(report: Report) -> list[str]:
    """Each errored or skipped gate's detail (a tool's output tail), preformatted."""
    lines: list[str] = []
    for g in report.gates:
        if g.status in (Status.ERROR, Status.SKIPPED) and g.detail:
            label = "errored" if g.status is Status.ERROR else "skipped"
            detail = escape_html(g.detail[-3000:])
            lines += [f"**{escape_markdown(g.name)}** {label}:", f"<pre>{detail}</pre>", ""]
    return lines[:-1]


def _every_gate(report: Report) -> list[str]:
    """The full gate table, the gates' own tables and the environment."""
    lines = [*gate_table(report.gates), *environment_line(report)]
    for g in report.gates:
        lines += [line for t in g.tables if t.columns for line in table_lines(g.name, t)]
    return lines


def footer(report: Report, links: RunLinks | None = None) -> list[str]:
    """The command that reproduces the run and the links to it: kept even in a cut report."""
    parts = []
    if links and _safe_url(links.run_url):
        parts.append(f"[workflow run]({_safe_url(links.run_url)})")
    if links and _safe_url(links.check_url):
        parts.append(f"[check run]({_safe_url(links.check_url)})")
    note = escape_markdown(report.diff.note)
    small = " · ".join(p for p in (*parts, note) if p)
    lines = ["", "**Reproduce locally**", "```sh", reproduce_command(report), "```"]
    return [*lines, "", f"<sub>{small}</sub>"] if small else lines


def render_markdown(
    report: Report,
    limit: int | None = None,
    more_hint: str = "",
    link_base: str | None = None,
    links: RunLinks | None = None,
) -> str:
    """The whole report, or as much as fits in `limit` characters with a note of what was cut."""
    sections = render_sections(report, link_base)
    end = footer(report, links)
    text = "\n".join(line for section in [*sections, end] for line in section) + "\n"
    if limit is None or len(text) <= limit:
        return text
    return _truncate(sections, end, limit, report, more_hint)


def _truncate(
    sections: Sequence[list[str]], end: list[str], limit: int, report: Report, more_hint: str
) -> str:
    """Keep whole sections in order; a findings list may be cut between lines, a collapsed
    <details> block only whole, so the HTML is never left open. The footer always stays."""
    total = len(report.all_findings())
    budget = limit - 300 - len(more_hint) - sum(len(line) + 1 for line in end)
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
    shown = min(total, sum(1 for line in kept if line.startswith(FINDING_PREFIX)))
    note = (
        f"> ✂️ Report cut to fit: {shown} of {plural(total, 'finding')} shown, "
        f"… and {total - shown} more. {more_hint}"
    ).rstrip()
    return "\n".join([*kept, "", note, *end]) + "\n"
