"""Secrets in changed files: cloud keys, vendor tokens, private keys, JWTs and passwords.

detect-secrets (Yelp) supplies the vendor token detectors that it does well: AWS, Azure storage,
GitHub, GitLab, Slack, Stripe, JWTs (validated by decoding), Twilio, SendGrid, npm, PyPI, OpenAI,
Discord, Telegram, Mailchimp, Square. Our own rules sit on top where it is weak or noisy: GCP
service-account files and API keys, GitHub fine-grained tokens, PEM private keys (only with a key
body, not a header mentioned in code), passwords in URLs and in assignments (placeholders and
references stay quiet), and high-entropy strings only when assigned to a secret-sounding name.

Values published by vendors as documentation examples (AWS's `AKIAIOSFODNN7EXAMPLE`) are not
reported: they open no account. Every value is masked when its finding is created.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from gates.checks.base import Source
from gates.checks.redact import SensitiveCheckGate, mask, sensitive_finding
from gates.gate import GateTraits
from gates.model import Finding, Severity

# detect-secrets keeps its settings in a process-wide singleton; gates run on threads.
_DETECT_SECRETS_LOCK = threading.Lock()

# secret_type -> our rule id. Its header-only PrivateKeyDetector, BasicAuthDetector and the
# keyword/entropy plugins are replaced by our own rules below (they flag placeholders).
_DS_RULES = {
    "AWS Access Key": "secret-aws-access-key",
    "Azure Storage Account access key": "secret-azure-storage-key",
    "GitHub Token": "secret-github-token",
    "GitLab Token": "secret-gitlab-token",
    "Slack Token": "secret-slack-token",
    "Stripe Access Key": "secret-stripe-key",
    "JSON Web Token": "secret-jwt",
    "Twilio API Key": "secret-token",
    "SendGrid API Key": "secret-token",
    "NPM tokens": "secret-token",
    "PyPI Token": "secret-token",
    "OpenAI Token": "secret-token",
    "Discord Bot Token": "secret-token",
    "Telegram Bot Token": "secret-token",
    "Mailchimp Access Key": "secret-token",
    "Square OAuth Secret": "secret-token",
}

# Lower wins when two findings cover the same text: the most specific name is the useful one.
_PRIORITY = {
    "secret-gcp-service-account": 0,
    "secret-private-key": 1,
    "secret-aws-access-key": 2,
    "secret-aws-secret-key": 2,
    "secret-gcp-api-key": 2,
    "secret-github-token": 2,
    "secret-gitlab-token": 2,
    "secret-slack-token": 2,
    "secret-stripe-key": 2,
    "secret-azure-storage-key": 2,
    "secret-client-secret": 2,
    "secret-token": 3,
    "secret-jwt": 4,
    "secret-url-password": 5,
    "secret-password-assignment": 6,
    "secret-high-entropy": 7,
}

_LABELS = {
    "secret-aws-access-key": "AWS access key id",
    "secret-aws-secret-key": "AWS secret access key",
    "secret-azure-storage-key": "Azure storage account key",
    "secret-gcp-api-key": "Google Cloud API key",
    "secret-gcp-service-account": "Google Cloud service-account private key",
    "secret-github-token": "GitHub token",
    "secret-gitlab-token": "GitLab token",
    "secret-slack-token": "Slack token",
    "secret-stripe-key": "Stripe live secret key",
    "secret-jwt": "JSON Web Token",
    "secret-private-key": "private key",
    "secret-url-password": "password in a URL",
    "secret-password-assignment": "hard-coded password",
    "secret-high-entropy": "high-entropy value assigned to a secret-looking name",
    "secret-token": "API token",
    "secret-client-secret": "OAuth / cloud identity client secret",
}

# Published by the vendors as documentation examples; they open nothing.
EXAMPLE_VALUES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    }
)

_TOKEN_TAIL = re.compile(r"[\w+/=.-]*")
_AWS_KEY_ID = re.compile(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}")
_OWN_PATTERNS = (
    ("secret-gcp-api-key", re.compile(r"(?<![\w-])AIza[0-9A-Za-z_\-]{35}(?![\w-])")),
    ("secret-github-token", re.compile(r"(?<!\w)github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}")),
    ("secret-github-token", re.compile(r"(?<!\w)gh[pousr]_[A-Za-z0-9]{36,251}(?!\w)")),
    ("secret-stripe-key", re.compile(r"(?<!\w)(?:sk|rk)_live_[0-9a-zA-Z]{24,247}(?!\w)")),
    ("secret-slack-token", re.compile(r"(?<!\w)xox[abposr]-[0-9A-Za-z-]{10,}")),
    # Azure AD / Entra ID client secrets (since 2021): 3 characters, a digit, `Q~`, 31-34 more.
    (
        "secret-client-secret",
        re.compile(r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])"),
    ),
    ("secret-client-secret", re.compile(r"(?<![\w-])GOCSPX-[\w-]{28}(?![\w-])")),  # Google OAuth
)
# Any of the above, so the usual line costs one search instead of five.
_OWN_ANY = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in _OWN_PATTERNS))
# What every match of them starts with: a file without any needs no search per line (the
# search tries every position of a line; `in` skips through a whole file at memory speed).
_OWN_HEADS = (
    *("AIza", "github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "sk_live_", "rk_live_"),
    *("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "Q~", "GOCSPX-"),
)

_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----")
_PEM_HEAD = "PRIVATE KEY"  # literal in every match of _PEM_BEGIN
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")
_SERVICE_ACCOUNT = re.compile(r"""["']type["']\s*:\s*["']service_account["']""")
_SA_PRIVATE_KEY = re.compile(r"""["']private_key["']\s*:\s*["']([^"']+)""")

