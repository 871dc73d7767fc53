"""Judging: raw gate outcomes -> marked findings -> each gate's status -> the verdict.

Gates only report what they found; everything that decides whether a finding counts happens
here, in this order (each step names why it comes where it does):

Per gate (`judge_gate`), on the runner's raw outcomes (gates.runner.Ran):

1. Snippets and renames: each finding gets the hash of the text it points at, and on the base
   side a renamed file's path becomes its head path. Both are part of the identity, so first.
2. Fingerprints: identity without line numbers, occurrence-counted. Before any mark, so no
   mark can change a finding's identity (baselines and PR comments match on it).
3. Inline suppressions (`gates: ignore[...]`): marked suppressed with the reason; a lapsed one
   makes its finding new wherever it sits, so it comes before step 6.
4. PR-suppression review (safety stage only): a marker the PR adds itself is announced, or
   refused (`safety_pr_suppressions = false`). It reviews what step 3 suppressed.
5. Baseline: a finding the baseline file accepts is suppressed (kind "baseline"). After 3 and 4:
   an inline reason is kept, and a refused PR suppression can still be baselined.
6. New by lines (`new = "lines"`), or every finding (`"all"`), by the gate's own mode (its
   `new` key, else its `default_new` trait). A `"compare"` gate's findings stay undecided.
   A finding the gate marked itself (a coverage total) is kept as marked.

Then the gate's status by `status_of`: what `fail_fast` stops on.

Per run (`judge_run`), once every gate finished and the base ran:

7. Compare with the base: a compared gate's undecided findings are new when the base's run of
   the same gate lacks their fingerprint; by changed lines when the base gave no judgement.
8. Marker review: notices about the suppression markers the PR adds (unused, expired, no
   reason). After 3-7 of every gate: "unused" means no gate's finding used it.
9. Encodable names: text that is not valid Unicode (file names) is shown by its bytes, so every
   report can be written.
10. Cross-tool merge (gates.filters.dedupe): one finding per issue that several tools report at
    one place; the finding that stays ranks at least as high as those it absorbs.
11. Each gate's status by `status_of` on its final findings, then the verdict by `verdict_of`:
    an errored gate makes the run an error, an interrupted run never passes.
12. Run notices and counts: the marker review's notices, baseline entries now fixed, the
    notices the run brought (a changed config), and suppressions counted by kind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gates.config import Config, GateConfig
from gates.diff import Diff
from gates.filters.baseline import Baseline, fixed_entries, mark_baselined
from gates.filters.changed_lines import is_new, mark_new
from gates.filters.dedupe import merge_duplicates
from gates.filters.encodable import encodable_findings, encodable_results
from gates.filters.markers import NOTICE_RULES as MARKER_NOTICES
from gates.filters.markers import MarkerReview, review_markers, suppression_counts
from gates.filters.suppressions import mark_suppressed, review_pr_suppressions
from gates.gate import Gate, GateOutcome
from gates.model import (
    Finding,
    GateResult,
    Severity,
    Stage,
    Status,
    Verdict,
    decide_status,
    decide_verdict,
    with_fingerprints,
)
from gates.runner import Ran, crashed
from gates.sources import read_lines, snippet_hash

Lines = Callable[[str], tuple[str, ...]]
# Every rule id of a run notice (gate "gates"), each documented in gates/docs/notices.md: the
# marker review's, a fixed baseline's (run_notices) and a changed config's (gates.app).
NOTICE_RULES = MARKER_NOTICES | {"baseline-fixed", "config-changed"}


@dataclass(frozen=True)
class Judging:
    """What judging one gate's findings needs (steps 1 to 6)."""

    root: Path  # the checkout the findings' paths point into
    diff: Diff
    config: Config
    today: dt.date
    baseline: Baseline = field(default_factory=Baseline)
    # Base-run paths -> head paths (renames): a finding in a renamed file keeps its identity.
    path_map: Mapping[str, str] = field(default_factory=dict)


