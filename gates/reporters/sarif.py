"""SARIF 2.1.0 for GitHub code scanning: one stable run per tool and category, rules documented
from gates/docs (gates.rule_docs), `security-severity` so code scanning can rank alerts.

Code scanning closes an alert when a later upload's run of the same tool and category no longer
reports it, and refuses an upload with two runs of one tool and category. So the runs depend on
the gates that ran, never on what they found: gates' own checks make one run per stage
(`gates/safety/`), every external tool one run (`gates/ruff/`), and gates' notes on its markers
one more (`gates/notices/`), each present with or without results. Suppressed findings carry a
`suppressions` entry instead of being dropped; `baselineState` says whether the PR introduced
the finding. A finding without a file (a project-level figure) cannot be shown by code scanning,
which refuses a result without a location: it becomes a notification of its run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gates import jsontext
from gates.model import Finding, GateResult, Report, Severity, Stage, Status
from gates.rule_docs import (
    REPOSITORY_URL,
    RuleDoc,
    finding_doc_url,
    finding_rule_name,
    rule_doc,
)
from gates.text import markdown_with_code, reveal_invisible

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "gates/v1"
# GitHub's limits for an uploaded SARIF file (docs: "SARIF support for code scanning",
# "Validating your SARIF file"): results per run (only the first 5,000 are shown) and tags per
# rule; beyond them the upload is refused or the extra is dropped.
MAX_RESULTS_PER_RUN = 25_000
MAX_TAGS_PER_RULE = 20
NOTICES_CATEGORY = "gates/notices/"
# Stages whose rules are security alerts in code scanning (`security-severity`, tag `security`).
SECURITY_STAGES = frozenset({Stage.SAFETY, Stage.INTEGRITY, Stage.SECURITY})

TOOL_URIS: Mapping[str, str] = {
    "gates": REPOSITORY_URL,
    "ruff": "https://docs.astral.sh/ruff/",
    "bandit": "https://bandit.readthedocs.io/",
    "semgrep": "https://semgrep.dev/",
    "mypy": "https://mypy-lang.org/",
    "pytest": "https://docs.pytest.org/",
    "coverage": "https://coverage.readthedocs.io/",
    "pytest-benchmark": "https://pytest-benchmark.readthedocs.io/",
    "pip-audit": "https://github.com/pypa/pip-audit",
    "zizmor": "https://docs.zizmor.sh/",
}
# GitHub's scale: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low < 4.0. A safety error is
# a likely attack or a leaked credential; elsewhere an error is high.
_SECURITY_SEVERITY = {Severity.ERROR: "7.5", Severity.WARNING: "5.5", Severity.NOTE: "3.0"}
_CRITICAL = "9.0"
# How often a rule's findings are right, where the finding does not say (bandit and semgrep
# give a confidence per finding): type checkers and test runners are exact.
_TOOL_PRECISION = {"mypy": "very-high", "pytest": "very-high", "pip-audit": "very-high"}
_CONFIDENCE = {"high": "high", "medium": "medium", "low": "low"}
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
# Tools whose message describes the rule rather than the one place (mypy's names the types).
_MESSAGE_IS_THE_RULE = frozenset({"bandit", "semgrep", "zizmor", "pip-audit"})
_LEVEL = {severity: severity.value for severity in Severity}  # enum .value is slow per result
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.\-+]*)?$")


@functools.lru_cache(maxsize=4096)  # a file's findings share it: quote() was a third of the time
def artifact_uri(path: str) -> str:
    """A relative URI reference: every character that is not unreserved or `/` is escaped."""
    return quote(path, safe="/")


@dataclass
class _Run:
    """What goes into one run: the gates of one tool and category, and their findings."""

    tool: str
    category: str
    gates: list[GateResult] = field(default_factory=list)
    findings: list[tuple[Finding, Stage]] = field(default_factory=list)


def _gate_tool(gate: GateResult) -> str:
    """The gate's tool from the registry (so a gate with no findings still names it); a gate
    the registry does not know (a report of another version) by its findings, else its name."""
    from gates.registry import REGISTRY

    known = REGISTRY.get(gate.name)
    if known is not None:
        return known.tool
    tools = sorted({f.tool for f in gate.findings})
    return tools[0] if len(tools) == 1 else gate.name


def run_category(tool: str, stage: Stage) -> str:
    """`automationDetails.id`: gates' own checks by stage, every other tool by its name."""
    return f"gates/{stage.value}/" if tool == "gates" else f"gates/{tool}/"


