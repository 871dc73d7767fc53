"""The benchmark gate: pure judging on numbers, then real pytest-benchmark on real repos."""

from __future__ import annotations

import json
import threading
import venv
from pathlib import Path

import pytest
from conftest import Repo

import gates.runner as runner
from gates.app import RunRequest, run
from gates.model import GateResult, Status
from gates.registry import REGISTRY
from gates.tools.benchmark_stats import (
    Budget,
    Comparison,
    Sample,
    Series,
    budget_breaches,
    matches,
    parse_run,
)


def _series(*medians: float, peak: int | None = None) -> Series:
    return Series("t.py::test_x", [Sample(m, peak) for m in medians])


def test_a_slowdown_blocks_only_beyond_threshold_and_noise() -> None:
    base = _series(1.0, 1.01, 0.99)
    assert Comparison("x", base, _series(1.3, 1.31, 1.29)).regressed(0.10)
    assert not Comparison("x", base, _series(1.05, 1.06, 1.04)).regressed(0.10)  # under 10 %
    noisy = _series(1.0, 1.6, 0.8)  # the runs disagree by 80 %: a 30 % change is noise
    assert not Comparison("x", noisy, _series(1.3, 1.3, 1.3)).regressed(0.10)
    assert not Comparison("x", None, _series(9.0)).regressed(0.10)  # new benchmark: no ratio


def test_budgets_name_the_limit_they_exceed() -> None:
    series = _series(4e-6, 4e-6, peak=7000)
    lines = budget_breaches(Budget("test_x", max_us=3, max_bytes=6656), series)
    assert lines == ["median 4 µs > budget 3 µs", "peak memory 7,000 B > budget 6,656 B"]
    assert budget_breaches(Budget("test_x", max_us=5, max_bytes=8000), series) == []
    assert "no memory figure" in budget_breaches(Budget("x", max_bytes=1), _series(1.0))[0]
    assert matches("test_x", "tests/t.py::test_x") and matches(
        "tests/t.py::test_x", "tests/t.py::test_x"
    )
    assert not matches("test_x", "tests/t.py::test_xy")


def test_a_report_that_is_not_pytest_benchmarks_is_refused() -> None:
    with pytest.raises(ValueError, match="no 'benchmarks' list"):
        parse_run("{}")
    with pytest.raises(ValueError, match="does not parse"):
        parse_run("{")
    doc = {"benchmarks": [{"fullname": "a::b", "stats": {"median": 0.5}, "extra_info": {}}]}
    assert parse_run(json.dumps(doc)) == {"a::b": Sample(0.5, None)}


# --- real pytest-benchmark on real repos --------------------------------------------------

FAST = "class Agent:\n    __slots__ = ('n',)\n\n    def __init__(self):\n        self.n = 1\n"
SLOW = (
    "class Agent:\n    def __init__(self):\n"
    "        self.n = sum(range(30000))\n        self.table = list(range(5000))\n"
)
BENCH = (
    "from agent import Agent\n\n\ndef test_agent_instantiation(benchmark):\n    benchmark(Agent)\n"
)
FAST_ARGS = (
    '["--benchmark-min-time=0.0001", "--benchmark-max-time=0.02", "--benchmark-min-rounds=3"]'
)


def _config(extra: str = "") -> str:
    return f'[tool.gates.benchmark]\ntests = ["bench"]\nrounds = 2\nargs = {FAST_ARGS}\n{extra}'


def _run(repo: Repo, base: str | None) -> GateResult:
    request = RunRequest(path=repo.path, base=base, stages=["quality"], env={})
    outcome = run(
        request, {"benchmark": REGISTRY["benchmark"]}, runner.NoProgress(), threading.Event()
    )
    return {g.name: g for g in outcome.report.gates}["benchmark"]


def _project(repo: Repo, config: str) -> str:
    repo.write("pyproject.toml", config)
    repo.write("agent.py", FAST)
    repo.write("bench/test_agent.py", BENCH)
    return repo.commit("base")


