"""The project's tests under coverage: failing tests, total coverage and diff coverage.

pytest writes JUnit XML (xunit1, which carries each test's file and line) and coverage writes
its JSON report, both into the gate's scratch directory, never into the repository. Failing
tests and the coverage thresholds are the PR head's state, so those findings are `new` by
the gate's own decision; uncovered added lines are on added lines and marked by the runner.
"""

from __future__ import annotations

import configparser
import contextlib
import shlex
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gates.gate import GateContext, GateOutcome, Option, Scope
from gates.model import Finding, MetricValue, Severity, Stage
from gates.proc import ProcResult
from gates.tools.common import require_module, require_ran, tool_failure
from gates.tools.coverage_json import Coverage, diff_coverage, parse_coverage_json
from gates.tools.junit import JUnitSummary, parse_junit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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
# compiled pytest, coverage and every dependency again (flask: the gate took 5.1 -> 8.6 s).
_NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}
# The files pytest 9 takes its config from, in its precedence order (_pytest/config/findpaths).
_PYTEST_CONFIGS = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)
# Floor for `coverage combine/json` when the tests used up the budget; the runner's watchdog
# allows a few seconds past `timeout_s`, so the reports still fit.
_REPORT_STEP_S = 8.0


def _percent(value: object) -> str | None:
    ok = isinstance(value, (int, float)) and 0 <= value <= 100
    return None if ok else "must be a number from 0 to 100"


def uses_pytest_cov(root: Path, env: Mapping[str, str]) -> bool:
    """True when the project's pytest options already turn on pytest-cov (`--cov`)."""
    addopts = [_ini_addopts(root), env.get("PYTEST_ADDOPTS", "")]
    for text in addopts:
        with contextlib.suppress(ValueError):
            if any(arg == "--cov" or arg.startswith("--cov=") for arg in shlex.split(text)):
                return True
    return False


def _ini_addopts(root: Path) -> str:
    """The `addopts` of the file pytest 9 takes its config from at the root, in its order."""
    for name in _PYTEST_CONFIGS:
        path = root / name
        if not path.is_file():
            continue
        table = _pytest_table(path)
        if table is not None:
            value = table.get("addopts", "")
            return " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return ""


def _pytest_table(path: Path) -> Mapping[str, Any] | None:
    """pytest's options in one config file, or None when the file has none (pytest skips it)."""
    if path.suffix == ".toml":
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        if path.name != "pyproject.toml":  # pytest.toml: [pytest], and the file always counts
            table = doc.get("pytest", {})
            return table if isinstance(table, dict) else {}
        tool = doc.get("tool", {})
        pytest = tool.get("pytest") if isinstance(tool, dict) else None
        if not isinstance(pytest, dict):
            return None
        native = {k: v for k, v in pytest.items() if k != "ini_options"}
        ini = pytest.get("ini_options")
        return native or (ini if isinstance(ini, dict) else None)
    parser = configparser.RawConfigParser()
    with contextlib.suppress(OSError, UnicodeDecodeError, configparser.Error):
        parser.read(path, encoding="utf-8")
    section = "tool:pytest" if path.name == "setup.cfg" else "pytest"
    if parser.has_section(section):
        return dict(parser.items(section))
    return {} if path.name in ("pytest.ini", ".pytest.ini") else None


