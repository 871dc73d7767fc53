"""`gates explain RULE`: a rule's documentation in the terminal, from gates/docs/<stage>.md.

The same sections the reports link to (gates.rule_docs), so what `explain` prints offline is
what a reviewer reads on the PR. A gate's name prints its section and lists its rules.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from gates.errors import UsageError
from gates.rule_docs import RuleDoc, all_rule_docs, gate_doc, rule_doc
from gates.text import reveal_invisible

_MAX_SUGGESTIONS = 5
_TOOL_HINT = "a tool's own rule (ruff E501, mypy arg-type, ...) is documented by the tool"


def find_docs(name: str) -> list[RuleDoc]:
    """The docs a name means: a rule id (every gate's, when gates share it), `gate/rule`, or
    a gate's name (its section)."""
    if "/" in name:
        gate, _, rule = name.partition("/")
        found = rule_doc(rule, gate)
        return [found] if found else []
    rules = [d for d in all_rule_docs().values() if d.rule == name]
    if rules:
        return rules
    section = gate_doc(name)
    return [section] if section else []


def suggestions(name: str) -> list[str]:
    """Close matches among rule ids and gate names, best first."""
    known = {*all_rule_docs(), *(d.rule for d in all_rule_docs().values())}
    known |= {d.gate for d in all_rule_docs().values() if d.gate}
    return difflib.get_close_matches(name, sorted(known), n=_MAX_SUGGESTIONS, cutoff=0.6)


def unknown_rule_message(name: str) -> str:
    shown = reveal_invisible(name[:100])
    close = suggestions(name)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown rule {shown!r}{hint} ({_TOOL_HINT}; its findings link its page)"


def render_plain(doc: RuleDoc) -> str:
    """The section as it is written (Markdown reads as plain text), under a line naming where
    it lives, and the link to it."""
    kind = "gate" if _gate_rules(doc) or doc.gate == doc.rule else f"rule of gate {doc.gate}"
    stage = "a notice of the run" if doc.stage == "notices" else f"{doc.stage} stage"
    where = f"{kind}, {stage}" if doc.gate else stage
    lines = [f"{doc.rule} ({where})", "", doc.markdown.strip(), ""]
    rules = _gate_rules(doc)
    if rules:
        lines += ["Rules: " + ", ".join(rules), ""]
    lines.append(f"Docs: {doc.url}")
    return "\n".join(lines) + "\n"


def _gate_rules(doc: RuleDoc) -> list[str]:
    """A gate section's rules (empty for a rule's own doc)."""
    if doc.gate != doc.rule or gate_doc(doc.gate) != doc:
        return []
    return [d.rule for d in all_rule_docs().values() if d.gate == doc.gate]


def _use_rich(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def print_docs(docs: Sequence[RuleDoc], stream: TextIO) -> None:
    """Rendered Markdown on a terminal; the Markdown as written anywhere else (pipes, files)."""
    texts = [render_plain(doc) for doc in docs]
    if not _use_rich(stream):
        stream.write("\n".join(texts))
        return
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(file=stream)
    for text in texts:
        title, _, rest = text.partition("\n")
        console.rule(title, align="left")
        console.print(Markdown(rest))


def explain(name: str, stream: TextIO = sys.stdout) -> None:
    """Print a rule's doc; an unknown name is a usage error naming it, with close matches."""
    docs = find_docs(name.strip())
    if not docs:
        raise UsageError(unknown_rule_message(name))
    print_docs(docs, stream)
