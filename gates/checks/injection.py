"""Prompt injection aimed at AI agents and reviewers: any text file, Python strings and comments.

An AI reviewer or coding agent reads the whole diff, including text a human skims or never sees.
This check reports instructions planted for it: overrides of its instructions, requests to
approve or merge, to reveal secrets, to run commands; and, with a higher severity, such text
hidden from humans (HTML comments, invisible HTML, collapsed `<details>`, Markdown comments).

Precision: requests to approve, to run a command or to print a key are ordinary prose when
addressed to people, so they count only when they address an AI. A document that discusses
injection (the phrase quoted, "e.g.", "such as", "attackers", "detect", a code block, a string in
a test file that is about injection) is not reported, unless the text is hidden, where no
discussion is needed. Requests are read in ten languages (injection_patterns); hidden text
includes what a rendered page never shows: alt texts, titles, CSS-hidden and off-screen text.
"""

from __future__ import annotations

import bisect
import io
import itertools
import re
import sys
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from gates.checks import injection_patterns as pat
from gates.checks.base import Source, TextCheckGate
from gates.gate import GateTraits, Option
from gates.model import Finding, Severity, Stage

EXCERPT_LIMIT = 120
_WINDOW = 300  # characters around a request searched for an AI address


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    why: str


RULES = {
    r.id: r
    for r in (
        Rule("instruction-override", Severity.WARNING, "tries to override an AI's instructions"),
        Rule("agent-approval-request", Severity.WARNING, "asks an AI reviewer to approve/merge"),
        Rule("secret-exfiltration-request", Severity.WARNING, "asks an AI to reveal secrets"),
        Rule("command-execution-request", Severity.WARNING, "asks an AI agent to run a command"),
        Rule("hidden-instruction", Severity.ERROR, "instructions to an AI hidden from humans"),
    )
}


@dataclass(frozen=True)
class Segment:
    """A piece of a file's text scanned as a unit; `line` is 1-based, `col` 0-based."""

    text: str
    line: int
    col: int
    kind: str  # "text" (a whole file) | "comment" | "docstring" | "string" | "data" (in a test)

    def position(self, offset: int) -> tuple[int, int]:
        before = self.text.count("\n", 0, offset)
        start = self.text.rfind("\n", 0, offset) + 1
        return self.line + before, offset - start + (self.col if before == 0 else 0)


class PromptInjectionGate(TextCheckGate):
    name = "prompt-injection"
    traits = GateTraits(cost_model=(0.0, 0.12), rules=frozenset(RULES))
    stage = Stage.SAFETY
    description = "instructions planted for AI agents and reviewers, visible or hidden"
    default_fail_on = "warning"
    options: Mapping[str, Option] = {}

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        del options
        other_languages = _plan(source)
        if other_languages is None:
            return []
        findings: list[Finding] = []
        for segment in segments(source):
            findings += _scan_segment(source.path, segment, other_languages)
        return findings


_UNDOUBLES_BRACES = sys.version_info >= (3, 12)


def _plan(source: Source) -> bool | None:
    """None when no request phrase is anywhere in the file and no hidden text: no segment can
    hold a finding, so a Python file need not be tokenized (two thirds of this check's time on
    sqlalchemy). Otherwise whether the other languages' patterns are needed: a file without any
    of their words (most) is searched with the English patterns only.

    Sound because each segment is a verbatim piece of the file: a string's inside, a comment's
    text on its line (the code before it blanked, which no request pattern can match across).
    What a segment alone offers, a line start, `may_request` does not require. Python 3.12
    un-doubles `{{` in an f-string's text, so there files with doubled braces are read in full.
    """
    lowered = pat.fold(source.text)
    if lowered is None or (_UNDOUBLES_BRACES and ("{{" in lowered or "}}" in lowered)):
        return True  # read in full, in every language
    words = pat.words_of(lowered)
    other_languages = pat.may_request_i18n(lowered, words)
    markup = source.suffix not in _PYTHON  # Python is read as comments and strings
    if (
        other_languages
        or pat.may_request_english(lowered, words)
        or _hidden_spans(source.text, source.path, markup)
    ):
        return other_languages
    return None


