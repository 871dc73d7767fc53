"""`gates publish` against the fake GitHub API, through the real PyGithub client."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fake_github import INTEGRATION, SECONDARY, FakeGitHub
from publish_helpers import HEAD_SHA, actions_env, finding, make_report, publish

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
    assert done.stdout.startswith("gates publish: check run ") and "120 annotations" in done.stdout
    assert runs[0]["head_sha"] == HEAD_SHA


def _ours(github: FakeGitHub) -> list[dict[str, object]]:
    return [c for c in github.all_comments() if REPORT_MARKER in str(c["body"])]


def test_second_publish_edits_the_same_comment_across_pages(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.max_per_page = 10
    for i in range(25):
        github.add_comment(7, f"reviewer{i}", f"looks good {i}")
    marker = f"{REPORT_MARKER}\n{check_marker('gates')}\n"
    impostor = github.add_comment(7, "mallory", marker + "copied marker")
    env = actions_env(tmp_path, github)
    first = publish(make_report([finding(1)]), tmp_path, env)
    second = publish(make_report([finding(1), finding(2)]), tmp_path, env)
    assert first.result.comment == second.result.comment is not None
    mine = [c for c in _ours(github) if c["user"]["login"] == "github-actions[bot]"]  # type: ignore[index]
    assert len(mine) == 1 and "problem number 2" in str(mine[0]["body"])
    assert impostor["body"] == marker + "copied marker"
    pages = [r for r in github.requests if r.path.endswith("/comments") and r.method == "GET"]
    assert {r.query.get("page", ["1"])[0] for r in pages} >= {"1", "2", "3"}
    comment_writes = [r.method for r in github.writes() if "comments" in r.path]
    assert comment_writes == ["POST", "PATCH"]


def test_comment_found_by_the_token_identity(tmp_path: Path) -> None:
    with FakeGitHub(login="alice", user_endpoint_forbidden=False) as github:
        env = actions_env(tmp_path, github)
        publish(make_report([finding(1)]), tmp_path, env)
        publish(make_report([finding(1)]), tmp_path, env)
        assert [c["user"]["login"] for c in _ours(github)] == ["alice"]  # type: ignore[index]
        assert github.over_limit() == []


def test_on_failure_posts_nothing_for_a_clean_pass(github: FakeGitHub, tmp_path: Path) -> None:
    done = publish(make_report(), tmp_path, actions_env(tmp_path, github), comment="on-failure")
    assert done.result.comment is None and list(github.all_comments()) == []
    assert [r.method for r in github.writes()] == ["POST"]  # the check run only
    assert next(iter(github.check_runs.values()))["conclusion"] == "success"


def test_on_failure_updates_an_earlier_comment_when_fixed(
    github: FakeGitHub, tmp_path: Path
) -> None:
    env = actions_env(tmp_path, github)
    publish(make_report([finding(1)]), tmp_path, env, comment="on-failure")
    publish(make_report(), tmp_path, env, comment="on-failure")
    (comment,) = _ours(github)
    assert "gates passed" in str(comment["body"])


def test_comment_never(github: FakeGitHub, tmp_path: Path) -> None:
    publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github), comment="never")
    assert not [r for r in github.requests if "comments" in r.path or r.path == "/user"]


def test_fork_pr_falls_back_without_calling_the_api(github: FakeGitHub, tmp_path: Path) -> None:
    report = make_report([finding(i) for i in range(30)])
    done = publish(report, tmp_path, actions_env(tmp_path, github, fork=True))
    assert github.requests == []
    assert "fork" in done.result.fallback
    lines = done.stdout.splitlines()
    assert sum(1 for line in lines if line.startswith("::warning")) == 1
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == limits.WORKFLOW_ANNOTATIONS_PER_LEVEL
    assert errors[0].startswith("::error file=src/mod")
    assert "gates failed" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "verdict=fail" in (tmp_path / "output.txt").read_text(encoding="utf-8")


def test_read_only_token_stops_at_the_first_403(github: FakeGitHub, tmp_path: Path) -> None:
    github.read_only = True
    done = publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    assert "Resource not accessible by integration" in done.result.fallback
    assert [r.status for r in github.writes()] == [403]  # not retried, nothing else tried
    assert done.stdout.count("::warning") == 1 and "::error file=src/mod1.py" in done.stdout


def test_flaky_api_post_and_patch_are_retried(github: FakeGitHub, tmp_path: Path) -> None:
    github.fail("POST", r"/check-runs$", 502, times=2)
    github.fail("PATCH", r"/check-runs/\d+$", 502, times=2)
    github.fail("PATCH", r"/issues/comments/\d+$", 503, times=2)
    env = actions_env(tmp_path, github)
    publish(make_report([finding(1)]), tmp_path, env)
    done = publish(make_report([finding(i) for i in range(60)]), tmp_path, env)
    assert done.result.errors == []
    assert len(github.check_runs) == 2 and len(github.annotations[done.result.check_run or 0]) == 60
    statuses = [(r.method, r.status) for r in github.writes() if "check-runs" in r.path]
    assert statuses.count(("POST", 502)) == 2 and statuses.count(("PATCH", 502)) == 2
    assert len(_ours(github)) == 1 and "problem number 59" in str(_ours(github)[0]["body"])


def test_secondary_rate_limit_waits_for_retry_after(github: FakeGitHub, tmp_path: Path) -> None:
    body = {"message": SECONDARY, "documentation_url": "https://docs.github.com/rest"}
    github.fail("POST", r"/comments$", 403, headers={"Retry-After": "1"}, body=body)
    done = publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    assert done.result.errors == [] and not done.result.fallback
    posts = [r for r in github.requests if r.method == "POST" and r.path.endswith("/comments")]
    assert [r.status for r in posts] == [403, 201]
    assert posts[1].at - posts[0].at >= 0.9  # Retry-After honoured, not a plain backoff


def test_429_with_ratelimit_reset_is_retried(github: FakeGitHub, tmp_path: Path) -> None:
    import time

    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()))}
    github.fail("POST", r"/check-runs$", 429, headers=reset)
    done = publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    assert done.result.errors == [] and len(github.check_runs) == 1


def test_lost_answers_never_duplicate_writes(github: FakeGitHub, tmp_path: Path) -> None:
    """The connection breaks AFTER GitHub did the write: look before writing again."""
    github.reset("POST", r"/check-runs$", after_write=True)
    github.reset("PATCH", r"/check-runs/\d+$", after_write=True)
    github.reset("POST", r"/comments$", after_write=True)
    report = make_report([finding(i) for i in range(70)])
    done = publish(report, tmp_path, actions_env(tmp_path, github))
    assert done.result.errors == []
    assert [r.method for r in github.writes()] == ["POST", "PATCH", "POST"]  # none sent twice
    assert len(github.check_runs) == 1 and len(github.annotations[done.result.check_run or 0]) == 70
    assert len(list(github.all_comments())) == 1


def test_post_that_timed_out_is_looked_up_not_repeated(github: FakeGitHub, tmp_path: Path) -> None:
    from gates.github.client import GatesRetry, GitHubClient
    from gates.github.context import load_context
    from gates.github.publish import PublishOptions, publish_report

    github.slow("POST", r"/check-runs$", delay=1.5)
    github.slow("POST", r"/comments$", delay=1.5)
    env = actions_env(tmp_path, github)

    def client(ctx: object, env: object) -> GitHubClient:
        return GitHubClient(github.url, "octo/demo", "t", 0, GatesRetry(total=1), timeout=1)

    report = make_report([finding(1)])
    out = io.StringIO()
    result = publish_report(
        report, tmp_path / "g.json", load_context(env), PublishOptions(), env, out, client
    )
    assert result.errors == [] and result.check_run is not None and result.comment is not None
    assert len(github.check_runs) == 1 and len(list(github.all_comments())) == 1
    assert [r.method for r in github.writes()] == ["POST", "POST"]  # each sent once


def test_lost_requests_are_sent_again(github: FakeGitHub, tmp_path: Path) -> None:
    """The connection breaks BEFORE the write: it is made once, by the second attempt."""
    github.reset("POST", r"/check-runs$")
    github.reset("PATCH", r"/check-runs/\d+$")
    github.reset("POST", r"/comments$")
    report = make_report([finding(i) for i in range(70)])
    done = publish(report, tmp_path, actions_env(tmp_path, github))
    assert done.result.errors == []
    assert [r.status for r in github.writes()] == [-1, 201, -1, 200, -1, 201]
    assert len(github.check_runs) == 1 and len(github.annotations[done.result.check_run or 0]) == 70
    assert len(list(github.all_comments())) == 1


def test_server_errors_that_never_end_only_warn(github: FakeGitHub, tmp_path: Path) -> None:
    github.fail("POST", r"/check-runs$", 502, times=100)
    done = publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    assert any("HTTP 502" in e for e in done.result.errors)
    assert "::error file=src/mod1.py" in done.stdout  # annotations reach the PR another way
    assert len(_ours(github)) == 1  # the comment does not depend on the check run


def test_oversized_report_is_cut_within_limits(github: FakeGitHub, tmp_path: Path) -> None:
    findings = [finding(i, "long message " * 40) for i in range(1500)]
    publish(make_report(findings), tmp_path, actions_env(tmp_path, github))
    (comment,) = _ours(github)
    body = str(comment["body"])
    assert len(body) <= limits.COMMENT_BODY and "Report cut to fit" in body
    assert "of 1500 findings shown" in body and "check run" in body
    run = next(iter(github.check_runs.values()))
    assert len(run["output"]["text"]) <= limits.CHECK_OUTPUT_TEXT
    assert len(github.annotations[run["id"]]) == 1500
    summary = (tmp_path / "summary.md").read_bytes()
    assert len(summary) <= limits.STEP_SUMMARY_BYTES


def test_untrusted_text_is_neutralised(github: FakeGitHub, tmp_path: Path) -> None:
    message = "ping @team about #12 <details><summary>x</summary>"
    publish(make_report([finding(1, message)]), tmp_path, actions_env(tmp_path, github))
    (comment,) = _ours(github)
    body = str(comment["body"])
    assert "@team" not in body and "#12" not in body and "<details><summary>x" not in body
    (note,) = github.annotations[next(iter(github.check_runs))]
    assert "@team" not in note["message"] and "#12" not in note["message"]
    assert note["message"].replace("\u200b", "") == message  # reads the same
    fork = publish(
        make_report([finding(1, message)]), tmp_path, actions_env(tmp_path, github, True)
    )
    (command,) = [line for line in fork.stdout.splitlines() if line.startswith("::error")]
    assert "@team" not in command and "#12" not in command


def test_target_is_the_pr_head_not_the_merge_commit(github: FakeGitHub, tmp_path: Path) -> None:
    publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github), statuses=True)
    assert {r["head_sha"] for r in github.check_runs.values()} == {HEAD_SHA}
    assert {s["sha"] for s in github.statuses} == {HEAD_SHA}


def test_statuses_one_per_stage(github: FakeGitHub, tmp_path: Path) -> None:
    findings = [finding(1, severity=Severity.WARNING)]
    report = make_report(findings, verdict=Verdict.ERROR, secrets=Status.ERROR)
    publish(report, tmp_path, actions_env(tmp_path, github), statuses=True)
    by_context = {s["context"]: s for s in github.statuses}
    assert set(by_context) == {"gates/safety", "gates/quality"}
    assert by_context["gates/safety"]["state"] == "error"
    assert by_context["gates/quality"]["state"] == "failure"
    assert all(len(s["description"]) <= limits.STATUS_DESCRIPTION for s in github.statuses)
    assert all(s["target_url"].endswith("/actions/runs/42") for s in github.statuses)


def test_no_token_is_refused_with_401(github: FakeGitHub) -> None:
    from gates.github.client import ApiError, GatesRetry, GitHubClient

    client = GitHubClient(github.url, "octo/demo", "", 0, GatesRetry(total=0))
    with pytest.raises(ApiError, match="HTTP 401 Bad credentials"):
        client.create_status(HEAD_SHA, {"state": "success", "context": "gates/x"})


def test_retries_stop_at_the_time_cap(github: FakeGitHub) -> None:
    from gates.github.client import ApiError, GatesRetry, GitHubClient

    github.fail("POST", r"/statuses/", 502, times=100)
    retry = GatesRetry(backoff_factor=0.2, time_cap=0.5)
    client = GitHubClient(github.url, "octo/demo", "t", 0, retry)
    with pytest.raises(ApiError, match="time cap"):
        client.create_status(HEAD_SHA, {"state": "success", "context": "gates/x"})
    assert 2 <= len(github.requests) < 6  # stopped by the cap, not by the retry count


def test_comment_forbidden_after_the_check_run(github: FakeGitHub, tmp_path: Path) -> None:
    """pull-requests: write missing: the check run has the annotations, so none are printed."""
    github.fail("POST", r"/comments$", 403, body={"message": INTEGRATION})
    done = publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    assert done.result.check_run is not None and "cannot write" in done.result.fallback
    assert done.stdout.count("::warning") == 1 and "::error" not in done.stdout


def test_lost_answer_to_a_comment_edit_is_sent_again(github: FakeGitHub, tmp_path: Path) -> None:
    env = actions_env(tmp_path, github)
    publish(make_report([finding(1)]), tmp_path, env)
    github.reset("PATCH", r"/issues/comments/\d+$")
    done = publish(make_report([finding(2)]), tmp_path, env)
    assert done.result.errors == []
    (comment,) = _ours(github)
    assert "problem number 2" in str(comment["body"])


def test_app_token_author_from_env(github: FakeGitHub, tmp_path: Path) -> None:
    github.login = "my-app[bot]"
    env = actions_env(tmp_path, github) | {"GATES_COMMENT_AUTHOR": "my-app[bot]"}
    from gates.github.client import client_from_env
    from gates.github.context import load_context
    from gates.github.publish import PublishOptions, publish_report

    path = tmp_path / "gates.json"
    for _ in range(2):
        report = make_report([finding(1)])
        publish_report(
            report, path, load_context(env), PublishOptions(), env, io.StringIO(), client_from_env
        )
    assert len(_ours(github)) == 1 and not [r for r in github.requests if r.path == "/user"]


@pytest.mark.parametrize(
    ("status", "path"),
    [(404, r"/check-runs$"), (422, r"/check-runs$"), (404, r"/issues/7/comments$")],
)
def test_client_errors_are_reported_once_and_the_rest_still_publishes(
    github: FakeGitHub, tmp_path: Path, status: int, path: str
) -> None:
    """A 404 (repository or PR gone) or 422 (refused body) is not retried and not fatal: one
    error in the result, the other writes still happen, the verdict is unchanged."""
    github.fail("POST", path, status, times=100)
    done = publish(make_report([finding(1)]), tmp_path, actions_env(tmp_path, github))
    assert [e for e in done.result.errors if f"HTTP {status}" in e]
    failed = [r for r in github.requests if r.status == status]
    assert len(failed) == 1  # a client error is final: no retry storm
    if "check-runs" in path:
        assert len(_ours(github)) == 1  # the comment still arrives
        assert "::error file=src/mod1.py" in done.stdout
    else:
        assert len(github.check_runs) == 1
    github.requests = [r for r in github.requests if r.status != 422]  # injected, not ours