_URL_PASSWORD = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://([^\s:/@'\"]*):([^\s/@'\",]+)@[\w.-]+"
)

_NAME = r"[A-Za-z_][\w.-]*"
_QUOTED_ASSIGNMENT = re.compile(
    rf"""(?<![\w.-])["']?({_NAME})["']?\s*(?::\s*[A-Za-z_][\w\[\], .]*?\s*)?(?:==|:=|=>|=|:)\s*"""
    r"""[bru]?(["'`])((?:(?!\2).){1,400})\2"""
)
_QUOTE_CHARS = re.compile(r"[\"'`]")
_BARE_ASSIGNMENT = re.compile(
    rf"""^\s*(?:-\s+)?(?:export\s+)?({_NAME})\s*[=:]\s*([^\s"'#;]+)\s*(?:#.*)?$"""
)
# A client secret's name is specific enough to be read anywhere on a line (`client_secret=...` in
# a log line, `- KEYCLOAK_CLIENT_SECRET=...` in a compose file), not only as a line's assignment.
_CLIENT_SECRET_NAME = re.compile(r"(?i)(?:client|app|consumer|oauth2?|application)[_.-]?secret$")
_INLINE_CLIENT_SECRET = re.compile(
    r"(?i)(?<![\w.-])([\w.-]*(?:client|app|consumer|oauth2?|application)[_.-]?secret)"
    r"\s*[=:]\s*([\w~.+/=-]{16,200})(?![\w~.+/=-])"
)
_CONFIG_SUFFIXES = (".env", ".ini", ".cfg", ".conf", ".properties", ".yaml", ".yml", ".sh", "")
_PASSWORD_NAME = re.compile(r"(?i)pass(?:word|wd|phrase)|pwd$|^pw$|[_.-]pass$")
_SECRET_NAME = re.compile(
    r"(?i)secret|token|passw|credential|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"auth[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|^key$|_key$"
)
_NOT_SECRET_NAME = re.compile(
    r"(?i)hash|digest|checksum|sha\d*|md5|public|url|uri|endpoint|path|file|name|type|_id$|"
    r"^id$|ids$|length|len$|min|max|policy|regex|pattern|prompt|field|label|header|param|"
    r"placeholder|hint|help|message|msg|error|format|mode|input|env|var|expir|ttl|timeout|"
    r"count|size|limit|version|kind|scope|prefix|suffix|cache|sort|primary|foreign|partition|"
    r"reset|confirm|policy|strength|column|_at$|enabled|required"
)
_PLACEHOLDER = re.compile(
    r"""(?ix)^(?:
        |[*x.#?_-]+|<[^>]*>|\[[^\]]*\]|\$\{[^}]*\}\}?|\$\(.*\)|\$[A-Z_][A-Z0-9_]*|\{\{.*\}\}|\{[\w.]*\}
        |%\(?\w*\)?s|%s|(?:your|my|the|some|a)[_ -][\w-]*|your[\w-]*
        |(?:(?:[\w-]*[_-])?(?:change[_-]?me|changeit|replace[_-]?me|placeholder|example|dummy|sample|redacted|secret|password|passwd|todo|fixme|fake|test|mock|value)(?:[_-][\w-]*|\d*)|(?:change[_-]?me|changeit|replace[_-]?me|placeholder|example|dummy|sample|redacted|secret|password|passwd|todo|fixme|fake|test|mock|value)[\w-]*|[\w-]*(?:change[_-]?me|changeit|replace[_-]?me|placeholder|example|dummy|sample|redacted|secret|password|passwd|todo|fixme|fake|test|mock|value)\d*)
        |none|null|nil|true|false|undefined|empty|default|admin|root|guest|user(?:name)?|pass|pwd|pw
        |os\.environ.*|env\(.*|getenv.*
    )$"""
)


@dataclass(frozen=True)
class _Hit:
    rule: str
    line: int  # 1-based
    start: int  # 0-based span of the value in the line
    end: int
    end_line: int | None = None
    column: int | None = None  # 0-based, when the finding points elsewhere than the value
    note: str = ""


# detect-secrets is imported where it is used: importing it (and requests, which it imports)
# costs every run 0.1-0.2 s before the first tool can start, and most runs scan few lines.
def _ds_plugins() -> list[object]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    mapping: dict[str, type] = get_mapping_from_secret_type_to_class()
    return [mapping[kind]() for kind in _DS_RULES if kind in mapping]


def _ds_hits(path: str, text: str, lines: tuple[str, ...]) -> list[_Hit]:
    """detect-secrets' vendor detectors on the lines that could hold a vendor token, under a
    lock and transient settings (entering them costs more than scanning most files).

    The transient settings list no verification filter, so no plugin ever calls a vendor's API.
    """
    if _no_vendor_token(text, lines):
        return []
    candidate = _denylist_filter()
    bounded = (line if len(line) <= _LINE_CAP else line[:_LINE_CAP] for line in lines)
    numbered = [(n, line) for n, line in enumerate(bounded, start=1) if candidate(line)]
    if not numbered:
        return []
    from detect_secrets.settings import transient_settings

    hits: list[_Hit] = []
    config = {"plugins_used": [{"name": type(p).__name__} for p in _ds_plugins()]}
    with _DETECT_SECRETS_LOCK, transient_settings(config):
        plugins = _ds_plugins()
        for number, line in numbered:
            for plugin in plugins:
                found = plugin.analyze_line(filename=path, line=line, line_number=number)  # type: ignore[attr-defined]
                for secret in found:
                    hits += _locate(secret.type, str(secret.secret_value or ""), line, number)
    return hits


@functools.cache
def _denylist_filter() -> Callable[[str], bool]:
    return _any_denylist_match(_ds_plugins())


def _any_denylist_match(plugins: list[object]) -> Callable[[str], bool]:
    """One search per line for what any plugin could report: its vendor detectors only ever
    yield matches of their `denylist` regexes, and a plugin call costs 30 times a search."""
    regexes = _denylist(plugins)
    try:
        if any(_BACKREFERENCE.search(r.pattern) for r in regexes):
            raise re.error("group numbers would shift in a union")
        union = re.compile("|".join(f"(?{_scoped_flags(r)}:{r.pattern})" for r in regexes))
    except re.error:  # a plugin's pattern that cannot be combined: ask each one
        return lambda line: any(r.search(line) for r in regexes)
    return lambda line: union.search(line) is not None


_LINE_CAP = 5000  # characters of a line the vendor detectors see (minified blobs)
# Literal text every match of these detect-secrets patterns contains (the tests prove it on the
# patterns' parse trees), keyed by the pattern: `in` finds it at memory speed where the pattern
# tries every position (together 0.8 s of 1.3 s on sqlalchemy). A pattern changed upstream
# loses its guard and is searched in full: slower, never blind.
_DENYLIST_GUARDS = {
    r"[0-9a-z]{32}-us[0-9]{1,2}": "-us",
    (
        r"aws.{0,20}?(?:key|pwd|pw|password|pass|token)"
        r""".{0,20}?[\'\"]([0-9a-zA-Z/+]{40})[\'\"]"""
    ): "aws",
    r"xox(?:a|b|p|o|s|r)-(?:\d+-)+[a-z0-9]+": "xox",
    (
        r"https://hooks\.slack\.com/services/T[a-zA-Z0-9_]+/B[a-zA-Z0-9_]+/[a-zA-Z0-9_]+"
    ): "hooks.slack.com",
    r"(?:r|s)k_live_[0-9a-zA-Z]{24}": "k_live_",
}
# What makes a match depend on where a line ends (anchors, look-arounds): such a pattern
# cannot be searched across the whole text in place of each line. `(?!\w)` and `(?<!\w)` can:
# the newline between two lines is not a word character, as the end of a line is none.
_LINE_SENSITIVE = re.compile(r"\\[AZ]|\(\?<?[=!]|[\^$]")
_LINE_NEUTRAL_LOOKS = ("(?!\\w)", "(?<!\\w)")


def _no_vendor_token(text: str, lines: tuple[str, ...]) -> bool:
    """Whether no line can match a vendor pattern, decided by searching the whole text once per
    pattern instead of every line: most files hold no vendor token, and one search of the whole
    text costs a fraction of one search per line.

    Only where the two agree: patterns that match within a line (a CR left at a line's end is
    then one more character no match needs) and no line past the cap (searched cut short).
    """
    patterns = _whole_text_patterns()
    if patterns is None or max(map(len, lines), default=0) > _LINE_CAP:
        return False
    lower = text.lower() if text.isascii() else None  # Unicode case folding is not lower()
    for regex, guard in patterns:
        folded = bool(regex.flags & re.IGNORECASE)
        haystack = (lower if folded else text) if guard else None
        if haystack is not None and guard not in haystack:
            continue
        if regex.search(text):
            return False
    return True


@functools.cache
def _whole_text_patterns() -> tuple[tuple[re.Pattern[str], str], ...] | None:
    """The detect-secrets denylist with each pattern's guard; None if any is line-sensitive."""
    regexes = _denylist(_ds_plugins())
    if not all(_within_a_line(r.pattern) for r in regexes):
        return None
    return tuple((r, _DENYLIST_GUARDS.get(r.pattern, "")) for r in regexes)


def _within_a_line(pattern: str) -> bool:
    for look in _LINE_NEUTRAL_LOOKS:
        pattern = pattern.replace(look, "")
    return not _LINE_SENSITIVE.search(pattern)


def _denylist(plugins: list[object]) -> list[re.Pattern[str]]:
    """Every regex the plugins' vendor detectors match lines with."""
    return [regex for plugin in plugins for regex in getattr(plugin, "denylist", ())]


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _scoped_flags(regex: re.Pattern[str]) -> str:
    letters = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))
    return "".join(letter for flag, letter in letters if regex.flags & flag) or "-x"


