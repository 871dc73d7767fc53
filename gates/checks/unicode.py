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

import io
import re
import tokenize
import unicodedata
from collections.abc import Iterator, Mapping

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

# Letters of other scripts that render like a Latin letter (after Unicode's confusables.txt).
_LOOKS_LATIN = {
    **dict(
        zip(
            "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb\u04cf\u051b\u051d",
            "aeopcyxijsdhlqw",
            strict=True,
        )
    ),
    **dict(
        zip(
            "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0405\u0406\u0408",
            "ABEKMHOPCTXSIJ",
            strict=True,
        )
    ),
    **dict(zip("\u03bf\u03b1\u03bd\u03b9\u03ba\u03c1\u03c5", "oavikpu", strict=True)),
    **dict(
        zip(
            "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7",
            "ABEZHIKMNOPTYX",
            strict=True,
        )
    ),
    **dict(zip("\u0585\u0578\u057d\u0570", "onuh", strict=True)),
}
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
    """ZWJ/ZWNJ between two emoji or two non-Latin letters is how those are written."""
    if any(c not in _JOINERS for c in line[start:end]) or start == 0 or end >= len(line):
        return False
    before, after = line[start - 1], line[end]
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


def identifier_problem(name: str) -> tuple[str, str] | None:
    """(rule, message) when a Python identifier is spelled to deceive, else None."""
    folded = unicodedata.normalize("NFKC", name)
    if folded != name:
        odd = next(c for c in name if unicodedata.normalize("NFKC", c) != c)
        return CONFUSABLE, (
            f"identifier {reveal_invisible(name)!r} is spelled with {describe_codepoint(odd)}; "
            f"Python reads it as {folded!r}"
        )
    scripts = _scripts(name)
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
        if "LATIN" in scripts:
            fakes = [c for c in name if c in _LOOKS_LATIN]
            if fakes:
                return MIXED, (
                    f"identifier {name!r} mixes scripts ({', '.join(sorted(scripts))}): "
                    f"{describe_codepoint(fakes[0])} looks like Latin {_LOOKS_LATIN[fakes[0]]!r}"
                )
        return None
    if (
        scripts
        and scripts != {"LATIN"}
        and all(c in _LOOKS_LATIN or c in "_0123456789" for c in name)
    ):
        looks = "".join(_LOOKS_LATIN.get(c, c) for c in name)
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


def deceptive_identifiers(gate: str, source: Source) -> list[Finding]:
    """Python names by tokenize, all three problems; in other code, words anywhere (comments and
    strings included), so only the mixed-script one: a Russian word in a string is no attack."""
    python = source.suffix in _PYTHON
    findings: list[Finding] = []
    reported: set[str] = set()
    for name, line, column in _python_names(source.text) if python else _words(source.text):
        if name.isascii() or name in reported:
            continue
        problem = identifier_problem(name)
        if problem and (python or problem[0] == MIXED):
            reported.add(name)  # once per file: the first use is the one to look at
            rule, message = problem
            findings.append(_finding(gate, source, rule, message, line, column, column + len(name)))
    return findings


class HiddenUnicodeGate(TextCheckGate):
    name = "hidden-unicode"
    traits = GateTraits(cost_model=(0.0, 0.05))
    description = "bidi controls, zero-width and tag characters, look-alike identifiers"

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        del options
        findings = hidden_characters(self.name, source)
        if source.suffix in _PYTHON + _OTHER_CODE and not source.text.isascii():
            findings += deceptive_identifiers(self.name, source)
        return findings
