"""Results every report can write: text that is not valid Unicode shown by its bytes.

A file name git reports as bytes that are not UTF-8 stays a surrogate-escaped str inside a run
(so tools and checks can still open the file), but JSON, SARIF, Markdown, the terminal and the
GitHub API all need UTF-8. Applied once, when the report is built: after it, every string a
reporter sees can be encoded, and a file name shows as `caf\\xe9.py`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from gates.model import Finding, GateResult, Table
from gates.text import encodable


def encodable_results(results: Iterable[GateResult]) -> tuple[GateResult, ...]:
    return tuple(_result(r) for r in results)


def encodable_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(_finding(f) for f in findings)


def _result(result: GateResult) -> GateResult:
    return dataclasses.replace(
        result,
        findings=encodable_findings(result.findings),
        detail=encodable(result.detail),
        metrics={k: encodable(v) if isinstance(v, str) else v for k, v in result.metrics.items()},
        tables=tuple(_table(t) for t in result.tables),
    )


def _finding(finding: Finding) -> Finding:
    texts = (finding.path, finding.message, *finding.extra.values())
    if all(text.isascii() for text in texts):
        return finding  # nearly every finding: nothing to copy
    return finding.replace(
        path=encodable(finding.path),
        message=encodable(finding.message),
        extra={key: encodable(value) for key, value in finding.extra.items()},
    )


def _table(table: Table) -> Table:
    rows = tuple(tuple(encodable(cell) for cell in row) for row in table.rows)
    return dataclasses.replace(table, title=encodable(table.title), rows=rows)
