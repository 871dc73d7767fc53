"""agent-config: the files that steer AI coding agents, and the MCP servers they start.

AGENTS.md, CLAUDE.md, `.cursorrules`, Copilot instructions and their kin are obeyed by every
agent that opens the repository, and MCP configs start programs on the developer's machine: a PR
that edits them changes what runs and what an agent does for everyone after it. Published
attacks hide instructions in them with invisible Unicode (the "rules file backdoor") or add MCP
servers that run an attacker's package. So every change to such a file is a note for a human,
and what the change brings in is judged: hidden text, injections, instructions to skip tests,
silence checks, bypass review or send data out (agent_config_text), and MCP entries and agent
permissions (agent_config_mcp).

Each side of a touched file is scanned and only what the head has and the base had not is
reported, so editing one line of an old file does not blame the PR for the rest.
"""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from collections.abc import Mapping, Sequence

from gates.checks.agent_config_hits import CHANGED, GATE, SEVERITY, Hit
from gates.checks.agent_config_mcp import scan_config
from gates.checks.agent_config_text import directives, hidden_text, injections
from gates.checks.base import Source
from gates.checks.changes import ChangeCheckGate, FileChange
from gates.checks.redact import withholding_details
from gates.gate import GateContext, GateOutcome, GateTraits, Option
from gates.model import Finding, Stage
from gates.paths import check_host_globs, matches
from gates.sources import read_text
from gates.text import one_line, reveal_invisible

# Every file an agent reads as its instructions or configuration. A name without `/` matches
# in any folder (AGENTS.md of a sub-package applies there); a folder matches every file below.
AGENT_CONFIG_GLOBS = (
    # instructions
    "AGENTS.md",
    "AGENT.md",
    "CLAUDE.md",
    "CLAUDE.local.md",
    "GEMINI.md",
    ".cursorrules",
    "**/.cursor/rules/**",
    ".windsurfrules",
    "**/.windsurf/rules/**",
    ".clinerules",
    ".github/copilot-instructions.md",
    ".github/instructions/**",
    ".github/prompts/**",
    ".github/chatmodes/**",
    ".claude/commands/**",
    ".claude/agents/**",
    # skills: a SKILL.md an agent loads when its description fits the task, with the scripts
    # and references it tells the agent to run or read (a package may ship one for its users)
    "**/.agents/skills/**",
    "**/.claude/skills/**",
    ".github/skills/**",
    # MCP servers and agent settings
    ".mcp.json",
    ".vscode/mcp.json",
    ".cursor/mcp.json",
    ".claude/settings*.json",
    ".gemini/settings.json",
    ".amazonq/mcp.json",
)

# Remote MCP endpoints run by the vendors themselves; `allowed_hosts` replaces the list.
DEFAULT_ALLOWED_HOSTS = (
    "api.githubcopilot.com",
    "mcp.atlassian.com",
    "mcp.linear.app",
    "mcp.notion.com",
    "mcp.sentry.dev",
    "mcp.stripe.com",
    "mcp.context7.com",
)
_REVIEW = "a human should read what it now tells agents to do"
_REVIEW_SCRIPT = "a human should read what agents that load the skill will now run"
# What an agent reads as prose: the text rules apply to these (and to dotted rules files with no
# suffix, `.cursorrules`); a skill's scripts and data files are code, reviewed as such (the note).
_TEXT_SUFFIXES = (".md", ".mdc", ".markdown", ".txt", ".rst")
_MAX_DIFF_LINES = 20_000  # a bigger file is counted as replaced, not diffed line by line


def is_agent_config(path: str) -> bool:
    return matches(path, AGENT_CONFIG_GLOBS)


def is_json(path: str) -> bool:
    return path.lower().endswith(".json")


def is_instruction_text(path: str) -> bool:
    """Whether an agent file is prose the text rules judge: Markdown or text, or a dotted rules
    file with no suffix. A skill's `scripts/x.py` is code: a `# TODO: skip the test` comment or a
    fixture string there is not an order to the agent."""
    name = path.lower().rsplit("/", 1)[-1]
    return name.endswith(_TEXT_SUFFIXES) or (name.startswith(".") and "." not in name[1:])


