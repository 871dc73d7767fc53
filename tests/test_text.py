"""Escaping untrusted text: checked character by character against its definition."""

from __future__ import annotations

import re
import sys

import pytest

from gates.text import encodable, escape_markdown, neutralise_refs, reveal_invisible

# What the escapes are defined as: the patterns they replace, kept here as the specification.
INVISIBLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060-\u2064\ufeff\u061c\U000e0000-\U000e007f]"
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&:=\"'$^])")


def _every_character() -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def test_printable_text_holds_nothing_invisible() -> None:
    """reveal_invisible returns printable text untouched without running its patterns."""
    hidden = [
        c
        for c in _every_character()
        if c.isprintable() and (INVISIBLE.match(c) or CONTROL.match(c))
    ]
    assert hidden == []


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\U000e0041", "\x1b", "\x7f"])
def test_each_invisible_character_is_revealed(char: str) -> None:
    assert reveal_invisible(f"a{char}b") == f"a<U+{ord(char):04X}>b"


def test_tabs_and_line_breaks_are_left_to_the_caller() -> None:
    assert reveal_invisible("a\tb\nc\r\n") == "a\tb\nc\r\n"


def _markdown_by_definition(text: str) -> str:
    text = INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)
    text = CONTROL.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)
    text = MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")
    return re.sub(r"@(?=[A-Za-z0-9])", "@&#8203;", re.sub(r"#(?=\d)", "#&#8203;", text))


@pytest.mark.parametrize(
    "text",
    [
        "".join(chr(c) for c in range(128)),
        "issue #12 by @octocat <b>bold</b> `code` [x](y) \u202eevil\r\nnext",
        "plain words",
        "é ✓ 日本 \U0001f600",
    ],
)
def test_markdown_escape_matches_its_definition(text: str) -> None:
    assert escape_markdown(text) == _markdown_by_definition(text)


def test_refs_are_broken_only_before_a_name_or_number() -> None:
    assert neutralise_refs("@a #1 @ # x@ #x") == "@&#8203;a #&#8203;1 @ # x@ #x"


def test_encodable_shows_bytes_that_were_not_utf8_and_keeps_the_rest() -> None:
    name = b"caf\xe9 \xff/\xc3\xa9t\xc3\xa9.py".decode("utf-8", errors="surrogateescape")
    assert encodable(name) == "caf\\xe9 \\xff/été.py"
    assert encodable("lone \ud800 surrogate") == "lone \\ud800 surrogate"
    assert encodable("plain ✓") == "plain ✓"
    assert encodable(name).encode("utf-8")  # what every report needs
