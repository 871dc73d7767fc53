"""bandit: parser on captured real output, and the gate on real repos through the pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.diff import Diff
from gates.gate import GateContext, GateError
from gates.git import Revisions
from gates.model import GateResult, Severity, Status
from gates.runner import NoProgress
from gates.tools.bandit import BanditGate, config_args, parse_bandit_json, severity_of

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bandit"


def run_gate(repo: Repo, base: str) -> GateResult:
    gate = BanditGate()
    outcome = run(RunRequest(path=repo.path, base=base), {gate.name: gate}, NoProgress())
    return outcome.report.gates[0]


def test_parse_real_output() -> None:
    text = (GOLDEN / "eval_shell_pickle_syntax_error.json").read_text()
    findings, note = parse_bandit_json(text, Path("/nowhere"))
    by_rule = {f.rule: f for f in findings}
    assert sorted(by_rule) == ["B301", "B307", "B403", "B602"]
    shell = by_rule["B602"]
    assert (shell.path, shell.line, shell.column) == ("a.py", 4, 5)
    assert shell.severity is Severity.ERROR
    assert shell.extra["cwe"] == "CWE-78" and shell.extra["confidence"] == "high"
    assert shell.help_uri and "b602" in shell.help_uri
    assert by_rule["B307"].severity is Severity.WARNING
    assert by_rule["B403"].severity is Severity.NOTE
    assert note.startswith("bandit could not scan 1 file(s)") and "bad.py: syntax error" in note


@pytest.mark.parametrize(
    ("sev", "conf", "expected"),
    [
        ("HIGH", "HIGH", Severity.ERROR),
        ("HIGH", "LOW", Severity.WARNING),
        ("MEDIUM", "MEDIUM", Severity.WARNING),
        ("MEDIUM", "LOW", Severity.NOTE),
        ("LOW", "HIGH", Severity.NOTE),
        ("UNDEFINED", "HIGH", Severity.NOTE),
    ],
)
def test_severity_mapping(sev: str, conf: str, expected: Severity) -> None:
    assert severity_of(sev, conf) is expected


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"errors": []}'])
def test_unreadable_output_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bandit_json(text, Path())


def test_project_config_is_used(tmp_path: Path) -> None:
    assert config_args(tmp_path) == []
    (tmp_path / ".bandit").write_text("[bandit]\nskips = B101\n")
    assert config_args(tmp_path) == ["--ini", str(tmp_path / ".bandit")]
    (tmp_path / "pyproject.toml").write_text('[tool.bandit]\nskips = ["B101"]\n')
    assert config_args(tmp_path) == ["-c", str(tmp_path / "pyproject.toml")]


def test_gate_on_a_real_repo(repo: Repo) -> None:
    shell = "import subprocess\n\n\ndef f(x):\n    subprocess.call(x, shell=True)\n"
    repo.write("old.py", shell)
    base = repo.commit("base")
    repo.write("new.py", shell)
    repo.write("old.py", shell + "# touched, but not the shell line\n")
    repo.write("broken.py", "def (:\n")
    repo.write("pyproject.toml", '[tool.bandit]\nskips = ["B404"]\n')
    repo.commit("pr")
    result = run_gate(repo, base)
    assert result.status is Status.FAIL, result.detail
    shells = {f.path: f for f in result.findings if f.rule == "B602"}
    assert shells["new.py"].line == 5 and shells["new.py"].new
    assert shells["new.py"].blocks(result.fail_on)
    assert shells["old.py"].line == 5 and not shells["old.py"].new
    assert not shells["old.py"].blocks(result.fail_on)
    assert "broken.py: syntax error" in result.detail
    assert not [f for f in result.findings if f.rule == "B404"]  # [tool.bandit] skips it


def test_unparsable_file_alone_does_not_error(repo: Repo) -> None:
    base = repo.commit("base")
    repo.write("broken.py", "def (:\n")
    repo.commit("pr")
    result = run_gate(repo, base)
    assert result.status is Status.PASS
    assert "broken.py" in result.detail


def test_broken_bandit_config_is_an_error(repo: Repo) -> None:
    base = repo.commit("base")
    repo.write("pyproject.toml", "[tool.bandit]\nskips = 3\n")
    repo.write("a.py", "x = 1\n")
    repo.commit("pr")
    result = run_gate(repo, base)
    assert result.status is Status.ERROR, result.detail


def test_every_files_finding_and_the_unreadable_file_are_reported(repo: Repo) -> None:
    for index in range(12):
        repo.write(
            f"m{index:02}.py", f"import subprocess\n\nsubprocess.call('x{index}', shell=True)\n"
        )
    repo.write("broken.py", "def (:\n")
    repo.commit("all")
    gate = BanditGate()

    files = tuple(sorted(p.name for p in repo.path.glob("*.py")))
    outcome = gate.run(_context(repo, files))
    assert {f.path for f in outcome.findings if f.rule == "B602"} == {
        f"m{index:02}.py" for index in range(12)
    }
    assert "broken.py" in outcome.detail


def _context(repo: Repo, files: tuple[str, ...]) -> GateContext:
    return GateContext(
        name="bandit",
        root=repo.path,
        diff=Diff(Revisions(None, "h" * 40, None, ""), all_changed=True),
        files=files,
        options={},
        python=sys.executable,
        scratch=repo.path / ".scratch",
        timeout_s=120.0,
        env=dict(os.environ),
    )


def test_quoted_passwords_are_masked(repo: Repo) -> None:
    """bandit B105-B107 quote the password they found; the report shows its masked head only."""
    value = "Zq7vPr4wXk2mLn9b"
    repo.write("a.py", "x = 1\n")
    base = repo.commit("base")
    repo.write(
        "settings.py",
        f'password = "{value}"\n\n\ndef f(password="{value}"):\n    return password\n\n\n'
        f'f(password="{value}")\n',
    )
    repo.commit("pr")
    result = run_gate(repo, base)
    by_rule = {f.rule: f.message for f in result.findings}
    assert set(by_rule) >= {"B105", "B106", "B107"}, by_rule
    for message in by_rule.values():
        assert value not in message
        assert message.startswith("Possible hardcoded password: 'Zq7v") and "*" in message


def test_bandit_missing_from_gates_environment_is_named(repo: Repo, tmp_path: Path) -> None:
    """Not "unreadable JSON output": the error says which tool is missing where."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")], check=True
    )
    repo.write("a.py", "x = 1\n")
    repo.commit()
    ctx = replace(_context(repo, ("a.py",)), tool_python=str(tmp_path / "env/bin/python"))
    with pytest.raises(GateError, match=r"bandit is not installed in .*env/bin/python"):
        BanditGate().run(ctx)
