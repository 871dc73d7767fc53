"""`gates merge`: combine the reports of sharded runs (one job per stage) into one report.

Rules (documented in docs/github.md, "Sharding big repositories"):
- Every shard must describe the same head commit; otherwise merging would mix two PR versions,
  so it is a UsageError naming the files. The diff information comes from the first shard.
- Each gate appears once. When a gate appears in several shards, the result that ran beats a
  skipped one, and among those that ran the worst status wins (error > fail > pass): merging
  fails closed. Its findings are the union of the shards' findings.
- Each finding appears once, identified by gate and fingerprint (fingerprints do not depend on
  which shard computed them).
- Notices (about suppression markers) appear once; suppression counts by kind are recounted on
  the merged gates, and run-wide counts take the largest shard's value.
- The status of a gate whose findings were united, and the verdict, are decided by the same
  rules as a run's (gates.judge.status_of, verdict_of); the merged report is incomplete when
  any shard is, and an incomplete report never passes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

from gates.errors import UsageError
from gates.filters.markers import suppression_counts
from gates.judge import status_of, verdict_of
from gates.model import STAGE_ORDER, Finding, GateResult, Report, Status

# Which result to keep when a gate appears in several shards: higher wins.
_STATUS_RANK = {Status.SKIPPED: 0, Status.PASS: 1, Status.FAIL: 2, Status.ERROR: 3}


def load_reports(paths: Sequence[Path]) -> list[tuple[str, Report]]:
    """Each file's name and report; an unreadable or invalid file is a UsageError naming it."""
    from gates.reporters.json_report import load_report

    if not paths:
        raise UsageError("merge: no reports given")
    loaded = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        loaded.append((str(path), load_report(text, str(path))))
    return loaded


def merge_reports(shards: Sequence[tuple[str, Report]]) -> Report:
    """One report from the shards' reports (see the module docstring for the rules)."""
    if not shards:
        raise UsageError("merge: no reports given")
    _check_same_head(shards)
    first = shards[0][1]
    gates = _merge_gates([r for _, r in shards])
    incomplete = any(r.incomplete for _, r in shards)
    return Report(
        verdict=verdict_of(gates, incomplete),
        diff=first.diff,
        gates=gates,
        started_at=min((r.started_at for _, r in shards if r.started_at), default=""),
        duration_s=max(r.duration_s for _, r in shards),  # shards run side by side
        root=first.root,
        incomplete=incomplete,
        new_mode=first.new_mode,
        notices=_unique_findings(f for _, r in shards for f in r.notices),
        suppressions=_merge_suppressions(gates, [r for _, r in shards]),
        tool=first.tool,
        version=first.version,
        environment=next((r.environment for _, r in shards if r.environment), None),
    )


def _merge_suppressions(gates: Sequence[GateResult], reports: Sequence[Report]) -> dict[str, int]:
    """Counts by kind recounted on the merged gates; run-wide counts (markers the PR adds,
    fixed baseline entries) are the same in every shard that saw them, so take the largest."""
    per_gate = suppression_counts(gates)
    counts: dict[str, int] = {}
    for report in reports:
        for key, value in report.suppressions.items():
            if key not in per_gate:
                counts[key] = max(counts.get(key, 0), value)
    return {**counts, **per_gate}


def _check_same_head(shards: Sequence[tuple[str, Report]]) -> None:
    name, first = shards[0]
    for other_name, other in shards[1:]:
        if other.diff.head != first.diff.head:
            raise UsageError(
                f"merge: {other_name} is for head {other.diff.head[:12]} but {name} is for "
                f"head {first.diff.head[:12]}; shards must come from the same commit"
            )


def _merge_gates(reports: Sequence[Report]) -> tuple[GateResult, ...]:
    by_name: dict[str, list[GateResult]] = {}
    for report in reports:
        for result in report.gates:
            by_name.setdefault(result.name, []).append(result)
    merged = [_merge_one(results) for results in by_name.values()]
    stage_index = {stage: i for i, stage in enumerate(STAGE_ORDER)}
    return tuple(sorted(merged, key=lambda g: stage_index[g.stage]))  # stable: shard order kept


def _merge_one(results: Sequence[GateResult]) -> GateResult:
    """One gate seen in one or more shards: keep the worst result, with every finding once."""
    chosen = max(results, key=lambda r: _STATUS_RANK[r.status])  # first of equals wins
    if len(results) == 1:
        return chosen
    findings = _unique_findings(f for r in (chosen, *results) for f in r.findings)
    status = status_of(chosen.status, findings, chosen.fail_on)
    return dataclasses.replace(chosen, status=status, findings=findings)


def _unique_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for finding in findings:
        key = (finding.gate, finding.fingerprint)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return tuple(out)
