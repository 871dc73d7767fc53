"""Personal data in changed files: e-mail addresses, phone numbers, US SSNs, card numbers, IBANs.

Every candidate is validated before it is reported, which is what keeps this quiet on ordinary
code: SSNs must fall in issued ranges, card numbers must pass Luhn AND start with a known issuer
prefix, IBANs must pass mod-97 and fit their country's entry in the SWIFT registry (python-stdnum),
phone numbers need a phone's shape (separators, a plausible area code) and not a version's, a
date's or an IP's. A card number may follow `=` or `:` (log lines, query strings), unless its key
names another kind of number (`order_id=`, `tracking_number:`).
Documentation domains (example.com, *.test ...) and published test values (Stripe's 4242...,
the ISO example IBANs, NANP's fictional 555 numbers) are not personal data and stay quiet.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from gates.checks.base import Source
from gates.checks.redact import SensitiveCheckGate, mask, mask_email, sensitive_finding
from gates.gate import GateTraits, Option
from gates.model import Finding, Severity

DEFAULT_ALLOWED_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "test",
    "localhost",
    "users.noreply.github.com",
)
_RESERVED_TLDS = ("example", "test", "invalid", "localhost", "local")
# Image and source file names look like addresses: `logo@2x.png`.
_FILE_TLDS = frozenset(
    {
        "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "mjs", "ts", "tsx",
        "jsx", "json", "yaml", "yml", "toml", "lock", "txt", "html", "htm", "xml", "map", "vue",
        "scss", "less", "py", "rb", "go", "rs", "java", "kt", "c", "h", "cpp", "md", "rst",
    }
)  # fmt: skip
# `user@domain.tld`, `me@yourcompany.com`: templates, not addresses.
_PLACEHOLDER_HOSTS = frozenset(
    {"domain", "yourdomain", "yourcompany", "mycompany", "email", "foo", "bar", "xxx"}
)
_SERVICE_LOCALS = frozenset({"git", "noreply", "no-reply", "donotreply", "do-not-reply"})

EMAIL = "pii-email"
PHONE = "pii-phone"
SSN = "pii-ssn"
CARD = "pii-card-number"
IBAN = "pii-iban"

_SEVERITY = {
    EMAIL: Severity.WARNING,
    PHONE: Severity.WARNING,
    SSN: Severity.ERROR,
    CARD: Severity.ERROR,
    IBAN: Severity.ERROR,
}
_LABELS = {
    EMAIL: "e-mail address",
    PHONE: "phone number",
    SSN: "US social security number",
    CARD: "payment card number",
    IBAN: "IBAN (bank account)",
}

_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@([A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+"
    r"[A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9])"
)
# Digits that are part of a larger token (versions, ids, IPs, hex) never start or end a match.
_LEFT = r"(?<![\w.+/=:-])"
_RIGHT = r"(?![\w/=-]|[.:]\d)"
_PHONE_INTL = re.compile(r"(?<![\w.+/=-])(\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,5}\)?){1,6})" + _RIGHT)
_PHONE_NANP = re.compile(_LEFT + r"((?:\(\d{3}\) ?|\d{3}([-. ]))\d{3}([-. ])\d{4})" + _RIGHT)
_PHONE_TRUNK = re.compile(_LEFT + r"(0[1-9]\d{0,4}(?:[ /-]\d{2,8}){1,4})" + _RIGHT)
# Dashed, an SSN may follow `=` or `:` too (`ssn=...` in a log line); bare, it needs context.
_SSN = re.compile(r"(?<![\w.+/-])" + r"(\d{3}([- ])\d{2}\2\d{4})" + _RIGHT)
_SSN_BARE = re.compile(_LEFT + r"(\d{9})" + _RIGHT)
_SSN_CONTEXT = re.compile(r"(?i)\bssn\b|social[ _-]?security|\bssn_|_ssn\b")
# A key that names an SSN says what the 9 digits after its `=` or `:` are (`ssn=` + 9 digits).
_SSN_KEYED = re.compile(
    r"(?i)(?:\bssn|_ssn|social[ _-]?security[\w-]*)[\"']?\s*[=:]\s*[\"']?(\d{9})" + _RIGHT
)
# A card may follow `=` or `:` (`card=4...`, `pan:5...` in logs and query strings); what the key
# says then decides (see _named_otherwise).
_CARD_LEFT = r"(?<![\w.+/-])"
_CARD = re.compile(_CARD_LEFT + r"(\d{4}([ -]?)\d{4,6}(?:\2\d{4,5}){1,3}(?:\2\d{1,4})?)" + _RIGHT)
_CARD_BARE = re.compile(_CARD_LEFT + r"(\d{13,19})" + _RIGHT)
# Words of a key or label that name what a number is. Another kind of number (an order, a
# tracking or transaction id, a timestamp, a size or limit) is not a card even when it passes
# Luhn (one in ten numbers does); a card word wins (`card_no`, `cc_number`).
_CARD_WORDS = frozenset(
    {"card", "cards", "cc", "pan", "credit", "debit", "visa", "amex", "mastercard"}
)
_OTHER_NUMBER_WORDS = frozenset(
    {
        "order", "orders", "invoice", "tracking", "shipment", "parcel", "sku", "ean", "gtin",
        "upc", "imei", "isbn", "ticket", "txn", "transaction", "trace", "request", "correlation",
        "session", "message", "channel", "user", "customer", "id", "ids", "ref", "reference",
        "serial", "build", "batch", "ts", "timestamp", "time", "epoch", "seq", "sequence", "nonce",
        "snowflake", "hash", "status", "tweet", "post", "commit", "version", "guild", "account",
        # quantities: sizes, limits, durations, amounts
        "bytes", "size", "max", "min", "limit", "count", "total", "length", "len", "timeout",
        "duration", "offset", "amount", "price", "balance", "ms", "ns", "us", "millis", "nanos",
        "seconds", "port", "pid", "uid", "gid", "inode",
    }
)  # fmt: skip
_KEY_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])"
)

# Published test and documentation values: nobody's data.
EXAMPLE_VALUES = frozenset(
    {
        "4111111111111111", "4242424242424242", "4000056655665556", "5555555555554444",
        "5105105105105100", "2223003122003222", "378282246310005", "371449635398431",
        "6011111111111117", "3056930009020004", "36227206271667", "3566002020360505",
        "6200000000000005", "4012888888881881", "5200828282828210", "4000000000000002",
        "DE89370400440532013000", "GB82WEST12345698765432", "GB29NWBK60161331926819",
        "FR1420041010050500013M02606", "NL91ABNA0417164300", "CH9300762011623852957",
        "078051120", "219099999", "123456789",
    }
)  # fmt: skip


@dataclass(frozen=True)
class _Hit:
    rule: str
    line: int
    start: int
    end: int
    masked: str


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_issuer(digits: str) -> str | None:
    """The network whose issuer prefix (IIN) and length fit, or None."""
    length = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and length in (13, 16, 19):
        return "Visa"
    if (51 <= two <= 55 or 2221 <= four <= 2720) and length == 16:
        return "Mastercard"
    if two in (34, 37) and length == 15:
        return "American Express"
    if (four == 6011 or 644 <= int(digits[:3]) <= 649 or two == 65) and 16 <= length <= 19:
        return "Discover"
    if (300 <= int(digits[:3]) <= 305 or two in (36, 38, 39)) and 14 <= length <= 19:
        return "Diners Club"
    if 3528 <= four <= 3589 and 16 <= length <= 19:
        return "JCB"
    if two == 62 and 16 <= length <= 19:
        return "UnionPay"
    if 622126 <= six <= 622925 and 16 <= length <= 19:
        return "UnionPay"
    return None


def iban_valid(candidate: str) -> bool:
    """Mod-97 first (one in 97 random candidates passes it), then python-stdnum's copy of the
    SWIFT registry: the country exists and the account part has its length and format. Reading
    the registry through stdnum keeps every country current (RU, LY, OM, SO ... joined late)."""
    iban = candidate.replace(" ", "")
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    if int("".join(str(int(c, 36)) for c in moved)) % 97 != 1:
        return False
    from stdnum import iban as registry  # 0.1 s to import: only for a candidate that passed

    try:  # national check digits are not checked: banks' own schemes, and not always kept
        registry.validate(iban, check_country=False)
    except ValueError:  # stdnum's ValidationError
        return False
    return True


def ssn_valid(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    # `111-22-3333`: every group one repeated digit is a made-up placeholder.
    return not all(len(set(part)) == 1 for part in (area, group, serial))


def _email_allowed(local: str, domain: str, allowed: Sequence[str]) -> bool:
    domain = domain.lower()
    labels = domain.rsplit(".", 1)
    if labels[-1] in _RESERVED_TLDS or labels[-1] in _FILE_TLDS:
        return True
    if local.lower() in _SERVICE_LOCALS or domain.split(".")[0] in _PLACEHOLDER_HOSTS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in (a.lower() for a in allowed))


def _emails(line: str, number: int, allowed: Sequence[str]) -> Iterator[_Hit]:
    for match in _EMAIL.finditer(line):
        local, domain = match.group(1), match.group(2)
        before = line[: match.start()]
        if re.search(r"://[^\s/]*$", before):
            continue  # `scheme://user:pass@host`: credentials, the secrets gate's business
        start = match.start()
        if start > 0 and line[start - 1] == "\\":
            # `"\n@pytest.mark.skip"`: the letter of a string escape is not an address's start.
            local, start = local[1:], start + 1
            if not local[:1].isalnum():
                continue
        if _email_allowed(local, domain, allowed):
            continue
        yield _Hit(EMAIL, number, start, match.end(), mask_email(line[start : match.end()]))


def _phone_digits_ok(digits: str) -> bool:
    return len(set(digits)) > 2 and digits not in "01234567890123456789"


def _nanp_ok(digits: str) -> bool:
    """A NANP number: area and exchange start 2-9; 555 exchanges are fiction's numbers."""
    area, exchange = digits[-10:-7], digits[-7:-4]
    return area[0] in "23456789" and exchange[0] in "23456789" and exchange != "555"


