"""Whether a workflow runs on a pull request that changes the project's Python code.

A workflow's checks stop gating pull requests without any step changing when its `on:` does:
`pull_request` dropped, narrowed to `types: [closed]`, or filtered with `paths` /
`paths-ignore` so that a change to Python code no longer triggers it, or `push` limited to
the default branch. The filters are GitHub's globs, tried on a few sample changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# What a typical code change touches; a workflow gates PRs when one of them triggers it.
SAMPLE_CHANGES = ("src/pkg/module.py", "pkg/module.py", "tests/test_module.py", "module.py")
_RUN_TYPES = frozenset({"opened", "synchronize", "reopened"})
_PR_EVENTS = ("pull_request", "pull_request_target")


def not_on_pull_requests(on: object) -> str:
    """ "" when the workflow runs on a pull request that changes Python code; else why not
    (a phrase starting with "the workflow"). No `on:` at all (a partial file) counts as runs."""
    triggers = _normalise(on)
    if not triggers or "merge_group" in triggers:
        return ""
    reasons = []
    for event in _PR_EVENTS:
        if event in triggers:
            why = _pull_request_filtered(event, triggers[event])
            if not why:
                return ""
            reasons.append(why)
    if "push" in triggers:
        why = _push_filtered(triggers["push"])
        if not why:
            return ""
        reasons.append(why)
    if not reasons:
        return f"the workflow runs only on {', '.join(sorted(triggers))}"
    return "the workflow " + "; ".join(reasons)


def _normalise(on: object) -> dict[str, Mapping[str, Any]]:
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {str(event): {} for event in on}
    if isinstance(on, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in on.items()}
    return {}


def _pull_request_filtered(event: str, config: Mapping[str, Any]) -> str:
    types = _strings(config.get("types"))
    if types and not set(types) & _RUN_TYPES:
        return f"runs on {event} only when {', '.join(types)}"
    return _paths_filtered(event, config)


def _push_filtered(config: Mapping[str, Any]) -> str:
    branches = _strings(config.get("branches"))
    if "tags" in config and "branches" not in config:
        return "runs on push only for tags"
    if branches and not any("*" in b for b in branches):
        return f"runs on push only to {', '.join(branches)}"
    return _paths_filtered("push", config)


def _paths_filtered(event: str, config: Mapping[str, Any]) -> str:
    paths, ignored = _strings(config.get("paths")), _strings(config.get("paths-ignore"))
    if paths and not any(_last_match(paths, s) for s in SAMPLE_CHANGES):
        return f"skips Python changes on {event} (paths: {', '.join(paths)})"
    if ignored and all(_last_match(ignored, s) for s in SAMPLE_CHANGES):
        return f"skips Python changes on {event} (paths-ignore: {', '.join(ignored)})"
    return ""


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _last_match(patterns: list[str], path: str) -> bool:
    """GitHub's rule: the last pattern that matches decides; `!` negates."""
    included = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if glob(pattern[1:] if negated else pattern).fullmatch(path):
            included = not negated
    return included


def glob(pattern: str) -> re.Pattern[str]:
    """A GitHub filter glob as a regex: `**` crosses folders (`**/` also matches none),
    `*` and `?` stay within one."""
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out))