def _plan_runs(report: Report) -> list[_Run]:
    runs: dict[tuple[str, str], _Run] = {}
    for gate in report.gates:
        tool = _gate_tool(gate)
        category = run_category(tool, gate.stage)
        run = runs.setdefault((tool, category), _Run(tool, category))
        run.gates.append(gate)
        run.findings += [(f, gate.stage) for f in gate.findings]
    notices = runs.setdefault(("gates", NOTICES_CATEGORY), _Run("gates", NOTICES_CATEGORY))
    notices.findings += [(f, Stage.QUALITY) for f in report.notices]
    return list(runs.values())  # in the gates' order (stages, then names), the notices last


def _region(f: Finding) -> dict[str, int]:
    region: dict[str, int] = {"startLine": f.line or 1}
    if f.end_line and f.end_line >= (f.line or 1):
        region["endLine"] = f.end_line
    if f.column and f.column >= 1:
        region["startColumn"] = f.column
        same_line = not f.end_line or f.end_line == f.line
        if f.end_column and f.end_column >= 1 and (not same_line or f.end_column >= f.column):
            region["endColumn"] = f.end_column
    return region


def _also(f: Finding) -> list[str]:
    joined = f.extra.get("also_reported_by") if f.extra else None
    return [name for name in joined.split(", ") if name] if joined else []


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    also = _also(f)
    text = reveal_invisible(f.message) or f.rule
    if also:
        text += f" (also reported by {', '.join(reveal_invisible(a) for a in also)})"
    properties: dict[str, Any] = {"gate": f.gate, "new": bool(f.new), "tool": f.tool}
    if also:
        properties["alsoReportedBy"] = also
    location: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(f.path), "uriBaseId": "%SRCROOT%"}
    }
    if f.line:
        location["region"] = _region(f)
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint or "0" * 16},
        "baselineState": "new" if f.new else "unchanged",
        "properties": properties,
    }
    if f.suppressed:
        kind = "inSource" if f.suppressed.kind in ("inline", "tool") else "external"
        result["suppressions"] = [
            {"kind": kind, "justification": f.suppressed.reason or f.suppressed.kind}
        ]
    return result


def _plain_text(markdown: str) -> str:
    """Markdown as a plain paragraph: links as `text (url)`, code and emphasis marks dropped."""
    text = re.sub(r"\[([^\]]*)\]\(([^)\s]+)\)", r"\1 (\2)", markdown)
    text = re.sub(r"[`*]", "", text)
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip())


def _descriptions(f: Finding, doc: RuleDoc | None, url: str | None) -> dict[str, Any]:
    """shortDescription, fullDescription and help: the rule's section of gates' docs, or for
    a tool's rule its name and the tool's page."""
    if doc is not None:
        body = doc.markdown.strip() or doc.title
        markdown = f"{body}\n\n[Documentation]({url or doc.url})"
        full = _plain_text(body)
        return {
            "shortDescription": {"text": doc.summary},
            "fullDescription": {"text": full},
            "help": {"text": _plain_text(markdown), "markdown": markdown},
        }
    name = finding_rule_name(f)
    title = f"{f.tool} {f.rule}" + (f" ({name})" if name else "")
    said = reveal_invisible(f.message) if f.tool in _MESSAGE_IS_THE_RULE else ""
    link = f"[Documentation of `{f.rule}`]({url})" if url else ""
    markdown = "\n\n".join(filter(None, [markdown_with_code(said), link])) or title
    text = "\n\n".join(filter(None, [said, f"Documentation: {url}" if url else ""])) or title
    return {
        "shortDescription": {"text": title},
        "fullDescription": {"text": said or title},
        "help": {"text": text, "markdown": markdown},
    }


def _precision(f: Finding) -> str:
    confidence = _CONFIDENCE.get(f.extra.get("confidence", "").lower())
    return confidence or _TOOL_PRECISION.get(f.tool, "high")


def _security_severity(severity: Severity, stage: Stage) -> str:
    if severity is Severity.ERROR and stage is Stage.SAFETY:
        return _CRITICAL
    return _SECURITY_SEVERITY[severity]