def _locate(kind: str, value: str, line: str, number: int) -> Iterator[_Hit]:
    """Place a detect-secrets value in its line. Some of its regexes yield only a capture group
    (`ghp` of a GitHub token) or stop early (a JWT's signature): widen to the whole token."""
    rule = _DS_RULES.get(kind)
    start = line.find(value) if value else -1
    if rule is None or start < 0:
        return
    if value.startswith("AccountKey="):
        start += len("AccountKey=")
    end = _TOKEN_TAIL.match(line, start + len(value)).end()  # type: ignore[union-attr]
    value = line[start:end]
    if len(value) < 8:
        return
    if rule == "secret-aws-access-key" and not _AWS_KEY_ID.fullmatch(value):
        rule = "secret-aws-secret-key"
    note = "" if rule != "secret-token" else kind
    yield _Hit(rule, number, start, end, note=note)


def _own_hits(text: str, lines: tuple[str, ...], suffix: str) -> Iterator[_Hit]:
    own = any(head in text for head in _OWN_HEADS)
    wanted = _candidate_lines(text, _OWN_HEADS if own else ())
    for number in range(1, len(lines) + 1) if wanted is None else wanted:
        line = lines[number - 1]
        if own and _OWN_ANY.search(line):
            for rule, pattern in _OWN_PATTERNS:
                for match in pattern.finditer(line):
                    if not _MASKED_OR_FILLER.search(match.group()):  # `GOCSPX-xxxx...`
                        yield _Hit(rule, number, match.start(), match.end())
        if "://" in line:
            yield from _url_passwords(line, number)
        yield from _assignments(line, number, suffix)
    yield from _pem_blocks(text, lines)
    yield from _service_account(text, lines)


