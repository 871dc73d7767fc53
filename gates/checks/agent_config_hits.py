"""What the agent-config scanners report, before the gate compares base and head.

A `Hit` carries a `key`: what the problem is, without its line (the directive's words, a server's
name and command). The gate reports a head hit only when the base file has no hit with the same
key, so a PR that edits one line of an old CLAUDE.md is not blamed for the rest of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from gates.model import Severity

GATE = "agent-config"

CHANGED = "agent-config-changed"
INVALID = "agent-config-invalid"
HIDDEN_UNICODE = "agent-hidden-unicode"
INJECTION = "agent-injection"
SKIP_TESTS = "agent-skip-tests"
DISABLE_CHECKS = "agent-disable-checks"
PROTECTED_BRANCH = "agent-protected-branch"
EXFILTRATION = "agent-exfiltration"
REMOTE_SCRIPT = "agent-remote-script"
CREDENTIAL = "agent-config-secret"
PERMISSIONS = "agent-permissions-broad"
UNPINNED = "mcp-unpinned-package"
INSECURE_URL = "mcp-insecure-url"
UNKNOWN_HOST = "mcp-unknown-host"

SEVERITY = {
    CHANGED: Severity.NOTE,
    INVALID: Severity.WARNING,
    HIDDEN_UNICODE: Severity.ERROR,
    INJECTION: Severity.ERROR,
    SKIP_TESTS: Severity.ERROR,
    DISABLE_CHECKS: Severity.ERROR,
    PROTECTED_BRANCH: Severity.ERROR,
    EXFILTRATION: Severity.ERROR,
    REMOTE_SCRIPT: Severity.ERROR,
    CREDENTIAL: Severity.ERROR,
    PERMISSIONS: Severity.ERROR,
    UNPINNED: Severity.WARNING,
    INSECURE_URL: Severity.ERROR,
    UNKNOWN_HOST: Severity.WARNING,
}


@dataclass(frozen=True)
class Hit:
    """One problem in one side of a file. `message` never holds a secret or an invisible
    character; `key` identifies the problem across base and head (no line number in it)."""

    rule: str
    line: int | None
    message: str
    key: str
    column: int | None = None
    snippet_hash: str = ""  # set when the line holds a secret: the hash of the masked line
