"""The project's tests under coverage: failing tests, the total against the base's, diff coverage.

pytest writes JUnit XML (xunit1, which carries each test's file and line) and coverage writes
its JSON report, both into the gate's scratch directory, never into the repository. The total
must not drop below the base's (measured in a worktree, or read from the cache: see
gates.tools.coverage_base); `min_total` is an absolute floor only when configured. Failing
tests and the thresholds are the PR head's state, so those findings are `new` by the gate's
own decision; uncovered added lines are on added lines and marked by the runner.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gates.gate import GateContext, GateError, GateOutcome, GateTraits, Option, Scope
from gates.model import Finding, MetricValue, Severity, Stage
from gates.proc import ProcResult
from gates.tools.common import require_module, require_ran, tool_failure
from gates.tools.coverage_base import BaseTotal, base_total, remember_as_base
from gates.tools.coverage_json import (
    Coverage,
    diff_coverage,
    parse_coverage_json,
    statement_lines,
    with_unmeasured,
)
from gates.tools.coverage_source import (
    Source,
    choose_source,
    name_pytest_cov_source,
    probe,
    uses_pytest_cov,
)
from gates.tools.junit import JUnitSummary, failing_ids, parse_junit

INSTALL = (
    "add pytest and coverage to the project's environment (its test dependencies), "
    "or set the action input install-test-tools: true"
)
# pytest's exit codes (pytest.ExitCode).
TESTS_FAILED = 1
NO_TESTS = 5
# The tests import the project and pytest rewrites them: each would leave a `__pycache__` in the
# checkout (a dirty tree, files a later step may commit or upload). Not redirected with
# PYTHONPYCACHEPREFIX: that also ignores the installed packages' bytecode, and a cold run then
# compiles pytest, coverage and every dependency again, which can double the gate's time.
_NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}
# Floor for `coverage combine/json` when the tests used up the budget; the runner's watchdog
# allows a few seconds past `timeout_s`, so the reports still fit.
_REPORT_STEP_S = 8.0
# The base's tests get what is left of the budget less this (its report, the worktree's
# removal); with less than _MIN_BASE_S left, the base is not measured.
_BASE_RESERVE_S = 2 * _REPORT_STEP_S
_MIN_BASE_S = 10.0
# coverage reports percentages to 2 decimals: a smaller difference is rounding, not a drop.
_DECIMALS = 2


def _percent(value: object) -> str | None:
    ok = value is None or (isinstance(value, (int, float)) and 0 <= value <= 100)
    return None if ok else "must be a number from 0 to 100"


@dataclass(frozen=True)
class Checkout:
    """Where one run of the tests happens: the head (the gate's root) or the base's worktree."""

    root: Path
    scratch: Path
    env: Mapping[str, str] = field(default_factory=dict)


class CoverageGate:
    name = "coverage"
    stage = Stage.QUALITY
    tool = "pytest"
    scope = Scope.PROJECT
    description = "the project's tests under coverage: failures, total vs base, diff coverage"
    default_timeout_s = 1800.0
    default_fail_on = "error"
    # It runs the project's tests, and measures the base's total itself (compare mode would
    # run them twice).
    traits = GateTraits(
        runs_project_code=True,
        compare_base=False,
        rules=frozenset(
            {
                *("test-failed", "test-error"),  # gates.tools.junit
                *("no-tests", "uncovered-lines", "total-dropped", "min-total", "min-diff"),
            }
        ),
    )
    options: Mapping[str, Option] = {
        "min_total": Option(
            (int, float), None, check=_percent, help="absolute floor for total coverage %"
        ),
        "max_drop": Option(
            (int, float),
            0.0,
            check=_percent,
            help="percentage points the total may fall below the base's",
        ),
        "min_diff": Option(
            (int, float), 85, check=_percent, help="minimum coverage % of added lines"
        ),
        "uncovered_severity": Option(
            str, "warning", choices=("error", "warning", "note"), help="uncovered added lines"
        ),
        "require_tests": Option(bool, False, help="no tests collected fails instead of skipping"),
        "args": Option(list, [], item=str, help="extra arguments for pytest"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        deadline = time.monotonic() + ctx.timeout_s
        found = probe(ctx, ctx.root)
        source = choose_source(ctx.root, ctx.env, found)
        head = Checkout(ctx.root, ctx.scratch)
        result = self._pytest(ctx, head, source)
        if result.returncode == NO_TESTS:
            return self._no_tests(ctx, result)
        if result.returncode not in (0, TESTS_FAILED):
            raise tool_failure(result, "pytest could not run the tests")
        tests = self._junit(ctx, result)
        coverage = self._coverage(ctx, head, deadline)
        coverage = with_unmeasured(coverage, _unseen_statements(ctx, source, coverage))
        failing = failing_ids(tests)
        fails = f", {len(failing)} failing test(s)" if failing else ""
        measured = f"total {coverage.total:.2f}%{fails}, {source.describe()}"
        remember_as_base(
            ctx, found.environment, BaseTotal(coverage.total, measured, True, False, failing)
        )
        base = base_total(
            ctx, found.environment, lambda tree: self._measure_base(ctx, tree, deadline)
        )
        return self._outcome(ctx, _pre_existing(tests, base.failing), coverage, source, base)

    def _junit(
        self, ctx: GateContext, result: ProcResult, side: Checkout | None = None
    ) -> JUnitSummary:
        where = side or Checkout(ctx.root, ctx.scratch)
        junit = where.scratch / "junit.xml"
        if not junit.is_file():
            raise tool_failure(
                result, "pytest wrote no JUnit report (did a test end the interpreter?)"
            )
        try:
            tests = parse_junit(junit.read_text(encoding="utf-8", errors="replace"), where.root)
        except ValueError as exc:
            raise tool_failure(result, str(exc)) from None
        if result.returncode == TESTS_FAILED and not tests.findings:
            raise tool_failure(result, "pytest failed but its JUnit report lists no failed test")
        return tests

    def _pytest(
        self, ctx: GateContext, side: Checkout, source: Source, timeout_s: float | None = None
    ) -> ProcResult:
        extra = [str(a) for a in ctx.options.get("args", [])]  # type: ignore[attr-defined]
        pytest_args = [
            "-p",
            "no:cacheprovider",
            "-o",
            "junit_family=xunit1",
            f"--junitxml={side.scratch / 'junit.xml'}",
        ]
        env = {"COVERAGE_FILE": str(side.scratch / ".coverage"), **_NO_BYTECODE, **side.env}
        if uses_pytest_cov(side.root, ctx.env):
            # pytest-cov measures already; it must not fail the run on its own threshold.
            named, named_env = name_pytest_cov_source(side.root, ctx.env, source)
            argv = ["pytest", *pytest_args, *named, *extra, "--cov-fail-under=0"]
            env.update(named_env)
        else:
            told = [f"--source={','.join(source.names)}"] if source.inferred else []
            argv = ["coverage", "run", *told, "-m", "pytest", *pytest_args, *extra]
        result = ctx.python_module(
            *argv, cwd=side.root, extra_env=env, timeout_s=timeout_s or ctx.timeout_s
        )
        require_ran(result, INSTALL)
        if not (side.scratch / "junit.xml").exists():
            require_module(result, "coverage", INSTALL)
            require_module(result, "pytest", INSTALL)
        return result

    def _no_tests(self, ctx: GateContext, result: ProcResult) -> GateOutcome:
        reason = "pytest collected no tests"
        if not ctx.options.get("require_tests"):
            return GateOutcome.skipped(reason)
        finding = Finding(
            gate=self.name,
            tool="pytest",
            rule="no-tests",
            severity=Severity.ERROR,
            path="",
            message=f"{reason} (require_tests = true)",
            new=True,
        )
        return GateOutcome(findings=[finding], detail=result.tail(300))

    def _coverage(self, ctx: GateContext, side: Checkout, deadline: float) -> Coverage:
        env = {"COVERAGE_FILE": str(side.scratch / ".coverage"), **side.env}
        budget = max(_REPORT_STEP_S, deadline - time.monotonic())
        run = {"cwd": side.root, "extra_env": env, "timeout_s": budget}
        # `parallel = true` leaves .coverage.<suffix> files; coverage >= 7.14 combines them on
        # report by itself, the older releases the tools extra allows do not.
        if not (side.scratch / ".coverage").exists() and any(side.scratch.glob(".coverage.*")):
            combined = ctx.python_module("coverage", "combine", **run)
            require_ran(combined, INSTALL)
        out = side.scratch / "coverage.json"
        argv = ("json", "-o", str(out), "--fail-under=0", "--ignore-errors")
        result = ctx.python_module("coverage", *argv, **run)
        require_ran(result, INSTALL)
        require_module(result, "coverage", INSTALL)
        if not result.ok or not out.is_file():
            raise tool_failure(result, "coverage could not write its JSON report")
        try:
            return parse_coverage_json(out.read_text(encoding="utf-8"), side.root)
        except (ValueError, KeyError, TypeError) as exc:
            raise tool_failure(result, f"unreadable coverage JSON ({exc})") from None

    def _measure_base(self, ctx: GateContext, tree: Path, deadline: float) -> BaseTotal:
        """The base's total, run like the head's; a base that cannot give one is a note."""
        budget = deadline - time.monotonic() - _BASE_RESERVE_S
        if budget < _MIN_BASE_S:
            return BaseTotal(None, "not measured: no time left of timeout_s")
        side = Checkout(tree, ctx.scratch / "base-run", _base_env(tree, ctx.env))
        side.scratch.mkdir(parents=True, exist_ok=True)
        source = choose_source(tree, ctx.env, probe(ctx, tree))
        try:
            result = self._pytest(ctx, side, source, timeout_s=budget)
            if result.returncode == NO_TESTS:
                return BaseTotal(None, "the base has no tests", True, failing=frozenset())
            if result.returncode not in (0, TESTS_FAILED):
                return BaseTotal(None, f"the base's tests could not run: {_last_line(result)}")
            failing = failing_ids(self._junit(ctx, result, side))
            total = self._coverage(ctx, side, deadline).total
        except GateError as exc:
            return BaseTotal(None, f"the base's tests could not run: {exc}")
        fails = f", {len(failing)} failing test(s)" if failing else ""
        return BaseTotal(
            total, f"total {total:.2f}%{fails}, {source.describe()}", True, False, failing
        )

    def _outcome(
        self,
        ctx: GateContext,
        tests: JUnitSummary,
        coverage: Coverage,
        source: Source,
        base: BaseTotal,
    ) -> GateOutcome:
        delta = diff_coverage(coverage, ctx.diff, frozenset(ctx.files))
        severity = Severity(str(ctx.options.get("uncovered_severity", "warning")))
        findings = list(tests.findings)
        findings += self._thresholds(ctx, coverage.total, delta.percent)
        findings += self._dropped(ctx, base.total, coverage.total)
        findings += [
            Finding(
                gate=self.name,
                tool="coverage",
                rule="uncovered-lines",
                severity=severity,
                path=path,
                line=first,
                end_line=last,
                message=_uncovered_message(first, last),
            )
            for path, first, last in delta.ranges
        ]
        metrics: dict[str, MetricValue] = {
            "total_coverage": round(coverage.total, _DECIMALS),
            "diff_coverage": delta.percent,
            "diff_executable_lines": delta.executable,
            "diff_covered_lines": delta.covered,
            "tests_passed": tests.passed,
            "tests_failed": tests.failed,
            "tests_errors": tests.errors,
            "tests_skipped": tests.skipped,
            "coverage_source": source.describe().removeprefix("source: "),
        }
        if base.total is not None:
            metrics["total_coverage_base"] = round(base.total, _DECIMALS)
            metrics["base_from_cache"] = base.cached
        detail = f"{source.describe()}\n{base.note}"
        return GateOutcome(findings=findings, metrics=metrics, detail=detail)

    def _dropped(self, ctx: GateContext, base: float | None, head: float) -> list[Finding]:
        allowed = _number(ctx.options.get("max_drop"), 0.0)
        if base is None or not total_dropped(base, head, allowed):
            return []
        tolerance = f", more than max_drop {allowed:g}" if allowed else ""
        message = f"total coverage {base:.2f}% -> {head:.2f}% (base -> head{tolerance})"
        return [self._verdict("total-dropped", message)]

    def _thresholds(self, ctx: GateContext, total: float, diff: float | None) -> list[Finding]:
        floor = ctx.options.get("min_total")
        limits = [
            (
                "min-diff",
                "coverage of the added lines",
                diff,
                _number(ctx.options.get("min_diff"), 85),
            )
        ]
        if isinstance(floor, (int, float)):
            limits.insert(0, ("min-total", "total coverage", total, float(floor)))
        return [
            self._verdict(rule, f"{what} is {value:.2f}%, below the minimum of {minimum:g}%")
            for rule, what, value, minimum in limits
            if value is not None
            and value < minimum
            # Without a base every line is added: the diff figure would repeat the total.
            and not (rule == "min-diff" and ctx.diff.all_changed)
        ]

    def _verdict(self, rule: str, message: str) -> Finding:
        return Finding(
            gate=self.name,
            tool="coverage",
            rule=rule,
            severity=Severity.ERROR,
            path="",
            message=message,
            new=True,
        )


def _pre_existing(tests: JUnitSummary, failing: frozenset[str] | None) -> JUnitSummary:
    """A test that fails on the base too is the project's state, not the PR's doing: it is
    reported, not new, so it does not block (a test that needs the network, say)."""
    if not failing:
        return tests
    findings = tuple(
        f.replace(new=False, message=f"{f.message} (fails on the base too)")
        if f.extra.get("test") in failing
        else f
        for f in tests.findings
    )
    return dataclasses.replace(tests, findings=findings)


def total_dropped(base: float, head: float, allowed: float) -> bool:
    """The head's total is below the base's by more than `allowed` points, both as coverage
    shows them (2 decimals): a difference that rounding hides, or float noise in the
    subtraction, never blocks."""
    shown = round(round(base, _DECIMALS) - round(head, _DECIMALS), _DECIMALS)
    return shown > allowed


def _base_env(tree: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The base checkout (its src/ layout if any) first on the import path, before an
    editable install of the head: the base's tests must import the base's code."""
    source = tree / "src" if (tree / "src").is_dir() else tree
    inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join([str(source), *inherited])}


