"""The native report, `gates.json`: the Report as plain JSON, and back (for publish and merge)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gates import jsontext
from gates.errors import UsageError
from gates.model import (
    DiffInfo,
    Finding,
    GateResult,
    MetricValue,
    Report,
    RunEnvironment,
    Severity,
    Stage,
    Status,
    Suppression,
    Table,
    Verdict,
)


def finding_to_dict(f: Finding) -> dict[str, Any]:
    return {
        "gate": f.gate,
        "tool": f.tool,
        "rule": f.rule,
        "severity": f.severity.value,
        "path": f.path,
        "line": f.line,
        "end_line": f.end_line,
        "column": f.column,
        "end_column": f.end_column,
        "message": f.message,
        "fingerprint": f.fingerprint,
        "new": bool(f.new),
        "suppressed": _suppression_to_dict(f.suppressed) if f.suppressed else None,
        "help_uri": f.help_uri,
        "extra": dict(f.extra),
    }


def _suppression_to_dict(s: Suppression) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": s.kind, "reason": s.reason}
    if s.line is not None:
        out["line"] = s.line
    return out


def gate_to_dict(g: GateResult) -> dict[str, Any]:
    return {
        "name": g.name,
        "stage": g.stage.value,
        "status": g.status.value,
        "duration_s": g.duration_s,
        "started_s": g.started_s,
        "fail_on": g.fail_on,
        "tool_version": g.tool_version,
        "detail": g.detail,
        "metrics": dict(g.metrics),
        "counts": {
            "total": len(g.findings),
            "new": g.new_count,
            "blocking": g.blocking_count,
            "suppressed": sum(1 for f in g.findings if f.suppressed),
        },
        "findings": [finding_to_dict(f) for f in g.findings],
        "tables": [table_to_dict(t) for t in g.tables],
    }


def table_to_dict(t: Table) -> dict[str, Any]:
    return {"title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows]}


def table_from_dict(d: Mapping[str, Any]) -> Table:
    return Table(
        title=d["title"],
        columns=tuple(d["columns"]),
        rows=tuple(tuple(row) for row in d.get("rows", [])),
    )


def report_to_dict(r: Report) -> dict[str, Any]:
    findings = r.all_findings()
    return {
        "schema_version": r.schema_version,
        "tool": {"name": r.tool, "version": r.version},
        "verdict": r.verdict.value,
        "base": r.diff.base,
        "head": r.diff.head,
        "merge_base": r.diff.merge_base,
        "diff": {
            "mode": r.diff.mode,
            "note": r.diff.note,
            "changed_files": r.diff.changed_files,
            "added_lines": r.diff.added_lines,
            "deleted_lines": r.diff.deleted_lines,
        },
        "new_mode": r.new_mode,
        "started_at": r.started_at,
        "duration_s": r.duration_s,
        "incomplete": r.incomplete,
        "summary": {
            "findings": len(findings),
            "new": sum(1 for f in findings if f.new and not f.suppressed),
            "blocking": sum(g.blocking_count for g in r.gates),
            "suppressed": sum(1 for f in findings if f.suppressed),
        },
        "suppressions": dict(sorted(r.suppressions.items())),
        "notices": [finding_to_dict(f) for f in r.notices],
        "gates": [gate_to_dict(g) for g in r.gates],
        **({"environment": environment_to_dict(r.environment)} if r.environment else {}),
    }


def environment_to_dict(e: RunEnvironment) -> dict[str, Any]:
    return {
        "python": e.python,
        "python_version": e.python_version,
        "tools": dict(sorted(e.tools.items())),
    }


def environment_from_dict(d: object) -> RunEnvironment | None:
    if not isinstance(d, Mapping):
        return None
    tools = d.get("tools") or {}
    return RunEnvironment(
        python=str(d.get("python", "")),
        python_version=str(d.get("python_version", "")),
        tools={str(k): str(v) for k, v in tools.items()},
    )


def render_json(report: Report) -> str:
    return readable_json(report_to_dict(report)) + "\n"


# Lists written one item per line: a report holds thousands of findings.
_ONE_LINE_ITEMS = frozenset({"findings", "notices"})


def readable_json(value: object, pad: str = "") -> str:
    """`json.dumps(indent=2)`, except that each finding is one line.

    A finding per line keeps a report of 20k findings half the size of a fully indented one,
    and it still diffs well between two reports.
    """
    inner = pad + "  "
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{jsontext.dumps(key)}: {_member(key, item, inner)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        return _lines([readable_json(v, inner) for v in value], pad)
    return jsontext.dumps(value)


def _member(key: str, value: object, pad: str) -> str:
    if key in _ONE_LINE_ITEMS and isinstance(value, list) and value:
        return _lines([jsontext.dumps(v) for v in value], pad)
    return readable_json(value, pad)


def _lines(items: list[str], pad: str) -> str:
    """A JSON array of rendered items, one per line."""
    inner = pad + "  "
    return "[\n" + ",\n".join(inner + item for item in items) + f"\n{pad}]"


def finding_from_dict(d: Mapping[str, Any]) -> Finding:
    sup = d.get("suppressed")
    return Finding(
        gate=d["gate"],
        tool=d["tool"],
        rule=d["rule"],
        severity=Severity(d["severity"]),
        path=d["path"],
        message=d["message"],
        line=d.get("line"),
        end_line=d.get("end_line"),
        column=d.get("column"),
        end_column=d.get("end_column"),
        help_uri=d.get("help_uri"),
        new=d.get("new"),
        suppressed=Suppression(sup["kind"], sup.get("reason", ""), sup.get("line"))
        if sup
        else None,
        fingerprint=d.get("fingerprint", ""),
        extra=dict(d.get("extra") or {}),
    )


def gate_from_dict(d: Mapping[str, Any]) -> GateResult:
    metrics: dict[str, MetricValue] = dict(d.get("metrics") or {})
    return GateResult(
        name=d["name"],
        stage=Stage(d["stage"]),
        status=Status(d["status"]),
        findings=tuple(finding_from_dict(f) for f in d.get("findings", [])),
        duration_s=float(d.get("duration_s", 0.0)),
        started_s=_optional_float(d.get("started_s")),
        detail=d.get("detail", ""),
        metrics=metrics,
        fail_on=d.get("fail_on", "error"),
        tool_version=d.get("tool_version", ""),
        tables=tuple(table_from_dict(t) for t in d.get("tables", [])),
    )


def _optional_float(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def report_from_dict(d: Mapping[str, Any]) -> Report:
    diff = d.get("diff") or {}
    return Report(
        verdict=Verdict(d["verdict"]),
        diff=DiffInfo(
            base=d.get("base"),
            head=d["head"],
            merge_base=d.get("merge_base"),
            mode=diff.get("mode", "diff"),
            note=diff.get("note", ""),
            changed_files=int(diff.get("changed_files", 0)),
            added_lines=int(diff.get("added_lines", 0)),
            deleted_lines=int(diff.get("deleted_lines", 0)),
        ),
        gates=tuple(gate_from_dict(g) for g in d["gates"]),
        started_at=d.get("started_at", ""),
        duration_s=float(d.get("duration_s", 0.0)),
        incomplete=bool(d.get("incomplete", False)),
        new_mode=d.get("new_mode", "lines"),
        notices=tuple(finding_from_dict(f) for f in d.get("notices", [])),
        suppressions={str(k): int(v) for k, v in (d.get("suppressions") or {}).items()},
        tool=(d.get("tool") or {}).get("name", "gates"),
        version=(d.get("tool") or {}).get("version", ""),
        schema_version=d.get("schema_version", ""),
        environment=environment_from_dict(d.get("environment")),
    )


def load_report(text: str, source: str) -> Report:
    """Parse and validate a gates.json; a bad file is a UsageError naming it."""
    from gates.schema import validate_report

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}: not JSON: {exc}") from None
    problem = validate_report(data)
    if problem:
        raise UsageError(f"{source}: not a gates report: {problem}")
    return report_from_dict(data)
