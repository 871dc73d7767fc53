"""`gates publish` against the fake GitHub API, through the real PyGithub client."""

from __future__ import annotations

from pathlib import Path

from publish_helpers import HEAD_SHA, actions_env, finding, make_report, publish
from fake_github import SECONDARY, FakeGitHub

from gates.github import limits
from gates.github.payloads import REPORT_MARKER, check_marker
from gates.model import Severity, Status, Verdict


def test_120_findings_make_one_check_run_in_three_requests(
    github: FakeGitHub, tmp_path: Path
) -> None:
    report = make_report([finding(i) for i in range(120)])
    done = publish(report, tmp_path, actions_env(tmp_path, github))
    assert done.result.errors == [] and not done.result.fallback
    runs = list(github.check_runs.values())
    assert len(runs) == 1 and runs[0]["conclusion"] == "failure"
    assert len(github.annotations[runs[0]["id"]]) == 120
    check_writes = [r.method for r in github.writes() if "check-runs" in r.path]
    assert check_writes == ["POST", "PATCH", "PATCH"]
    assert runs[0]["head_sha"] == HEAD_SHA
