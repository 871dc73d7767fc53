"""Hidden Unicode: Trojan Source (CVE-2021-42574), ASCII smuggling and look-alike identifiers.

Bidi controls reorder what a reviewer sees against what the compiler reads; zero-width
characters and a stray BOM split or join tokens invisibly; Unicode tag characters carry whole
ASCII sentences that render as nothing (a favourite hiding place for prompts aimed at AI
agents). In Python, identifiers that mix scripts (a Cyrillic U+0430 for the `a` of `password`)
or that NFKC folds into another name (a full-width U+FF45 `e` makes `eval`) fool readers and grep.

Findings give the 1-based line and column in code points, one per run of adjacent characters,
and never carry the invisible characters themselves.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
import json
import re
import tokenize
import unicodedata
from collections.abc import Callable, Iterator, Mapping

from gates.checks.base import Source, TextCheckGate
from gates.gate import GateTraits
from gates.model import Finding, Severity
from gates.text import describe_codepoint, one_line, reveal_invisible

BIDI = "unicode-bidi-control"
ZERO_WIDTH = "unicode-zero-width"
BOM = "unicode-bom"
TAGS = "unicode-tag-characters"
MIXED = "unicode-mixed-script"
CONFUSABLE = "unicode-confusable"

_SEVERITY = {
    BIDI: Severity.ERROR,
    ZERO_WIDTH: Severity.WARNING,
    BOM: Severity.WARNING,
    TAGS: Severity.ERROR,
    MIXED: Severity.ERROR,
    CONFUSABLE: Severity.WARNING,
}

_HIDDEN = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060-\u2064\ufeff\U000e0000-\U000e007f]+"
)
_JOINERS = "\u200c\u200d"  # ZWNJ / ZWJ: legitimate inside emoji sequences and many scripts

# Letters of other scripts that render like a Latin letter: Unicode's confusables.txt (TR39) as
# confusable-homoglyphs ships it, read on first use (most files never need it).
_CONFUSABLES = ("confusable_homoglyphs", "confusables.json")


@functools.cache
def looks_latin() -> Mapping[str, str]:
    """Letter of another script -> the ASCII letter TR39 says it is confusable with."""
    data = json.loads(
        importlib.resources.files(_CONFUSABLES[0]).joinpath(_CONFUSABLES[1]).read_text("utf-8")
    )
    table: dict[str, str] = {}
    for char, glyphs in data.items():
        if len(char) != 1 or not char.isalpha() or _script(char) in ("LATIN", ""):
            continue
        ascii_letters = [
            g["c"] for g in glyphs if len(g["c"]) == 1 and "a" <= g["c"].lower() <= "z"
        ]
        if ascii_letters:
            table[char] = ascii_letters[0]
    return table


# Script mixes that are ordinary (Unicode TS #39 "highly restrictive").
_ALLOWED_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_PYTHON = (".py", ".pyi")
# Languages the Trojan Source paper showed homoglyph attacks in, and their kin.
_OTHER_CODE = (
    ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".rs", ".java", ".kt", ".scala",
    ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".rb", ".php", ".swift", ".sh", ".bash",
)  # fmt: skip


def _rule_of(char: str) -> str:
    code = ord(char)
    if 0xE0000 <= code <= 0xE007F:
        return TAGS
    if char == "\ufeff":
        return BOM
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return BIDI
    return ZERO_WIDTH


def _runs(line: str) -> Iterator[tuple[str, int, int]]:
    """(rule, start, end) for each maximal run of adjacent hidden characters of one kind."""
    for match in _HIDDEN.finditer(line):
        start = match.start()
        for pos in range(match.start(), match.end() + 1):
            if pos == match.end() or _rule_of(line[pos]) != _rule_of(line[start]):
                yield _rule_of(line[start]), start, pos
                start = pos


def _is_legit_joiner(line: str, start: int, end: int) -> bool:
    """ZWJ/ZWNJ between two emoji or two non-Latin letters is how those are written, and so is
    one right after a virama (Malayalam chillu letters, Devanagari half forms), even at a
    word's end."""
    if any(c not in _JOINERS for c in line[start:end]) or start == 0:
        return False
    before = line[start - 1]
    if unicodedata.category(before) == "Mn" and "VIRAMA" in unicodedata.name(before, ""):
        return True
    if end >= len(line):
        return False
    after = line[end]
    if _is_pictographic(before) and _is_pictographic(after):
        return True
    return all(c.isalpha() or unicodedata.category(c) == "Mn" for c in (before, after)) and (
        _script(before) not in ("LATIN", "") or _script(after) not in ("LATIN", "")
    )