def _phones(line: str, number: int) -> Iterator[_Hit]:
    # Digit groups of an IBAN or card shape are not a phone, even when that IBAN or card is
    # invalid or an example and so not reported.
    taken = [m.span(1) for p in (_IBAN, _CARD) for m in p.finditer(line)]
    for pattern in (_PHONE_INTL, _PHONE_NANP, _PHONE_TRUNK):
        for match in pattern.finditer(line):
            text = match.group(1).rstrip(" .-")
            start, end = match.start(1), match.start(1) + len(text)
            digits = re.sub(r"\D", "", text)
            if any(start < b and a < end for a, b in taken) or not _phone_shape(
                pattern, text, digits
            ):
                continue
            taken.append((start, end))
            yield _Hit(PHONE, number, start, end, mask(text))


def _phone_shape(pattern: re.Pattern[str], text: str, digits: str) -> bool:
    if not _phone_digits_ok(digits):
        return False
    if pattern is _PHONE_INTL:
        if not 8 <= len(digits) <= 15:
            return False
        return not (digits.startswith("1") and len(digits) == 11 and not _nanp_ok(digits))
    if pattern is _PHONE_NANP:
        return _nanp_ok(digits)
    # National format with a trunk 0: 10 or 11 digits in at least two groups.
    return 10 <= len(digits) <= 11 and not re.search(r"\d{5,}\D\d{5,}", text)


