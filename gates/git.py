"""Talk to git: resolve the base and head of a PR, fetch what a shallow clone lacks.

Base resolution order (the contract in docs/cli.md): `--base`; the event file at
`GITHUB_EVENT_PATH` (pull_request.base.sha, merge_group.base_sha, push `before`); the merge-base
of HEAD with origin's default branch; none (every file counts as changed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gates.errors import UsageError
from gates.event import load_event
from gates.proc import ProcResult, run_process, scrubbed_env

ZERO_SHA = "0" * 40
DEFAULT_BRANCH_REFS = ("origin/HEAD", "origin/main", "origin/master")
FETCH_DEPTHS = (50, 200, 1000)


class Git:
    """A repository at `root`; every call is argv-only and bounded in time."""

    def __init__(self, root: Path, timeout_s: float = 300.0) -> None:
        self.root = root
        self.timeout_s = timeout_s

    def run(
        self,
        *args: str,
        timeout_s: float | None = None,
        stdin: bytes | None = None,
        index: bool = False,
    ) -> ProcResult:
        """Run git. Inside a git hook GIT_INDEX_FILE names the hook's index; only commands that
        mean to read it (`index=True`) see it: `worktree add` with it set would overwrite it."""
        env = scrubbed_env()
        if not index:
            env.pop("GIT_INDEX_FILE", None)
        env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"})
        return run_process(
            ["git", "-c", "core.quotePath=true", *args],
            cwd=self.root,
            env=env,
            timeout_s=timeout_s or self.timeout_s,
            stdin=stdin,
        )

    def out(self, *args: str) -> str | None:
        result = self.run(*args)
        return result.stdout if result.ok else None

    def rev(self, ref: str) -> str | None:
        out = self.out("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        return out.strip() if out else None

    def show_file(self, rev: str, path: str) -> str | None:
        """A file's text as committed at `rev`; None when it is not there."""
        result = self.run("cat-file", "blob", f"{rev}:{path}")
        return result.out.decode("utf-8", errors="replace") if result.ok else None

    def tree_id(self, rev: str) -> str | None:
        """The id of a commit's tree: a hash of every file's content at that commit."""
        out = self.out("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{tree}}")
        return out.strip() if out else None

    def has_tracked_changes(self) -> bool:
        """Uncommitted changes to tracked files (staged or not) in the work tree."""
        result = self.run("status", "--porcelain", "-z", "--untracked-files=no")
        return not result.ok or bool(result.out.strip(b"\0"))

    def has_commit(self, sha: str) -> bool:
        return self.run("cat-file", "-e", f"{sha}^{{commit}}").ok

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.out("merge-base", a, b)
        return out.strip() if out else None

    def is_shallow(self) -> bool:
        return (self.out("rev-parse", "--is-shallow-repository") or "").strip() == "true"

    def fetch(self, *refs: str, depth: int | None = None) -> bool:
        args = ["fetch", "--no-tags", "--quiet", "--no-recurse-submodules"]
        if depth is not None:
            args.append(f"--depth={depth}")
        return self.run(*args, "origin", *refs, timeout_s=self.timeout_s).ok

    def tracked_files(self, rev: str | None = None) -> list[str]:
        if rev is None:
            out = self.out("ls-files", "-z", "--cached")
        else:
            out = self.out("ls-tree", "-r", "-z", "--name-only", rev)
        return [p for p in (out or "").split("\0") if p]


