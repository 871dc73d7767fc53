"""The coverage gate: real pytest and coverage on tiny real repos, through gates.app.run."""

from __future__ import annotations

import subprocess
import sysconfig
import threading
import venv
from pathlib import Path

import pytest
from conftest import Repo

import gates.runner as runner
from gates.app import RunRequest, run
from gates.diff import ChangedFile, ChangeKind, Diff
from gates.git import Revisions
from gates.model import GateResult, Severity, Status
from gates.registry import REGISTRY
from gates.tools.coverage_base import may_change_coverage
from gates.tools.coverage_source import uses_pytest_cov
from gates.tools.pytest_cov import total_dropped


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


def test_a_drop_counts_as_coverage_shows_the_totals_two_decimals() -> None:
    assert total_dropped(81.20, 80.75, 0.0)
    assert not total_dropped(81.2049, 81.1951, 0.0)  # both 81.20
    assert not total_dropped(81.2, 81.1, 0.1)  # 81.2 - 81.1 is 0.0999... in floats
    assert total_dropped(81.2, 81.09, 0.1)
    assert not total_dropped(60.0, 80.0, 0.0)


def test_only_python_files_and_test_or_coverage_config_can_move_the_total() -> None:
    def diff(*paths: str, old: str | None = None) -> Diff:
        files = {p: ChangedFile(p, ChangeKind.RENAMED, old_path=old) for p in paths}
        return Diff(Revisions("b" * 40, "h" * 40, "b" * 40, ""), files)

    assert not may_change_coverage(diff("README.md", "docs/index.rst", "data.json"))
    assert may_change_coverage(diff("pkg/mod.py"))
    assert may_change_coverage(diff("sub/tox.ini"))
    assert may_change_coverage(diff(".coveragerc"))
    assert may_change_coverage(diff("notes.txt", old="pkg/gone.py"))  # a module renamed away


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


