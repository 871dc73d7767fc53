"""The one source of rule documentation: the Markdown files `gates/docs/<stage>.md`.

Every report that links a rule, SARIF's `help` text and `gates explain` read the same sections,
so what a reviewer sees next to a finding is what docs/ says. A file holds one `## <gate>`
section per gate and one ``### `<rule-id>` `` heading per rule under it.

Tool rules (ruff `E501`, bandit `B324`, mypy `arg-type`, pip-audit advisories, zizmor audits) are
documented by the tools themselves: `rule_doc_url` links their pages, and the gate's section
where a tool has no page per rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from gates.model import Finding

# The project's public repository; rule docs are linked on its default branch.
REPOSITORY_URL = "https://github.com/gates/gates"
DOCS_URL = f"{REPOSITORY_URL}/blob/main/gates/docs"
RULES_INDEX_URL = f"{REPOSITORY_URL}/blob/main/docs/rules.md"  # lists every stage's file
# The stages' files in the order their rules take precedence when two share an id, then the
# run's own notices (gate "gates").
_STAGE_FILES = ("safety", "integrity", "security", "quality", "size", "notices")

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```+|~~~+)")
_SEVERITY_WORD = re.compile(r"^(?:error|warning|note)\b[^.]*\.\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")


@dataclass(frozen=True)
class RuleDoc:
    """One rule's documentation: its section of `gates/docs/<stage>.md`."""

    gate: str  # the gate whose section it is under ("" when no gate claims it)
    rule: str  # the rule id as findings carry it
    title: str  # the heading's text without Markdown
    markdown: str  # the section's body, without its heading
    anchor: str  # GitHub's slug of the heading, unique in its file
    stage: str  # the file it is in: gates/docs/<stage>.md

    @property
    def url(self) -> str:
        return f"{DOCS_URL}/{self.stage}.md#{self.anchor}"

    @property
    def summary(self) -> str:
        """The body's first sentence without its leading severity ("Warning. ..."): a one-line
        description for SARIF's shortDescription and lists of rules."""
        text = " ".join(self.markdown.split())
        text = _SEVERITY_WORD.sub("", text, count=1) if _SEVERITY_WORD.match(text) else text
        first = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
        return first or self.title


@dataclass(frozen=True)
class _Docs:
    rules: Mapping[str, RuleDoc]  # rule id -> doc, or "gate/rule" when two gates share an id
    by_gate_rule: Mapping[tuple[str, str], RuleDoc]
    gates: Mapping[str, RuleDoc]  # a gate's own section (rule = gate name)
    stages: frozenset[str]  # the stages whose file is in the package


