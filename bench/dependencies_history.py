"""Replay the `dependencies` gate over a real repository's history: every commit that touched a
manifest is judged as a PR (its parent is the base), offline, and the findings are counted by
rule. A real project's own history is nearly all legitimate dependency changes, so what the name
rules report there is the noise a team would see.

.venv/bin/python bench/dependencies_history.py REPO [--commits N] [--verbose]

REPO is any git repository (a bare mirror works: nothing is checked out).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

from gates.checks.changes import FileChange
from gates.checks.dependencies import DependenciesGate
from gates.checks.deps.index import OfflineIndex
from gates.checks.deps.judge import judge
from gates.checks.deps.sides import manifest_kind
from gates.model import Finding


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, errors="replace"
    )
    return done.stdout


def commit_changes(repo: Path, sha: str) -> list[FileChange]:
    """The manifests (and `.txt` files a `-r` may name) a commit touched, at parent and commit."""
    changes = []
    for row in _git(
        repo, "diff-tree", "--no-commit-id", "-r", "-M", "--name-status", sha
    ).splitlines():
        status, *paths = row.split("\t")
        old, new = paths[0], paths[-1]
        if not (manifest_kind(new) or new.endswith(".txt")):
            continue
        base = None if status.startswith("A") else _git(repo, "show", f"{sha}^:{old}") or None
        head = None if status.startswith("D") else _git(repo, "show", f"{sha}:{new}") or None
        renamed = old if status.startswith("R") else None
        changes.append(FileChange(new, base, head, renamed))
    return changes


def replay(repo: Path, limit: int) -> tuple[int, list[Finding]]:
    options = {key: option.default for key, option in DependenciesGate.options.items()}
    judged, findings = 0, []
    for sha in _git(repo, "log", "--format=%H", "--no-merges").split():
        changes = commit_changes(repo, sha)
        if not changes:
            continue
        found = judge(changes, options, OfflineIndex("offline"))
        findings += [f.replace(extra={"commit": sha[:10]}) for f in found]
        judged += 1
        if judged >= limit:
            break
    return judged, findings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--commits", type=int, default=300, help="manifest commits to judge")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    judged, findings = replay(args.repo, args.commits)
    counts = Counter(f.rule for f in findings)
    summary = dict(sorted(counts.items()))
    print(f"{args.repo}: {judged} commits touching manifests; findings: {summary}")
    if args.verbose:
        for finding in findings:
            print(f"  {finding.extra['commit']} {finding.rule}: {finding.message[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