def _is_pictographic(char: str) -> bool:
    if 0x1F000 <= ord(char) <= 0x1FAFF:
        return True
    return ord(char) >= 0x2190 and unicodedata.category(char) in ("So", "Sk", "Mn")


def _names(chars: str, limit: int = 3) -> str:
    distinct = list(dict.fromkeys(chars))
    named = ", ".join(describe_codepoint(c) for c in distinct[:limit])
    return named + (f" and {len(distinct) - limit} more" if len(distinct) > limit else "")


def decode_tags(chars: str) -> str:
    """The ASCII a run of tag characters spells; other tags (language, cancel) are dropped."""
    return "".join(chr(ord(c) - 0xE0000) for c in chars if 0xE0020 <= ord(c) <= 0xE007E)


def _message(rule: str, chars: str) -> str:
    count = f"{len(chars)} character{'s' if len(chars) > 1 else ''}"
    if rule == TAGS:
        hidden = decode_tags(chars)
        shown = one_line(reveal_invisible(hidden), 120)
        return (
            f"ASCII smuggling: {len(chars)} invisible Unicode tag characters "
            f"({len(hidden)} hidden ASCII) spell {shown!r}"
        )
    if rule == BIDI:
        return (
            f"bidirectional control ({count}: {_names(chars)}) can make code read differently "
            "from how it runs (Trojan Source, CVE-2021-42574)"
        )
    if rule == BOM:
        return f"byte-order mark ({_names(chars)}) inside the file, not at its start"
    return f"invisible zero-width character ({count}: {_names(chars)})"


def hidden_characters(gate: str, source: Source) -> list[Finding]:
    if source.text.isascii() or not _HIDDEN.search(source.text):
        return []  # most files: one pass over the text instead of a search per line
    findings: list[Finding] = []
    for number, line in enumerate(source.lines, start=1):
        for rule, start, end in _runs(line):
            if rule == BOM and number == 1 and start == 0 and end == 1:
                continue  # a BOM that opens the file is an encoding mark
            if rule == ZERO_WIDTH and _is_legit_joiner(line, start, end):
                continue
            findings.append(
                _finding(gate, source, rule, _message(rule, line[start:end]), number, start, end)
            )
    return findings


def _finding(
    gate: str, source: Source, rule: str, message: str, line: int, start: int, end: int
) -> Finding:
    return Finding(
        gate=gate,
        tool="gates",
        rule=rule,
        severity=_SEVERITY[rule],
        path=source.path,
        message=reveal_invisible(message),  # never a raw invisible character, whatever the rule
        line=line,
        column=start + 1,
        end_column=end + 1,
    )


def _script(char: str) -> str:
    """A script name from the character's Unicode name: a heuristic good enough for letters."""
    name = unicodedata.name(char, "")
    if not name or not (char.isalpha() or unicodedata.category(char) == "Mn"):
        return ""
    first = name.split(" ", 1)[0]
    if first == "CJK":
        return "CJK"
    if unicodedata.category(char) == "Mn" and first in ("COMBINING",):
        return ""  # inherited: takes the script of its base letter
    return first


def _scripts(name: str) -> set[str]:
    return {s for s in (_script(c) for c in name) if s}


_SEGMENT = re.compile(r"[^\W\d_]+")


def _segments(name: str) -> Iterator[str]:
    """The words of a name: split at `_`, digits and lower-to-upper turns, so `sigma_x` or
    `delta_t2` written with Greek letters, or a Latin verb before a Cyrillic noun, are words of
    one script each, while `password` with a Cyrillic `a` stays one mixed word."""
    for part in _SEGMENT.findall(name):
        start = 0
        for at in range(1, len(part)):
            if part[at - 1].islower() and part[at].isupper():
                yield part[start:at]
                start = at
        yield part[start:]


def _fake_latin(name: str) -> str | None:
    """A letter of another script posing as Latin inside a Latin name: in a word that mixes it
    with Latin letters, or making up a whole word of two letters or more (`safe_exec` with a
    Cyrillic `exec`)."""
    table = looks_latin()
    for word in _segments(name):
        fakes = [c for c in word if c in table]
        if not fakes:
            continue
        scripts = _scripts(word)
        if "LATIN" in scripts or (len(word) > 1 and len(fakes) == len(word)):
            return fakes[0]
    return None