# Stages whose findings a PR must not silence quietly with a marker of its own: code that should
# never land unreviewed, and the checks a PR weakens to turn CI green. A marker the PR adds there
# is announced, or refused under `safety_pr_suppressions = false` in the base's config.
PR_REVIEWED_STAGES = frozenset({Stage.SAFETY, Stage.INTEGRITY})


def judge_gates(judging: Judging, ran: Sequence[Ran]) -> list[GateResult]:
    """Steps 1 to 6 for each gate, in plan order. A finding that trips the judging (a gate
    that returned something that is not a Finding) makes that gate an error, not the run."""
    return [_judged_or_error(judging, one) for one in ran]


def _judged_or_error(judging: Judging, ran: Ran) -> GateResult:
    gate, config = ran.planned.gate, ran.planned.config
    try:
        result = judge_gate(judging, gate, config, ran.outcome)
    except Exception as exc:  # a gate's bug stays in that gate
        result = judge_gate(judging, gate, config, crashed(exc))
    return dataclasses.replace(result, duration_s=ran.duration_s, started_s=ran.started_s)


def judge_gate(
    judging: Judging, gate: Gate, config: GateConfig, outcome: GateOutcome
) -> GateResult:
    """One gate's raw outcome, with its findings marked (steps 1 to 6) and its status."""

    @functools.cache  # a finding asks for its file's lines twice (snippet, marker): read once
    def lines(path: str) -> tuple[str, ...]:
        return read_lines(judging.root, path)

    findings = tuple(mark_findings(judging, gate, outcome.findings, lines))
    return GateResult(
        name=gate.name,
        stage=gate.stage,
        status=status_of(outcome.status, findings, config.fail_on),
        findings=findings,
        detail=outcome.detail,
        metrics=dict(outcome.metrics),
        fail_on=config.fail_on,
        tool_version=outcome.tool_version,
        tables=tuple(outcome.tables),
    )


def mark_findings(
    judging: Judging, gate: Gate, raw: Sequence[Finding], lines: Lines
) -> list[Finding]:
    """Steps 1 to 6, in order."""
    findings = identified(raw, lines, judging.path_map)
    findings = mark_suppressed(findings, lines, judging.today)
    if gate.stage in PR_REVIEWED_STAGES:
        honour = judging.config.safety_pr_suppressions
        findings = review_pr_suppressions(findings, judging.diff, honour)
    findings = mark_baselined(findings, judging.baseline)
    return mark_new(findings, judging.diff, judging.config.new_mode(gate))


def identified(
    raw: Sequence[Finding], lines: Lines, path_map: Mapping[str, str] | None = None
) -> list[Finding]:
    """Steps 1 and 2: snippet hashes and renamed paths, then fingerprints."""
    findings = [_with_snippet(f, lines) for f in raw]
    if path_map:
        findings = [f.replace(path=path_map.get(f.path, f.path)) for f in findings]
    return with_fingerprints(findings)


def _with_snippet(finding: Finding, lines: Lines) -> Finding:
    if finding.snippet_hash or not finding.path or not finding.line:
        return finding
    digest = snippet_hash(lines(finding.path), finding.line, finding.end_line or finding.line)
    return finding.replace(snippet_hash=digest) if digest else finding


def status_of(reported: Status | None, findings: Sequence[Finding], fail_on: str) -> Status:
    """The one rule for a gate's status: `error` and `skipped` stand as the gate or the runner
    reported them (it could not judge); otherwise it fails when one of its findings blocks."""
    if reported in (Status.ERROR, Status.SKIPPED):
        return reported
    return decide_status(tuple(findings), fail_on)


def verdict_of(results: Sequence[GateResult], incomplete: bool) -> Verdict:
    """Fail closed: an errored gate makes the run an error; an interrupted run never passes."""
    verdict = decide_verdict(tuple(results))
    return Verdict.ERROR if incomplete and verdict is Verdict.PASS else verdict


