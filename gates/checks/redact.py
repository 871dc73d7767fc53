"""Mask secret and PII values when their finding is created, so no report, log or hash leaks them.

Every secret/PII finding is built through `sensitive_finding`: the message carries only the
masked value, and `snippet_hash` is computed from the line with the value masked. Were the runner
left to hash the raw line (its default), a short hash of a line holding only an SSN or a phone
number could be brute-forced back to the number.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from gates.checks.base import Source, TextCheckGate
from gates.gate import GateContext, GateError, GateOutcome
from gates.model import Finding, Severity
from gates.sources import snippet_hash

MAX_CLEAR = 4  # clear characters kept at most, and never more than a quarter of the value
MAX_STARS = 16  # longer values do not show their length


def clear_budget(value: str) -> int:
    return min(MAX_CLEAR, len(value) // 4)


def mask(value: str) -> str:
    """`AKIAIOSFODNN7EXAMPLE` -> `AKIA****************`: a recognisable prefix, nothing more."""
    clear = clear_budget(value)
    return value[:clear] + "*" * max(1, min(len(value) - clear, MAX_STARS))


def mask_email(address: str) -> str:
    """`john.doe@example.com` -> `j***@e***.com`.

    The top-level domain stays readable (it names no one) and is not counted in the budget;
    the first letters of the local part and the domain are shown only when the address is long
    enough that they stay within a quarter of it.
    """
    local, _, domain = address.rpartition("@")
    host, dot, tld = domain.rpartition(".")
    budget = clear_budget(local + host)
    head = local[:1] if budget >= 1 else ""
    host_head = host[:1] if budget >= 2 else ""
    return f"{head}***@{host_head}***{dot}{tld}" if dot else f"{head}***@***"


def masked_line(line: str, start: int, end: int, masked: str) -> str:
    return line[:start] + masked + line[end:]


def sensitive_finding(
    gate: TextCheckGate,
    source: Source,
    *,
    text: str,
    rule: str,
    severity: Severity,
    line: int,
    start: int,
    end: int,
    masked: str,
    message: str,
    end_line: int | None = None,
) -> Finding:
    """A finding whose value (`text[start:end]`, 0-based, `text` being line `line`) is already
    masked in `message`.

    The snippet hash is taken from the line with the value replaced by `masked`, so the
    fingerprint still tells two findings apart without publishing a hash of the raw value.
    """
    hidden = masked_line(text, start, end, masked)
    return Finding(
        gate=gate.name,
        tool=gate.tool,
        rule=rule,
        severity=severity,
        path=source.path,
        message=message,
        line=line,
        end_line=end_line,
        column=start + 1,
        end_column=end + 1 if end_line is None else None,
        snippet_hash=snippet_hash((hidden,), 1, 1),
    )


def withholding_details(name: str, run: Callable[[], GateOutcome]) -> GateOutcome:
    """Run a gate whose input may hold secrets; a crash names only the exception's type."""
    try:
        return run()
    except GateError:
        raise
    except Exception as exc:
        raise GateError(
            f"{name} crashed ({type(exc).__name__}); details withheld, they may hold a secret"
        ) from None


class SensitiveCheckGate(TextCheckGate):
    """A check whose input holds secrets: a crash must not carry a value into the report.

    The runner turns an unexpected exception into an error whose detail includes the exception
    text and traceback; `int("4111...")` failing would print the number. Here any exception
    becomes a GateError naming only its type and the file.
    """

    def run(self, ctx: GateContext) -> GateOutcome:
        return withholding_details(self.name, functools.partial(TextCheckGate.run, self, ctx))

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        raise NotImplementedError