def test_a_pr_that_slows_the_code_down_blocks_with_before_and_after(repo: Repo) -> None:
    base = _project(repo, _config())
    repo.write("agent.py", SLOW)
    repo.commit("slow agent")
    result = _run(repo, base)
    assert result.status is Status.FAIL, result.detail
    [finding] = result.findings
    assert finding.rule == "benchmark-regression" and finding.path == "bench/test_agent.py"
    assert finding.line == 4 and "x slower" in finding.message and "->" in finding.message
    [table] = result.tables
    [row] = table.rows
    assert row[0] == "test_agent_instantiation" and row[3].endswith("x")
    assert float(row[3][:-1]) > 2


def test_an_unchanged_benchmark_passes(repo: Repo) -> None:
    base = _project(repo, _config())
    repo.write("README.md", "docs only\n")
    repo.commit("docs")
    result = _run(repo, base)
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert result.metrics["benchmarks"] == 1 and result.metrics["regressions"] == 0


def test_absolute_budgets_hold_on_the_head_with_memory_from_tracemalloc(repo: Repo) -> None:
    budgets = (
        'budgets = [{ name = "test_agent_instantiation", max_bytes = 6656 },'
        ' { name = "test_gone", max_us = 3 }]\n'
    )
    base = _project(repo, _config(budgets))
    repo.write("agent.py", SLOW)  # a 5000-int list: far over 6.5 KB
    repo.commit("heavier agent")
    result = _run(repo, base)
    rules = sorted(f.rule for f in result.findings)
    assert rules == ["benchmark-budget", "benchmark-budget-unmatched", "benchmark-regression"]
    memory = next(f for f in result.findings if f.rule == "benchmark-budget")
    assert "peak memory" in memory.message and "> budget 6,656 B" in memory.message
    peak = int(result.tables[0].rows[0][5].split()[0].replace(",", ""))
    assert peak > 40_000  # 5000 ints and the list: measured, not guessed


def test_a_new_benchmark_is_judged_by_budgets_only(repo: Repo) -> None:
    repo.write(
        "pyproject.toml",
        _config('budgets = [{ name = "test_agent_instantiation", max_us = 100000 }]'),
    )
    base = repo.commit("no benchmarks yet")
    repo.write("agent.py", FAST)
    repo.write("bench/test_agent.py", BENCH)
    repo.commit("first benchmark")
    result = _run(repo, base)
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert result.detail == "the base has no benchmarks"
    assert result.tables[0].rows[0][1] == "new"


def test_it_runs_only_when_configured(repo: Repo) -> None:
    repo.write("agent.py", FAST)
    base = repo.commit("base")
    request = RunRequest(path=repo.path, base=base, stages=["quality"], env={})
    outcome = run(request, REGISTRY, runner.NoProgress(), threading.Event())
    assert "benchmark" not in {g.name for g in outcome.report.gates}
    repo.write("pyproject.toml", "[tool.gates.benchmark]\nenabled = true\n")
    repo.commit("on, but nothing to run")
    assert _run(repo, base).status is Status.SKIPPED


def test_a_project_interpreter_without_pytest_is_an_error_naming_it(
    repo: Repo, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)
    base = _project(repo, f'[tool.gates]\npython = "{bare}/bin/python"\n' + _config())
    repo.write("agent.py", SLOW)
    repo.commit("slow")
    result = _run(repo, base)
    assert result.status is Status.ERROR
    assert "pytest is not installed" in result.detail and "pytest-benchmark" in result.detail


def test_a_failing_benchmark_is_an_error_not_a_pass(repo: Repo) -> None:
    base = _project(repo, _config())
    repo.write(
        "agent.py", "class Agent:\n    def __init__(self):\n        raise RuntimeError('boom')\n"
    )
    repo.commit("broken")
    result = _run(repo, base)
    assert result.status is Status.ERROR and "failed on the head" in result.detail