def segments(source: Source) -> list[Segment]:
    """The text of a file as an AI reads it: Python comments and strings, other files whole."""
    if source.suffix in _PYTHON:
        try:
            return list(_python_segments(source.text, _is_attack_data(source)))
        except (tokenize.TokenError, SyntaxError, ValueError):
            pass  # not valid Python: read it as plain text rather than not at all
    return [Segment(source.text, 1, 0, "text")]


_PYTHON = (".py", ".pyw", ".pyi")


def _is_attack_data(source: Source) -> bool:
    """A test file that discusses injection: its path or its text says `inject` or `jailbreak`
    (a detector's tests, an attack corpus). Its strings are the phrases it tests, not requests.
    Any other test file is read like code: an agent reads tests too."""
    return bool(pat.TEST_FILE.search(source.path)) and bool(
        pat.DISCUSSES_INJECTION.search(source.path) or pat.DISCUSSES_INJECTION.search(source.text)
    )


_FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", -1)


def _python_segments(text: str, test_file: bool) -> Iterator[Segment]:
    comments: list[tokenize.TokenInfo] = []
    previous = tokenize.NEWLINE
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            if comments and token.start[0] != comments[-1].start[0] + 1:
                yield _comment_block(comments)
                comments = []
            comments.append(token)
            continue
        if token.type == tokenize.STRING:
            docstring = previous in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
            kind = "docstring" if docstring else ("data" if test_file else "string")
            yield _string_segment(token, kind)
        elif token.type == _FSTRING_MIDDLE:  # Python 3.12+: an f-string's literal text
            kind = "data" if test_file else "string"
            yield Segment(token.string, token.start[0], token.start[1], kind)
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.type
    if comments:
        yield _comment_block(comments)


def _comment_block(tokens: list[tokenize.TokenInfo]) -> Segment:
    """Consecutive comment lines as one block, indented as in the file so columns stay exact."""
    text = "\n".join(" " * t.start[1] + t.string for t in tokens)
    return Segment(text, tokens[0].start[0], 0, "comment")


def _string_segment(token: tokenize.TokenInfo, kind: str) -> Segment:
    raw = token.string
    quote_at = min(i for i in (raw.find("'"), raw.find('"')) if i >= 0)
    width = 3 if raw[quote_at : quote_at + 3] in ('"""', "'''") else 1
    inner = raw[quote_at + width : len(raw) - width]
    return Segment(inner, token.start[0], token.start[1] + quote_at + width, kind)


def _scan_segment(path: str, segment: Segment, other_languages: bool = True) -> list[Finding]:
    if segment.kind == "data":
        return []
    text = segment.text
    hidden = _hidden_spans(text, path) if segment.kind == "text" else []
    lowered = pat.fold(text)
    matches = list(_matches(text, lowered, other_languages))
    if not matches and not hidden:
        return []  # most segments: no need to find quotes and cues (70 % of the check's time)
    quoted = _quoted_spans(text)
    cues = _Cues(text, lowered)
    names_ai: dict[tuple[int, int], bool] = {}  # per hidden span, computed once
    done: set[tuple[int, int] | None] = set()  # hidden spans already reported
    findings: list[Finding] = []
    covered = 0  # matches come in order of position; one finding per planted line or block
    for rule, start, end in matches:
        if start < covered or _containing(quoted, start):
            continue  # cited code is not an instruction
        if segment.kind == "string" and _is_phrase_literal(text, start, end):
            continue
        span = _containing(hidden, start)
        if span is not None:
            if span not in names_ai:
                names_ai[span] = _names_ai(text[span[0] : span[1]])
            if not (_strong(rule, text, start) or names_ai[span]):
                continue  # a mere "run `make`" in a comment must still name an AI
            rule = "hidden-instruction"
        elif not _counts(rule, text, start, end, _is_prose(path, segment), cues):
            continue
        covered = span[1] if span else _line_end(text, end)
        done.add(span)
        findings.append(_finding(path, segment, rule, start, end))
    for start, end in hidden:
        if (start, end) in done or _containing(quoted, start):
            continue
        if _addresses_ai(text[start:end]):
            findings.append(_finding(path, segment, "hidden-instruction", start, end))
    return findings


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return end if end >= 0 else len(text)


