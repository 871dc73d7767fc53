"""The GitHub API through PyGithub: the only module that imports PyGithub or reads the token.

Retries: 5xx, 429 and secondary rate limits (403 with Retry-After, or x-ratelimit-reset) are
retried with exponential backoff for every method, POST and PATCH included (PyGithub's default
never retries PATCH), under a cap on the total waiting time. A connection lost after a POST or
PATCH was sent is NOT retried here: the write may have happened, so the publisher looks for it
before writing again (no second comment, check run or annotation batch).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from github import Auth, Github, GithubException, GithubRetry
from urllib3.exceptions import MaxRetryError
from urllib3.response import BaseHTTPResponse

from gates.github import limits
from gates.github.context import PublishContext

FALLBACK_AUTHOR = "github-actions[bot]"

# PyGithub logs every 403 it inspects at INFO to stderr; an expected 403 (GET /user with an
# Actions token) must not look like a failure in the job log.
logging.getLogger("github").setLevel(logging.WARNING)
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class ApiError(Exception):
    """A request GitHub refused or that could not be completed; the message says which."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ReadOnlyError(ApiError):
    """403 without a rate limit: the token may not write here (fork PR, missing permission)."""


class LostResponseError(ApiError):
    """The connection broke after a write was sent: it may or may not have happened."""


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str


