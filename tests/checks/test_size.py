"""The size gate end to end on real git repos: budgets, lengths, PR size, large/binary files."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import pytest
from conftest import Repo

from gates.app import RunOutcome, RunRequest, run
from gates.checks.size import SizeGate
from gates.model import Finding, GateResult, Severity, Status
from gates.runner import NoProgress

ROOT = Path(__file__).resolve().parents[2]
AGENT_BUDGET = """[tool.gates.size]
budgets = [{ glob = "agents/**/*.py", max_bytes = 6656 }, { glob = "**/*.py", max_lines = 800 }]
max_pr_lines = 0
"""


def run_size(repo: Repo, base: str | None = None, new: str | None = None) -> RunOutcome:
    request = RunRequest(path=repo.path, base=base, stages=("size",), new=new, env={})
    return run(request, {"size": SizeGate()}, NoProgress(), threading.Event())


def size_gate(repo: Repo, base: str | None = None, new: str | None = None) -> GateResult:
    (gate,) = run_size(repo, base, new).report.gates
    return gate


def by_path(gate: GateResult, rule: str) -> dict[str, Finding]:
    return {f.path: f for f in gate.findings if f.rule == rule}


def py_bytes(size: int) -> str:
    """A Python file of exactly `size` bytes, 100 bytes a line."""
    line = "x = " + "1" * 95 + "\n"
    return line * (size // 100) + "#" * (size % 100)


def test_new_agent_file_over_byte_budget_fails_with_numbers(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    repo.write("agents/router.py", py_bytes(3000))
    base = repo.commit("base")
    repo.write("agents/big.py", py_bytes(9000))
    repo.commit("pr")
    gate = size_gate(repo, base)
    assert gate.status is Status.FAIL
    finding = by_path(gate, "budget-bytes")["agents/big.py"]
    assert finding.severity is Severity.ERROR and finding.new and finding.line is None
    assert finding.message.startswith("agents/big.py new file -> 8.8 KB (budget 6.5 KB)")
    assert finding.extra["after"] == "9000" and finding.extra["budget"] == "6656"
    assert gate.metrics["files_over_budget"] == 1
    assert gate.metrics["biggest_growth_bytes"] == 9000
    assert gate.metrics["biggest_growth_path"] == "agents/big.py"


def test_over_budget_file_that_shrinks_is_reported_not_blocking(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    repo.write("agents/router.py", py_bytes(8000))
    repo.write("agents/planner.py", py_bytes(7000))
    base = repo.commit("base")
    repo.write("agents/router.py", py_bytes(7000))
    repo.commit("pr")
    gate = size_gate(repo, base)
    assert gate.status is Status.PASS, [f.message for f in gate.findings]
    shrunk = by_path(gate, "budget-bytes")
    assert set(shrunk) == {"agents/router.py"}  # planner.py is over budget but untouched
    note = shrunk["agents/router.py"]
    assert note.severity is Severity.NOTE and note.new is False
    assert note.message.startswith("agents/router.py 7.8 KB -> 6.8 KB (budget 6.5 KB)")
    assert "did not grow" in note.message


def test_over_budget_file_that_grows_blocks(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    repo.write("agents/router.py", py_bytes(6246))
    base = repo.commit("base")
    repo.write("agents/router.py", py_bytes(7578))
    repo.commit("pr")
    gate = size_gate(repo, base)
    finding = by_path(gate, "budget-bytes")["agents/router.py"]
    assert gate.status is Status.FAIL and finding.new
    assert finding.message == (
        "agents/router.py 6.1 KB -> 7.4 KB (budget 6.5 KB): 922 B over, grew by 1.3 KB"
    )


def test_untouched_file_is_judged_only_in_new_all_mode(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    repo.write("agents/old.py", py_bytes(9000))
    base = repo.commit("base")
    repo.write("README.md", "hello\n")
    repo.commit("pr")
    assert size_gate(repo, base).findings == ()
    audit = size_gate(repo, base, new="all")
    finding = by_path(audit, "budget-bytes")["agents/old.py"]
    assert audit.status is Status.FAIL and finding.severity is Severity.ERROR and finding.new
    assert finding.message.startswith("agents/old.py 8.8 KB -> 8.8 KB (budget 6.5 KB)")


def test_renamed_file_is_compared_with_its_old_self(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    repo.write("agents/a.py", py_bytes(9000))
    base = repo.commit("base")
    (repo.path / "agents/a.py").rename(repo.path / "agents/b.py")
    repo.commit("pr")
    gate = size_gate(repo, base)
    note = by_path(gate, "budget-bytes")["agents/b.py"]
    assert gate.status is Status.PASS and note.new is False
    assert note.message.startswith("agents/b.py 8.8 KB -> 8.8 KB")


def test_first_matching_budget_wins(repo: Repo) -> None:
    repo.write(
        "pyproject.toml",
        "[tool.gates.size]\nbudgets = [\n"
        '  { glob = "agents/**/*.py", max_bytes = 10000 },\n'
        '  { glob = "**/*.py", max_bytes = 1000 },\n'
        "]\n",
    )
    base = repo.commit("base")
    repo.write("agents/deep/a.py", py_bytes(5000))
    repo.write("lib/b.py", py_bytes(5000))
    repo.commit("pr")
    gate = size_gate(repo, base)
    assert set(by_path(gate, "budget-bytes")) == {"lib/b.py"}
    (table,) = gate.tables
    budgets = {row[0]: row[4] for row in table.rows}
    assert budgets == {"agents/deep/a.py": "9.8 KB", "lib/b.py": "1000 B"}


def test_max_lines_before_and_after(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    repo.write("lib/long.py", "x = 1\n" * 700)
    base = repo.commit("base")
    repo.write("lib/long.py", "x = 1\n" * 850)
    repo.commit("pr")
    gate = size_gate(repo, base)
    finding = by_path(gate, "budget-lines")["lib/long.py"]
    assert finding.new and finding.severity is Severity.ERROR
    assert finding.message == (
        "lib/long.py 700 lines -> 850 lines (budget 800 lines): 50 lines over, grew by 150 lines"
    )


def test_line_count_of_a_base_too_big_to_read_comes_from_numstat(repo: Repo, monkeypatch) -> None:
    import gates.checks.size_io as size_io

    monkeypatch.setattr(size_io, "BLOB_READ_CAP", 10)
    test_max_lines_before_and_after(repo)


FUNCTIONS = """\
import functools