def _matches(
    text: str, lowered: str | None, other_languages: bool = True
) -> Iterator[tuple[str, int, int]]:
    """Every request phrase in the text: the English patterns always, the other languages' where
    the file has one of their words (most files have none, and those patterns are many)."""
    found: list[tuple[int, int, str]] = []
    for i18n in (False, True) if other_languages else (False,):
        for rule, pattern in pat.rule_patterns(i18n):
            found += [(m.start(), m.end(), rule) for m in pat.finditer(pattern, text, lowered)]
    for start, end, rule in sorted(found):
        yield rule, start, end


def _strong(rule: str, text: str, start: int) -> bool:
    """Overrides and requests for the system prompt need no addressee to be suspicious."""
    return rule == "instruction-override" or (
        rule == "secret-exfiltration-request" and pat.SECRET_STRONG.match(text, start) is not None
    )


class _Cues:
    """Where a text addresses an AI and where it uses discussion words, found once per text.

    Each match then asks "is there one near me?" by bisection, so a file with thousands of
    look-alike matches costs linear time, not matches x window.
    """

    def __init__(self, text: str, lowered: str | None) -> None:
        wide = _wide(text)
        self.address = _starts(pat.AI_ADDRESS, pat.AI_ADDRESS_WIDE, wide, text, lowered)
        rx, source = pat.searcher(pat.URLISH, text, lowered)
        blanked = rx.sub(lambda m: " " * len(m.group()), source)  # "example.com" is no cue
        again = blanked if lowered is not None else None  # still lower case, or not
        self.discussion = _starts(pat.DISCUSSION, pat.DISCUSSION_WIDE, wide, blanked, again)

    @staticmethod
    def near(positions: list[int], lo: int, hi: int) -> bool:
        at = bisect.bisect_left(positions, lo)
        return at < len(positions) and positions[at] < hi


def _wide(text: str) -> bool:
    """Whether the text has a letter of the alphabets the *_WIDE patterns start with."""
    return not text.isascii() and pat.WIDE.search(text) is not None


def _starts(
    narrow: re.Pattern[str], wide: re.Pattern[str], is_wide: bool, text: str, lowered: str | None
) -> list[int]:
    """Where the pattern matches, with its other-alphabet half where the text has that alphabet."""
    found = [m.start() for m in pat.finditer(narrow, text, lowered)]
    if is_wide:
        found = sorted(found + [m.start() for m in pat.finditer(wide, text, lowered)])
    return found


def _names_ai(text: str) -> bool:
    return bool(pat.AI.search(text)) or (_wide(text) and bool(pat.AI_WIDE.search(text)))


def _addresses(text: str) -> bool:
    return bool(pat.AI_ADDRESS.search(text)) or (
        _wide(text) and bool(pat.AI_ADDRESS_WIDE.search(text))
    )


def _counts(rule: str, text: str, start: int, end: int, prose: bool, cues: _Cues) -> bool:
    """Whether a visible match is an instruction rather than prose about one."""
    if _is_quoted(text, start, end, prose) or pat.NOT_A_REQUEST.search(
        text, max(0, start - 30), start
    ):
        return False
    ranges = _cue_ranges(text, start, end)
    if any(_Cues.near(cues.discussion, lo, hi) for lo, hi in ranges):
        return False
    return _strong(rule, text, start) or any(_Cues.near(cues.address, lo, hi) for lo, hi in ranges)


_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]")


