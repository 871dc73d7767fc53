"""The phrases and markup the prompt-injection check looks for, as compiled patterns.

Kept apart from the scanning logic so the wording can be reviewed (and extended) on its own.
Every pattern is linear on hostile input: quantifiers over free text are bounded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_F = re.IGNORECASE


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), _F | re.MULTILINE)


_LINE_START = r"^[ \t>*#/-]*"  # a line's indent, quote marks, bullets or comment marks
_PRIOR = r"(?:previous|prior|above|earlier|preceding|original|initial|existing|system|old)"
_ORDERS = (
    r"(?:instructions?|prompts?|directions?|rules|guidelines|guidance|directives|commands|context"
    r"|orders|constraints|policies|messages)"
)
OVERRIDE = _rx(
    rf"\b(?:ignore|disregard|forget|override|bypass|discard)\s+(?:all\s+|any\s+)?(?:of\s+)?"
    rf"(?:the\s+|your\s+|my\s+|these\s+|those\s+)?{_PRIOR}\s+{_ORDERS}",
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:the\s+|your\s+)?"
    r"(?:system\s+prompt|system\s+message|safety\s+(?:rules|guidelines|instructions)"
    r"|your\s+instructions|your\s+guidelines|your\s+programming)",
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+)?your\s+"
    r"(?:instructions|guidelines|programming|rules|training)",
    r"\b(?:forget|ignore|disregard)\s+(?:everything|all|anything)\s+(?:you\s+(?:were|have\s+been)"
    r"\s+told|(?:written\s+|said\s+|stated\s+)?(?:above|so\s+far)|(?:said|written)\s+previously)",
    r"\byou\s+are\s+now\s+(?:DAN\b|in\s+(?:developer|god|jailbreak|unrestricted|admin|sudo)\s+mode"
    r"|an?\s+(?:unrestricted|unfiltered|jailbroken|uncensored))",
    r"\b(?:enter|enable|activate|switch\s+to)\s+(?:developer|DAN|jailbreak|god)\s+mode",
    r"\bdo\s+anything\s+now\b",
    _LINE_START + r"(?:new|updated|real|actual|revised)\s+(?:system\s+)?instructions\s*:",
    r"<\|im_start\|>\s*system",
)
_TARGETS = (
    r"(?:(?:the|this|that|these|every|all|any|my|our)\s+)?"
    r"(?:prs?|pull\s+requests?|merge\s+requests?|changes?|diffs?|patch(?:es)?|commits?)"
)
APPROVAL = _rx(
    rf"\b(?:approve|merge|accept|lgtm|sign\s+off\s+on|auto-?merge)\s+{_TARGETS}\b",
    rf"\bmark\s+{_TARGETS}\s+as\s+(?:approved|safe|reviewed)",
    r"\b(?:respond|reply|answer|comment)\s+(?:only\s+)?with\s+[\"'“`]?(?:LGTM|approved?)\b",
    r"\b(?:do\s+not|don't|never)\s+(?:flag|report|mention|comment\s+on|point\s+out|warn\s+about)"
    r"\b[^.\n]{0,60}?\b(?:issues?|problems?|vulnerabilit\w+|security|findings?|this|it|calls?"
    r"|code|changes?|lines?|functions?|risks?|eval|exec|requests?)\b",
    r"\b(?:is|has\s+been)\s+(?:pre-?approved|already\s+(?:reviewed|approved|audited))\b",
)
_CREDENTIAL_NOUNS = (
    r"(?:secrets?|tokens?|api[\s_-]?keys?|credentials|passwords?|env(?:ironment)?\s+var(?:iable)?s?"
    r"|\.env\b|GITHUB_TOKEN|private\s+keys?|ssh\s+keys?|access\s+keys?)"
)
SECRET_STRONG = _rx(
    r"\b(?:reveal|print|output|show|display|dump|repeat|leak|share|tell\s+me)\s+(?:me\s+)?"
    r"(?:your|the)\s+(?:full\s+|entire\s+|original\s+)?(?:system\s+prompt|initial\s+prompt"
    r"|hidden\s+instructions|initial\s+instructions)",
    rf"\b(?:send|post|upload|exfiltrate|leak|forward|transmit)\s+(?:all\s+|any\s+|the\s+|your\s+)*"
    rf"(?:\w+\s+)?{_CREDENTIAL_NOUNS}[^.\n]{{0,60}}\bto\s+(?:https?://|\S+@|http|the\s+url|this\s+url)",
    r"\b(?:curl|wget)\b[^\n|]{0,200}?\$\{?\w*(?:TOKEN|SECRET|API_KEY|PASSWORD)\w*",
)
SECRET_WEAK = _rx(
    rf"\b(?:reveal|print|output|show|display|dump|leak|send|post|upload|share|echo|include|paste|"
    r"list|tell\s+me)\s+(?:me\s+)?(?:all\s+|any\s+|the\s+|your\s+|every\s+)*"
    rf"(?:\w+\s+(?:of\s+(?:the\s+|your\s+|all\s+)?)?)?{_CREDENTIAL_NOUNS}",
)
COMMAND = _rx(
    r"\b(?:curl|wget)\s+[^\n|;]{0,300}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b",
    r"\b(?:run|execute)\s+(?:the\s+following|this|these)\s+(?:shell\s+)?(?:commands?|scripts?|code)",
    r"\b(?:run|execute)\s+`[^`\n]{1,200}`",
    r"\b(?:open\s+a\s+)?reverse\s+shell\b",
)
_AI_NAME = (
    r"(?:AI|A\.I\.|LLMs?|GPTs?(?:-?\d\w*)?|ChatGPT|Copilot|Claude|Gemini|Codex|Devin|Bard"
    r"|(?:large\s+)?language\s+models?|(?:AI|coding|autonomous|review)\s+"
    r"(?:agents?|assistants?|reviewers?|models?|bots?)|assistants?|automated\s+reviewers?"
    r"|chat\s*bots?|agents?)"
)
# An AI mentioned anywhere (enough inside hidden text) ...
AI = _rx(
    r"\b(?:AI|A\.I\.|LLMs?|GPTs?(?:-?\d\w*)?|ChatGPT|Copilot|Claude|Gemini|Codex|Devin|Bard)\b",
    r"\b(?:language\s+model|AI\s+(?:agent|assistant|reviewer|model)s?|coding\s+agents?"
    r"|autonomous\s+agents?|assistants?|review\s+bots?|automated\s+reviewers?|chat\s*bots?)\b",
    r"\bagents?(?=\s*[:,]|\s+(?:reading|reviewing|working|processing|analy[sz]ing))",
)
# ... and an AI addressed: "Copilot, ...", "AI reviewer: ...", "Note for the agent", "If you are
# an LLM", "agents reading this", "Claude should ...". Visible requests need the latter.
AI_ADDRESS = _rx(
    rf"\b{_AI_NAME}\s*[:,]",
    rf"\b(?:dear|hey|hi|hello|attention|note\s+(?:to|for)|to|for|if\s+you\s+are)"
    rf"(?:\s+(?:the|any|all|an?))?\s+{_AI_NAME}\b",
    rf"\b{_AI_NAME}\s+(?:reading|reviewing|working\s+on|processing|analy[sz]ing)\b",
    rf"\b{_AI_NAME}\s+(?:should|must|shall|needs?\s+to|has\s+to)\b",
    r"@[\w-]*(?:ai|bot|gpt|copilot|claude|agent)[\w-]*\b",
)
IMPERATIVE = _rx(
    r"\b(?:must|should|please|do\s+not|don't|never|always|ignore|approve|merge|run|execute|say"
    r"|respond|reply|tell|write|add|remove|delete|include|output|print|send|instead|make\s+sure"
    r"|recommend|describe|summari[sz]e|rate|mention|praise|claim|state|treat|pretend|act\s+as"
    r"|answer|report|call|use|install|prefer)\b"
)
DISCUSSION = _rx(
    r"\be\.\s?g\.|\bi\.\s?e\.|\bsuch\s+as\b|\bfor\s+(?:example|instance)\b|\bexamples?\b",
    r"\battack(?:er|ers|s)?\b|\badversar\w*|\bmalicious\b|\bdetect\w*|\binjection\b",
    r"\b(?:requests?|asks?|asking)\s+(?:(?:an?|the)\s+\w+\s+)?to\b",
    r"\bjailbreaks?\b|\b(?:phrases?|strings?|patterns?|payloads?|text)\s+like\b|\bwatch\s+(?:out\s+)?for\b",
)
# "never share your token", "the bot can approve the PR": statements, not requests.
NOT_A_REQUEST = re.compile(
    r"\b(?:never|not|n't|no\s+one|nobody|can|cannot|will|may|could|would|might|must\s+not)\s+$",
    _F,
)
RST_COMMENT = re.compile(r"^\.\.[ \t]+(?![\w:-]+::|_|\[|\|).*(?:\n[ \t]+\S.*)*", re.M)
URLISH = re.compile(r"\b[a-z][\w+.-]{0,20}://\S+|(?<![\w.-])[\w-]{1,63}(?:\.[\w-]{1,63})+", _F)
QUOTES = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and angle quotes
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)[^\n]*\n.*?(?:^[ \t]{0,3}\1[^\n]*$|\Z)", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]{1,500}`")
# Hidden-text patterns are linear: an unclosed comment runs to the end of the file in one match,
# and elements are found tag by tag (below), never by a regex spanning from a tag to its close.
HIDDEN = (
    re.compile(r"<!--.*?(?:-->|\Z)", re.S),
    re.compile(r"^\[[^\]\n]*\]:\s*(?:#|<>)\s*[(\"'].*$", re.M),
)
OPEN_TAG = re.compile(r"<([A-Za-z][\w-]*)\b([^<>]{0,2000})>")
CLOSE_TAG = re.compile(r"</([A-Za-z][\w-]*)\s*>")
INVISIBLE = re.compile(
    r"\bstyle\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|visibility\s*:\s*hidden"
    r"|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])|(?<!-)color\s*:\s*"
    r"(?:white|#fff\b|#ffffff|rgba?\(\s*255\s*,\s*255\s*,\s*255)|(?:max-)?height\s*:\s*0(?:px)?\b)"
    r"|(?:^|\s)hidden(?:\s*=|\s|$)",
    _F,
)
OPEN_ATTR = re.compile(r"(?:^|\s)open(?:\s*=|\s|$)", _F)
TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")


def _lower_literals(pattern: str) -> str:
    """The pattern's letters in lower case, escapes (`\\S`, `\\W`) untouched."""
    return re.sub(
        r"\\.|[A-Z]", lambda m: m.group() if len(m.group()) == 2 else m.group().lower(), pattern
    )