@functools.cache
@functools.wraps(print)
def five_lines():
    a = 1
    a = 2
    a = 3
    return a


def old_long():
    a = 1
    a = 2
    a = 3
    a = 4
    return a


class Small:
    x = 1
"""


def test_function_and_class_length_at_the_definition(repo: Repo) -> None:
    repo.write("pyproject.toml", "[tool.gates.size]\nmax_function_lines = 5\nmax_class_lines = 8\n")
    repo.write("mod.py", FUNCTIONS)
    base = repo.commit("base")
    body = "".join(f"        a{i} = {i}\n" for i in range(10))
    repo.write("mod.py", FUNCTIONS + f"\n\nclass Big:\n    def method(self):\n{body}")
    repo.commit("pr")
    gate = size_gate(repo, base)
    found = {(f.rule, f.line): f for f in gate.findings}
    assert set(found) == {("function-length", 13), ("class-length", 25), ("function-length", 26)}
    old = found[("function-length", 13)]  # untouched, over budget already: reported, not new
    assert old.new is False and old.severity is Severity.NOTE
    assert old.message.startswith("function old_long 6 lines -> 6 lines (budget 5 lines)")
    method = found[("function-length", 26)]
    assert method.new and method.message == "function Big.method new -> 11 lines (budget 5 lines)"
    assert found[("class-length", 25)].end_line == 36
    assert gate.status is Status.FAIL


def test_pr_size_warns_without_blocking_and_skips_lockfiles(repo: Repo) -> None:
    repo.write("pyproject.toml", "[tool.gates.size]\nmax_pr_lines = 10\nmax_pr_files = 2\n")
    base = repo.commit("base")
    for name in ("a.txt", "b.txt", "c.txt"):
        repo.write(name, "line\n" * 20)
    repo.write("poetry.lock", "x\n" * 5000)
    repo.commit("pr")
    outcome = run_size(repo, base)
    (gate,) = outcome.report.gates
    found = {f.rule: f for f in gate.findings}
    assert set(found) == {"pr-lines", "pr-files"}
    sarif = json.loads((outcome.output_dir / "gates.sarif").read_text())
    jsonschema.validate(
        sarif, json.loads((ROOT / "tests/schemas/sarif-schema-2.1.0.json").read_text())
    )
    assert found["pr-lines"].path == "" and found["pr-lines"].severity is Severity.WARNING
    assert found["pr-lines"].new and "60 lines (60 added, 0 deleted; budget 10)" in (
        found["pr-lines"].message
    )
    assert "3 files (budget 2)" in found["pr-files"].message
    assert gate.status is Status.PASS and gate.metrics["pr_lines"] == 60


def test_newly_added_large_file_blocks_an_old_one_does_not(repo: Repo) -> None:
    repo.write("old.txt", "a" * (2 * 1024 * 1024))
    base = repo.commit("base")
    repo.write("data.csv", "1,2\n" * (512 * 1024))  # 2 MB of text
    repo.write("old.txt", "b" * (2 * 1024 * 1024))  # changed, not grown
    repo.commit("pr")
    gate = size_gate(repo, base)
    large = by_path(gate, "large-file")
    assert set(large) == {"data.csv"}
    assert large["data.csv"].message.startswith("data.csv new file -> 2.0 MB (limit 1.0 MB")
    assert "binary-file" not in {f.rule for f in gate.findings}


def test_binary_files_added_outside_allowed_globs(repo: Repo) -> None:
    base = repo.commit("base")
    repo.write("tool.bin", b"\x7fELF\x00\x00" + b"x" * 100)
    repo.write("notes.txt", b"caf\xe9 au lait\n" * 10)  # Latin-1, not UTF-8
    repo.write("img/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    repo.write("ok.txt", "caf\u00e9\n")
    repo.write("huge.log", b"a" * 8192 + b"\0" * (2 * 1024 * 1024))  # NULs past the sniff window
    repo.commit("pr")
    gate = size_gate(repo, base)
    assert set(by_path(gate, "binary-file")) == {"tool.bin", "notes.txt"}
    assert set(by_path(gate, "large-file")) == {"huge.log"}
    assert gate.status is Status.FAIL


def test_symlinks_are_not_followed(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"\0" * (3 * 1024 * 1024))
    base = repo.commit("base")
    (repo.path / "link.bin").symlink_to(outside)
    repo.commit("pr")
    gate = size_gate(repo, base)
    assert gate.findings == () and gate.metrics["files_checked"] == 0


def test_no_base_compares_against_nothing(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET.replace("max_pr_lines = 0", "max_pr_lines = 1"))
    repo.write("agents/big.py", py_bytes(9000))
    repo.commit("only")
    outcome = run_size(repo)
    (gate,) = outcome.report.gates
    assert "no base" in gate.detail
    finding = by_path(gate, "budget-bytes")["agents/big.py"]
    assert finding.message.startswith("agents/big.py no base -> 8.8 KB")
    assert not {"pr-lines", "pr-files"} & {f.rule for f in gate.findings}
    assert gate.tables[0].title.startswith("Largest files")


def test_fingerprint_survives_the_file_growing(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    base = repo.commit("base")
    repo.write("agents/big.py", py_bytes(9000))
    repo.commit("pr1")
    first = by_path(size_gate(repo, base), "budget-bytes")["agents/big.py"]
    repo.write("agents/big.py", py_bytes(9500))
    repo.commit("pr2")
    second = by_path(size_gate(repo, base), "budget-bytes")["agents/big.py"]
    assert first.message != second.message and first.fingerprint == second.fingerprint


def test_reports_show_the_size_table_escaped_and_valid(repo: Repo) -> None:
    repo.write("pyproject.toml", AGENT_BUDGET)
    base = repo.commit("base")
    repo.write("agents/a_b*c.py", py_bytes(9000))
    repo.commit("pr")
    outcome = run_size(repo, base)
    md = (outcome.output_dir / "gates.md").read_text()
    assert "**size: Files whose size changed most**" in md
    assert "| agents/a\\_b\\*c\\.py | — | 8\\.8 KB | \\+8\\.8 KB | 6\\.5 KB |" in md
    data = json.loads((outcome.output_dir / "gates.json").read_text())
    schema = json.loads((ROOT / "reports/gates-report.schema.json").read_text())
    jsonschema.validate(data, schema)
    assert data["gates"][0]["tables"][0]["rows"][0][0] == "agents/a_b*c.py"


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ('budgets = [{ glob = "*.py", max_byte = 1 }]', "entry 0: unknown key 'max_byte'"),
        ('budgets = [{ glob = "*.py" }]', "entry 0: needs 'max_bytes' or 'max_lines'"),
        (
            'budgets = [{ glob = "a", max_bytes = 1 }, { glob = "*.py", max_lines = "800" }]',
            "entry 1: key 'max_lines' must be an integer",
        ),
        ('budgets = [{ glob = "", max_lines = 8 }]', "key 'glob' must be a non-empty string"),
        ('budgets = ["*.py"]', "key 'budgets' item 0 must be a table"),
        ("max_pr_lines = -1", "key 'max_pr_lines' must be 0 (off) or more"),
        ('pr_size_severity = "fatal"', "key 'pr_size_severity' must be one of"),
    ],
)
def test_budget_config_errors_exit_2_naming_the_key(repo: Repo, section: str, needle: str) -> None:
    repo.write("pyproject.toml", f"[tool.gates.size]\n{section}\n")
    repo.commit()
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo.path), "--stages", "size"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "[size]: key '" in result.stderr and needle in result.stderr
    assert "Traceback" not in result.stderr
