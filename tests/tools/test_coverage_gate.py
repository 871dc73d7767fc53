"""The coverage gate: real pytest and coverage on tiny real repos, through gates.app.run."""

from __future__ import annotations

import threading
import venv
from pathlib import Path

import pytest
from conftest import Repo

import gates.runner as runner
from gates.app import RunRequest, run
from gates.model import GateResult, Severity, Status
from gates.registry import REGISTRY
from gates.tools.pytest_cov import uses_pytest_cov


def test_pytest_cov_is_detected_in_the_config_file_pytest_uses(tmp_path: Path) -> None:
    assert not uses_pytest_cov(tmp_path, {})
    assert uses_pytest_cov(tmp_path, {"PYTEST_ADDOPTS": "-q --cov=pkg"})
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = --cov\n")
    assert uses_pytest_cov(tmp_path, {})
    (tmp_path / "tox.ini").write_text("[tox]\nenvlist = py\n")  # no [pytest]: skipped
    assert uses_pytest_cov(tmp_path, {})
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-ra"\n')
    assert not uses_pytest_cov(tmp_path, {})  # pyproject comes before setup.cfg
    (tmp_path / "pyproject.toml").write_text('[tool.pytest]\naddopts = ["--cov=src", "-q"]\n')
    assert uses_pytest_cov(tmp_path, {})
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # always wins, even empty
    assert not uses_pytest_cov(tmp_path, {})
    (tmp_path / "pytest.toml").write_text('[pytest]\naddopts = ["--cov"]\n')
    assert uses_pytest_cov(tmp_path, {})


# --- real pytest and coverage on real repos -----------------------------------------------

CONFIG = '[tool.coverage.run]\nsource = ["pkg"]\n'
CORE = "def double(x):\n    return 2 * x\n"
TEST_CORE = "from pkg.core import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


def _project(repo: Repo, config: str = CONFIG) -> str:
    repo.write("pyproject.toml", config)
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/core.py", CORE)
    repo.write("tests/test_core.py", TEST_CORE)
    return repo.commit("base")


def _run(repo: Repo, base: str | None, *stages: str) -> dict[str, GateResult]:
    request = RunRequest(path=repo.path, base=base, stages=list(stages), env={})
    outcome = run(request, REGISTRY, runner.NoProgress(), threading.Event())
    return {g.name: g for g in outcome.report.gates}


def test_failing_test_is_a_blocking_finding_at_its_line(repo: Repo) -> None:
    base = _project(repo)
    repo.write(
        "tests/test_more.py",
        "from pkg.core import double\n\n\n"
        "def test_ok():\n    assert double(1) == 2\n\n\n"
        "def test_wrong():\n    assert double(2) == 5, 'double is off'\n",
    )
    repo.commit("pr")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL, result.detail
    assert [(f.path, f.line, f.rule, f.new) for f in result.findings] == [
        ("tests/test_more.py", 8, "test-failed", True)
    ]
    assert result.findings[0].message == "failed: test_wrong: AssertionError: double is off"
    assert result.metrics["tests_passed"] == 2 and result.metrics["tests_failed"] == 1
    assert result.metrics["total_coverage"] == 100.0
    assert not (repo.path / ".coverage").exists() and not (repo.path / ".pytest_cache").exists()


EXTRA = '''"""Extra helpers."""

# nothing tests this


def unused(a):
    """Not run."""
    if a:
        return 1
    return 2
'''
TRIPLE = '\n\ndef triple(x):\n    """Three times."""\n    # just multiply\n\n    return 3 * x\n'


def _untested_module_pr(repo: Repo, config: str = CONFIG) -> str:
    base = _project(repo, config)
    repo.write("pkg/core.py", CORE + TRIPLE)
    repo.write(
        "tests/test_core.py",
        TEST_CORE.replace("double\n", "double, triple\n")
        + "\n\ndef test_triple():\n    assert triple(1) == 3\n",
    )
    repo.write("pkg/extra.py", EXTRA)
    repo.commit("pr")
    return base


