"""The sticky comment links the workflow run and the check run this publish made."""

from __future__ import annotations

from pathlib import Path

from fake_github import FakeGitHub
from publish_helpers import REPO, actions_env, finding, make_report, publish

from gates.github.payloads import REPORT_MARKER


def test_the_comment_links_the_run_and_the_check_run(github: FakeGitHub, tmp_path: Path) -> None:
    done = publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    (comment,) = [c for c in github.all_comments() if REPORT_MARKER in str(c["body"])]
    body = str(comment["body"])
    run_id = done.result.check_run
    assert run_id is not None
    assert f"[workflow run](https://github.example/{REPO}/actions/runs/42)" in body
    assert f"[check run](https://github.example/{REPO}/runs/{run_id})" in body
    assert "python -m gates run --base " in body


def test_without_a_check_run_the_comment_links_only_the_run(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.fail("POST", r"/check-runs$", 400)
    publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    (comment,) = [c for c in github.all_comments() if REPORT_MARKER in str(c["body"])]
    assert "[workflow run](" in str(comment["body"]) and "[check run]" not in str(comment["body"])


def test_a_cut_comment_sends_the_reader_to_the_check_run(
    github: FakeGitHub, tmp_path: Path
) -> None:
    report = make_report([finding(i, "x" * 300) for i in range(400)])
    done = publish(report, tmp_path, actions_env(tmp_path, github))
    (comment,) = [c for c in github.all_comments() if REPORT_MARKER in str(c["body"])]
    body = str(comment["body"])
    url = f"https://github.example/{REPO}/runs/{done.result.check_run}"
    assert len(body) <= 65_536 and "Report cut to fit" in body
    assert f"more. The rest are in [the `gates` check run]({url}) and the gates.json" in body