def _ssns(line: str, number: int) -> Iterator[_Hit]:
    for match in _SSN.finditer(line):
        digits = re.sub(r"\D", "", match.group(1))
        if ssn_valid(digits) and digits not in EXAMPLE_VALUES:
            yield _Hit(SSN, number, match.start(1), match.end(1), mask(match.group(1)))
    if _SSN_CONTEXT.search(line):
        for match in (*_SSN_BARE.finditer(line), *_SSN_KEYED.finditer(line)):
            digits = match.group(1)
            if ssn_valid(digits) and digits not in EXAMPLE_VALUES:
                yield _Hit(SSN, number, match.start(1), match.end(1), mask(digits))


def _named_otherwise(line: str, start: int) -> bool:
    """Whether the key or label right before a number (after the previous number on the line)
    names another kind of number and no card: `order_id=`, `Order number:`, `#` after `order`."""
    tail = re.split(r"\d", line[max(0, start - 40) : start])[-1]
    words = {w.lower() for w in _KEY_WORD.findall(tail)[-3:]}
    return bool(words & _OTHER_NUMBER_WORDS) and not words & _CARD_WORDS


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_DELIMITED = {".csv": ",;\t|", ".tsv": "\t"}  # a .csv may be written with any of these


def _column_names_other(source: Source, hit: _Hit) -> bool:
    """A number in a table whose column header names another kind of number: `invoice_number`
    over a CSV column, `Serial number` over a Markdown table's."""
    header = _column_header(source, hit.line, hit.start)
    if header is None:
        return False
    words = {w.lower() for w in _KEY_WORD.findall(header)}
    return bool(words & _OTHER_NUMBER_WORDS) and not words & _CARD_WORDS


def _column_header(source: Source, number: int, start: int) -> str | None:
    lines = source.lines
    line = lines[number - 1]
    delimiters = _DELIMITED.get(source.suffix)
    if delimiters is not None and number > 1:
        delimiter = max(delimiters, key=lines[0].count)  # the header's own, as csv.Sniffer does
        index = len(_fields(line[:start], delimiter)) - 1
        return _cell_at(_fields(lines[0], delimiter), index)
    if "|" not in line:
        return None
    for at in range(number - 2, max(number - 200, 0), -1):  # the rule under the table's header
        if _TABLE_RULE.match(lines[at]):
            return _cell(lines[at - 1], "|", line[:start].count("|")) if at > 0 else None
        if "|" not in lines[at]:
            return None
    return None