def _unseen_statements(
    ctx: GateContext, source: Source, coverage: Coverage
) -> dict[str, frozenset[int]]:
    """Changed Python files in the inferred source that coverage does not list and the
    project's `omit` does not exclude, with their statements (all uncovered: nothing ran them)."""
    if not source.inferred:
        return {}
    scope = frozenset(ctx.files)
    unseen: dict[str, frozenset[int]] = {}
    for path in ctx.diff.changed_paths():
        if not path.endswith(".py") or path in coverage.files or path not in scope:
            continue
        if not source.covers(path) or _omitted(ctx.root, path, source.omit):
            continue
        try:
            text = (ctx.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        unseen[path] = statement_lines(text)
    return unseen


def _omitted(root: Path, path: str, patterns: tuple[str, ...]) -> bool:
    """coverage's `omit`: a pattern not starting with `*` is relative to the root."""
    full = str(root / path)
    return any(
        fnmatch.fnmatchcase(full, p if p.startswith("*") else str(root / p)) for p in patterns
    )


def _last_line(result: ProcResult) -> str:
    lines = result.tail(400).strip().splitlines()
    return f"{result.describe_failure()}: {lines[-1]}" if lines else result.describe_failure()


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) else default


def _uncovered_message(first: int, last: int) -> str:
    where = f"line {first}" if first == last else f"lines {first}-{last}"
    return f"added {where} not run by any test"
