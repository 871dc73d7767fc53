"""Publish a report: check run with annotations, one sticky PR comment, statuses, job summary,
outputs; workflow-command annotations when the API cannot be written (forks, read-only token).

Never raises for a GitHub problem: every failure becomes one line in `PublishResult.errors`,
and the caller keeps the exit code the gates decided (unless --strict-publish).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from gates.github import payloads, workflow
from gates.github.client import ApiError, Comment, LostResponseError, ReadOnlyError
from gates.github.context import PublishContext
from gates.model import Report, Verdict
from gates.reporters.markdown import RunLinks
from gates.text import escape_workflow_data

COMMENT_MODES = ("always", "on-failure", "never")


class Api(Protocol):
    """What publishing needs from GitHub (GitHubClient, or DryRunApi that only prints)."""

    def identity(self) -> str: ...
    def create_check_run(self, body: Mapping[str, Any]) -> int: ...
    def update_check_run(self, run_id: int, body: Mapping[str, Any]) -> None: ...
    def find_check_run(self, sha: str, name: str, external_id: str) -> int | None: ...
    def annotation_count(self, run_id: int) -> int: ...
    def comments(self, number: int) -> Iterator[Comment]: ...
    def create_comment(self, number: int, body: str) -> int: ...
    def edit_comment(self, number: int, comment_id: int, body: str) -> None: ...
    def create_status(self, sha: str, body: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class PublishOptions:
    check_name: str = "gates"
    comment: str = "always"  # always | on-failure | never
    statuses: bool = False
    dry_run: bool = False


@dataclass
class PublishResult:
    check_run: int | None = None
    annotations: int = 0
    comment: int | None = None
    statuses: int = 0
    fallback: str = ""  # why the API was not (fully) written, when it was not
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.fallback)


def once_more(write: Callable[..., None], *args: Any) -> None:
    """An idempotent write (a comment's new body, a status) is simply sent again when its
    answer was lost."""
    try:
        write(*args)
    except LostResponseError:
        write(*args)


@dataclass
class Publisher:
    report: Report
    ctx: PublishContext
    options: PublishOptions
    api: Api
    result: PublishResult = field(default_factory=PublishResult)

    def check_run(self) -> None:
        """Create the check run with the first 50 annotations, PATCH the rest 50 at a time."""
        external_id = f"gates-{secrets.token_hex(8)}"
        plan = payloads.check_run_plan(
            self.report,
            self.options.check_name,
            self.ctx.sha,
            external_id,
            self.ctx.link_base,
            self.ctx.run_url,
        )
        try:
            run_id = self.api.create_check_run(plan.create)
        except LostResponseError:
            found = self.api.find_check_run(self.ctx.sha, self.options.check_name, external_id)
            run_id = found if found is not None else self.api.create_check_run(plan.create)
        self.result.check_run = run_id
        sent = self.result.annotations = len(plan.create["output"]["annotations"])
        for body in plan.updates:
            sent += len(body["output"]["annotations"])
            try:
                self.api.update_check_run(run_id, body)
            except LostResponseError:
                if self.api.annotation_count(run_id) < sent:
                    self.api.update_check_run(run_id, body)
            self.result.annotations = sent

    def comment(self) -> None:
        """Edit our comment in place, or create it; `on-failure` creates none for a pass."""
        number = self.ctx.pr_number
        if number is None or self.options.comment == "never":
            return
        body = payloads.comment_body(
            self.report, self.options.check_name, self.ctx.link_base, self._links()
        )
        existing = self._find_comment(number)
        if existing is None:
            if self.options.comment == "on-failure" and self.report.verdict is Verdict.PASS:
                return
            try:
                self.result.comment = self.api.create_comment(number, body)
                return
            except LostResponseError:
                existing = self._find_comment(number)
                if existing is None:
                    self.result.comment = self.api.create_comment(number, body)
                    return
        if existing.body != body:
            once_more(self.api.edit_comment, number, existing.id, body)
        self.result.comment = existing.id

    def _links(self) -> RunLinks:
        """The workflow run, and the check run this publish made (when it made one)."""
        check = self.result.check_run
        check_url = f"{self.ctx.server_url}/{self.ctx.repo}/runs/{check}" if check else ""
        return RunLinks(run_url=self.ctx.run_url, check_url=check_url)

    def _find_comment(self, number: int) -> Comment | None:
        me = self.api.identity()
        for c in self.api.comments(number):
            if payloads.is_our_comment(c.body, c.author, self.options.check_name, me):
                return c
        return None

    def statuses(self) -> None:
        if not self.options.statuses:
            return
        for body in payloads.statuses(self.report, self.ctx.run_url):
            once_more(self.api.create_status, self.ctx.sha, body)
            self.result.statuses += 1

    def run(self) -> PublishResult:
        """Each part on its own: a failed comment does not stop the statuses. The first 403
        that is not a rate limit means a read-only token: stop writing, fall back."""
        if self.ctx.is_fork:
            self.result.fallback = "a pull request from a fork gets a read-only token"
            return self.result
        for part in (self.check_run, self.comment, self.statuses):
            try:
                part()
            except ReadOnlyError as exc:
                self.result.fallback = f"the token cannot write ({exc})"
                break
            except ApiError as exc:
                self.result.errors.append(str(exc))
            except Exception as exc:  # a surprise from PyGithub must not fail the gates' job
                self.result.errors.append(f"{part.__name__}: {type(exc).__name__}: {exc}")
        return self.result


class DryRunApi:
    """Prints each request that would be sent (method, path, body size) and sends nothing."""

    def __init__(self, ctx: PublishContext, out: TextIO) -> None:
        self.base = f"/repos/{ctx.repo or '{owner}/{repo}'}"
        self.out = out

    def _say(self, method: str, path: str, body: object = None, note: str = "") -> None:
        size = f" ({len(json.dumps(body))} bytes{note})" if body is not None else note
        self.out.write(f"would send: {method} {path}{size}\n")

    def identity(self) -> str:
        self._say("GET", "/user", note=" (else github-actions[bot])")
        return "(token)"

    def create_check_run(self, body: Mapping[str, Any]) -> int:
        count = len(body["output"]["annotations"])
        self._say("POST", f"{self.base}/check-runs", body, f", {count} annotations")
        return 0

    def update_check_run(self, run_id: int, body: Mapping[str, Any]) -> None:
        count = len(body["output"]["annotations"])
        self._say("PATCH", f"{self.base}/check-runs/{{id}}", body, f", {count} annotations")

    def find_check_run(self, sha: str, name: str, external_id: str) -> int | None:
        return None

    def annotation_count(self, run_id: int) -> int:
        return 0

    def comments(self, number: int) -> Iterator[Comment]:
        self._say("GET", f"{self.base}/issues/{number}/comments", note=" (all pages)")
        return iter(())

    def create_comment(self, number: int, body: str) -> int:
        note = ", or PATCH of our earlier comment if there is one"
        self._say("POST", f"{self.base}/issues/{number}/comments", {"body": body}, note)
        return 0

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        self._say("PATCH", f"{self.base}/issues/comments/{comment_id}", {"body": body})

    def create_status(self, sha: str, body: Mapping[str, Any]) -> None:
        self._say("POST", f"{self.base}/statuses/{sha}", body, f", {body['context']}")


def fall_back(report: Report, reason: str, out: TextIO, annotate: bool) -> None:
    """One clear warning, then (unless the check run has them) the first new findings as
    workflow-command annotations."""
    where = "the job summary and the annotations below" if annotate else "the job summary"
    out.write(f"::warning title=gates publish::{escape_workflow_data(reason)}; see {where}\n")
    if annotate:
        workflow.emit_annotations(payloads.publishable(report), out)


def publish_report(
    report: Report,
    report_path: Path,
    ctx: PublishContext,
    options: PublishOptions,
    env: Mapping[str, str],
    out: TextIO,
    make_api: Callable[[PublishContext, Mapping[str, str]], Api],
) -> PublishResult:
    """The whole publish step; what went wrong is in the result, never raised."""
    if options.dry_run:
        out.write("gates publish --dry-run: nothing is sent or written\n")
        result = Publisher(report, ctx, options, DryRunApi(ctx, out)).run()
        if result.fallback:
            out.write(f"would send nothing ({result.fallback}); would print annotations\n")
        return result
    link = ctx.link_base if ctx.repo and ctx.sha else None
    problems = workflow.write_outputs_and_summary(report, report_path, env, link)
    if not ctx.is_fork and not ctx.has_token:
        result = PublishResult(fallback="GITHUB_TOKEN is not set")
    else:
        result = Publisher(report, ctx, options, make_api(ctx, env)).run()
    result.errors[:0] = problems
    if result.fallback:
        fall_back(report, result.fallback, out, annotate=result.check_run is None)
    elif result.check_run is None:
        workflow.emit_annotations(payloads.publishable(report), out)
    for problem in result.errors:
        out.write(f"::warning title=gates publish::{escape_workflow_data(problem)}\n")
    if not result.fallback:
        out.write(summary_line(result, ctx) + "\n")
    return result


def summary_line(result: PublishResult, ctx: PublishContext) -> str:
    run = f"check run {result.check_run}" if result.check_run is not None else "no check run"
    comment = f"comment {result.comment}" if result.comment is not None else "no comment"
    return (
        f"gates publish: {run} on {ctx.sha[:12]} ({result.annotations} annotations), "
        f"{comment}, {result.statuses} statuses"
    )
