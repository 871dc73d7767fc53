"""Report builders, an Actions environment and a publish helper for the GitHub tests."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_github import FakeGitHub

from gates.github.client import GatesRetry, GitHubClient
from gates.github.context import PublishContext, load_context
from gates.github.publish import Api, PublishOptions, PublishResult, publish_report
from gates.model import DiffInfo, Finding, GateResult, Report, Severity, Stage, Status, Verdict
from gates.reporters.json_report import load_report, render_json

HEAD_SHA = "a" * 40
MERGE_SHA = "m" * 40
REPO = "octo/demo"


def finding(i: int, message: str = "", severity: Severity = Severity.ERROR, **kw: Any) -> Finding:
    return Finding(
        gate=kw.pop("gate", "ruff"),
        tool=kw.pop("tool", "ruff"),
        rule=kw.pop("rule", f"E{i % 7}"),
        severity=severity,
        path=kw.pop("path", f"src/mod{i % 5}.py"),
        message=message or f"problem number {i}",
        line=kw.pop("line", i + 1),
        new=kw.pop("new", True),
        fingerprint=f"{i:032x}",
        **kw,
    )


def make_report(
    findings: list[Finding] | None = None, verdict: Verdict | None = None, **gates: Status
) -> Report:
    """One quality gate with the findings (fail when any), plus any extra gates by name."""
    found = tuple(findings or ())
    status = Status.FAIL if found else Status.PASS
    results = [GateResult("ruff", Stage.QUALITY, status, found, duration_s=0.5)]
    for name, st in gates.items():
        results.append(GateResult(name, Stage.SAFETY, st, (), detail="boom" if st else ""))
    if verdict is None:
        verdict = Verdict.FAIL if found else Verdict.PASS
    diff = DiffInfo("b" * 40, HEAD_SHA, "b" * 40, "diff", "diff against main", 3, 10, 2)
    report = Report(verdict, diff, tuple(results), "2026-01-01T00:00:00+00:00", 1.0)
    return load_report(render_json(report), "test")  # through the schema, as publish reads it


def write_event(tmp: Path, fork: bool = False, number: int = 7) -> Path:
    head_repo = "someone/demo" if fork else REPO
    event = {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": HEAD_SHA, "repo": {"full_name": head_repo}},
            "base": {"sha": "b" * 40, "repo": {"full_name": REPO}},
        },
        "repository": {"full_name": REPO},
    }
    path = tmp / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def actions_env(
    tmp: Path, api: FakeGitHub, fork: bool = False, token: str = "t0k"
) -> dict[str, str]:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": MERGE_SHA,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(write_event(tmp, fork)),
        "GITHUB_API_URL": api.url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
        "GITHUB_OUTPUT": str(tmp / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GATES_PUBLISH_WRITE_INTERVAL": "0",
    }
    if token:
        env["GITHUB_TOKEN"] = token
    return env


def fast_client(ctx: PublishContext, env: dict[str, str]) -> Api:
    """The real client with short backoffs, so retry tests take well under a second each."""
    retry = GatesRetry(backoff_factor=0.05, backoff_max=0.2, time_cap=10.0)
    return GitHubClient(ctx.api_url, ctx.repo, env.get("GITHUB_TOKEN", ""), 0, retry, timeout=5)


@dataclass
class Published:
    result: PublishResult
    stdout: str
    ctx: PublishContext


def publish(report: Report, tmp: Path, env: dict[str, str], **options: Any) -> Published:
    path = tmp / "reports" / "gates.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(render_json(report), encoding="utf-8")
    ctx = load_context(env)
    out = io.StringIO()
    result = publish_report(report, path, ctx, PublishOptions(**options), env, out, fast_client)
    return Published(result, out.getvalue(), ctx)
