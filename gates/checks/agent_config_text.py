"""Instruction files (AGENTS.md, CLAUDE.md, .cursorrules ...): hidden text, injection, shortcuts.

The hidden-Unicode and prompt-injection detectors of the safety stage are reused as they are
(their `scan`), and what they find is re-reported here as an error: in a file every agent obeys,
an invisible instruction is the "rules file backdoor", not a curiosity. Of the injection rules,
the requests to run a command or to approve are left out: telling an agent which commands to run
and what to approve in review is what these files are for.

The directives of `agent_config_directives` are matched per sentence, so a negation can be
judged in its own sentence, and a sentence that breaks over lines of a Markdown list item is read
whole.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gates.checks.agent_config_directives import BAN_CONTEXT, DIRECTIVES, directive_at
from gates.checks.agent_config_hits import HIDDEN_UNICODE, INJECTION, Hit
from gates.checks.base import Source
from gates.checks.injection import PromptInjectionGate
from gates.checks.unicode import HiddenUnicodeGate
from gates.model import Finding
from gates.text import one_line, reveal_invisible

# The injection rules that are an attack in an instruction file (see the module docstring).
INJECTION_RULES = frozenset(
    {"instruction-override", "secret-exfiltration-request", "hidden-instruction"}
)
HIDDEN_RULES = frozenset(
    {"unicode-bidi-control", "unicode-zero-width", "unicode-bom", "unicode-tag-characters"}
)
EXCERPT = 100

_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|>|\||```|~~~|---|<!--|$)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_ITEM = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s)")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|(?<=[\u3002\uff01\uff1f\uff1b])")


@functools.cache
def _unicode_gate() -> HiddenUnicodeGate:
    return HiddenUnicodeGate()


@functools.cache
def _injection_gate() -> PromptInjectionGate:
    return PromptInjectionGate()


def hidden_text(source: Source) -> list[Hit]:
    """Invisible characters (bidi controls, zero-width runs, tag characters, a BOM inside)."""
    found = _unicode_gate().scan(source, {})
    return [_from_safety(f, HIDDEN_UNICODE) for f in found if f.rule in HIDDEN_RULES]


def injections(source: Source) -> list[Hit]:
    found = _injection_gate().scan(source, {})
    return [_from_safety(f, INJECTION) for f in found if f.rule in INJECTION_RULES]


def _from_safety(finding: Finding, rule: str) -> Hit:
    message = f"{finding.message} ({finding.rule})"
    return Hit(rule, finding.line, message, f"{rule}:{message}", column=finding.column)


def directives(text: str) -> list[Hit]:
    """One hit per rule and sentence: the first match the sentence does not ban."""
    hits: list[Hit] = []
    for sentence in sentences(text):
        seen: set[str] = set()
        for directive in DIRECTIVES:
            if directive.rule in seen or (sentence.banned and directive.negatable):
                continue
            at = directive_at(directive, sentence.text)
            if at is None:
                continue
            seen.add(directive.rule)
            line = text.count("\n", 0, sentence.offset + at) + 1
            words = one_line(reveal_invisible(sentence.text), EXCERPT)
            key = f"{directive.rule}:{' '.join(sentence.text.split()).lower()}"
            hits.append(Hit(directive.rule, line, f'{directive.why}: "{words}"', key))
    return hits


@dataclass(frozen=True)
class Sentence:
    offset: int
    text: str
    banned: bool  # an item of a list of don'ts ("## Never", "You DON'T:")


def sentences(text: str) -> Iterator[Sentence]:
    """The sentences of the file's prose and the lines of its code blocks. A list item or
    paragraph is joined over its wrapped lines, then cut at sentence ends. Headings are titles,
    not instructions: they only set whether the list below them is a list of bans."""
    section = intro = False  # a heading of bans; a "you must not:" line before a list
    for start, block, kind in _blocks(text):
        if kind == "heading":
            section, intro = bool(BAN_CONTEXT.search(block)), False
            continue
        if kind == "paragraph":
            intro = block.rstrip().endswith(":") and bool(BAN_CONTEXT.search(block))
        banned = section or (intro and kind == "item")
        offset = 0
        for cut in _SENTENCE_END.finditer(block):
            if cut.start() > offset:
                yield Sentence(start + offset, block[offset : cut.start()], banned)
            offset = cut.end()
        if offset < len(block):
            yield Sentence(start + offset, block[offset:], banned)


def _blocks(text: str) -> Iterator[tuple[int, str, str]]:
    """(offset, text, kind): kind is heading, item (of a list), paragraph or code (one line)."""
    lines = text.splitlines(keepends=True)
    offsets = _offsets(lines)
    in_fence = False
    block: tuple[int, str] | None = None  # where the open block starts, and its kind
    for number, line in enumerate(lines):
        fence = bool(_FENCE.match(line))
        heading = not in_fence and bool(_HEADING.match(line))
        if block is not None and (in_fence or fence or heading or _BLOCK_START.match(line)):
            yield block[0], text[block[0] : offsets[number]], block[1]
            block = None
        if fence:
            in_fence = not in_fence
        if in_fence or fence:
            if line.strip():
                yield offsets[number], line, "code"
        elif heading:
            yield offsets[number], line, "heading"
        elif line.strip() and block is None:
            block = (offsets[number], "item" if _ITEM.match(line) else "paragraph")
    if block is not None:
        yield block[0], text[block[0] :], block[1]


def _offsets(lines: Sequence[str]) -> list[int]:
    offsets, total = [], 0
    for line in lines:
        offsets.append(total)
        total += len(line)
    return offsets