def staged_commit(git: Git) -> tuple[str, str | None]:
    """A commit holding exactly the index (the staged changes) on top of HEAD, and HEAD.

    Nothing moves: no ref, no work tree file, no index entry; the commit object is unreachable
    and git's gc removes it. Running on it checks what `git commit` would record, without the
    unstaged edits, so a pre-commit hook can diff HEAD..staged like any other pair of commits.
    """
    tree = git.run("write-tree", index=True)
    if not tree.ok:
        raise UsageError(f"cannot read the staged changes (git write-tree): {tree.tail(300)}")
    head = git.rev("HEAD")
    parents = ["-p", head] if head else []
    identity = ("-c", "user.name=gates", "-c", "user.email=gates@localhost")
    made = git.run(
        *identity, "commit-tree", *parents, "-m", "gates: staged changes", tree.stdout.strip()
    )
    if not made.ok:
        raise UsageError(f"cannot record the staged changes (git commit-tree): {made.tail(300)}")
    return made.stdout.strip(), head


def repo_root(path: Path) -> Path:
    """The top of the work tree that contains `path`, or a UsageError that says why not."""
    if not path.exists():
        raise UsageError(f"path does not exist: {path}")
    if not path.is_dir():
        raise UsageError(f"not a directory: {path}")
    result = Git(path).run("rev-parse", "--show-toplevel")
    if result.missing:
        raise UsageError("git is not installed; gates needs git to find what the PR changed")
    if not result.ok:
        raise UsageError(f"not a git repository: {path}")
    return Path(result.stdout.strip())


@dataclass(frozen=True)
class Revisions:
    base: str | None  # the resolved base commit, or None when there is none
    head: str
    merge_base: str | None
    note: str  # how the base was found and the diff obtained, for the report


def _dig(payload: Mapping[str, object], *keys: str) -> str | None:
    """The string at `keys`, None when absent; a value of the wrong type is a UsageError, so a
    malformed event file is named instead of silently ignored."""
    node: object = payload
    for depth, key in enumerate(keys):
        if node is None:
            return None
        if not isinstance(node, dict):
            where = ".".join(keys[:depth]) or "(top)"
            raise UsageError(f"event file: {where} must be an object, got {type(node).__name__}")
        node = node.get(key)
    if node is None or node == "":
        return None
    if not isinstance(node, str):
        raise UsageError(
            f"event file: {'.'.join(keys)} must be a string, got {type(node).__name__}"
        )
    return node


def base_from_event(event_name: str, payload: Mapping[str, object]) -> tuple[str | None, str]:
    """The base commit an event names, and a phrase saying where it came from."""
    if event_name in ("pull_request", "pull_request_target") or (
        not event_name and "pull_request" in payload
    ):
        sha = _dig(payload, "pull_request", "base", "sha")
        return sha, "pull_request.base.sha"
    if event_name == "merge_group" or (not event_name and "merge_group" in payload):
        return _dig(payload, "merge_group", "base_sha"), "merge_group.base_sha"
    if event_name == "push" or (not event_name and "before" in payload):
        before = _dig(payload, "before")
        if before and before != ZERO_SHA:
            return before, "push event 'before'"
        return None, "push event without a previous commit"
    return None, f"event '{event_name}' names no base"


def head_from_event(event_name: str, payload: Mapping[str, object]) -> str | None:
    if event_name in ("pull_request", "pull_request_target") or "pull_request" in payload:
        return _dig(payload, "pull_request", "head", "sha")
    return None


def resolve_revisions(
    git: Git,
    base_arg: str | None,
    head_arg: str,
    env: Mapping[str, str] | None = None,
) -> Revisions:
    env = os.environ if env is None else env
    head = git.rev(head_arg)
    if head is None:
        if git.rev("HEAD") is None:
            raise UsageError("the repository has no commits yet; nothing to check")
        raise UsageError(f"--head {head_arg!r} is not a commit in this repository")
    base_ref, source = _choose_base(git, base_arg, env)
    if base_ref is None:
        return Revisions(None, head, None, f"no base ({source}): every file counts as changed")
    base, fetch_note = _ensure_commit(git, base_ref)
    if base is None:
        if base_arg is not None and not _looks_like_sha(base_arg):
            raise UsageError(f"--base {base_arg!r} is not a commit in this repository")
        note = f"base {base_ref} ({source}) could not be found or fetched{fetch_note}"
        return Revisions(None, head, None, note + "; every file counts as changed")
    merge_base, mb_note = _merge_base(git, base, head)
    if merge_base is None:
        note = f"base {base[:12]} ({source}) shares no history with head{mb_note}"
        return Revisions(base, head, None, note + "; diffed base..head directly")
    note = f"base {base[:12]} from {source}; diff is merge-base {merge_base[:12]}..head"
    return Revisions(base, head, merge_base, note + fetch_note + mb_note)