class CoverageGate:
    name = "coverage"
    stage = Stage.QUALITY
    tool = "pytest"
    scope = Scope.PROJECT
    description = "the project's tests under coverage: failures, total and diff coverage"
    default_timeout_s = 1800.0
    default_fail_on = "error"
    runs_project_code = True  # imports it (tests, plugins): see gates.credentials
    options: Mapping[str, Option] = {
        "min_total": Option((int, float), 85, check=_percent, help="minimum total coverage %"),
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
        result = self._pytest(ctx)
        junit = ctx.scratch / "junit.xml"
        if result.returncode == NO_TESTS:
            return self._no_tests(ctx, result)
        if result.returncode not in (0, TESTS_FAILED):
            raise tool_failure(result, "pytest could not run the tests")
        if not junit.is_file():
            raise tool_failure(
                result, "pytest wrote no JUnit report (did a test end the interpreter?)"
            )
        try:
            tests = parse_junit(junit.read_text(encoding="utf-8", errors="replace"), ctx.root)
        except ValueError as exc:
            raise tool_failure(result, str(exc)) from None
        if result.returncode == TESTS_FAILED and not tests.findings:
            raise tool_failure(result, "pytest failed but its JUnit report lists no failed test")
        coverage = self._coverage(ctx, deadline)
        return self._outcome(ctx, tests, coverage)

    def _pytest(self, ctx: GateContext) -> ProcResult:
        extra = [str(a) for a in ctx.options.get("args", [])]  # type: ignore[attr-defined]
        pytest_args = [
            "-p",
            "no:cacheprovider",
            "-o",
            "junit_family=xunit1",
            f"--junitxml={ctx.scratch / 'junit.xml'}",
            *extra,
        ]
        env = {"COVERAGE_FILE": str(ctx.scratch / ".coverage"), **_NO_BYTECODE}
        if uses_pytest_cov(ctx.root, ctx.env):
            # pytest-cov measures already; it must not fail the run on its own threshold.
            result = ctx.python_module("pytest", *pytest_args, "--cov-fail-under=0", extra_env=env)
        else:
            result = ctx.python_module(
                "coverage", "run", "-m", "pytest", *pytest_args, extra_env=env
            )
        require_ran(result, INSTALL)
        if not (ctx.scratch / "junit.xml").exists():
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

    def _coverage(self, ctx: GateContext, deadline: float) -> Coverage:
        env = {"COVERAGE_FILE": str(ctx.scratch / ".coverage")}
        budget = max(_REPORT_STEP_S, deadline - time.monotonic())
        # `parallel = true` leaves .coverage.<suffix> files; coverage >= 7.14 combines them on
        # report by itself, the older releases the tools extra allows do not.
        if not (ctx.scratch / ".coverage").exists() and any(ctx.scratch.glob(".coverage.*")):
            combined = ctx.python_module("coverage", "combine", extra_env=env, timeout_s=budget)
            require_ran(combined, INSTALL)
        out = ctx.scratch / "coverage.json"
        argv = ("json", "-o", str(out), "--fail-under=0", "--ignore-errors")
        result = ctx.python_module("coverage", *argv, extra_env=env, timeout_s=budget)
        require_ran(result, INSTALL)
        require_module(result, "coverage", INSTALL)
        if not result.ok or not out.is_file():
            raise tool_failure(result, "coverage could not write its JSON report")
        try:
            return parse_coverage_json(out.read_text(encoding="utf-8"), ctx.root)
        except (ValueError, KeyError, TypeError) as exc:
            raise tool_failure(result, f"unreadable coverage JSON ({exc})") from None

    def _outcome(self, ctx: GateContext, tests: JUnitSummary, coverage: Coverage) -> GateOutcome:
        delta = diff_coverage(coverage, ctx.diff, frozenset(ctx.files))
        severity = Severity(str(ctx.options.get("uncovered_severity", "warning")))
        findings = list(tests.findings)
        findings += self._thresholds(ctx, coverage.total, delta.percent)
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
            "total_coverage": round(coverage.total, 2),
            "diff_coverage": delta.percent,
            "diff_executable_lines": delta.executable,
            "diff_covered_lines": delta.covered,
            "tests_passed": tests.passed,
            "tests_failed": tests.failed,
            "tests_errors": tests.errors,
            "tests_skipped": tests.skipped,
        }
        return GateOutcome(findings=findings, metrics=metrics)

    def _thresholds(self, ctx: GateContext, total: float, diff: float | None) -> list[Finding]:
        limits = (
            ("min-total", "total coverage", total, _number(ctx.options.get("min_total"), 85)),
            (
                "min-diff",
                "coverage of the added lines",
                diff,
                _number(ctx.options.get("min_diff"), 85),
            ),
        )
        return [
            Finding(
                gate=self.name,
                tool="coverage",
                rule=rule,
                severity=Severity.ERROR,
                path="",
                message=f"{what} is {value:.2f}%, below the minimum of {minimum:g}%",
                new=True,
            )
            for rule, what, value, minimum in limits
            if value is not None
            and value < minimum
            # Without a base every line is added: the diff figure would repeat the total.
            and not (rule == "min-diff" and ctx.diff.all_changed)
        ]


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) else default


def _uncovered_message(first: int, last: int) -> str:
    where = f"line {first}" if first == last else f"lines {first}-{last}"
    return f"added {where} not run by any test"
