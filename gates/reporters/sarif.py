"""SARIF 2.1.0: one run per tool, rule metadata, partialFingerprints, percent-encoded URIs.

GitHub code scanning and most IDEs read this. Suppressed findings carry a `suppressions` entry
instead of being dropped; `baselineState` says whether the PR introduced the finding.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote

from gates import jsontext
from gates.model import Finding, GateResult, Report, Status
from gates.text import reveal_invisible

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "gates/v1"


@functools.lru_cache(maxsize=4096)  # a file's findings share it: quote() was a third of the time
def artifact_uri(path: str) -> str:
    """A relative URI reference: every character that is not unreserved or `/` is escaped."""
    return quote(path, safe="/")


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


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": f.severity.value,
        "message": {"text": reveal_invisible(f.message) or f.rule},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint or "0" * 16},
        "baselineState": "new" if f.new else "unchanged",
        "properties": {"gate": f.gate, "new": bool(f.new)},
    }
    if f.path:
        location: dict[str, Any] = {
            "artifactLocation": {"uri": artifact_uri(f.path), "uriBaseId": "%SRCROOT%"}
        }
        if f.line:
            location["region"] = _region(f)
        result["locations"] = [{"physicalLocation": location}]
    if f.suppressed:
        kind = "inSource" if f.suppressed.kind in ("inline", "tool") else "external"
        result["suppressions"] = [
            {"kind": kind, "justification": f.suppressed.reason or f.suppressed.kind}
        ]
    return result


def _rule(f: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": f.rule,
        "name": f.rule,
        "shortDescription": {"text": f"{f.tool} {f.rule}"},
        "defaultConfiguration": {"level": f.severity.value},
        "properties": {"tags": [f.gate]},
    }
    if f.help_uri:
        rule["helpUri"] = f.help_uri
    cwe = f.extra.get("cwe")
    if cwe:
        rule["properties"]["tags"].append(cwe)
    return rule


def _run(
    tool: str, findings: list[Finding], gates: list[GateResult], version: str
) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for f in findings:
        if f.rule not in index:
            index[f.rule] = len(rules)
            rules.append(_rule(f))
        results.append(_result(f, index[f.rule]))
    driver: dict[str, Any] = {
        "name": tool,
        "rules": rules,
        "informationUri": "https://github.com/gates/gates",
    }
    if version:
        driver["version"] = version[:100]
    errors = [g for g in gates if g.status is Status.ERROR]
    invocation: dict[str, Any] = {"executionSuccessful": not errors}
    if errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": reveal_invisible(g.detail[:2000]) or "error"}}
            for g in errors
        ]
    return {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }


def report_to_sarif(report: Report) -> dict[str, Any]:
    by_tool: dict[str, list[Finding]] = {}
    gates_by_tool: dict[str, list[GateResult]] = {}
    versions: dict[str, str] = {}
    for gate in report.gates:
        tools = {f.tool for f in gate.findings} or {gate.name}
        for tool in tools:
            gates_by_tool.setdefault(tool, []).append(gate)
            if gate.tool_version:
                versions.setdefault(tool, gate.tool_version)
        for f in gate.findings:
            by_tool.setdefault(f.tool, []).append(f)
    if report.notices:  # gates' own notes on suppressions, as the "gates" tool
        gates_by_tool.setdefault("gates", [])
        by_tool.setdefault("gates", []).extend(report.notices)
    runs = [
        _run(tool, by_tool.get(tool, []), gates_by_tool[tool], versions.get(tool, ""))
        for tool in sorted(gates_by_tool)
    ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def render_sarif(report: Report) -> str:
    """Compact: SARIF is read by upload-sarif and code scanning, not by people."""
    return jsontext.dumps(report_to_sarif(report)) + "\n"
