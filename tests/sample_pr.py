"""The report of the 4-file PR of issue 23 (an eval, an AWS key, ruff and mypy errors, a failing
test, an oversized agent module), as gates makes it after merging duplicates: what the
Markdown and terminal tests render and the screenshots in docs/images show."""

from __future__ import annotations

from gates.model import (
    DUPLICATES_MERGED,
    DiffInfo,
    Finding,
    GateResult,
    Report,
    RunEnvironment,
    Severity,
    Stage,
    Status,
    Verdict,
)

BASE = "680a4ace74b3fe5742f065d337dafbf7272ebb74"
HEAD = "86aef9c1304f4891ecb72987eef422959e475835"
ERROR, WARNING, NOTE = Severity.ERROR, Severity.WARNING, Severity.NOTE


def _f(
    gate: str,
    tool: str,
    rule: str,
    sev: Severity,
    path: str,
    line: int | None,
    msg: str,
    end_line: int | None = None,
    extra: dict[str, str] | None = None,
) -> Finding:
    return Finding(
        gate, tool, rule, sev, path, msg, line=line, end_line=end_line, new=True, extra=extra or {}
    )


def _gate(
    name: str,
    stage: Stage,
    *findings: Finding,
    status: Status | None = None,
    detail: str = "",
    duration_s: float = 0.0,
    metrics: dict[str, int | float | bool] | None = None,
) -> GateResult:
    fail_on = "warning" if name == "ruff" else "error"
    fail = any(f.blocks(fail_on) for f in findings)
    chosen = status or (Status.FAIL if fail else Status.PASS)
    return GateResult(
        name, stage, chosen, findings, duration_s, 0.0, detail, metrics or {}, fail_on
    )


def four_file_pr() -> Report:
    eval_also = {"also_reported_by": "semgrep:gates.python.eval-injection, bandit:B307"}
    key_also = {"also_reported_by": "semgrep:gates.python.hardcoded-credential"}
    gates = (
        _gate(
            "dangerous-code",
            Stage.SAFETY,
            _f(
                "dangerous-code",
                "gates",
                "eval-nonliteral",
                ERROR,
                "app/calc.py",
                10,
                "`eval` of a non-literal argument: runs code built at run time",
                extra=eval_also,
            ),
            duration_s=0.02,
        ),
        _gate("prompt-injection", Stage.SAFETY, duration_s=0.01),
        _gate("hidden-unicode", Stage.SAFETY, duration_s=0.01),
        _gate(
            "secrets",
            Stage.SAFETY,
            _f(
                "secrets",
                "gates",
                "secret-aws-access-key",
                ERROR,
                "app/settings.py",
                1,
                "AWS access key id: AKIA****************; remove it, rotate it",
                extra=key_also,
            ),
            duration_s=0.1,
        ),
        _gate("pii", Stage.SAFETY, duration_s=0.01),
        _gate(
            "workflow-security",
            Stage.INTEGRITY,
            status=Status.SKIPPED,
            detail="no GitHub Actions workflow or action file changed",
        ),
        _gate(
            "bandit",
            Stage.SECURITY,
            _f(
                "bandit",
                "bandit",
                "B101",
                NOTE,
                "tests/test_calc.py",
                9,
                "Use of assert detected.",
            ),
            duration_s=0.2,
            metrics={DUPLICATES_MERGED: 2},
        ),
        _gate("semgrep", Stage.SECURITY, duration_s=3.8, metrics={DUPLICATES_MERGED: 2}),
        _gate("audit", Stage.SECURITY, status=Status.SKIPPED, detail="nothing to audit"),
        _gate(
            "ruff",
            Stage.QUALITY,
            _f(
                "ruff",
                "ruff",
                "F401",
                WARNING,
                "app/calc.py",
                1,
                "`os` imported but unused",
                extra={"fixable": "yes"},
            ),
            _f(
                "ruff",
                "ruff",
                "F401",
                WARNING,
                "app/calc.py",
                2,
                "`sys` imported but unused",
                extra={"fixable": "yes"},
            ),
            duration_s=0.03,
            metrics={"cache_hit": True},
        ),
        _gate(
            "mypy",
            Stage.QUALITY,
            _f(
                "mypy",
                "mypy",
                "return-value",
                ERROR,
                "app/calc.py",
                15,
                'Incompatible return value type (got "str", expected "int")',
            ),
            duration_s=0.7,
        ),
        _gate(
            "coverage",
            Stage.QUALITY,
            _f(
                "coverage",
                "pytest",
                "test-failed",
                ERROR,
                "tests/test_calc.py",
                8,
                "failed: test_evaluate: AssertionError: assert 6 == 7",
            ),
            _f(
                "coverage",
                "coverage",
                "uncovered-lines",
                WARNING,
                "agents/router.py",
                4,
                "added lines 4-132 not run by any test",
                end_line=132,
            ),
            duration_s=5.3,
            metrics={"total_coverage": 91.2, "total_coverage_base": 92.0},
        ),
        _gate(
            "size",
            Stage.SIZE,
            _f(
                "size",
                "gates",
                "budget-bytes",
                ERROR,
                "agents/router.py",
                None,
                "agents/router.py new file -> 8.2 KB (budget 6.5 KB): 1.7 KB over",
            ),
            duration_s=0.01,
        ),
    )
    diff = DiffInfo(BASE, HEAD, BASE, "diff", "diff is merge-base 680a4ace74b3..head", 4, 160, 3)
    env = RunEnvironment("/usr/bin/python3", "3.11.7", {"ruff": "0.17.6", "mypy": "2.4.1"})
    return Report(Verdict.FAIL, diff, gates, "2026-12-06T17:00:00+00:00", 6.1, environment=env)