def test_untested_module_drops_the_total_and_diff_coverage_counts_executable_lines(
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
    assert result.metrics["total_coverage_base"] == 100.0
    got = {(f.rule, f.path, f.line, f.end_line, f.severity, f.new) for f in result.findings}
    assert got == {
        ("total-dropped", "", None, None, Severity.ERROR, True),
        ("min-diff", "", None, None, Severity.ERROR, True),
        ("uncovered-lines", "pkg/extra.py", 6, 10, Severity.WARNING, True),
    }
    (dropped,) = [f for f in result.findings if f.rule == "total-dropped"]
    assert dropped.message == "total coverage 100.00% -> 50.00% (base -> head)"
    assert "source: pkg (coverage config)" in result.detail


def test_thresholds_and_severity_are_configurable(repo: Repo) -> None:
    options = "min_total = 50\nmax_drop = 50\nmin_diff = 33\nuncovered_severity = 'note'\n"
    # parallel = true: coverage writes .coverage.<host>.<pid>... files the gate must combine.
    config = CONFIG.replace("]\n", "]\nparallel = true\n", 1)
    base = _untested_module_pr(repo, f"{config}[tool.gates.coverage]\n{options}")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert [(f.rule, f.severity) for f in result.findings] == [("uncovered-lines", Severity.NOTE)]
    assert result.metrics["total_coverage"] == 50.0
    assert result.metrics["total_coverage_base"] == 100.0  # a drop of exactly max_drop passes
    options = options.replace("max_drop = 50", "max_drop = 49.99")
    repo.write("pyproject.toml", f"{config}[tool.gates.coverage]\n{options}")
    repo.commit("tighter")
    result = _run(repo, base, "coverage")["coverage"]
    assert [f.rule for f in result.findings if f.severity is Severity.ERROR] == ["total-dropped"]
    (dropped,) = [f for f in result.findings if f.rule == "total-dropped"]
    assert dropped.message.endswith("(base -> head, more than max_drop 49.99)")


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
    assert "coverage is not installed" in result.detail, result.detail
    assert "add pytest and coverage to the project's environment" in result.detail


def test_project_using_pytest_cov_is_measured_once_and_its_fail_under_ignored(
    repo: Repo,
) -> None:
    pytest_cov = '[tool.pytest.ini_options]\naddopts = "--cov=pkg --cov-fail-under=100"\n'
    base = _untested_module_pr(repo, pytest_cov)
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL, result.detail
    assert result.metrics["total_coverage"] == 50.0  # --cov=pkg finds the unimported module
    assert result.metrics["tests_failed"] == 0 and result.metrics["tests_passed"] == 2
    assert {f.rule for f in result.findings} == {"total-dropped", "min-diff", "uncovered-lines"}
    assert not (repo.path / ".coverage").exists()
    assert "source: pkg (pytest-cov options)" in result.detail


# --- the total against the base's ------------------------------------------------------------

# 5 statements, 3 run by the base's test: 60 %.
SIXTY = "def inc(x):\n    return x + 1\n\n\ndef sign(x):\n    if x:\n        return 1\n"
TEST_SIXTY = "from pkg.core import inc, sign\n\n\ndef test_inc():\n    assert inc(1) == 2\n"
TEST_SIGN = "\n\ndef test_sign():\n    assert sign(0) is None\n"


def _sixty(repo: Repo, config: str = "") -> str:
    if config:
        repo.write("pyproject.toml", config)
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/core.py", SIXTY)
    repo.write("tests/test_core.py", TEST_SIXTY)
    return repo.commit("base at 60 %")


def test_project_below_85_percent_whose_pr_raises_the_total_passes(repo: Repo) -> None:
    base = _sixty(repo)
    repo.write("tests/test_core.py", TEST_SIXTY + TEST_SIGN)
    repo.commit("pr: one more test")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert result.metrics["total_coverage_base"] == 60.0
    assert result.metrics["total_coverage"] == 80.0
    assert result.metrics["diff_coverage"] is None  # no source line changed
    assert result.metrics["coverage_source"] == "pkg (inferred)"
    assert result.detail.startswith("source: pkg (inferred)\nbase ")
    assert "total 60.00%" in result.detail


def test_configured_min_total_is_still_an_absolute_floor(repo: Repo) -> None:
    base = _sixty(repo, "[tool.gates.coverage]\nmin_total = 85\n")
    repo.write("tests/test_core.py", TEST_SIXTY + TEST_SIGN)
    repo.commit("pr: one more test")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL
    assert [(f.rule, f.message) for f in result.findings] == [
        ("min-total", "total coverage is 80.00%, below the minimum of 85%")
    ]


def test_pr_lowering_the_total_fails_with_total_dropped(repo: Repo) -> None:
    base = _project(repo, config="")
    repo.write("pkg/core.py", CORE + "\n\ndef half(x):\n    return x / 2\n")
    repo.commit("pr: an untested function")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL
    assert {(f.rule, f.message) for f in result.findings} == {
        ("total-dropped", "total coverage 100.00% -> 75.00% (base -> head)"),
        ("min-diff", "coverage of the added lines is 50.00%, below the minimum of 85%"),
        ("uncovered-lines", "added line 6 not run by any test"),
    }


def test_module_no_test_imports_counts_without_any_coverage_config(repo: Repo) -> None:
    """No source configured: the gate infers `pkg`, so coverage lists pkg/extra.py at 0 %
    (before, the total stayed 100 % and the module's lines were not counted at all)."""
    base = _untested_module_pr(repo, config="")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.FAIL
    assert result.metrics["total_coverage"] == 50.0
    assert result.metrics["total_coverage_base"] == 100.0
    assert result.metrics["diff_executable_lines"] == 6
    assert "source: pkg (inferred)" in result.detail
    uncovered = [(f.path, f.line, f.end_line) for f in result.findings if f.path]
    assert uncovered == [("pkg/extra.py", 6, 10)]
    assert "total-dropped" in {f.rule for f in result.findings}


def test_src_layout_and_a_file_coverage_cannot_see_count_as_uncovered(repo: Repo) -> None:
    """src/mypkg is inferred; a module in a folder without __init__.py, which coverage does
    not walk into, still has its added statements counted as uncovered."""
    repo.write("pyproject.toml", '[tool.pytest.ini_options]\npythonpath = ["src"]\n')
    repo.write("src/mypkg/__init__.py", "")
    repo.write("src/mypkg/core.py", CORE)
    repo.write("tests/test_core.py", TEST_CORE.replace("pkg.core", "mypkg.core"))
    base = repo.commit("base")
    repo.write("src/mypkg/plugins/extra.py", EXTRA)
    repo.commit("pr: a plugin no test imports")
    result = _run(repo, base, "coverage")["coverage"]
    assert "source: src/mypkg (inferred)" in result.detail
    assert result.metrics["total_coverage_base"] == 100.0
    assert result.metrics["diff_executable_lines"] == 4  # def, if, return, return
    assert result.metrics["diff_covered_lines"] == 0
    assert [(f.rule, f.path, f.line, f.end_line) for f in result.findings if f.path] == [
        ("uncovered-lines", "src/mypkg/plugins/extra.py", 6, 10)
    ]


def test_bare_cov_in_addopts_gets_the_inferred_source(repo: Repo) -> None:
    """`--cov` alone leaves the source to coverage's config; there is none, so the gate
    rewrites it to `--cov=pkg` (adding `--cov=pkg` would not do: pytest-cov ignores it)."""
    base = _untested_module_pr(repo, '[tool.pytest.ini_options]\naddopts = "--cov -q"\n')
    result = _run(repo, base, "coverage")["coverage"]
    assert result.metrics["total_coverage"] == 50.0, result.detail
    assert "source: pkg (inferred)" in result.detail


def test_base_figure_is_read_from_the_cache_on_a_later_push(repo: Repo, tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    repo.write(".gitignore", "reports/\n")  # a dirty tree turns the cache off
    repo.write(
        "conftest.py",
        f"import os\n\nwith open({str(log)!r}, 'a') as f:\n    f.write(os.getcwd() + '\\n')\n",
    )
    base = _sixty(repo)
    repo.write("tests/test_core.py", TEST_SIXTY + TEST_SIGN)
    repo.commit("pr: first push")
    first = _run(repo, base, "coverage")["coverage"]
    repo.write("pkg/core.py", SIXTY + "\n\ndef zero():\n    return 0\n")
    repo.commit("pr: second push")
    second = _run(repo, base, "coverage")["coverage"]
    runs = log.read_text().splitlines()
    assert [("worktree" in r) for r in runs] == [False, True, False]  # head, base, head
    assert first.metrics["base_from_cache"] is False
    assert second.metrics["base_from_cache"] is True
    assert second.metrics["total_coverage_base"] == 60.0
    assert "(cached)" in second.detail and "(cached)" not in first.detail


def test_a_run_on_the_base_commit_spares_its_prs_the_base_run(repo: Repo, tmp_path: Path) -> None:
    """The default branch's own run keeps its figure under its tree: a PR based on it reads
    the base's total and failing tests instead of running the base's tests again."""
    log = tmp_path / "runs.log"
    repo.write(".gitignore", "reports/\n")
    repo.write(
        "conftest.py",
        f"import os\n\nwith open({str(log)!r}, 'a') as f:\n    f.write(os.getcwd() + '\\n')\n",
    )
    repo.write("tests/test_network.py", BROKEN)
    before = _sixty(repo)
    repo.write("README.md", "main moves on\n")
    main = repo.commit("main")
    _run(repo, before, "coverage")  # the default branch's run, on main
    repo.write("tests/test_core.py", TEST_SIXTY + TEST_SIGN)
    repo.commit("pr")
    result = _run(repo, main, "coverage")["coverage"]
    assert ["worktree" in r for r in log.read_text().splitlines()] == [False, False]
    assert result.metrics["base_from_cache"] is True
    assert result.metrics["total_coverage_base"] == 60.0
    assert [f.new for f in result.findings] == [False]  # the network test failed on main too
    assert result.status is Status.PASS, result.detail


def test_new_all_judges_the_head_without_measuring_the_base(repo: Repo) -> None:
    base = _sixty(repo)
    repo.write("pkg/core.py", SIXTY + "\n\ndef zero():\n    return 0\n")
    repo.commit("pr")
    request = RunRequest(path=repo.path, base=base, stages=["coverage"], new="all", env={})
    outcome = run(request, REGISTRY, runner.NoProgress(), threading.Event())
    [result] = outcome.report.gates
    assert "total_coverage_base" not in result.metrics
    assert "new = all" in result.detail


def test_a_base_whose_tests_cannot_run_is_a_note_not_a_failure(repo: Repo) -> None:
    _sixty(repo)
    note = "the base's tests could not run"
    repo.write("tests/test_broken.py", "import no_such_module_here\n")
    base = repo.commit("base with a broken test")
    (repo.path / "tests/test_broken.py").unlink()
    repo.write("pkg/core.py", SIXTY + "\n\ndef zero():\n    return 0\n")  # 5/7 after this
    repo.commit("pr: remove the broken test, add an untested line")
    result = _run(repo, base, "coverage")["coverage"]
    assert note in result.detail, result.detail
    assert "total_coverage_base" not in result.metrics
    assert {f.rule for f in result.findings} == {"min-diff", "uncovered-lines"}


BROKEN = "def test_needs_the_network():\n    assert False, 'no route to host'\n"


def test_a_test_that_fails_on_the_base_too_is_reported_but_does_not_block(repo: Repo) -> None:
    """A test that needs the network fails on the base and the head alike: not the PR's doing.
    A test the PR breaks is."""
    _sixty(repo)
    repo.write("tests/test_network.py", BROKEN)
    base = repo.commit("base: one test fails here already")
    repo.write("tests/test_core.py", TEST_SIXTY + TEST_SIGN)  # the PR raises coverage
    repo.commit("pr")
    result = _run(repo, base, "coverage")["coverage"]
    [failed] = result.findings
    assert failed.rule == "test-failed" and failed.new is False
    assert "fails on the base too" in failed.message
    assert "1 failing test(s)" in result.detail
    assert result.status is Status.PASS, result.detail
    repo.write("pkg/core.py", SIXTY.replace("x + 1", "x + 2"))  # breaks test_inc
    repo.commit("pr breaks a test")
    result = _run(repo, base, "coverage")["coverage"]
    new = {f.message.split(":")[1].strip() for f in result.findings if f.new}
    assert new == {"test_inc"}, result.findings
    assert result.status is Status.FAIL


def test_base_is_not_measured_when_no_python_file_or_config_changed(repo: Repo) -> None:
    base = _sixty(repo)
    repo.write("README.md", "docs only\n")
    repo.commit("pr: docs")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.status is Status.PASS
    assert "total_coverage_base" not in result.metrics
    assert "base not measured: the PR changes no Python file" in result.detail


FAST_C = """#include <Python.h>
static PyObject *inc(PyObject *self, PyObject *arg) {
    return PyNumber_Add(arg, PyLong_FromLong(1));
}
static PyMethodDef methods[] = {{"inc", inc, METH_O, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fast", "", -1, methods};
PyMODINIT_FUNC PyInit__fast(void) { return PyModule_Create(&module); }
"""
SLOW = "def inc(x):\n    y = x\n    y = y + 1\n    return y\n"
CHOOSE = "try:\n    from pkg._fast import inc\nexcept ImportError:\n    from pkg._slow import inc\n"


def test_the_base_imports_the_compiled_modules_the_head_built(repo: Repo) -> None:
    """A C extension is built into the checkout, never committed: the base's worktree gets a
    copy, or its tests would run the pure-Python fallback the head never imports and the two
    totals would measure different code (markupsafe's PRs that only add tests 'dropped')."""
    repo.write(".gitignore", "*.so\nreports/\n")
    repo.write("pkg/__init__.py", CHOOSE)
    repo.write("pkg/_slow.py", SLOW)
    repo.write("pkg/_fast.c", FAST_C)
    repo.write(
        "tests/test_inc.py", "from pkg import inc\n\n\ndef test_inc():\n    assert inc(1) == 2\n"
    )
    base = repo.commit("base")
    include = sysconfig.get_paths()["include"]
    built = repo.path / "pkg" / f"_fast{sysconfig.get_config_var('EXT_SUFFIX')}"
    compiler = ["cc", "-shared", "-fPIC", f"-I{include}", "-o", str(built)]
    subprocess.run([*compiler, str(repo.path / "pkg/_fast.c")], check=True)
    repo.write(
        "tests/test_more.py", "from pkg import inc\n\n\ndef test_two():\n    assert inc(2) == 3\n"
    )
    repo.commit("pr: one more test")
    result = _run(repo, base, "coverage")["coverage"]
    assert result.metrics["total_coverage_base"] == result.metrics["total_coverage"], result.detail
    assert result.status is Status.PASS, result.findings
