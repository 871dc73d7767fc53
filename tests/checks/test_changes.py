"""A change check sees each touched file at base and head, read from a real git repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from conftest import Repo

from gates.app import RunRequest, run
from gates.checks.changes import ChangeCheckGate, FileChange
from gates.model import Finding, GateResult, Severity, Status
from gates.runner import NoProgress


class _Recorder(ChangeCheckGate):
    """Reports one note per change it is given, describing both sides."""

    name = "recorder"

    def wants(self, path: str) -> bool:
        return path.endswith(".py")

    def scan_changes(
        self, changes: Sequence[FileChange], options: Mapping[str, object]
    ) -> list[Finding]:
        return [_describe(self.name, c) for c in changes]


def _describe(gate: str, change: FileChange) -> Finding:
    sides = f"{change.old_path}:{change.base!r} -> {change.path}:{change.head!r}"
    return Finding(gate, "gates", "seen", Severity.NOTE, change.path, sides)


def _run(repo: Repo, base: str | None) -> GateResult:
    gate = _Recorder()
    outcome = run(RunRequest(path=repo.path, base=base), {gate.name: gate}, NoProgress())
    return outcome.report.gates[0]


def test_added_modified_renamed_and_deleted_files_are_read_on_both_sides(repo: Repo) -> None:
    repo.write("kept.py", "a = 1\n")
    repo.write("gone.py", "b = 1\n")
    repo.write("moved.py", "c = 1\nlong = 2  # enough lines for git to call it the same file\n")
    repo.write("notes.txt", "x\n")
    base = repo.commit("base")
    repo.write("kept.py", "a = 2\n")
    (repo.path / "gone.py").unlink()
    (repo.path / "moved.py").rename(repo.path / "renamed.py")
    repo.write("fresh.py", "d = 1\n")
    repo.write("notes.txt", "y\n")
    repo.commit("head")

    result = _run(repo, base)

    messages = sorted(f.message for f in result.findings)
    moved = "c = 1\\nlong = 2  # enough lines for git to call it the same file\\n"
    assert messages == [
        "fresh.py:None -> fresh.py:'d = 1\\n'",
        "gone.py:'b = 1\\n' -> gone.py:None",
        "kept.py:'a = 1\\n' -> kept.py:'a = 2\\n'",
        f"moved.py:'{moved}' -> renamed.py:'{moved}'",
    ]
    assert all(f.new for f in result.findings), "a change check's findings are the PR's own"


def test_without_a_base_there_is_no_change_to_judge(repo: Repo) -> None:
    repo.write("a.py", "a = 1\n")
    repo.commit("only")

    result = _run(repo, None)

    assert result.status is Status.SKIPPED
    assert "no base revision" in result.detail
