"""The ruff gate: format-check parsing on captured output, and real ruff on real repos."""

from __future__ import annotations

import os
import sys
import threading
import venv
from pathlib import Path

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.diff import Diff
from gates.gate import GateContext, GateError
from gates.git import Revisions
from gates.model import GateResult, Severity, Status
from gates.registry import REGISTRY
from gates.runner import NoProgress
from gates.tools.ruff import RuffGate, parse_format_check, parse_ruff_json

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "ruff"
ROOT = Path("/tmp/q/rf")


def test_format_check_json_is_one_finding_per_unformatted_file() -> None:
    findings = parse_format_check((GOLDEN / "format-check.json").read_text(), ROOT)
    assert [(f.path, f.rule, f.line) for f in findings] == [("bad.py", "format", None)]


def test_format_check_reads_the_older_text_output() -> None:
    text = "Would reformat: ./a.py\nWould reformat: b/c.py\n2 files would be reformatted\n"
    findings = parse_format_check(text, ROOT)
    assert [f.path for f in findings] == ["a.py", "b/c.py"]


def test_syntax_error_is_an_error_finding_at_its_line() -> None:
    findings = parse_ruff_json((GOLDEN / "check-syntax.json").read_text(), ROOT)
    assert {(f.path, f.line, f.severity) for f in findings} == {
        ("syn.py", 1, Severity.ERROR),
        ("syn.py", 2, Severity.ERROR),
    }


def _run(repo: Repo, base: str) -> GateResult:
    request = RunRequest(path=repo.path, base=base, stages=["ruff"], env={})
    outcome = run(request, REGISTRY, NoProgress(), threading.Event())
    return outcome.report.gates[0]


def test_format_true_reports_each_unformatted_changed_file(repo: Repo) -> None:
    config = '[tool.ruff.lint]\nselect = ["F"]\n[tool.gates.ruff]\nformat = true\n'
    repo.write("pyproject.toml", config)
    repo.write("old.py", "x   =  1\n")
    base = repo.commit("base")
    repo.write("new.py", "y   =  2\nz = 3\n")
    repo.write("tidy.py", "w = 4\n")
    repo.write("broken.py", "def f(:\n")
    repo.commit("pr")
    result = _run(repo, base)
    assert result.status is Status.FAIL, result.detail
    got = sorted((f.path, f.tool, f.rule, f.new) for f in result.findings)
    assert [g for g in got if g[1] == "ruff-format"] == [("new.py", "ruff-format", "format", True)]
    assert {(g[0], g[2]) for g in got if g[1] == "ruff"} == {("broken.py", "invalid-syntax")}


def test_ruff_runs_in_gates_environment_not_the_projects(repo: Repo, tmp_path: Path) -> None:
    """The project's interpreter has no ruff: ruff never imports the project, so gates' runs."""
    venv.create(tmp_path / "bare", with_pip=False, symlinks=True)
    repo.write("pyproject.toml", f'[tool.gates]\npython = "{tmp_path / "bare/bin/python"}"\n')
    base = repo.commit("base")
    repo.write("a.py", "import os\n")
    repo.commit("pr")
    result = _run(repo, base)
    assert result.status is Status.FAIL, result.detail
    assert [f.rule for f in result.findings] == ["F401"]
    assert result.tool_version.startswith("ruff ")


def test_ruff_missing_from_gates_environment_is_an_error_not_a_pass(
    repo: Repo, tmp_path: Path
) -> None:
    venv.create(tmp_path / "bare", with_pip=False, symlinks=True)
    repo.write("a.py", "import os\n")
    repo.commit()
    ctx = GateContext(
        name="ruff",
        root=repo.path,
        diff=Diff(Revisions(None, "h" * 40, None, ""), all_changed=True),
        files=("a.py",),
        options={},
        python=sys.executable,
        tool_python=str(tmp_path / "bare/bin/python"),
        scratch=tmp_path / "scratch",
        timeout_s=60.0,
        env=dict(os.environ),
    )
    with pytest.raises(GateError, match=r"ruff is not installed.*pip install ruff"):
        RuffGate().run(ctx)


def test_project_fix_setting_never_changes_the_checkout(repo: Repo) -> None:
    """A project with `[tool.ruff] fix = true` (flask has it) is judged, never rewritten."""
    repo.write("pyproject.toml", '[tool.ruff]\nfix = true\n[tool.ruff.lint]\nselect = ["F", "I"]\n')
    base = repo.commit("base")
    source = "import sys\nimport os\n\nprint(os, sys)\nimport json\n"
    repo.write("mod.py", source)
    repo.commit("pr")
    result = _run(repo, base)
    assert {f.rule for f in result.findings} >= {"I001", "F401"}
    assert (repo.path / "mod.py").read_text() == source


def test_a_file_name_that_is_not_utf8_is_checked_and_reported_under_its_own_name(
    repo: Repo,
) -> None:
    """ruff fails writing such a name to its cache and prints it with U+FFFD; the gate checks
    that batch without the cache and puts the finding back on the file the diff names."""
    repo.write(
        "pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n[tool.gates.ruff]\nformat = true\n'
    )
    base = repo.commit("base")
    latin1 = b"caf\xe9.py".decode("utf-8", "surrogateescape")
    repo.write(latin1, "import os\nx   =  1\n")
    repo.write("plain.py", "import sys\n")
    repo.commit("pr")
    result = _run(repo, base)
    assert result.status is Status.FAIL, result.detail
    got = sorted((f.path, f.tool, f.rule, f.new) for f in result.findings)
    shown = "caf\\xe9.py"  # as the report shows a name that is not UTF-8, and as git does
    assert got == [
        (shown, "ruff", "F401", True),
        (shown, "ruff-format", "format", True),
        ("plain.py", "ruff", "F401", True),
    ]
