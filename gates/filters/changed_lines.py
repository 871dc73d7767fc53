"""Mark each finding `new` when it sits on a line the PR added or changed (`new = "lines"`).

A gate that knows better (coverage totals, size budgets) sets `new` itself; those are kept.
A file-level finding (no line) is new when the PR touched the file; a project-level finding
(no path) is new. With `new = "all"` every finding is new. With `new = "compare"` the finding is
left undecided here: gates.judge decides it against the base revision's findings (gates.compare
runs the base).
"""

from __future__ import annotations

from collections.abc import Iterable

from gates.diff import Diff
from gates.model import Finding


def is_new(finding: Finding, diff: Diff) -> bool:
    if not finding.path:
        return True
    if finding.line is None:
        return diff.is_changed(finding.path)
    return diff.touches(finding.path, finding.line, finding.end_line or finding.line)


def mark_new(findings: Iterable[Finding], diff: Diff, mode: str = "lines") -> list[Finding]:
    out: list[Finding] = []
    for finding in findings:
        if finding.new is not None or mode == "compare":
            out.append(finding)
        elif mode == "all":
            out.append(finding.replace(new=True))
        else:
            out.append(finding.replace(new=is_new(finding, diff)))
    return out