def _looks_like_sha(ref: str) -> bool:
    return 7 <= len(ref) <= 64 and all(c in "0123456789abcdef" for c in ref.lower())


def _choose_base(git: Git, base_arg: str | None, env: Mapping[str, str]) -> tuple[str | None, str]:
    if base_arg:
        return base_arg, "--base"
    event_name, payload = load_event(env)
    if payload:
        sha, source = base_from_event(event_name, payload)
        if sha:
            return sha, source
    for ref in DEFAULT_BRANCH_REFS:
        if git.rev(ref):
            head = git.rev("HEAD")
            tip = git.rev(ref)
            if head and tip and head != tip:
                return ref, f"merge-base with {ref}"
            return None, f"HEAD is {ref} itself"
    return None, "no --base, no event file, no origin default branch"


def _ensure_commit(git: Git, ref: str) -> tuple[str | None, str]:
    """Resolve `ref`, fetching it from origin when a shallow clone lacks it."""
    sha = git.rev(ref)
    if sha:
        return sha, ""
    if not _looks_like_sha(ref):
        return None, ""
    for depth in FETCH_DEPTHS:
        if git.fetch(ref, depth=depth) and git.has_commit(ref):
            return git.rev(ref), f"; fetched base from origin (depth {depth})"
    return None, " (fetch from origin failed)"


def _merge_base(git: Git, base: str, head: str) -> tuple[str | None, str]:
    """The merge-base, deepening a shallow clone until the two histories meet."""
    found = git.merge_base(base, head)
    if found or not git.is_shallow():
        return found, ""
    for depth in FETCH_DEPTHS:
        git.fetch(base, head, depth=depth) or git.fetch(base, depth=depth)
        found = git.merge_base(base, head)
        if found:
            return found, f"; deepened shallow clone to {depth}"
    if git.run("fetch", "--no-tags", "--quiet", "--unshallow", "origin").ok:
        found = git.merge_base(base, head)
        if found:
            return found, "; unshallowed the clone"
    return None, " (shallow clone could not be deepened)"


def show_file(git: Git, rev: str, path: str) -> bytes | None:
    """A file's bytes at a revision (for before/after comparisons), None if absent."""
    result = git.run("cat-file", "blob", f"{rev}:{path}")
    return result.out if result.ok else None


def blob_size(git: Git, rev: str, path: str) -> int | None:
    """A file's size at a revision without reading it, None if absent."""
    out = git.out("cat-file", "-s", f"{rev}:{path}")
    return int(out) if out and out.strip().isdigit() else None


def git_args_for_paths(paths: Sequence[str]) -> list[str]:
    """Pathspecs that git takes literally, whatever characters the names contain."""
    return ["--", *(f":(literal){p}" for p in paths)]


class Worktree:
    """A detached checkout of `rev` in a temporary directory, removed on exit.

    Lets gates run tools on a revision other than the one checked out, without touching the
    user's work tree.
    """

    def __init__(self, git: Git, rev: str, where: Path) -> None:
        self.git = git
        self.rev = rev
        self.path = where / "worktree"

    def __enter__(self) -> Path:
        result = self.git.run("worktree", "add", "--detach", "--force", str(self.path), self.rev)
        if not result.ok:
            raise UsageError(f"cannot check out {self.rev[:12]} in a worktree: {result.tail(300)}")
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.git.run("worktree", "remove", "--force", str(self.path))
        self.git.run("worktree", "prune")