# Every name an assignment rule reports contains one of these words, case-insensitively (the
# tests prove it on the name patterns' parse trees), and a password in a URL needs "://".
_NAME_WORDS = ("secret", "token", "pass", "pw", "credential", "key")


def _candidate_lines(text: str, heads: tuple[str, ...]) -> list[int] | None:
    """The numbers of the lines that hold a name word, "://" or one of `heads`: the only lines
    the per-line rules can report. Found with `str.find` over the whole text (on sqlalchemy 4 %
    of the lines), where a loop over every line cost more than all the rules' searches.

    None (read every line) for a text that is not ASCII: the name patterns ignore case the
    Unicode way (a long s, U+017F, matches `s`), which lower-casing does not reproduce.
    """
    if not text.isascii():
        return None
    lower = text.lower()
    starts = sorted(
        itertools.chain(
            (at for word in (*_NAME_WORDS, "://") for at in _find_all(lower, word)),
            (at for head in heads for at in _find_all(text, head)),
        )
    )
    numbers: list[int] = []
    line, counted = 1, 0
    for at in starts:
        line += text.count("\n", counted, at)
        counted = at
        if not numbers or numbers[-1] != line:
            numbers.append(line)
    return numbers


def _find_all(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + 1)


def _pem_blocks(text: str, lines: tuple[str, ...]) -> Iterator[_Hit]:
    """A BEGIN ... PRIVATE KEY header followed by a key body (on the next lines or, as in JSON,
    after `\\n` escapes on the same line); a header alone is code that handles keys."""
    if _PEM_HEAD not in text:  # every header holds it; most files have none
        return
    for index, line in enumerate(lines):
        match = _PEM_BEGIN.search(line)
        if not match:
            continue
        rest = line[match.end() :]
        if _PEM_BODY.search(rest.replace("\\n", "")):
            yield _Hit(
                "secret-private-key", index + 1, match.end(), len(line), column=match.start()
            )
            continue
        following = lines[index + 1 : index + 5]
        if any(_PEM_BODY.fullmatch(f.strip()) for f in following):
            end = next(
                (i for i in range(index + 1, len(lines)) if "-----END" in lines[i]), index + 1
            )
            yield _Hit(
                "secret-private-key",
                index + 1,
                match.end(),
                match.end(),
                end_line=end + 1,
                column=match.start(),
            )