def github_slug(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    plain = text.strip().lower()
    plain = re.sub(r"[^\w\- ]", "", plain)
    return plain.replace(" ", "-")


def _plain(heading: str) -> str:
    """A heading's text as GitHub renders it: code spans and emphasis markers removed."""
    return re.sub(r"[`*]", "", heading).strip()


@dataclass
class _Section:
    level: int
    title: str
    anchor: str
    body: list[str]


def _sections(text: str) -> list[_Section]:
    """Every heading of a Markdown file (outside code fences) with the lines under it."""
    sections: list[_Section] = []
    seen: dict[str, int] = {}
    fence: str | None = None
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if opened and (fence is None or opened.group(1).startswith(fence)):
            fence = None if fence else opened.group(1)[:3]
        heading = None if fence or opened else _HEADING.match(line)
        if heading is None:
            if sections:
                sections[-1].body.append(line)
            continue
        title = _plain(heading.group(2))
        slug = github_slug(title)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchor = f"{slug}-{count}" if count else slug
        sections.append(_Section(len(heading.group(1)), title, anchor, []))
    return sections


def parse_rule_docs(text: str, stage: str) -> tuple[list[RuleDoc], list[RuleDoc]]:
    """The rule docs and the gate sections of one stage's file: `##` opens a gate's section,
    `###` a rule of that gate (a rule above every gate section belongs to no gate)."""
    rules: list[RuleDoc] = []
    gates: list[RuleDoc] = []
    gate = ""
    for section in _sections(text):
        body = "\n".join(section.body).strip("\n")
        if section.level == 2:
            gate = section.title
            gates.append(RuleDoc(gate, gate, gate, body, section.anchor, stage))
        elif section.level == 3:
            rules.append(RuleDoc(gate, section.title, section.title, body, section.anchor, stage))
    return rules, gates


def _read(stage: str) -> str:
    try:
        return resources.files("gates").joinpath(f"docs/{stage}.md").read_text("utf-8")
    except (FileNotFoundError, OSError, UnicodeDecodeError):
        return ""


@functools.cache
def _docs() -> _Docs:
    by_gate_rule: dict[tuple[str, str], RuleDoc] = {}
    gates: dict[str, RuleDoc] = {}
    texts = {stage: _read(stage) for stage in _STAGE_FILES}
    for stage, text in texts.items():
        rules, sections = parse_rule_docs(text, stage)
        for doc in rules:
            by_gate_rule.setdefault((doc.gate, doc.rule), doc)
        for section in sections:
            gates.setdefault(section.gate, section)
    stages = frozenset(stage for stage, text in texts.items() if text)
    return _Docs(_index(by_gate_rule), by_gate_rule, gates, stages)


def _index(by_gate_rule: Mapping[tuple[str, str], RuleDoc]) -> dict[str, RuleDoc]:
    """Rule id -> doc; an id two gates share is listed as `gate/rule` for each."""
    counts: dict[str, int] = {}
    for _, rule in by_gate_rule:
        counts[rule] = counts.get(rule, 0) + 1
    return {
        (rule if counts[rule] == 1 else f"{gate}/{rule}"): doc
        for (gate, rule), doc in by_gate_rule.items()
    }


def all_rule_docs() -> Mapping[str, RuleDoc]:
    """Every documented rule, by id (`gate/rule` for an id that two gates share)."""
    return _docs().rules


def gate_doc(gate: str) -> RuleDoc | None:
    """A gate's own section (its introduction), for rules it reports that have none."""
    return _docs().gates.get(gate)


def rule_doc(rule: str, gate: str | None = None) -> RuleDoc | None:
    """The doc of a rule id; `gate` picks among gates that share the id."""
    docs = _docs()
    if gate is not None:
        return docs.by_gate_rule.get((gate, rule))
    found = docs.rules.get(rule)
    if found is not None:
        return found
    if "/" in rule:
        gate_part, _, rule_part = rule.partition("/")
        return docs.by_gate_rule.get((gate_part, rule_part))
    return next((doc for (_, r), doc in docs.by_gate_rule.items() if r == rule), None)


def rule_doc_url(
    gate: str,
    rule: str,
    *,
    name: str | None = None,
    stage: str | None = None,
    tool: str | None = None,
) -> str | None:
    """Where a person reads about a rule: its section in gates' docs, else the tool's own page
    for it (`name` is the rule's name when the finding carries one: ruff's `line-too-long`,
    bandit's `hashlib`; `tool` when the gate's name does not say it), else the gate's section,
    else (given the gate's `stage`) the stage's file, or the index of rule docs while that file
    is not written. None when nothing documents it."""
    doc = rule_doc(rule, gate)
    if doc is not None:
        return doc.url
    tool_url = _tool_url(tool or _GATE_TOOLS.get(gate, gate), rule, name)
    if tool_url:
        return tool_url
    section = gate_doc(gate)
    if section is not None:
        return section.url
    if stage in _docs().stages:
        return f"{DOCS_URL}/{stage}.md"
    return RULES_INDEX_URL if stage in _STAGE_FILES else None


_BANDIT = "https://bandit.readthedocs.io/en/latest"
_BANDIT_ID = re.compile(r"^B\d{3}$")
_BANDIT_HASHLIB = 324  # a plugin numbered among the blacklisted calls
_SAFE_NAME = re.compile(r"^[a-z0-9_\-]+$")


def _tool_url(tool: str, rule: str, name: str | None) -> str | None:
    """The tools' own per-rule pages, built from the rule id (and name) alone."""
    builder = _TOOL_URLS.get(tool)
    if builder is None or not rule:
        return None
    clean = name.strip().lower() if name else None
    return builder(rule, clean if clean and _SAFE_NAME.match(clean) else None)


def _ruff_url(rule: str, name: str | None) -> str | None:
    return f"https://docs.astral.sh/ruff/rules/{name}/" if name else None


def _bandit_url(rule: str, name: str | None) -> str | None:
    if _BANDIT_ID.match(rule) is None:
        return None
    number = int(rule[1:])
    if 300 <= number < 500 and number != _BANDIT_HASHLIB:  # the blacklists: calls, imports
        page = "blacklist_calls" if number < 400 else "blacklist_imports"
        anchor = f"#{rule.lower()}-{name}" if name and name != "blacklist" else ""
        return f"{_BANDIT}/blacklists/{page}.html{anchor}"
    return f"{_BANDIT}/plugins/{rule.lower()}_{name}.html" if name else None


def _mypy_url(rule: str, name: str | None) -> str | None:
    if not _SAFE_NAME.match(rule):
        return None
    return f"https://mypy.readthedocs.io/en/stable/_refs.html#code-{rule}"


def _semgrep_url(rule: str, name: str | None) -> str | None:
    """Registry rules have a page; gates' own shipped rules (`gates.*`) are documented here."""
    if rule.startswith("gates.") or not re.match(r"^[\w.\-]+$", rule):
        return None
    return f"https://semgrep.dev/r/{quote(rule)}"


def _advisory_url(rule: str, name: str | None) -> str | None:
    if not re.match(r"^[A-Za-z]+-[\w\-]+$", rule):
        return None
    return f"https://osv.dev/vulnerability/{quote(rule)}"


def _zizmor_url(rule: str, name: str | None) -> str | None:
    return f"https://docs.zizmor.sh/audits/#{rule}" if _SAFE_NAME.match(rule) else None


_TOOL_URLS = {
    "ruff": _ruff_url,
    "bandit": _bandit_url,
    "mypy": _mypy_url,
    "semgrep": _semgrep_url,
    "pip-audit": _advisory_url,
    "zizmor": _zizmor_url,
}
# Gates named otherwise than the tool they run.
_GATE_TOOLS = {"audit": "pip-audit", "workflow-security": "zizmor"}


def finding_doc_url(finding: Finding, stage: str | None = None) -> str | None:
    """`rule_doc_url` for a finding: the rule's name comes from what the tool said (ruff's docs
    link ends in it, bandit names its plugin); the tool's own link is the last resort."""
    name = finding_rule_name(finding)
    url = rule_doc_url(finding.gate, finding.rule, name=name, stage=stage, tool=finding.tool)
    return url or finding.help_uri


def finding_rule_name(finding: Finding) -> str | None:
    """A tool rule's readable name where the tool gives one: ruff's docs link ends in it,
    bandit names its plugin (its blacklist entries only in the link's anchor)."""
    if finding.extra.get("name"):
        return finding.extra["name"]
    link = finding.help_uri or ""
    if finding.tool == "ruff" and link.startswith("https://docs.astral.sh/ruff/rules/"):
        return link.rstrip("/").rsplit("/", 1)[-1]
    if finding.tool == "bandit":
        test_name = finding.extra.get("test_name", "")
        if test_name and test_name != "blacklist":
            return test_name
        prefix = f"#{finding.rule.lower()}-"
        return link.rsplit("#", 1)[-1][len(prefix) - 1 :] if prefix in link else None
    return None