def identifier_problem(
    name: str, shadows: Callable[[str], bool] = lambda _: True
) -> tuple[str, str] | None:
    """(rule, message) when an identifier is spelled to deceive, else None. `shadows(latin)`
    says whether a one-letter look-alike's Latin twin is used in the file (a Cyrillic `a`
    beside a Latin `a`)."""
    folded = unicodedata.normalize("NFKC", name)
    if folded != name:
        odd = next(c for c in name if unicodedata.normalize("NFKC", c) != c)
        return CONFUSABLE, (
            f"identifier {reveal_invisible(name)!r} is spelled with {describe_codepoint(odd)}; "
            f"Python reads it as {folded!r}"
        )
    scripts = _scripts(name)
    if "LATIN" in scripts and len(scripts) > 1:
        if any(scripts <= allowed for allowed in _ALLOWED_MIXES):
            return None
        fake = _fake_latin(name)
        if fake is None:
            return None
        return MIXED, (
            f"identifier {name!r} mixes scripts ({', '.join(sorted(scripts))}): "
            f"{describe_codepoint(fake)} looks like Latin {looks_latin()[fake]!r}"
        )
    table = looks_latin() if scripts and scripts != {"LATIN"} else {}
    if table and all(c in table or c in "_0123456789" for c in name):
        looks = "".join(table.get(c, c) for c in name)
        if sum(c.isalpha() for c in name) == 1 and not shadows(looks):
            return None  # a lone Greek sigma is a statistician's sigma, not a disguised `o`
        return CONFUSABLE, (
            f"identifier {name!r} is written in {', '.join(sorted(scripts))} letters that look "
            f"like the Latin name {looks!r}"
        )
    return None


def _python_names(text: str) -> Iterator[tuple[str, int, int]]:
    """(name, line, 0-based column) of each NAME token up to the last line a non-ASCII name
    could be on; a regex fallback when tokenize fails before that."""
    last = _last_non_ascii_line(text)
    seen: list[tuple[str, int, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > last:
                break  # the rest has only ASCII names (sqlalchemy: 40 % of tokenize's time)
            if token.type == tokenize.NAME:
                seen.append((token.string, token.start[0], token.start[1]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        seen = [
            (m.group(0), number, m.start())
            for number, line in enumerate(text.split("\n"), start=1)
            for m in _IDENTIFIER.finditer(line)
        ]
    yield from seen


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _last_non_ascii_line(text: str) -> int:
    backwards = _NON_ASCII.search(text[::-1])
    if backwards is None:
        return 0
    return text.count("\n", 0, len(text) - backwards.end()) + 1


def _words(text: str) -> Iterator[tuple[str, int, int]]:
    for number, line in enumerate(text.split("\n"), start=1):
        for match in _IDENTIFIER.finditer(line):
            yield match.group(0), number, match.start()


def _uses_name(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None


def deceptive_identifiers(gate: str, source: Source) -> list[Finding]:
    """Python names by tokenize, all three problems; in other code, words anywhere (comments and
    strings included), so only the mixed-script one: a Russian word in a string is no attack."""
    python = source.suffix in _PYTHON
    findings: list[Finding] = []
    reported: set[str] = set()
    for name, line, column in _python_names(source.text) if python else _words(source.text):
        if name.isascii() or name in reported:
            continue
        problem = identifier_problem(name, lambda latin: _uses_name(source.text, latin))
        if problem and (python or problem[0] == MIXED):
            reported.add(name)  # once per file: the first use is the one to look at
            rule, message = problem
            findings.append(_finding(gate, source, rule, message, line, column, column + len(name)))
    return findings


class HiddenUnicodeGate(TextCheckGate):
    name = "hidden-unicode"
    traits = GateTraits(cost_model=(0.0, 0.05), rules=frozenset(_SEVERITY))
    description = "bidi controls, zero-width and tag characters, look-alike identifiers"

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        del options
        findings = hidden_characters(self.name, source)
        if source.suffix in _PYTHON + _OTHER_CODE and not source.text.isascii():
            findings += deceptive_identifiers(self.name, source)
        return findings