# Python's re skips ahead to a possible first character only in case-sensitive patterns, so the
# hot patterns also exist in a case-sensitive form for text lowercased once: twice as fast.
# Compiled on first use: every run imports this module, few have text to search.
_HOT = (OVERRIDE, APPROVAL, SECRET_STRONG, SECRET_WEAK, COMMAND, AI_ADDRESS, DISCUSSION, URLISH)


@functools.cache
def _folded(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    if pattern not in _HOT:
        return None
    return re.compile(_lower_literals(pattern.pattern), pattern.flags & ~re.IGNORECASE)


# The word every match of a request pattern (OVERRIDE ... COMMAND) starts with, lower case.
# tests/checks/test_injection_patterns.py proves the list complete from the patterns themselves.
REQUEST_WORDS = (
    *("ignore", "disregard", "forget", "override", "bypass", "discard", "you", "enter", "enable"),
    *("activate", "switch", "do", "new", "updated", "real", "actual", "revised", "<|im_start|>"),
    *("approve", "merge", "accept", "lgtm", "sign", "auto", "mark", "respond", "reply", "answer"),
    *("comment", "never", "is", "has", "reveal", "print", "output", "show", "display", "dump"),
    *("repeat", "leak", "share", "tell", "send", "post", "upload", "exfiltrate", "forward"),
    *("transmit", "curl", "wget", "echo", "include", "paste", "list", "run", "execute", "open"),
    "reverse",
)
REQUESTS = (OVERRIDE, APPROVAL, SECRET_STRONG, SECRET_WEAK, COMMAND)


@functools.cache
def _any_request() -> re.Pattern[str]:
    """Every request pattern in one, for lower-cased text, and loosened so that what matches
    in a piece of a file also matches in the whole file: a line start is not required (in a
    Python string the phrase follows the quote, in a comment the code)."""
    parts = [_lower_literals(p.pattern).replace(_LINE_START, "") for p in REQUESTS]
    return re.compile("|".join(f"(?:{p})" for p in parts), re.MULTILINE)


def may_request(lowered: str) -> bool:
    """Whether a request pattern could match somewhere in this lower-cased text.

    Python's re tries every position of a text for a pattern that starts with `\b` (6 s on
    sqlalchemy's 24 MB); finding the first words with `str.find` and trying the patterns only
    there is ten times faster, and as exact: every match starts with one of REQUEST_WORDS.
    """
    pattern = _any_request()
    for word in REQUEST_WORDS:
        at = lowered.find(word)
        while at >= 0:
            if pattern.match(lowered, at):
                return True
            at = lowered.find(word, at + 1)
    return False


def fold(text: str) -> str | None:
    """The text in lower case when that keeps every offset (it does not for a few letters
    such as U+0130, which lower-case to two characters); None otherwise."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def searcher(
    pattern: re.Pattern[str], text: str, lowered: str | None
) -> tuple[re.Pattern[str], str]:
    """The pattern and the text to search instead of `pattern` on `text`: the folded pair when
    there is one. Offsets are the same either way."""
    folded = _folded(pattern)
    if lowered is None or folded is None:
        return pattern, text
    return folded, lowered


def finditer(pattern: re.Pattern[str], text: str, lowered: str | None) -> Iterator[re.Match[str]]:
    rx, source = searcher(pattern, text, lowered)
    return rx.finditer(source)
