"""semgrep: parser on captured real output; the gate on a real repo through the pipeline.

Semgrep takes seconds to start, so one module-scoped run serves the gate tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.cores import Shares
from gates.gate import GateError
from gates.model import GateResult, Severity, Status
from gates.runner import NoProgress
from gates.tools.semgrep import SemgrepGate, config_args, parse_semgrep_json, semgrep_command

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "semgrep"

SHELL = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"


def test_parse_real_output() -> None:
    text = (GOLDEN / "shell_eval_syntax_error.json").read_text()
    findings, note = parse_semgrep_json(text, Path("/nowhere"))
    by_rule = {f.rule: f for f in findings}
    assert sorted(by_rule) == [
        "gates.python.eval-injection",
        "gates.python.subprocess-shell-injection",
    ]
    shell = by_rule["gates.python.subprocess-shell-injection"]
    assert (shell.path, shell.line, shell.column, shell.end_column) == ("app.py", 5, 5, 37)
    assert shell.severity is Severity.ERROR
    assert shell.extra["cwe"] == "CWE-78"
    assert shell.extra["owasp"] == "A03:2021 - Injection"
    assert "argument list" in shell.message and "\n" not in shell.message
    assert by_rule["gates.python.eval-injection"].extra["cwe"] == "CWE-95"
    assert note.startswith("semgrep reported 1 problem(s)")
    assert "broken.py: Syntax error at line broken.py:2" in note and "(PartialParsing)" in note


def test_fatal_errors_raise() -> None:
    text = (GOLDEN / "missing_config.json").read_text()
    with pytest.raises(GateError, match="unable to find a config"):
        parse_semgrep_json(text, Path())


@pytest.mark.parametrize("text", ["", "[]", "{}", "semgrep: error"])
def test_unreadable_output(text: str) -> None:
    with pytest.raises(ValueError):
        parse_semgrep_json(text, Path())


def test_config_args(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    shipped = Path("/pkg/rules")
    args = config_args(tmp_path, shipped, ["rules", "p/python"])
    assert args == [
        "--config",
        "/pkg/rules",
        "--config",
        str(tmp_path / "rules"),
        "--config",
        "p/python",
    ]
    with pytest.raises(GateError, match="neither a file"):
        config_args(tmp_path, shipped, ["typo.yml"])
    assert config_args(tmp_path, None, []) == []
    with pytest.raises(GateError, match="outside the repository"):
        config_args(tmp_path / "rules", None, [".."])


def test_semgrep_is_found_next_to_the_interpreter(tmp_path: Path) -> None:
    (tmp_path / "semgrep").write_text("#!/bin/sh\n")
    assert semgrep_command(str(tmp_path / "python")) == [str(tmp_path / "semgrep")]


@pytest.fixture(scope="module")
def pr_result(tmp_path_factory: pytest.TempPathFactory) -> GateResult:
    repo = Repo(tmp_path_factory.mktemp("semgrep") / "repo")
    repo.write("old.py", SHELL)
    base = repo.commit("base")
    repo.write(
        "new.py",
        SHELL + "\n\ndef load(blob):\n    import pickle\n\n    return pickle.loads(blob)\n",
    )
    repo.write("old.py", SHELL + "# touched below the old finding\n")
    repo.write("broken.py", "def f(:\n    subprocess.call(x, shell=True) = = 1\n")
    repo.commit("pr")
    gate = SemgrepGate()
    outcome = run(RunRequest(path=repo.path, base=base), {gate.name: gate}, NoProgress())
    return outcome.report.gates[0]


def test_planted_issue_is_new_and_blocks(pr_result: GateResult) -> None:
    assert pr_result.status is Status.FAIL, pr_result.detail
    found = {(f.path, f.rule): f for f in pr_result.findings}
    shell = found[("new.py", "gates.python.subprocess-shell-injection")]
    assert shell.line == 5 and shell.new and shell.blocks(pr_result.fail_on)
    pickle = found[("new.py", "gates.python.pickle-load")]
    assert pickle.line == 11 and pickle.extra["cwe"] == "CWE-502"
    assert pr_result.tool_version.startswith("semgrep 1.")


def test_same_issue_on_unchanged_line_does_not_block(pr_result: GateResult) -> None:
    old = [f for f in pr_result.findings if f.path == "old.py"]
    assert [(f.rule, f.line, f.new) for f in old] == [
        ("gates.python.subprocess-shell-injection", 5, False)
    ]
    assert not old[0].blocks(pr_result.fail_on)


def test_unparsable_file_in_detail_not_an_error(pr_result: GateResult) -> None:
    assert "broken.py: Syntax error" in pr_result.detail


def test_broken_user_rule_is_an_error(repo: Repo) -> None:
    base = repo.commit("base")
    repo.write("rules/bad.yml", "rules:\n  - id: x\n    pattern: [\n")
    repo.write(".gates.toml", '[semgrep]\nconfig = ["rules/bad.yml"]\nshipped_rules = false\n')
    repo.write("a.py", "x = 1\n")
    repo.commit("pr")
    gate = SemgrepGate()
    result = run(RunRequest(path=repo.path, base=base), {gate.name: gate}, NoProgress())
    status = result.report.gates[0]
    assert status.status is Status.ERROR, status.detail
    assert "semgrep exited with code" in status.detail


def _ctx_with(args: list[str], cpus: int):  # type: ignore[no-untyped-def]
    from gates.gate import GateContext

    return GateContext(
        name="semgrep",
        root=Path("."),
        diff=None,  # type: ignore[arg-type]
        files=(),
        options={"args": args},
        python="python",
        scratch=Path("."),
        timeout_s=1,
        env={},
        shares=Shares(cpus=cpus),
    )


def test_semgrep_gets_the_cores_it_may_use_unless_told_otherwise() -> None:
    from gates.tools.semgrep import _jobs

    assert _jobs(_ctx_with([], 3)) == ["--jobs", "3"]
    assert _jobs(_ctx_with(["-j", "8"], 3)) == []
    assert _jobs(_ctx_with(["--jobs=8"], 1)) == []