def _service_account(text: str, lines: tuple[str, ...]) -> Iterator[_Hit]:
    if not _SERVICE_ACCOUNT.search(text):
        return
    for number, line in enumerate(lines, start=1):
        match = _SA_PRIVATE_KEY.search(line)
        if match and "PRIVATE KEY" in match.group(1):
            yield _Hit("secret-gcp-service-account", number, match.start(1), match.end(1))


def _url_passwords(line: str, number: int) -> Iterator[_Hit]:
    for match in _URL_PASSWORD.finditer(line):
        user, password = match.group(1), match.group(2)
        if password == user:
            continue  # `guest:guest`, `postgres:postgres`: an image's default, not a secret
        if not _is_placeholder(password) and not _is_placeholder(unquote(password)):
            yield _Hit("secret-url-password", number, match.start(2), match.end(2))


_MASKED_OR_FILLER = re.compile(r"(?i)\*{3}|x{4}|\.{3}")
_REGEX_SOURCE = re.compile(r"\(\?[:=!<P]|\[[^\]]*-[^\]]*\][*+{?]|\\[dswb]")
_VERSION_LIKE = re.compile(r"[\d.:,+<>=~^ -]+")


def _is_placeholder(value: str) -> bool:
    """Values that stand in for a secret: templates, references, fillers, masks, regexes."""
    value = value.strip()
    return (
        bool(_PLACEHOLDER.match(value))
        or value in EXAMPLE_VALUES
        or len(set(value)) < 4
        or bool(_MASKED_OR_FILLER.search(value))
        or bool(_REGEX_SOURCE.search(value))
        or bool(_VERSION_LIKE.fullmatch(value) and "." in value)
    )