class AgentConfigGate(ChangeCheckGate):
    """Changes to agent instruction files and MCP configs: a note each, errors for attacks."""

    name = GATE
    stage = Stage.SECURITY
    description = (
        "files that steer AI agents and MCP servers: hidden text, shortcuts, unpinned servers"
    )
    default_fail_on = "warning"
    # Starting includes importing detect-secrets.
    traits = GateTraits(cost_model=(0.1, 0.05), rules=frozenset(SEVERITY))
    options: Mapping[str, Option] = {
        "review_note": Option(
            bool, True, help="a note for every changed agent file that has no finding of its own"
        ),
        "allowed_hosts": Option(
            list,
            list(DEFAULT_ALLOWED_HOSTS),
            item=str,
            check=check_host_globs,
            help="host globs remote MCP servers may connect to (replaces the default list)",
        ),
    }

    def wants(self, path: str) -> bool:
        return is_agent_config(path)

    def scan_changes(
        self, changes: Sequence[FileChange], options: Mapping[str, object]
    ) -> list[Finding]:
        allowed = _hosts(options)
        note = options.get("review_note", True) is not False
        findings: list[Finding] = []
        for change in changes:
            if self.wants(change.path) or (change.base_path and self.wants(change.base_path)):
                findings += judge_change(change, allowed, note)
        return findings

    def run(self, ctx: GateContext) -> GateOutcome:
        """As a change check; with no base (a whole tree), every agent file's content is judged
        as if added, without the note. A crash names no detail: the files may hold secrets."""
        if ctx.diff.base is None or ctx.diff.all_changed:
            return withholding_details(self.name, functools.partial(self._whole_tree, ctx))
        run = functools.partial(ChangeCheckGate.run, self, ctx)
        return withholding_details(self.name, run)

    def _whole_tree(self, ctx: GateContext) -> GateOutcome:
        changes = []
        for path in ctx.files:
            text = read_text(ctx.root, path) if self.wants(path) else None
            if text is not None:
                changes.append(FileChange(path=path, base=None, head=text))
        findings = self.scan_changes(changes, {**ctx.options, "review_note": False})
        return GateOutcome(findings=findings, metrics={"files_compared": len(changes)})


def _hosts(options: Mapping[str, object]) -> tuple[str, ...]:
    hosts = options.get("allowed_hosts", DEFAULT_ALLOWED_HOSTS)
    return tuple(str(h).lower() for h in hosts) if isinstance(hosts, (list, tuple)) else ()


def judge_change(change: FileChange, allowed: tuple[str, ...], note: bool) -> list[Finding]:
    """The head's hits the base did not have; the review note when there are none."""
    head = scan_file(change.path, change.head, change.base, allowed) if change.head else []
    base = scan_file(change.old_path, change.base, None, allowed) if change.base else []
    old = Counter(hit.key for hit in base)
    fresh = []
    for hit in head:
        if old[hit.key] > 0:
            old[hit.key] -= 1
        else:
            fresh.append(hit)
    where = _where(change)
    findings = [_finding(change.path, hit, where) for hit in fresh]
    if note and not findings:
        findings.append(
            _finding(change.path, Hit(CHANGED, None, _what_changed(change), CHANGED), "")
        )
    return findings


def scan_file(
    path: str, text: str | None, base_text: str | None, allowed: tuple[str, ...]
) -> list[Hit]:
    if not text:
        return []
    source = Source(path, text)
    hits = hidden_text(source)
    if is_json(path):
        return hits + scan_config(path, text, base_text, allowed)
    if not is_instruction_text(path):
        return []
    own = directives(text)
    lines = {hit.line for hit in own}
    # An injection on a line a directive already explains is the same sentence said twice.
    return hits + own + [hit for hit in injections(source) if hit.line not in lines]


def _where(change: FileChange) -> str:
    if change.added:
        return "in a file this PR adds"
    if change.base_path:
        return f"new since base (was {one_line(reveal_invisible(change.base_path), 200)})"
    return "new since base"


def _finding(path: str, hit: Hit, where: str) -> Finding:
    """The hit as a finding; its message says whether the base had the file at all, unless it
    already says how the base differs (an MCP server's command at base)."""
    message = hit.message
    if where and "base" not in message and "this PR" not in message:
        message = f"{message} ({where})"
    return Finding(
        gate=GATE,
        tool="gates",
        rule=hit.rule,
        severity=SEVERITY[hit.rule],
        path=path,
        message=message,
        line=hit.line,
        column=hit.column,
        snippet_hash=hit.snippet_hash,
    )


def _what_changed(change: FileChange) -> str:
    kind, review = _kind(change.path)
    path = one_line(reveal_invisible(change.path), 200)
    if change.added:
        return f"{path} added ({len(change.head_lines)} lines of {kind}); {review}"
    if change.deleted:
        return f"{path} deleted ({len(change.base_lines)} lines of {kind} at base)"
    added, removed = _line_counts(change.base_lines, change.head_lines)
    moved = (
        f" (renamed from {one_line(reveal_invisible(change.old_path), 200)})"
        if change.base_path
        else ""
    )
    return f"{path}{moved} changed: +{added} -{removed} lines of {kind}; {review}"


def _kind(path: str) -> tuple[str, str]:
    if is_json(path):
        return "MCP/agent settings", _REVIEW
    if is_instruction_text(path):
        return "agent instructions", _REVIEW
    return "an agent's script or data", _REVIEW_SCRIPT


def _line_counts(base: Sequence[str], head: Sequence[str]) -> tuple[int, int]:
    if len(base) + len(head) > _MAX_DIFF_LINES:
        return len(head), len(base)
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, base, head, autojunk=False
    ).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed
