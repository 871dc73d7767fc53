"""The judge's order: a finding and its marks -> the gate's status and the run's verdict.

Each row of the table is one raw finding in a real file, with what surrounds it (markers in
the file, the lines the PR added, the baseline, the gate's `new` mode, the base's findings);
the comment on a row says which step's place in gates.judge's order it shows to matter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from gates.config import Config, GateConfig
from gates.diff import ChangedFile, ChangeKind, Diff
from gates.filters.baseline import Baseline, Entry
from gates.gate import GateContext, GateOutcome, Option, Scope
from gates.git import Revisions
from gates.judge import Judging, RunJudging, judge_gate, judge_run, status_of, verdict_of
from gates.model import (
    STAGE_ORDER,
    Finding,
    GateResult,
    Severity,
    Stage,
    Status,
    Suppression,
    Verdict,
)

TODAY = dt.date(2026, 6, 1)
REVISIONS = Revisions(base="b" * 40, head="h" * 40, merge_base="b" * 40, note="")


class _Gate:
    tool, scope, description = "tool", Scope.CHANGED, ""
    default_timeout_s, default_fail_on = 60.0, "error"
    options: ClassVar[dict[str, Option]] = {}

    def __init__(self, name: str, stage: Stage = Stage.QUALITY, tool: str = "tool") -> None:
        self.name, self.stage, self.tool = name, stage, tool

    def run(self, ctx: GateContext) -> GateOutcome:
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Row:
    """One raw finding at `line` of a.py, whose text is `text`."""

    text: tuple[str, ...]
    line: int
    added: frozenset[int] = frozenset()  # lines of a.py the PR added
    stage: Stage = Stage.QUALITY
    mode: str | None = None  # the gate's own `new`; None: the run's ("lines")
    baselined: bool = False
    honour_pr_suppressions: bool = True
    # compare mode: the base's a.py (its path there, its text, the line of the same finding);
    # None: the base ran and did not have it
    base: tuple[str, tuple[str, ...], int | None] | None = None
    renamed_from: str | None = None


@dataclasses.dataclass(frozen=True)
class Want:
    new: bool | None
    suppressed: str | None  # the suppression's kind
    status: Status


ROWS: list[tuple[str, Row, Want]] = [
    # step 6: only a finding on a line the PR added is new
    ("old line", Row(("x = 1", "y = 2"), 2, frozenset({1})), Want(False, None, Status.PASS)),
    ("added line", Row(("x = 1", "y = 2"), 2, frozenset({2})), Want(True, None, Status.FAIL)),
    # step 6 by the gate's own mode: every finding is new
    ("mode all", Row(("x = 1",), 1, mode="all"), Want(True, None, Status.FAIL)),
    # step 3: a marker suppresses, with its reason; the finding is still new
    (
        "inline marker",
        Row(("x = 1  # gates: ignore[r] known",), 1, frozenset({1})),
        Want(True, "inline", Status.PASS),
    ),
    # step 3 before 6: a lapsed marker makes a finding on an old line new again
    (
        "lapsed marker",
        Row(("x = 1  # gates: ignore[r] until=2026-01-01 later",), 1),
        Want(True, None, Status.FAIL),
    ),
    # step 4 after 3: the PR's own marker on a safety finding, refused by the base's config
    (
        "refused PR marker",
        Row(
            ("x = 1  # gates: ignore[r] mine",),
            1,
            frozenset({1}),
            Stage.SAFETY,
            honour_pr_suppressions=False,
        ),
        Want(True, None, Status.FAIL),
    ),
    # step 4 only for the safety stage: the same marker elsewhere suppresses
    (
        "PR marker, quality",
        Row(("x = 1  # gates: ignore[r] mine",), 1, frozenset({1}), honour_pr_suppressions=False),
        Want(True, "inline", Status.PASS),
    ),
    # step 5 after 4: a refused PR suppression can still be baselined by a maintainer
    (
        "refused, baselined",
        Row(
            ("x = 1  # gates: ignore[r] mine",),
            1,
            frozenset({1}),
            Stage.SAFETY,
            baselined=True,
            honour_pr_suppressions=False,
        ),
        Want(True, "baseline", Status.PASS),
    ),
    # step 5 after 3: an inline suppression keeps its kind (and reason) over the baseline's
    (
        "inline and baselined",
        Row(("x = 1  # gates: ignore[r] known",), 1, frozenset({1}), baselined=True),
        Want(True, "inline", Status.PASS),
    ),
    (
        "baselined",
        Row(("x = 1",), 1, frozenset({1}), baselined=True),
        Want(True, "baseline", Status.PASS),
    ),
    # step 7: on an added line, yet the base had it: not new
    (
        "compare, base had it",
        Row(("x = 1",), 1, frozenset({1}), mode="compare", base=("a.py", ("x = 1",), 1)),
        Want(False, None, Status.PASS),
    ),
    # step 7: on a line the PR did not touch, and the base did not have it: new
    (
        "compare, caused elsewhere",
        Row(("x = 1", "y = 2"), 1, frozenset({2}), mode="compare", base=("a.py", ("x = 1",), None)),
        Want(True, None, Status.FAIL),
    ),
    # step 1 before 2 and 7: the base's path is renamed to the head's before fingerprinting
    (
        "compare, renamed",
        Row(
            ("x = 1",),
            1,
            frozenset({1}),
            mode="compare",
            base=("old.py", ("x = 1",), 1),
            renamed_from="old.py",
        ),
        Want(False, None, Status.PASS),
    ),
    # step 7 keeps what steps 3-5 decided: a suppressed finding stays suppressed
    (
        "compare, suppressed",
        Row(
            ("x = 1  # gates: ignore[r] known",),
            1,
            frozenset({1}),
            mode="compare",
            base=("a.py", ("x = 1",), None),
        ),
        Want(True, "inline", Status.PASS),
    ),
]


def _config(row: Row, fail_on: str = "warning") -> Config:
    gate = GateConfig(True, (), (), 60.0, fail_on, {}, new=row.mode)
    return Config(
        source="defaults",
        stages=STAGE_ORDER,
        fail_fast=False,
        exclude=(),
        python="python3",
        new="lines",
        jobs=1,
        output_dir="out",
        safety_pr_suppressions=row.honour_pr_suppressions,
        gates={"g": gate},
    )


def _diff(row: Row) -> Diff:
    kind = ChangeKind.RENAMED if row.renamed_from else ChangeKind.MODIFIED
    changed = ChangedFile("a.py", kind, old_path=row.renamed_from, added_lines=row.added)
    return Diff(REVISIONS, {"a.py": changed})


def _write(root: Path, path: str, text: tuple[str, ...]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / path).write_text("\n".join(text) + "\n")
    return root


def _raw(path: str, line: int) -> Finding:
    return Finding("g", "tool", "r", Severity.WARNING, path, "a problem", line=line)


def _judged(row: Row, tmp_path: Path, baseline: Baseline | None = None) -> tuple[GateResult, ...]:
    baseline = baseline or Baseline()
    gate, diff = _Gate("g", row.stage), _diff(row)
    head = Judging(_write(tmp_path / "head", "a.py", row.text), diff, _config(row), TODAY, baseline)
    result = judge_gate(head, gate, _config(row).gate("g"), GateOutcome([_raw("a.py", row.line)]))
    base: dict[str, GateResult] | None = None
    if row.base is not None:
        path, text, line = row.base
        renames = {path: "a.py"} if path != "a.py" else {}
        on_base = dataclasses.replace(
            head, root=_write(tmp_path / "base", path, text), diff=Diff(REVISIONS), path_map=renames
        )
        found = [_raw(path, line)] if line else []
        base = {"g": judge_gate(on_base, gate, _config(row).gate("g"), GateOutcome(found))}
    facts = RunJudging(
        diff=diff,
        today=TODAY,
        read_lines=lambda rel: (),
        baseline=baseline,
        compared=("g",) if row.mode == "compare" else (),
        base=base,
    )
    return judge_run([result], facts).gates


@pytest.mark.parametrize(("row", "want"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_each_row_is_judged_as_its_place_in_the_order_says(
    row: Row, want: Want, tmp_path: Path
) -> None:
    baseline = Baseline()
    if row.baselined:  # the baseline holds this finding's own fingerprint, as `gates baseline`
        [unbaselined] = _judged(dataclasses.replace(row, baselined=False), tmp_path)
        fingerprint = unbaselined.findings[0].fingerprint
        baseline = Baseline(frozenset({Entry("a.py", "g", "r", fingerprint)}))
    [result] = _judged(row, tmp_path, baseline)
    [finding] = result.findings
    kind = finding.suppressed.kind if finding.suppressed else None
    assert (finding.new, kind, result.status) == (want.new, want.suppressed, want.status)


def _result(name: str, status: Status, *findings: Finding) -> GateResult:
    return GateResult(name, Stage.SECURITY, status, findings=findings, fail_on="warning")


def _eval(tool: str, rule: str, suppressed: bool = False) -> Finding:
    """An eval() at a.py:3 as `tool` reports it, new, maybe under a reviewed marker."""
    marker = Suppression("inline", "reviewed", line=3) if suppressed else None
    return Finding(
        tool, tool, rule, Severity.WARNING, "a.py", "eval", line=3, new=True, suppressed=marker
    )


def _run(
    results: list[GateResult], incomplete: bool = False
) -> tuple[Mapping[str, Status], Verdict]:
    facts = RunJudging(Diff(REVISIONS), TODAY, lambda rel: (), incomplete=incomplete)
    judged = judge_run(results, facts)
    return {g.name: g.status for g in judged.gates}, judged.verdict


def test_the_merge_comes_after_suppressions_and_the_status_after_the_merge() -> None:
    """Step 10 after 3: of bandit's suppressed eval and semgrep's blocking one, the blocking
    one stays; step 11 after 10: bandit, its finding absorbed, passes; the run fails."""
    bandit = _result("bandit", Status.PASS, _eval("bandit", "B307", suppressed=True))
    semgrep = _result("semgrep", Status.FAIL, _eval("semgrep", "gates.python.eval-injection"))
    statuses, verdict = _run([bandit, semgrep])
    assert statuses == {"bandit": Status.PASS, "semgrep": Status.FAIL}
    assert verdict is Verdict.FAIL
    # both blocking: bandit (ran first) keeps the finding and fails; semgrep's is absorbed
    bandit = _result("bandit", Status.FAIL, _eval("bandit", "B307"))
    statuses, verdict = _run([bandit, semgrep])
    assert statuses == {"bandit": Status.FAIL, "semgrep": Status.PASS}


VERDICTS = [
    # (statuses of the gates, interrupted) -> verdict
    ((Status.PASS, Status.SKIPPED), False, Verdict.PASS),
    ((Status.PASS, Status.FAIL), False, Verdict.FAIL),
    ((Status.FAIL, Status.ERROR), False, Verdict.ERROR),  # fail closed
    ((Status.PASS,), True, Verdict.ERROR),  # an interrupted run never passes
    ((Status.FAIL,), True, Verdict.FAIL),
    ((), False, Verdict.PASS),
]


@pytest.mark.parametrize(("statuses", "incomplete", "want"), VERDICTS)
def test_the_verdict(statuses: tuple[Status, ...], incomplete: bool, want: Verdict) -> None:
    blocking = (_eval("bandit", "B307"),)
    results = [
        _result(f"g{i}", s, *(blocking if s is Status.FAIL else ())) for i, s in enumerate(statuses)
    ]
    assert verdict_of(results, incomplete) is want
    assert _run(results, incomplete)[1] is want


def test_error_and_skipped_stand_whatever_the_findings() -> None:
    blocking = (_eval("bandit", "B307"),)
    assert status_of(Status.ERROR, (), "warning") is Status.ERROR
    assert status_of(Status.SKIPPED, blocking, "warning") is Status.SKIPPED
    assert status_of(None, blocking, "warning") is Status.FAIL
    assert status_of(None, blocking, "never") is Status.PASS
    assert status_of(Status.FAIL, (), "warning") is Status.PASS  # decided from the findings


def _review(
    root: Path, complete: bool, baseline: Baseline, status: Status = Status.PASS
) -> list[str]:
    """Step 8 and 12 on a file whose added lines 1 and 2 carry markers; a finding of gate g
    at line 1 uses the first. The rules of the run's notices, in order."""
    text = ("x = 1  # gates: ignore[r] known", "y = 2  # gates: ignore[r] spare")
    added = frozenset({1, 2})
    diff = Diff(REVISIONS, {"a.py": ChangedFile("a.py", ChangeKind.MODIFIED, added_lines=added)})
    row = Row(text, 1, added)
    judging = Judging(_write(root, "a.py", text), diff, _config(row), TODAY, baseline)
    result = judge_gate(
        judging, _Gate("g"), _config(row).gate("g"), GateOutcome([_raw("a.py", 1)], status=status)
    )
    facts = RunJudging(diff, TODAY, lambda rel: text, baseline=baseline, complete=complete)
    return [n.rule for n in judge_run([result], facts).notices]


def test_the_run_notices_come_from_the_marked_findings(tmp_path: Path) -> None:
    assert _review(tmp_path, complete=True, baseline=Baseline()) == ["suppression-unused"]
    assert _review(tmp_path, complete=False, baseline=Baseline()) == []  # a gate may not have run
    gone = Baseline(frozenset({Entry("a.py", "g", "r", "0" * 32)}))
    assert _review(tmp_path, complete=False, baseline=gone) == ["baseline-fixed"]
    assert (
        _review(tmp_path, complete=False, baseline=gone, status=Status.ERROR) == []
    )  # proves nothing
