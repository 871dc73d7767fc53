"""`gates merge`: shard reports combine into the report of one full run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import pytest
from actions_runner import parse_outputs
from conftest import Repo

from gates.app import RunRequest, run
from gates.errors import UsageError
from gates.gate import GateOutcome, Option, Scope
from gates.merge import merge_reports
from gates.model import DiffInfo, Finding, GateResult, Report, Severity, Stage, Status, Verdict
from gates.runner import NoProgress


def gates(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gates", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def _pr(repo: Repo) -> str:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F", "E"]\n')
    repo.write("old.py", "import os\n")
    base = repo.commit("base")
    repo.write("new.py", "import sys\nimport json\n")
    repo.write("old.py", "import os\nx = 1\n")
    repo.commit("pr")
    return base


def _fingerprints(report: dict) -> set[tuple[str, str, bool]]:
    return {(f["gate"], f["fingerprint"], f["new"]) for g in report["gates"] for f in g["findings"]}


def test_three_shards_merge_into_the_full_run(repo: Repo) -> None:
    """The real CLI: one run per stage, merged, equals one run of every stage."""
    base = _pr(repo)
    shards = ("safety,integrity,security", "quality", "size")  # together: every stage
    full = gates("run", str(repo.path), "--base", base, "--output-dir", str(repo.path / "full"))
    assert full.returncode == 1, full.stderr
    for index, stages in enumerate(shards):
        out = repo.path / f"reports-{index}"
        shard = gates(
            "run", str(repo.path), "--base", base, "--stages", stages, "--output-dir", out
        )
        assert shard.returncode in (0, 1), shard.stderr
    inputs = [str(repo.path / f"reports-{i}/gates.json") for i in range(len(shards))]
    merged = gates("merge", *inputs, "--output-dir", "merged", cwd=repo.path)
    assert merged.returncode == full.returncode, merged.stderr
    want = json.loads((repo.path / "full/gates.json").read_text())
    got = json.loads((repo.path / "merged/gates.json").read_text())
    assert got["verdict"] == want["verdict"] == "fail"
    assert _fingerprints(got) == _fingerprints(want) and _fingerprints(want)
    assert [g["name"] for g in got["gates"]] == [g["name"] for g in want["gates"]]
    assert (got["head"], got["base"], got["summary"]) == (
        want["head"],
        want["base"],
        want["summary"],
    )
    assert got["suppressions"] == want["suppressions"]
    assert {p.name for p in (repo.path / "merged").iterdir()} >= {
        "gates.json",
        "gates.sarif",
        "gates.md",
    }


class _Fake:
    """A gate with fixed findings, so every stage has something to merge."""

    tool, scope, description = "fake", Scope.CHANGED, ""
    default_timeout_s, default_fail_on = 30.0, "warning"
    options: ClassVar[dict[str, Option]] = {}

    def __init__(self, name: str, stage: Stage, severities: tuple[Severity, ...]) -> None:
        self.name, self.stage, self.severities = name, stage, severities

    def run(self, ctx: object) -> GateOutcome:
        return GateOutcome(
            findings=[
                Finding(self.name, "fake", f"R{i}", sev, "a.py", f"problem {i}", line=1)
                for i, sev in enumerate(self.severities)
            ]
        )


FAKES = (
    _Fake("guard", Stage.SAFETY, (Severity.NOTE,)),
    _Fake("scan", Stage.SECURITY, (Severity.WARNING, Severity.WARNING)),
    _Fake("lint", Stage.QUALITY, (Severity.NOTE,)),
    _Fake("budget", Stage.SIZE, ()),
)


def test_shards_of_every_stage_merge_in_process(repo: Repo, tmp_path: Path) -> None:
    repo.write("a.py", "a = 1\n")
    base = repo.commit("base")
    repo.write("a.py", "a = 2\n")
    repo.commit("pr")
    registry = {g.name: g for g in FAKES}

    def once(stages: tuple[str, ...], out: str) -> Report:
        request = RunRequest(
            path=repo.path, base=base, stages=stages, output_dir=tmp_path / out, env={}
        )
        return run(request, registry, NoProgress(), threading.Event()).report

    full = once((), "full")
    shards = [(s, once((s,), s)) for s in ("safety", "integrity", "security", "quality", "size")]
    merged = merge_reports(shards)
    assert merged.verdict is full.verdict is Verdict.FAIL
    assert [g.name for g in merged.gates] == [g.name for g in full.gates]
    assert {(f.gate, f.fingerprint) for f in merged.all_findings()} == {
        (f.gate, f.fingerprint) for f in full.all_findings()
    }
    assert len(merged.all_findings()) == 4


def _report(*gates: GateResult, head: str = "h" * 40, incomplete: bool = False) -> Report:
    diff = DiffInfo("b" * 40, head, "b" * 40, "diff", "note", 1, 1, 0)
    return Report(
        Verdict.PASS, diff, gates, "2026-01-01T00:00:00+00:00", 1.0, incomplete=incomplete
    )


def _finding(fp: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding("g", "t", "r", severity, "a.py", "m", line=1, new=True, fingerprint=fp * 16)


def test_same_gate_in_two_shards_keeps_the_worst_and_every_finding_once() -> None:
    skipped = GateResult("g", Stage.QUALITY, Status.SKIPPED, detail="fail_fast")
    passed = GateResult("g", Stage.QUALITY, Status.PASS, (_finding("1", Severity.NOTE),))
    failed = GateResult(
        "g", Stage.QUALITY, Status.FAIL, (_finding("1", Severity.NOTE), _finding("2"))
    )
    merged = merge_reports(
        [("a", _report(skipped)), ("b", _report(passed)), ("c", _report(failed))]
    )
    (gate,) = merged.gates
    assert gate.status is Status.FAIL and merged.verdict is Verdict.FAIL
    assert [f.fingerprint[0] for f in gate.findings] == ["1", "2"]
    errored = GateResult("g", Stage.QUALITY, Status.ERROR, detail="crashed")
    merged = merge_reports([("a", _report(passed)), ("b", _report(errored))])
    assert merged.gates[0].status is Status.ERROR and merged.verdict is Verdict.ERROR


def test_a_ran_gate_beats_a_skipped_one_and_a_blocking_union_fails() -> None:
    skipped = GateResult("g", Stage.QUALITY, Status.SKIPPED)
    passed = GateResult("g", Stage.QUALITY, Status.PASS, (_finding("1", Severity.NOTE),))
    assert merge_reports([("a", _report(skipped)), ("b", _report(passed))]).verdict is Verdict.PASS
    other = GateResult("g", Stage.QUALITY, Status.PASS, (_finding("2"),))  # blocks under "error"
    merged = merge_reports([("a", _report(passed)), ("b", _report(other))])
    assert merged.gates[0].status is Status.FAIL


def test_an_incomplete_shard_never_passes() -> None:
    ok = GateResult("g", Stage.QUALITY, Status.PASS)
    merged = merge_reports([("a", _report(ok)), ("b", _report(incomplete=True))])
    assert merged.incomplete and merged.verdict is Verdict.ERROR


def test_shards_of_different_heads_are_refused() -> None:
    with pytest.raises(UsageError, match=r"b\.json is for head 222222222222 but a\.json"):
        merge_reports([("a.json", _report()), ("b.json", _report(head="2" * 40))])


def test_cli_names_the_bad_files(tmp_path: Path) -> None:
    from gates.app import write_reports

    for name, head in (("one", "1" * 40), ("two", "2" * 40)):
        write_reports(_report(head=head), tmp_path / name)
    result = gates("merge", "one/gates.json", "two/gates.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "two/gates.json is for head" in result.stderr and "one/gates.json" in result.stderr
    (tmp_path / "bad.json").write_text("{}")
    result = gates("merge", "bad.json", cwd=tmp_path)
    assert result.returncode == 2 and "bad.json: not a gates report" in result.stderr
    result = gates("merge", "missing.json", cwd=tmp_path)
    assert result.returncode == 2 and "cannot read missing.json" in result.stderr


def test_merge_sets_step_outputs(tmp_path: Path) -> None:
    from gates.app import write_reports

    gate = GateResult("g", Stage.QUALITY, Status.FAIL, (_finding("1"),))
    write_reports(_report(gate), tmp_path / "one")
    outputs = tmp_path / "out.txt"
    outputs.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "gates", "merge", "one/gates.json", "--output-dir", "m"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GITHUB_OUTPUT": str(outputs)},
    )
    assert result.returncode == 1, result.stderr
    values = parse_outputs(outputs.read_text())
    assert values["verdict"] == "fail" and values["findings"] == "1"
    assert values["report"] == str(tmp_path / "m/gates.json")