def _assignments(line: str, number: int, suffix: str) -> Iterator[_Hit]:
    if _QUOTE_CHARS.search(line):  # a quoted value needs a quote: most lines have none
        for match in _QUOTED_ASSIGNMENT.finditer(line):
            yield from _judge(match.group(1), match.group(3), match.start(3), number)
    if suffix in _CONFIG_SUFFIXES:
        bare = _BARE_ASSIGNMENT.match(line)
        if bare:
            yield from _judge(bare.group(1), bare.group(2), bare.start(2), number)
    if "ecret" in line or "ECRET" in line:
        for match in _INLINE_CLIENT_SECRET.finditer(line):
            yield from _judge(match.group(1), match.group(2), match.start(2), number)


_NAME_PARTS = re.compile(r"[.\[\]]")  # `config["db"].password` -> password
_AWS_SECRET_NAME = re.compile(r"(?i)aws.*secret|secret.*aws")
_AWS_SECRET_VALUE = re.compile(r"[0-9A-Za-z/+]{40}")
_SECRET_PUNCTUATION = re.compile(r"[~.]")  # in generated client secrets, never in words


def _judge(name: str, value: str, start: int, number: int) -> Iterator[_Hit]:
    """A value assigned to a secret-sounding name: a password when the name says so, else only
    when the value looks random."""
    last = _NAME_PARTS.split(name.strip("\"'"))[-1] or name
    if not (_SECRET_NAME.search(last) or _PASSWORD_NAME.search(last)):
        return  # every branch below needs one (an AWS secret's name says "secret"): most names
    if _NOT_SECRET_NAME.search(last) or _is_placeholder(value) or "://" in value:
        return
    if _CLIENT_SECRET_NAME.search(last) and _looks_random(_SECRET_PUNCTUATION.sub("", value)):
        yield _Hit("secret-client-secret", number, start, start + len(value))
    elif _PASSWORD_NAME.search(last):
        # Letters only is a label (`"password": "Passwort"` in a locale file), not a password.
        if len(value) >= 5 and " " not in value and not value.isalpha():
            yield _Hit("secret-password-assignment", number, start, start + len(value))
    elif _AWS_SECRET_NAME.search(last) and _AWS_SECRET_VALUE.fullmatch(value):
        yield _Hit("secret-aws-secret-key", number, start, start + len(value))
    elif _SECRET_NAME.search(last) and _looks_random(value):
        yield _Hit("secret-high-entropy", number, start, start + len(value))


_B64_LIMIT, _HEX_LIMIT = 3.5, 3.0  # detect-secrets' entropy limits for its own plugins
_B64_CHARS = re.compile(r"[A-Za-z0-9+/_=-]{16,}")
_HEX_CHARS = re.compile(r"[0-9a-fA-F]{16,}")


@functools.cache
def _entropy_plugins() -> tuple[object, object]:
    from detect_secrets.plugins.high_entropy_strings import (
        Base64HighEntropyString,
        HexHighEntropyString,
    )

    return Base64HighEntropyString(limit=_B64_LIMIT), HexHighEntropyString(limit=_HEX_LIMIT)