def test_untested_module_fails_min_total_and_diff_coverage_counts_executable_lines(
    repo: Repo,
) -> None:
    base = _untested_module_pr(repo)
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL, result.detail
    # core: double, return, def triple, return (all ran); extra: def, if, return, return.
    assert result.metrics["total_coverage"] == 50.0
    assert result.metrics["diff_executable_lines"] == 6
    assert result.metrics["diff_covered_lines"] == 2
    assert result.metrics["diff_coverage"] == 33.33
    got = {(f.rule, f.path, f.line, f.end_line, f.severity, f.new) for f in result.findings}
    assert got == {
        ("min-total", "", None, None, Severity.ERROR, True),
        ("min-diff", "", None, None, Severity.ERROR, True),
        ("uncovered-lines", "pkg/extra.py", 6, 10, Severity.WARNING, True),
    }


def test_thresholds_and_severity_are_configurable(repo: Repo) -> None:
    options = "min_total = 50\nmin_diff = 33\nuncovered_severity = 'note'\n"
    # parallel = true: coverage writes .coverage.<host>.<pid>... files the gate must combine.
    config = CONFIG.replace("]\n", "]\nparallel = true\n", 1)
    base = _untested_module_pr(repo, f"{config}[tool.gates.coverage]\n{options}")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert [(f.rule, f.severity) for f in result.findings] == [("uncovered-lines", Severity.NOTE)]
    assert result.metrics["total_coverage"] == 50.0


def test_no_tests_is_skipped_unless_required(repo: Repo) -> None:
    repo.write("pkg/__init__.py", "")
    base = repo.commit("base")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.SKIPPED and "no tests" in result.detail
    repo.write("pyproject.toml", "[tool.gates.coverage]\nrequire_tests = true\n")
    repo.commit("require")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL
    assert [(f.rule, f.path, f.new) for f in result.findings] == [("no-tests", "", True)]


def test_collection_error_is_a_gate_error_with_the_output(repo: Repo) -> None:
    base = _project(repo)
    repo.write("tests/test_broken.py", "import no_such_module_here\n")
    repo.commit("pr")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.ERROR
    assert "exited with code 2" in result.detail and "no_such_module_here" in result.detail


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("import os\n    os._exit(1)", "wrote no JUnit report"),
        ("import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "signal SIGKILL"),
    ],
)
def test_a_test_that_ends_the_interpreter_is_an_error(repo: Repo, body: str, reason: str) -> None:
    base = _project(repo)
    repo.write("tests/test_die.py", f"def test_die():\n    {body}\n")
    repo.commit("pr")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.ERROR and reason in result.detail, result.detail


def test_hanging_test_times_out_while_other_gates_complete(repo: Repo) -> None:
    base = _project(repo, CONFIG + "[tool.gates.coverage]\ntimeout_s = 2\n")
    repo.write("tests/test_hang.py", "import time\n\n\ndef test_hang():\n    time.sleep(120)\n")
    repo.commit("pr")
    results = _run(repo, base, "coverage", "ruff")
    assert results["coverage"].status is Status.ERROR
    assert "timed out" in results["coverage"].detail
    assert results["ruff"].status is Status.PASS


def test_missing_coverage_says_how_to_install(repo: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False, symlinks=True)  # an interpreter without coverage
    base = _project(repo, CONFIG + f'[tool.gates]\npython = "{bare / "bin" / "python"}"\n')
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.ERROR
    assert "coverage is not installed" in result.detail and "pip install" in result.detail


def test_project_using_pytest_cov_is_measured_once_and_its_fail_under_ignored(
    repo: Repo,
) -> None:
    pytest_cov = '[tool.pytest.ini_options]\naddopts = "--cov=pkg --cov-fail-under=100"\n'
    base = _untested_module_pr(repo, pytest_cov)
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL, result.detail
    assert result.metrics["total_coverage"] == 50.0  # --cov=pkg finds the unimported module
    assert result.metrics["tests_failed"] == 0 and result.metrics["tests_passed"] == 2
    assert {f.rule for f in result.findings} == {"min-total", "min-diff", "uncovered-lines"}
    assert not (repo.path / ".coverage").exists()
