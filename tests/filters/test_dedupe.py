"""Cross-tool merge: pure-function cases, and real bandit + semgrep on one eval line."""

from __future__ import annotations

from conftest import Repo

from gates.app import RunRequest, run
from gates.filters.dedupe import merge_duplicates, same_issue
from gates.model import DUPLICATES_MERGED as METRIC
from gates.model import Finding, GateResult, Severity, Stage, Status, Suppression
from gates.runner import NoProgress
from gates.tools.bandit import BanditGate
from gates.tools.semgrep import SemgrepGate


def finding(tool: str, rule: str, line: int = 3, cwe: str = "", **kw: object) -> Finding:
    values: dict[str, object] = {
        "gate": tool,
        "tool": tool,
        "rule": rule,
        "severity": Severity.WARNING,
        "path": "a.py",
        "message": f"{tool} says {rule}",
        "line": line,
        "new": True,
        "extra": {"cwe": cwe} if cwe else {},
    }
    values.update(kw)
    return Finding(**values)  # type: ignore[arg-type]


def gate(name: str, *findings: Finding, status: Status | None = None) -> GateResult:
    decided = Status.FAIL if any(f.blocks("warning") for f in findings) else Status.PASS
    return GateResult(
        name=name,
        stage=Stage.SECURITY,
        status=status or decided,
        findings=findings,
        fail_on="warning",
    )


EVAL_B = finding("bandit", "B307", cwe="CWE-78")
EVAL_S = finding("semgrep", "gates.python.eval-injection", cwe="CWE-95", severity=Severity.ERROR)


def test_table_match_despite_different_cwes() -> None:
    assert same_issue(EVAL_B, EVAL_S)
    shell_s = finding("semgrep", "gates.python.subprocess-shell-injection", cwe="CWE-78")
    assert not same_issue(EVAL_B, shell_s)  # both CWE-78 at bandit, but the table says no


def test_cwe_match_for_rules_outside_the_table() -> None:
    a = finding("bandit", "B306", cwe="CWE-377")
    b = finding("semgrep", "gates.python.tempfile-mktemp", cwe="CWE-377")
    assert same_issue(a, b)
    assert not same_issue(a, b.replace(line=4))
    assert not same_issue(a, b.replace(path="b.py"))
    assert not same_issue(a, finding("bandit", "X1", cwe="CWE-377"))  # same tool never merges
    assert same_issue(a.replace(line=2, end_line=5), b)  # overlapping ranges


def test_merge_keeps_the_most_severe_and_names_the_other() -> None:
    results = merge_duplicates((gate("bandit", EVAL_B), gate("semgrep", EVAL_S)))
    bandit, semgrep = results
    assert bandit.findings == () and bandit.status is Status.PASS
    assert bandit.metrics[METRIC] == 1
    (kept,) = semgrep.findings
    assert kept.message == EVAL_S.message
    assert kept.extra["also_reported_by"] == "bandit:B307"
    assert METRIC not in semgrep.metrics and semgrep.status is Status.FAIL


def test_a_blocking_finding_is_never_merged_into_a_non_blocking_one() -> None:
    suppressed = EVAL_S.replace(suppressed=Suppression("inline", "reviewed"))
    bandit, semgrep = merge_duplicates((gate("bandit", EVAL_B), gate("semgrep", suppressed)))
    assert bandit.findings[0].extra["also_reported_by"] == "semgrep:gates.python.eval-injection"
    assert bandit.status is Status.FAIL
    assert semgrep.findings == () and semgrep.metrics[METRIC] == 1


def test_one_partner_per_tool_and_error_status_kept() -> None:
    hash_b = finding("bandit", "B324", cwe="CWE-327")
    weak = finding("semgrep", "gates.python.weak-hash", cwe="CWE-327", severity=Severity.NOTE)
    pw = finding("semgrep", "gates.python.weak-password-hash", cwe="CWE-916")
    results = merge_duplicates(
        (gate("bandit", hash_b), gate("semgrep", weak, pw, status=Status.ERROR))
    )
    bandit, semgrep = results
    assert len(bandit.findings) + len(semgrep.findings) == 2
    assert semgrep.status is Status.ERROR


def test_nothing_to_merge_returns_the_same_results() -> None:
    results = (gate("bandit", EVAL_B), gate("other", finding("ruff", "F401")))
    assert merge_duplicates(results) == results


def test_real_bandit_and_semgrep_on_one_eval_line(repo: Repo) -> None:
    base = repo.commit("base")
    repo.write("calc.py", "def calc(expr):\n    return eval(expr)\n")
    repo.commit("pr")
    registry = {g.name: g for g in (BanditGate(), SemgrepGate())}
    report = run(RunRequest(path=repo.path, base=base), registry, NoProgress()).report
    on_line = [f for f in report.all_findings() if f.path == "calc.py" and f.line == 2]
    assert len(on_line) == 1, on_line
    (merged,) = on_line
    others = {merged.tool, *merged.extra["also_reported_by"].split(", ")}
    assert others == {"semgrep", "bandit:B307"} or others == {
        "bandit",
        "semgrep:gates.python.eval-injection",
    }
    assert merged.new and report.verdict.value == "fail"
    losers = [g for g in report.gates if g.metrics.get(METRIC)]
    assert [g.metrics[METRIC] for g in losers] == [1]