def _rule(findings: Sequence[Finding], stage: Stage) -> dict[str, Any]:
    """One rule's descriptor, from its first finding and the worst severity among them."""
    first = findings[0]
    worst = max({f.severity for f in findings}, key=lambda s: s.rank)
    doc = rule_doc(first.rule, first.gate)
    url = finding_doc_url(first, stage.value)
    tags = [stage.value, first.gate]
    properties: dict[str, Any] = {
        "precision": _precision(first),
        "problem.severity": _PROBLEM_SEVERITY[worst],
    }
    if stage in SECURITY_STAGES:
        tags.append("security")
        properties["security-severity"] = _security_severity(worst, stage)
    tags += [c.strip() for c in first.extra.get("cwe", "").split(",") if c.strip()]
    properties["tags"] = list(dict.fromkeys(tags))[:MAX_TAGS_PER_RULE]
    rule: dict[str, Any] = {
        "id": first.rule,
        "name": first.rule,
        **_descriptions(first, doc, url),
        "defaultConfiguration": {"level": worst.value},
        "properties": properties,
    }
    if url:
        rule["helpUri"] = url
    return rule


def _version(run: _Run, report: Report) -> str:
    """The tool's version without its name (`ruff 0.6.1` -> `0.6.1`), from the gate, else
    from the environment the report names."""
    for gate in run.gates:
        if gate.tool_version:
            return gate.tool_version.removeprefix(f"{run.tool} ").strip()
    if run.tool == "gates":
        from gates import __version__

        return report.version or __version__
    tools = report.environment.tools if report.environment else {}
    return tools.get(run.tool, "")


def _driver(run: _Run, report: Report, rules: list[dict[str, Any]]) -> dict[str, Any]:
    driver: dict[str, Any] = {
        "name": run.tool,
        "informationUri": TOOL_URIS.get(run.tool, REPOSITORY_URL),
        "rules": rules,
    }
    version = _version(run, report)[:100]
    if version:
        driver["version"] = version
        if _SEMVER.match(version):
            driver["semanticVersion"] = version
    return driver


def _notification(text: str, level: str = "error") -> dict[str, Any]:
    return {"level": level, "message": {"text": reveal_invisible(text[:2000]) or level}}


def _invocation(run: _Run, unplaced: Sequence[Finding], cut: int) -> dict[str, Any]:
    errors = [g for g in run.gates if g.status is Status.ERROR]
    notes = [_notification(f"{g.name}: {g.detail}" if g.detail else g.name) for g in errors]
    notes += [_notification(f"{f.rule}: {f.message}", f.severity.value) for f in unplaced]
    if cut:
        notes.append(_notification(f"{cut} more results than code scanning accepts", "warning"))
    invocation: dict[str, Any] = {"executionSuccessful": not errors}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _within_limit(placed: list[tuple[Finding, Stage]]) -> list[tuple[Finding, Stage]]:
    """At most GitHub's results per run, new findings first, so a cut keeps what the PR
    introduced (a run within the limit keeps the gates' order)."""
    if len(placed) <= MAX_RESULTS_PER_RUN:
        return placed
    ordered = sorted(placed, key=lambda item: (not item[0].new, item[0].path, item[0].line or 0))
    return ordered[:MAX_RESULTS_PER_RUN]


def _render_run(run: _Run, report: Report) -> dict[str, Any]:
    placed = [(f, s) for f, s in run.findings if f.path]
    unplaced = [f for f, _ in run.findings if not f.path]
    kept = _within_limit(placed)
    cut = len(placed) - len(kept)
    by_rule: dict[str, list[Finding]] = {}
    stage_of: dict[str, Stage] = {}
    for f, stage in kept:
        by_rule.setdefault(f.rule, []).append(f)
        stage_of.setdefault(f.rule, stage)
    index = {rule: at for at, rule in enumerate(by_rule)}
    rules = [_rule(found, stage_of[rule]) for rule, found in by_rule.items()]
    return {
        "tool": {"driver": _driver(run, report, rules)},
        "automationDetails": {"id": run.category},
        "invocations": [_invocation(run, unplaced, cut)],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
        "results": [_result(f, index[f.rule]) for f, _ in kept],
        "columnKind": "unicodeCodePoints",
        "properties": {"gates": [g.name for g in run.gates]},
    }


def report_to_sarif(report: Report) -> dict[str, Any]:
    runs = [_render_run(run, report) for run in _plan_runs(report)]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def render_sarif(report: Report) -> str:
    """Compact: SARIF is read by upload-sarif and code scanning, not by people."""
    return jsontext.dumps(report_to_sarif(report)) + "\n"