class GatesRetry(GithubRetry):
    """GithubRetry for all methods, with x-ratelimit-reset honoured and a total time cap."""

    def __init__(self, time_cap: float = limits.RETRY_TIME_CAP, waited: float = 0.0, **kw: Any):
        self.time_cap, self.waited = time_cap, waited
        kw.setdefault("total", limits.RETRY_TOTAL)
        kw.setdefault("backoff_factor", limits.RETRY_BACKOFF_FACTOR)
        kw.setdefault("backoff_max", limits.RETRY_BACKOFF_MAX)
        kw.setdefault("retry_after_max", int(limits.RETRY_BACKOFF_MAX * 2))
        kw.setdefault("allowed_methods", frozenset({"GET", "HEAD"} | WRITE_METHODS))
        kw.setdefault("status_forcelist", [*range(500, 600), 429])
        kw.setdefault("raise_on_status", False)
        kw.setdefault("secondary_rate_wait", limits.RETRY_BACKOFF_MAX)
        kw.setdefault("max_rate_limit_wait", time_cap)
        super().__init__(**kw)

    def new(self, **kw: Any) -> GatesRetry:
        kw.update(time_cap=self.time_cap, waited=self.waited)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> GatesRetry:
        if error is not None and method in WRITE_METHODS and self._is_read_error(error):
            raise error  # sent but unanswered: the caller checks before writing again
        return super().increment(method, url, response, error, *args, **kwargs)  # type: ignore

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """Retry-After, else the x-ratelimit-reset time when the remaining count is 0."""
        after = super().get_retry_after(response)
        if after is not None:
            return after
        reset = response.headers.get("x-ratelimit-reset", "")
        if response.headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
            return float(min(max(int(reset) - time.time(), 0.0) + 1, self.retry_after_max))
        return None

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait as urllib3 would, unless that exceeds the total cap for this request."""
        wait = (self.get_retry_after(response) if response else None) or self.get_backoff_time()
        if self.waited + wait > self.time_cap:
            raise MaxRetryError(None, "", f"retry time cap of {self.time_cap:.0f}s reached")  # type: ignore[arg-type]
        self.waited += wait
        super().sleep(response)


def _error(exc: Exception, what: str) -> ApiError:
    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, Mapping) else {}
        message = str(data.get("message") or exc)
        errors = data.get("errors")
        detail = f" ({errors})" if errors else ""
        text = f"{what}: HTTP {exc.status} {message}{detail}"
        if exc.status == 403 and "rate limit" not in message.lower():
            return ReadOnlyError(text, exc.status)
        return ApiError(text, exc.status)
    if isinstance(exc, requests.ReadTimeout):
        return LostResponseError(f"{what}: no answer in time: {exc}")
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ConnectTimeout):
        return LostResponseError(f"{what}: connection lost: {exc}")
    return ApiError(f"{what}: {type(exc).__name__}: {exc}")


class GitHubClient:
    """The few REST calls publishing needs, with errors turned into ApiError values."""

    def __init__(
        self,
        api_url: str,
        repo: str,
        token: str,
        write_interval: float = 1.0,
        retry: GatesRetry | None = None,
        timeout: float = 30.0,
        identity: str = "",
    ) -> None:
        self._gh = Github(
            base_url=api_url,
            auth=Auth.Token(token) if token else None,
            retry=retry or GatesRetry(),
            timeout=int(timeout),
            per_page=100,
            lazy=True,
            seconds_between_requests=None,
            seconds_between_writes=write_interval or None,
        )
        self._repo = self._gh.get_repo(repo)
        self._comments: dict[int, Any] = {}
        self._identity = identity  # known up front for an App token: "<app-slug>[bot]"

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (GithubException, requests.RequestException, MaxRetryError) as exc:
            raise _error(exc, what) from None

    def identity(self) -> str:
        """The token's login; an Actions or App installation token cannot read /user (403),
        and its comments are written by github-actions[bot]."""
        if not self._identity:
            try:
                self._identity = str(self._gh.get_user().login)
            except GithubException:
                self._identity = FALLBACK_AUTHOR
            except requests.RequestException as exc:
                raise _error(exc, "GET /user") from None
        return self._identity

    def create_check_run(self, body: Mapping[str, Any]) -> int:
        run = self._call("create check run", self._repo.create_check_run, **body)
        return int(run.id)

    def update_check_run(self, run_id: int, body: Mapping[str, Any]) -> None:
        run = self._repo.get_check_run(run_id)
        self._call("update check run", run.edit, **body)

    def find_check_run(self, sha: str, name: str, external_id: str) -> int | None:
        def find() -> int | None:
            for run in self._repo.get_commit(sha).get_check_runs(check_name=name):
                if run.external_id == external_id:
                    return int(run.id)
            return None

        result: int | None = self._call("list check runs", find)
        return result

    def annotation_count(self, run_id: int) -> int:
        def count() -> int:
            return int(self._repo.get_check_run(run_id).output.annotations_count)

        result: int = self._call("get check run", count)
        return result

    def comments(self, number: int) -> Iterator[Comment]:
        """Every comment of the PR, following all pages."""
        issue = self._repo.get_issue(number)
        pages = self._call("list comments", lambda: iter(issue.get_comments()))
        while True:
            item = self._call("list comments", next, pages, None)
            if item is None:
                return
            self._comments[int(item.id)] = item
            yield Comment(int(item.id), str(item.user.login), str(item.body or ""))

    def create_comment(self, number: int, body: str) -> int:
        issue = self._repo.get_issue(number)
        comment = self._call("create comment", issue.create_comment, body)
        self._comments[int(comment.id)] = comment
        return int(comment.id)

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        comment = self._comments.get(comment_id)
        if comment is None:
            issue = self._repo.get_issue(number)
            comment = self._call("get comment", issue.get_comment, comment_id)
        self._call("edit comment", comment.edit, body)

    def create_status(self, sha: str, body: Mapping[str, Any]) -> None:
        commit = self._repo.get_commit(sha)
        self._call("create status", commit.create_status, **body)


def client_from_env(ctx: PublishContext, env: Mapping[str, str]) -> GitHubClient:
    """The client for the context's repository, with the token from GITHUB_TOKEN.
    GATES_PUBLISH_WRITE_INTERVAL (seconds, default 1) spaces writes, as GitHub asks;
    GATES_COMMENT_AUTHOR names the comment author when the token cannot read /user."""
    interval = float(env.get("GATES_PUBLISH_WRITE_INTERVAL", "") or 1.0)
    token = env.get("GITHUB_TOKEN", "")
    author = env.get("GATES_COMMENT_AUTHOR", "")
    return GitHubClient(ctx.api_url, ctx.repo, token, interval, identity=author)
