"""The project's benchmarks, base vs head in the same job: a PR that makes code slower blocks.

pytest-benchmark runs in the project's interpreter, on the head checkout and on the base in a
separate `git worktree`, alternating (head, base, base, head, ...) so a machine that warms up or
slows down during the job weighs on both sides alike. A benchmark regresses when the ratio of
medians exceeds `threshold` and also the run-to-run spread: noise never blocks. Absolute budgets
(`max_us`, `max_bytes`) hold on the head alone; memory is one call under tracemalloc, measured by
the plugin in gates/pytest_plugin.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import gates.pytest_plugin
from gates.gate import GateContext, GateError, GateOutcome, GateTraits, Option, Scope
from gates.git import Git, Worktree
from gates.model import Finding, MetricValue, Severity, Stage, Table
from gates.tools.benchmark_stats import (
    Budget,
    Comparison,
    Sample,
    Series,
    budget_breaches,
    collect,
    compare,
    fmt_time,
    matches,
    parse_run,
    row,
)
from gates.tools.common import require_module, require_ran, tool_failure

INSTALL = "pip install pytest pytest-benchmark (into the project's interpreter)"
PLUGIN_DIR = Path(gates.pytest_plugin.__file__).parent
NO_TESTS = 5
USAGE_ERROR = 4
COLUMNS = ("benchmark", "base", "head", "ratio", "noise", "peak memory")


def _budgets_valid(value: object) -> str | None:
    if not isinstance(value, list):
        return "must be a list of tables"
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return "each budget needs a string `name`"
        unknown = set(item) - {"name", "max_us", "max_bytes"}
        if unknown:
            return f"unknown budget key {sorted(unknown)[0]!r} (known: name, max_us, max_bytes)"
        limits = [item.get("max_us"), item.get("max_bytes")]
        if all(v is None for v in limits):
            return f"budget {item['name']!r} sets neither max_us nor max_bytes"
        if any(v is not None and (not isinstance(v, (int, float)) or v <= 0) for v in limits):
            return f"budget {item['name']!r}: limits must be numbers greater than 0"
    return None


def _ratio_valid(value: object) -> str | None:
    ok = isinstance(value, (int, float)) and 0 <= value < 10
    return None if ok else "must be a number from 0 (any slowdown) to 10"


def _budgets(options: Mapping[str, object]) -> list[Budget]:
    raw = options.get("budgets") or []
    assert isinstance(raw, list)
    return [Budget(b["name"], b.get("max_us"), b.get("max_bytes")) for b in raw]


class BenchmarkGate:
    name = "benchmark"
    stage = Stage.QUALITY
    tool = "pytest-benchmark"
    scope = Scope.PROJECT
    description = "the project's benchmarks, base vs head: slowdowns beyond the noise, budgets"
    default_timeout_s = 1800.0
    default_fail_on = "error"
    # It runs the project's benchmarks and measures the base itself, in the same job; a
    # timing is a measurement of this machine now, not of the tree; it costs minutes, so it
    # runs only when [tool.gates.benchmark] is configured.
    traits = GateTraits(
        runs_project_code=True,
        compare_base=False,
        cacheable=False,
        opt_in=True,
        rules=frozenset({"benchmark-regression", "benchmark-budget", "benchmark-budget-unmatched"}),
    )
    options: Mapping[str, Option] = {
        "tests": Option(list, [], item=str, help="pytest paths or node ids of the benchmarks"),
        "marker": Option(str, "", help="pytest marker expression selecting the benchmarks"),
        "threshold": Option(
            (int, float), 0.10, check=_ratio_valid, help="slowdown that blocks (0.10 = 10 %)"
        ),
        "rounds": Option(
            int,
            3,
            check=lambda v: None if isinstance(v, int) and v >= 1 else "must be at least 1",
            help="pytest runs per side, alternated",
        ),
        "budgets": Option(
            list,
            [],
            item=dict,
            check=_budgets_valid,
            help="[{ name, max_us, max_bytes }]: absolute limits on the head",
        ),
        "args": Option(list, [], item=str, help="extra arguments for pytest"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        budgets = _budgets(ctx.options)
        if not (ctx.options.get("tests") or ctx.options.get("marker") or budgets):
            return GateOutcome.skipped("no benchmarks configured (set tests, marker or budgets)")
        rounds = int(ctx.options.get("rounds", 3))  # type: ignore[call-overload]
        base_sha = ctx.diff.base
        if base_sha is None or ctx.diff.all_changed:
            head_runs = [self._run_head(ctx, i) for i in range(rounds)]
            return self._judge(ctx, None, collect(head_runs), budgets, "no base revision")
        git = Git(ctx.root, timeout_s=ctx.timeout_s)
        with Worktree(git, base_sha, ctx.scratch / "base") as base_root:
            base_runs, head_runs = self._alternate(ctx, base_root, rounds)
        base = collect([run for run in base_runs if run is not None])
        note = "" if any(run is not None for run in base_runs) else "the base has no benchmarks"
        return self._judge(ctx, base, collect(head_runs), budgets, note)

    def _alternate(
        self, ctx: GateContext, base_root: Path, rounds: int
    ) -> tuple[list[dict[str, Sample] | None], list[dict[str, Sample]]]:
        """head, base, base, head, head, base ...: a drift in the machine's speed cancels out."""
        base_runs: list[dict[str, Sample] | None] = []
        head_runs: list[dict[str, Sample]] = []
        for i in range(rounds):
            order = ("head", "base") if i % 2 == 0 else ("base", "head")
            for side in order:
                if side == "head":
                    head_runs.append(self._run_head(ctx, i))
                elif not base_runs or base_runs[-1] is not None:
                    base_runs.append(self._run_side(ctx, base_root, "base", i))
        return base_runs, head_runs

    def _run_head(self, ctx: GateContext, index: int) -> dict[str, Sample]:
        run = self._run_side(ctx, ctx.root, "head", index)
        if run is None:
            argv = self._argv(ctx, None, _configured_tests(ctx.options))
            raise GateError(f"no benchmarks collected (pytest {' '.join(argv)})")
        return run

    def _run_side(
        self, ctx: GateContext, root: Path, side: str, index: int
    ) -> dict[str, Sample] | None:
        """One pytest run's samples; None when it collected no benchmark."""
        out = ctx.scratch / f"{side}-{index}.json"
        tests = _tests_on(root, ctx.options) if side == "base" else _configured_tests(ctx.options)
        if tests == [] and _configured_tests(ctx.options):
            return None  # the benchmarks are new in this PR
        argv = self._argv(ctx, out, tests or [])
        env = {
            "PYTHONPATH": os.pathsep.join(_import_paths(root, ctx.env.get("PYTHONPATH", ""))),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        result = ctx.python_module("pytest", *argv, cwd=root, extra_env=env)
        require_ran(result, INSTALL)
        require_module(result, "pytest", INSTALL)
        if result.returncode == USAGE_ERROR and "--benchmark" in result.stderr:
            raise GateError(f"pytest-benchmark is not installed in {ctx.python}; {INSTALL}")
        if result.returncode == NO_TESTS:
            return None
        if result.returncode != 0:
            raise tool_failure(result, f"the benchmarks failed on the {side}")
        try:
            return parse_run(out.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise tool_failure(result, f"unreadable benchmark report: {exc}") from None

    def _argv(self, ctx: GateContext, out: Path | None, tests: Sequence[str]) -> list[str]:
        argv = ["-p", "no:cacheprovider", "-p", "gates_bench_memory", "-q", "--benchmark-only"]
        argv += [f"--benchmark-json={out}"] if out else []
        marker = str(ctx.options.get("marker") or "")
        if marker:
            argv += ["-m", marker]
        argv += [str(a) for a in ctx.options.get("args", [])]  # type: ignore[attr-defined]
        return argv + list(tests)

    def _judge(
        self,
        ctx: GateContext,
        base: Mapping[str, Series] | None,
        head: Mapping[str, Series],
        budgets: Sequence[Budget],
        note: str,
    ) -> GateOutcome:
        threshold = float(ctx.options.get("threshold", 0.10))  # type: ignore[arg-type]
        items = compare(base or {}, head)
        findings = [self._regression(ctx, i, threshold) for i in items if i.regressed(threshold)]
        findings += self._budget_findings(ctx, budgets, head)
        worst = max((i.ratio for i in items if i.ratio is not None), default=None)
        metrics: dict[str, MetricValue] = {
            "benchmarks": len(items),
            "regressions": sum(i.regressed(threshold) for i in items),
        }
        if worst is not None:
            metrics["worst_ratio"] = round(worst, 3)
        table = Table("benchmarks (median of runs)", COLUMNS, tuple(row(i) for i in items))
        return GateOutcome(findings=findings, metrics=metrics, detail=note, tables=(table,))

    def _regression(self, ctx: GateContext, item: Comparison, threshold: float) -> Finding:
        assert item.base is not None and item.ratio is not None
        message = (
            f"{item.fullname.rsplit('::', 1)[-1]} is {item.ratio:.2f}x slower: "
            f"{fmt_time(item.base.median_s)} -> {fmt_time(item.head.median_s)} "
            f"(threshold {threshold:.0%}, noise ±{item.noise:.0%})"
        )
        return self._finding(ctx, item.fullname, "benchmark-regression", message)

    def _budget_findings(
        self, ctx: GateContext, budgets: Sequence[Budget], head: Mapping[str, Series]
    ) -> list[Finding]:
        findings = []
        for budget in budgets:
            ran = [s for name, s in head.items() if matches(budget.name, name)]
            if not ran:
                message = f"budget names {budget.name!r}, which no benchmark run matched"
                findings.append(self._finding(ctx, "", "benchmark-budget-unmatched", message))
            for series in ran:
                for line in budget_breaches(budget, series):
                    message = f"{series.fullname.rsplit('::', 1)[-1]}: {line}"
                    findings.append(
                        self._finding(ctx, series.fullname, "benchmark-budget", message)
                    )
        return findings

    def _finding(self, ctx: GateContext, fullname: str, rule: str, message: str) -> Finding:
        path = fullname.split("::", 1)[0] if fullname else ""
        return Finding(
            gate=self.name,
            tool=self.tool,
            rule=rule,
            severity=Severity.ERROR,
            path=path,
            line=_def_line(ctx.root, path, fullname),
            message=message,
            new=True,  # the gate compared base and head itself
        )


def _configured_tests(options: Mapping[str, object]) -> list[str]:
    return [str(t) for t in options.get("tests") or []]  # type: ignore[attr-defined]


def _tests_on(root: Path, options: Mapping[str, object]) -> list[str]:
    """The configured benchmark paths that exist in this checkout: on the base, a path the PR
    adds means its benchmarks are new, not that the configuration is wrong."""
    return [t for t in _configured_tests(options) if (root / t.split("::", 1)[0]).exists()]


def _import_paths(root: Path, inherited: str) -> list[str]:
    """The plugin, then the checkout being measured (its src/ layout if any), before an
    editable install of the head: the base's benchmarks must import the base's code."""
    source = root / "src" if (root / "src").is_dir() else root
    return [str(PLUGIN_DIR), str(source), *filter(None, inherited.split(os.pathsep))]


def _def_line(root: Path, path: str, fullname: str) -> int | None:
    """The line of the benchmark's `def`, so the finding lands on it in the PR's diff."""
    if not path.endswith(".py"):
        return None
    function = re.sub(r"\[.*\]$", "", fullname.rsplit("::", 1)[-1])
    try:
        text = (root / path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(rf"^[ \t]*(?:async[ \t]+)?def {re.escape(function)}\b", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None