def _entropy(value: str, *, hexadecimal: bool) -> float:
    """Shannon entropy as detect-secrets computes it (hex strings get its numeric adjustment)."""
    base64, hex_ = _entropy_plugins()
    plugin = hex_ if hexadecimal else base64
    return float(plugin.calculate_shannon_entropy(value))  # type: ignore[attr-defined]


# Words, CamelCase words, acronyms and numbers joined by separators: a name, not randomness.
_WORDY = re.compile(r"(?:[A-Z]?[a-z]+(?:[A-Z][a-z]+)*|[A-Z]+|\d+|\d[a-z]+|\w{1,3})")


def _is_wordy(part: str) -> bool:
    """Words, CamelCase, acronyms and version-ish names (`GStreamer`, `OpenH323`, `enc28j60`)
    change between upper case, lower case and digits a few times; random text does it often."""
    if _WORDY.fullmatch(part):
        return True
    kinds = ["u" if c.isupper() else "l" if c.islower() else "d" for c in part]
    shifts = sum(a != b for a, b in itertools.pairwise(kinds))
    return shifts <= 3 or (len(part) <= 5 and shifts <= 4)


def _looks_random(value: str) -> bool:
    from detect_secrets.filters.heuristic import is_potential_uuid, is_sequential_string

    if is_potential_uuid(value) or is_sequential_string(value) or len(set(value)) < 6:
        return False
    if all(_is_wordy(part) for part in re.split(r"[-_./]", value) if part):
        return False  # `r2c-internal-project-depends-on`, `privateKeyUsagePeriod`
    if _HEX_CHARS.fullmatch(value):
        return bool(_entropy(value, hexadecimal=True) > _HEX_LIMIT)
    if _B64_CHARS.fullmatch(value):
        classes = sum(bool(re.search(p, value)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
        return classes >= 2 and _entropy(value, hexadecimal=False) > _B64_LIMIT
    return False


def _deduplicate(hits: list[_Hit]) -> list[_Hit]:
    """One finding per secret: of overlapping spans on a line, the most specific rule wins."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (_PRIORITY[h.rule], h.line, h.start)):
        if any(k.line == hit.line and _overlaps(k, hit) for k in kept):
            continue
        kept.append(hit)
    return kept


def _overlaps(a: _Hit, b: _Hit) -> bool:
    a0, a1 = (a.column if a.column is not None else a.start), max(a.end, a.start + 1)
    b0, b1 = (b.column if b.column is not None else b.start), max(b.end, b.start + 1)
    return a0 < b1 and b0 < a1


class SecretsGate(SensitiveCheckGate):
    name = "secrets"
    # Starting includes importing detect-secrets.
    traits = GateTraits(cost_model=(0.1, 0.13), rules=frozenset(_LABELS))
    description = (
        "cloud keys, vendor tokens, private keys, JWTs, passwords (detect-secrets + own rules)"
    )

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        del options
        lines = source.lines
        hits = _ds_hits(source.path, source.text, lines) + list(
            _own_hits(source.text, lines, source.suffix)
        )
        findings = []
        for hit in _deduplicate(hits):
            line = lines[hit.line - 1]
            value = line[hit.start : hit.end]
            if value in EXAMPLE_VALUES or (value and len(set(value)) < 6):
                continue  # documentation examples; `ACxxxxxxxx...` fillers
            findings.append(self._finding(source, line, hit, value))
        return findings

    def _finding(self, source: Source, line: str, hit: _Hit, value: str) -> Finding:
        shown = mask(value) if value else "(key body on the following lines)"
        label = _LABELS[hit.rule] + (f" ({hit.note})" if hit.note else "")
        where = f", lines {hit.line}-{hit.end_line}" if hit.end_line else ""
        finding = sensitive_finding(
            self,
            source,
            text=line,
            rule=hit.rule,
            severity=Severity.WARNING if hit.rule == "secret-high-entropy" else Severity.ERROR,
            line=hit.line,
            start=hit.start,
            end=hit.end,
            masked=mask(value) if value else "",
            message=f"{label}: {shown}{where}; remove it, rotate it, and load it from a secret "
            "store or the environment",
            end_line=hit.end_line,
        )
        if hit.column is not None:
            finding = finding.replace(column=hit.column + 1, end_column=None)
        return finding
