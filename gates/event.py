"""The GitHub Actions event file (`GITHUB_EVENT_PATH`), read in one place by `run` (the base
to diff against) and `publish` (the PR to comment on), with one way of naming what is wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from gates.errors import UsageError


def load_event(
    env: Mapping[str, str], *, missing_ok: bool = False
) -> tuple[str, dict[str, object]]:
    """The event name and payload from GITHUB_EVENT_PATH, or ("", {}) outside Actions.
    `missing_ok`: a path that names no file is no event either (publish on a runner that
    cleaned up, or a dry run with a stale variable)."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return "", {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return "", {}
        raise UsageError(
            f"cannot read the event file GITHUB_EVENT_PATH={path}: no such file"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read the event file GITHUB_EVENT_PATH={path}: {exc.strerror}"
        ) from None
    if not text.strip():
        raise UsageError(f"the event file GITHUB_EVENT_PATH={path} is empty")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"the event file GITHUB_EVENT_PATH={path} is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise UsageError(f"the event file GITHUB_EVENT_PATH={path} is not a JSON object")
    return env.get("GITHUB_EVENT_NAME", ""), payload