def _cell(row: str, delimiter: str, index: int) -> str | None:
    return _cell_at(row.split(delimiter), index)


def _cell_at(cells: list[str], index: int) -> str | None:
    return cells[index] if 0 <= index < len(cells) else None


def _fields(row: str, delimiter: str) -> list[str]:
    """A CSV row's fields, quotes honoured: `Bob,"Acme, Inc",` is three fields, not four."""
    try:
        return next(csv.reader([row], delimiter=delimiter), None) or [""]
    except csv.Error:
        return row.split(delimiter)


def _cards(line: str, number: int) -> Iterator[_Hit]:
    for pattern in (_CARD, _CARD_BARE):
        for match in pattern.finditer(line):
            text = match.group(1)
            digits = re.sub(r"\D", "", text)
            if not 13 <= len(digits) <= 19 or digits in EXAMPLE_VALUES:
                continue
            if _named_otherwise(line, match.start(1)):
                continue
            issuer = card_issuer(digits)
            if issuer and luhn_valid(digits) and len(set(digits)) > 2:
                yield _Hit(CARD, number, match.start(1), match.end(1), f"{mask(text)} ({issuer})")


def _ibans(line: str, number: int) -> Iterator[_Hit]:
    for match in _IBAN.finditer(line):
        text = match.group(1).rstrip()
        if iban_valid(text) and text.replace(" ", "") not in EXAMPLE_VALUES:
            yield _Hit(IBAN, number, match.start(1), match.start(1) + len(text), mask(text))


def _overlapping(hits: list[_Hit]) -> list[_Hit]:
    """Validated kinds first: a card number's digits are not also a phone number."""
    order = (CARD, IBAN, SSN, EMAIL, PHONE)
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (order.index(h.rule), h.line, h.start)):
        if not any(k.line == hit.line and hit.start < k.end and k.start < hit.end for k in kept):
            kept.append(hit)
    return kept


def _domains(value: object) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return None
    return "must be a list of domain names"


_NO_ASCII_DIGITS = str.maketrans("", "", "0123456789")
_DIGIT = re.compile(r"\d")  # every number rule needs some: a line without one is skipped
FEWEST_NUMBER_DIGITS = 8  # an international phone number; SSNs have 9, cards 13 or more
FEWEST_IBAN_DIGITS = 2  # its check digits


def _digits(line: str) -> int:
    """How many digits a line holds: what decides which rules can match it at all. `translate`
    counts an ASCII line in C; other lines count every script's digits, as `\\d` matches them."""
    if line.isascii():
        return len(line) - len(line.translate(_NO_ASCII_DIGITS))
    return sum(1 for c in line if c.isdigit())


class PiiGate(SensitiveCheckGate):
    name = "pii"
    traits = GateTraits(cost_model=(0.0, 0.045), rules=frozenset(_SEVERITY))
    description = "e-mail addresses, phone numbers, US SSNs, card numbers, IBANs (validated)"
    options: Mapping[str, Option] = {
        "allowed_domains": Option(
            list,
            list(DEFAULT_ALLOWED_DOMAINS),
            item=str,
            check=_domains,
            help="e-mail domains (and their subdomains) that are not personal data",
        ),
    }

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        allowed = options.get("allowed_domains", DEFAULT_ALLOWED_DOMAINS)
        allowed = list(allowed) if isinstance(allowed, (list, tuple)) else []
        hits: list[_Hit] = []
        lines = source.lines
        for number, line in enumerate(lines, start=1):
            if "@" in line:
                hits += _emails(line, number, allowed)
            if _DIGIT.search(line) is None:
                continue  # 9 lines in 10: a search is a third of counting the digits
            digits = _digits(line)
            if digits >= FEWEST_NUMBER_DIGITS:  # most lines with a digit have a few
                hits += _phones(line, number)
                hits += _ssns(line, number)
                hits += _cards(line, number)
            if digits >= FEWEST_IBAN_DIGITS:
                hits += _ibans(line, number)
        hits = [h for h in hits if h.rule != CARD or not _column_names_other(source, h)]
        return [self._finding(source, lines[hit.line - 1], hit) for hit in _overlapping(hits)]

    def _finding(self, source: Source, text: str, hit: _Hit) -> Finding:
        return sensitive_finding(
            self,
            source,
            text=text,
            rule=hit.rule,
            severity=_SEVERITY[hit.rule],
            line=hit.line,
            start=hit.start,
            end=hit.end,
            masked=hit.masked,
            message=f"{_LABELS[hit.rule]} {hit.masked}: personal data does not belong in the "
            "repository; use a fictional or documentation value",
        )
