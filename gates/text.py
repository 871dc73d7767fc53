"""Make untrusted text (file names, tool messages, PR content) safe for each place it lands.

Every reporter and the publisher use these; none writes its own escaping.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi controls, zero-width characters, BOM and tag characters: invisible to a reviewer.
_INVISIBLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060-\u2064\ufeff\u061c\U000e0000-\U000e007f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Each character Markdown or HTML could read as syntax, backslash-escaped; line breaks flattened.
_MD_ESCAPES = str.maketrans(
    {c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~&:=\"'$^"} | {"\r": " ", "\n": " "}
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ISSUE_REF = re.compile(r"#(?=\d)")


def reveal_invisible(text: str) -> str:
    """Replace invisible and control characters with a visible `<U+202E>` marker."""
    if text.isprintable():  # every character the two patterns find is a format or control one
        return text
    text = _INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)
    return _CONTROL.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text)


def describe_codepoint(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`."""
    name = unicodedata.name(char, "")
    if not name and 0xE0000 <= ord(char) <= 0xE007F:
        name = "TAG CHARACTER"
    return f"U+{ord(char):04X} {name}".rstrip()


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def escape_markdown(text: str) -> str:
    """Inline Markdown/HTML-safe text that renders literally and pings nobody on GitHub."""
    return neutralise_refs(reveal_invisible(text).translate(_MD_ESCAPES))


def neutralise_refs(text: str) -> str:
    """Break `@user` and `#123` with a zero-width-space entity (as Renovate does) so GitHub
    neither notifies anyone nor links an issue; the text still reads the same."""
    if "#" in text:
        text = _ISSUE_REF.sub("#&#8203;", text)  # first: the entity below contains a '#'
    return _MENTION.sub("@&#8203;", text) if "@" in text else text


def escape_html(text: str) -> str:
    text = reveal_invisible(text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    ).replace("@", "@&#8203;")


def code_span(text: str) -> str:
    """Text in an inline code span; backticks inside cannot close it early."""
    text = reveal_invisible(text).replace("\n", " ").replace("\r", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# A code span as CommonMark reads one: a run of backticks, text, a run of the same length.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def markdown_with_code(text: str) -> str:
    """A tool's message, whose `names` in backticks stay code spans (tools write them so)
    while the rest is escaped as escape_markdown does. Inside a code span GitHub reads no
    Markdown, HTML, mention or issue reference, and code_span picks a fence the text cannot
    close, so the guarantees of escape_markdown hold for the whole text."""
    if "`" not in text:
        return escape_markdown(text)
    out: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(escape_markdown(text[position : match.start()]))
        out.append(code_span(match.group(2)))
        position = match.end()
    out.append(escape_markdown(text[position:]))
    return "".join(out)


def escape_workflow_data(text: str) -> str:
    """The message part of a `::error ...::message` workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_workflow_property(text: str) -> str:
    """A property value (file=, title=) of a workflow command."""
    return escape_workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def encodable(text: str) -> str:
    """Text every output can write as UTF-8. git gives file names as bytes; one that is not
    UTF-8 is kept with its bad bytes as surrogate escapes, so the file can still be opened,
    and is shown here with those bytes as `\\xe9`, as git itself quotes them."""
    if text.isascii():
        return text
    return _SURROGATE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