def _cue_ranges(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where a cue counts for a match: its paragraph; but in a list, only its own item and the
    words that lead into the list ("phrases such as:"), since each item of a changelog or a
    to-do list is a statement of its own ("- Faster header detection." excuses no other)."""
    lo, hi = _bounds(text, start, end)
    line = text.rfind("\n", lo, start) + 1
    if not _LIST_ITEM.match(text, line, start):
        return [(lo, hi)]
    following = _LIST_ITEM_START.search(text, end, hi)
    item = (line, following.start() if following else hi)
    first = _LIST_ITEM_START.search(text, max(lo - 1, 0), hi)
    lead_end = first.start() if first and first.start() < line else line
    if text[lo:lead_end].strip():
        return [item, (lo, lead_end)]
    lead = _lead_paragraph(text, lo)
    return [item, lead] if lead else [item]


def _lead_paragraph(text: str, lo: int) -> tuple[int, int] | None:
    """The paragraph that leads into a list opening its own paragraph: a blank line often
    stands between "phrases such as:" and the list it introduces. Only one ending in a colon."""
    if not text.startswith("\n\n", lo) or not text[:lo].rstrip().endswith(":"):
        return None
    start = max(text.rfind("\n\n", max(0, lo - _WINDOW), lo), lo - _WINDOW, 0)
    return (start, lo)


_LIST_ITEM_START = re.compile(r"(?:^|(?<=\n))[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]", re.M)


_STRUCTURED = (".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties")


def _is_prose(path: str, segment: Segment) -> bool:
    """Prose (Markdown, text, comments, docstrings) as opposed to values in a data file."""
    if segment.kind in ("comment", "docstring"):
        return True
    return segment.kind == "text" and not path.lower().endswith(_STRUCTURED)


def _is_phrase_literal(text: str, start: int, end: int) -> bool:
    """A Python string that is just the phrase (a pattern list, a test input) cites it."""
    if len(text) > 2 * (end - start) + 16:
        return False
    rest = (text[:start] + text[end:]).strip(" .,;:!?\n\t")
    return len(rest) <= 0.25 * (end - start) and not _addresses(text)


def _bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph around a match (blank lines end it), at most _WINDOW characters each way."""
    lo = max(text.rfind("\n\n", max(0, start - _WINDOW), start), start - _WINDOW, 0)
    hi_blank = text.find("\n\n", end, end + _WINDOW)
    hi = min(hi_blank if hi_blank >= 0 else len(text), end + _WINDOW)
    return lo, hi


def _window(text: str, start: int, end: int) -> str:
    lo, hi = _bounds(text, start, end)
    return text[lo:hi]


def _is_quoted(text: str, start: int, end: int, prose: bool) -> bool:
    """The matched phrase sits between quotes on its line, as when it is being cited.

    In structured files (YAML, JSON, TOML, ...) a quote before the text opens a value, which
    the text *is*, so there only a quote right before it after other words counts.
    """
    line_start = text.rfind("\n", max(0, start - _WINDOW), start) + 1
    line_end = text.find("\n", end, end + _WINDOW)
    before = text[max(line_start, start - _WINDOW) : start].rstrip()
    after = text[end : line_end if line_end >= 0 else end + _WINDOW]
    if prose:  # a citation may wrap: count the quotes of the whole paragraph
        head = text[_bounds(text, start, end)[0] : start]
        last = head.rstrip()[-1:]  # "" at a paragraph's start, which `in` would accept
        opened = (last != "" and last in pat.QUOTES) or head.count('"') % 2 == 1
        return opened and any(q in text[end : end + _WINDOW] for q in pat.QUOTES)
    if not any(q in after for q in pat.QUOTES):
        return False
    return (
        bool(before)
        and before[-1] in pat.QUOTES
        and not before[:-1].rstrip().endswith((":", "=", "[", ",", "(", "-"))
    )


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return _merged([m.span() for p in (pat.FENCE, pat.CODE_SPAN) for m in p.finditer(text)])


def _hidden_spans(text: str, path: str, markup: bool = True) -> list[tuple[int, int]]:
    """Text that renders invisibly: comments, hidden HTML, collapsed details, rst comments,
    and in markup the text of image alt texts, titles and text-holding HTML attributes."""
    patterns = [p for p, literal in pat.HIDDEN_GUARDED if literal in text]
    if path.lower().endswith((".rst", ".rest")):
        patterns.append(pat.RST_COMMENT)
    spans = [m.span() for pattern in patterns for m in pattern.finditer(text)]
    if markup:
        spans += [
            m.span(1)
            for pattern, literal in pat.MARKUP_TEXT
            if literal in text  # `in` reads the text at memory speed; most files have none
            for m in pattern.finditer(text)
        ]
    return _merged(spans + _hidden_elements(text, markup))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans as one, so nested or unclosed hidden blocks are scanned once."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _hidden_elements(text: str, markup: bool = True) -> list[tuple[int, int]]:
    """Invisible elements and collapsed `<details>`, from the opening tag to its closing tag;
    in markup also the values of attributes that hold text (`alt`, `title`, `aria-label`)."""
    closes: dict[str, list[int]] = {}
    for match in pat.CLOSE_TAG.finditer(text):
        closes.setdefault(match.group(1).lower(), []).append(match.end())
    spans = []
    # Looked for once per text: most markup (an XSD's thousands of tags) has neither.
    colours = pat.BACKGROUND.search(text) is not None
    text_attrs = markup and pat.TEXT_ATTR.search(text) is not None
    for match in pat.OPEN_TAG.finditer(text):
        tag, attrs = match.group(1).lower(), match.group(2)
        collapsed = tag == "details" and not pat.OPEN_ATTR.search(attrs)
        if collapsed or pat.INVISIBLE.search(attrs) or (colours and _same_colours(attrs)):
            ends = closes.get(tag, [])
            at = bisect.bisect_right(ends, match.end())
            spans.append((match.start(), ends[at] if at < len(ends) else len(text)))
        if text_attrs:
            offset = match.start(2)
            spans += [
                (offset + a.start(1), offset + a.end(1)) for a in pat.TEXT_ATTR.finditer(attrs)
            ]
    return spans


def _same_colours(attrs: str) -> bool:
    """Text painted in its own background's colour (`color:#0d1117; background:#0d1117`)."""
    style = pat.STYLE.search(attrs)
    if style is None:
        return False
    found = {
        name.lower().split("-")[0]: _colour(value)
        for name, value in pat.STYLE_COLOUR.findall(style.group(1))
    }
    fore, back = found.get("color"), found.get("background")
    return fore is not None and fore == back


def _colour(value: str) -> str:
    """A CSS colour in one spelling: `#FFF`, `#ffffff`, `rgb(255, 255, 255)` and `white` agree."""
    value = "".join(value.split()).lower().removesuffix("!important")
    if value.startswith("#") and len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    if value.startswith(("rgb(", "rgba(")):
        parts = value[value.index("(") + 1 : value.rindex(")")].split(",") if ")" in value else []
        if len(parts) >= 3 and all(p.isdigit() for p in parts[:3]):
            value = "#" + "".join(f"{int(p):02x}" for p in parts[:3])
    return _NAMED_COLOURS.get(value, value)


_NAMED_COLOURS = {"white": "#ffffff", "black": "#000000"}


def _containing(spans: list[tuple[int, int]], offset: int) -> tuple[int, int] | None:
    """The span holding `offset`, if any; `spans` are sorted and disjoint."""
    at = bisect.bisect_right(spans, (offset, sys.maxsize)) - 1
    if at >= 0 and spans[at][0] <= offset < spans[at][1]:
        return spans[at]
    return None


def _addresses_ai(text: str) -> bool:
    """Hidden text that names an AI and tells it to do something."""
    names = pat.AI.finditer(text)
    for match in itertools.chain(names, pat.AI_WIDE.finditer(text) if _wide(text) else ()):
        if pat.IMPERATIVE.search(text, match.end(), match.end() + 100):
            return True
    return False


def excerpt(text: str, start: int, end: int) -> str:
    """The matched text and the rest of its last line, on one line, at most EXCERPT_LIMIT chars."""
    line_end = text.find("\n", end)
    stop = min(line_end if line_end >= 0 else len(text), max(end, start + EXCERPT_LIMIT * 2))
    flat = " ".join(text[start:stop].split())
    return flat if len(flat) <= EXCERPT_LIMIT else flat[: EXCERPT_LIMIT - 1].rstrip() + "…"


def _finding(path: str, segment: Segment, rule_id: str, start: int, end: int) -> Finding:
    rule = RULES[rule_id]
    line, col = segment.position(start)
    end_line, end_col = segment.position(end)
    return Finding(
        gate="prompt-injection",
        tool="gates",
        rule=rule_id,
        severity=rule.severity,
        path=path,
        message=f'{rule.why}: "{excerpt(segment.text, start, end)}"',
        line=line,
        end_line=end_line,
        column=col + 1,
        end_column=end_col + 1,
    )