@dataclass(frozen=True)
class RunJudging:
    """What judging the whole run needs besides the gates' results (steps 7 to 12)."""

    diff: Diff
    today: dt.date
    read_lines: Lines  # the head's files, for the marker review
    baseline: Baseline = field(default_factory=Baseline)
    complete: bool = True  # every configured gate ran: a marker no finding used is unused
    incomplete: bool = False  # interrupted: some gates never ran
    compared: tuple[str, ...] = ()  # the gates judged against the base
    # The base's results by gate name; None when the base did not run (interrupted).
    base: Mapping[str, GateResult] | None = None
    notices: tuple[Finding, ...] = ()  # notices the run brought before judging


@dataclass(frozen=True)
class Judgement:
    gates: tuple[GateResult, ...]
    verdict: Verdict
    notices: tuple[Finding, ...]
    suppressions: Mapping[str, int]
    incomplete: bool = False


def judge_run(results: Sequence[GateResult], facts: RunJudging) -> Judgement:
    """Steps 7 to 12 over the gates' results, in plan order."""
    marked = mark_against_base(results, facts)
    review = review_markers(marked, facts.diff, facts.read_lines, facts.complete, facts.today)
    merged = merge_duplicates(encodable_results(marked))
    gates = tuple(_decided(r) for r in merged)
    notices, counts = run_notices(gates, review, facts)
    verdict = verdict_of(gates, facts.incomplete)
    return Judgement(gates, verdict, notices, counts, facts.incomplete)


def mark_against_base(results: Sequence[GateResult], facts: RunJudging) -> list[GateResult]:
    """Step 7: the compared gates' undecided findings; the others as their own mode marked."""
    if facts.base is None:
        return list(results)
    base = facts.base
    return [
        _mark_gate(r, base.get(r.name), facts.diff) if r.name in facts.compared else r
        for r in results
    ]


def _mark_gate(result: GateResult, base: GateResult | None, diff: Diff) -> GateResult:
    usable = base is not None and base.status in (Status.PASS, Status.FAIL)
    known = {f.fingerprint for f in base.findings} if usable and base else set()
    findings = tuple(
        f
        if f.new is not None
        else f.replace(new=f.fingerprint not in known if usable else is_new(f, diff))
        for f in result.findings
    )
    metrics = dict(result.metrics)
    if usable and base:
        metrics.update(
            {
                f"{k}_base": v
                for k, v in base.metrics.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
        )
    detail = result.detail
    if not usable and result.findings:
        why = "did not run on the base" if base is None else f"was {base.status.value} on the base"
        detail = (
            detail + "\n" if detail else ""
        ) + f"compare mode: this gate {why}; findings marked by changed lines"
    return dataclasses.replace(result, findings=findings, metrics=metrics, detail=detail)


def _decided(result: GateResult) -> GateResult:
    status = status_of(result.status, result.findings, result.fail_on)
    return result if status is result.status else dataclasses.replace(result, status=status)


def run_notices(
    gates: Sequence[GateResult], review: MarkerReview, facts: RunJudging
) -> tuple[tuple[Finding, ...], dict[str, int]]:
    """Step 12: what the report says beside the gates, and the suppression counts."""
    fixed = fixed_entries(facts.baseline, gates)
    notices = [*encodable_findings([*facts.notices, *review.notices])]
    if fixed:
        digest = hashlib.sha256("".join(e.fingerprint for e in fixed).encode()).hexdigest()
        notices.append(
            Finding(
                gate="gates",
                tool="gates",
                rule="baseline-fixed",
                severity=Severity.NOTE,
                path="",
                new=True,
                fingerprint=digest[:32],
                message=f"{len(fixed)} baselined finding(s) are fixed; shrink the baseline "
                "with `gates baseline --prune`",
            )
        )
    counts = {**suppression_counts(gates), **review.counts, "baseline_fixed": len(fixed)}
    return tuple(notices), counts
