"""Where to publish: the GitHub Actions environment and event file, read once into a value.

The target commit of a pull_request event is `pull_request.head.sha`: GITHUB_SHA is the merge
commit GitHub made, and results posted there do not show on the PR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gates.errors import UsageError
from gates.event import load_event

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"


@dataclass(frozen=True)
class PublishContext:
    repo: str  # "owner/name"
    sha: str  # the commit results are posted to
    pr_number: int | None
    is_fork: bool
    api_url: str
    server_url: str
    has_token: bool
    event_name: str = ""
    run_url: str = ""

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]

    @property
    def link_base(self) -> str:
        """Prefix of `blob/<sha>/<path>` links to the files of the target commit."""
        return f"{self.server_url}/{self.repo}/blob/{self.sha}/"


def read_event(env: Mapping[str, str]) -> dict[str, Any]:
    return load_event(env, missing_ok=True)[1]


def _dig(data: Mapping[str, Any], *keys: str) -> Any:
    cur: Any = data
    for key in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


WRITE_TOKEN_EVENTS = ("pull_request_target", "workflow_run")


def load_context(env: Mapping[str, str], require_repo: bool = True) -> PublishContext:
    """Build the context; a missing repository or commit is a UsageError (exit 2)."""
    event = read_event(env)
    repo = env.get("GITHUB_REPOSITORY", "") or str(_dig(event, "repository", "full_name") or "")
    if require_repo and "/" not in repo:
        raise UsageError("GITHUB_REPOSITORY is not set (owner/name); use --dry-run outside Actions")
    pr = _dig(event, "pull_request")
    sha = ""
    number: int | None = None
    is_fork = False
    if isinstance(pr, Mapping):
        sha = str(_dig(pr, "head", "sha") or "")
        raw_number = pr.get("number") or event.get("number")
        number = int(raw_number) if isinstance(raw_number, int) else None
        head_repo = _dig(pr, "head", "repo", "full_name")
        base_repo = _dig(pr, "base", "repo", "full_name") or repo
        # pull_request_target and workflow_run (the fork-safe publisher, given the PR's event)
        # run in the base repository with a write token, forks included.
        from_fork = bool(head_repo) and head_repo != base_repo
        is_fork = from_fork and env.get("GITHUB_EVENT_NAME") not in WRITE_TOKEN_EVENTS
    sha = sha or env.get("GITHUB_SHA", "")
    if require_repo and not sha:
        raise UsageError("no target commit: neither pull_request.head.sha nor GITHUB_SHA is set")
    server = env.get("GITHUB_SERVER_URL", "") or DEFAULT_SERVER_URL
    run_id = env.get("GITHUB_RUN_ID", "")
    return PublishContext(
        repo=repo,
        sha=sha,
        pr_number=number,
        is_fork=is_fork,
        api_url=(env.get("GITHUB_API_URL", "") or DEFAULT_API_URL).rstrip("/"),
        server_url=server.rstrip("/"),
        has_token=bool(env.get("GITHUB_TOKEN", "")),
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        run_url=f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}" if run_id and repo else "",
    )
