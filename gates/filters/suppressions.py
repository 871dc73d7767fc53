"""Inline suppressions: `gates: ignore[rule-id] reason`, on the finding's line or the line above.

One syntax for every gate and every file type (it only has to appear in a comment of the file's
language: `#`, `//`, `<!-- -->`). The rule list may name a rule id, a gate name, or `*`.
An optional `until=YYYY-MM-DD` makes the suppression lapse after that day, so a "temporary"
exception cannot quietly become permanent. Suppressed findings stay in the report, marked with
the reason and the marker's line, and never block.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gates.diff import Diff
from gates.model import Finding, Suppression

_MARKER = re.compile(r"gates:\s*ignore\[([^\]]*)\]([^\n]*)")
_UNTIL = re.compile(r"\buntil=(\S+)")
_COMMENT_CLOSERS = "*/->#"


@dataclass(frozen=True)
class Marker:
    """One `gates: ignore[...]` comment as written."""

    line: int
    rules: frozenset[str]
    reason: str
    until: dt.date | None = None
    bad_until: str = ""  # the text after `until=` when it is not a date

    def applies_to(self, finding: Finding) -> bool:
        return "*" in self.rules or finding.rule in self.rules or finding.gate in self.rules

    def expired(self, today: dt.date) -> bool:
        return self.until is not None and today > self.until


def parse_marker(text: str, line: int = 0) -> Marker | None:
    """The marker on one line of text, or None when the line has none."""
    match = _MARKER.search(text)
    if not match:
        return None
    rules = frozenset(r.strip() for r in match.group(1).split(",") if r.strip())
    trailer = match.group(2)
    until, bad = None, ""
    found = _UNTIL.search(trailer)
    if found:
        trailer = trailer[: found.start()] + trailer[found.end() :]
        try:
            until = dt.date.fromisoformat(found.group(1))
        except ValueError:
            bad = found.group(1)
    reason = " ".join(trailer.split()).strip().rstrip(_COMMENT_CLOSERS).strip()
    return Marker(line, rules, reason, until, bad)


def markers_in(lines: tuple[str, ...]) -> list[Marker]:
    """Every marker of a file, cheaply: most lines have no `gates:` at all."""
    out = []
    for number, text in enumerate(lines, start=1):
        if "gates:" in text:
            marker = parse_marker(text, number)
            if marker is not None:
                out.append(marker)
    return out


def find_marker(finding: Finding, lines: tuple[str, ...]) -> Marker | None:
    """The marker that covers a finding: on its line, else on the line above."""
    if finding.line is None or not lines:
        return None
    for number in (finding.line, finding.line - 1):
        if 1 <= number <= len(lines) and "gates:" in lines[number - 1]:
            marker = parse_marker(lines[number - 1], number)
            if marker is not None and marker.applies_to(finding):
                return marker
    return None


def find_suppression(
    finding: Finding, lines: tuple[str, ...], today: dt.date | None = None
) -> Suppression | None:
    """The suppression a marker gives this finding; None when there is none or it lapsed."""
    marker = find_marker(finding, lines)
    if marker is None or marker.expired(today or _today()):
        return None
    return Suppression("inline", marker.reason, line=marker.line)


def mark_suppressed(
    findings: Iterable[Finding],
    read_lines: Callable[[str], tuple[str, ...]],
    today: dt.date | None = None,
) -> list[Finding]:
    day = today or _today()
    out: list[Finding] = []
    for finding in findings:
        if finding.suppressed is None and finding.path:
            marker = find_marker(finding, read_lines(finding.path))
            if marker is not None and marker.expired(day):
                # A lapsed exception blocks again, wherever the finding sits.
                extra = {**finding.extra, "suppression_expired": str(marker.until)}
                finding = finding.replace(extra=extra, new=True)
            elif marker is not None:
                finding = finding.replace(
                    suppressed=Suppression("inline", marker.reason, line=marker.line)
                )
        out.append(finding)
    return out


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def review_pr_suppressions(findings: Iterable[Finding], diff: Diff, honour: bool) -> list[Finding]:
    """Mark inline suppressions whose marker the PR itself adds; refuse them unless `honour`.

    Used for the safety stage: code that should never land unreviewed must not be waved
    through quietly by a comment in the same PR (an attacker would hide `gates: ignore[*]`
    in it). Honoured, it is announced to the reviewer (a notice); refused
    (`safety_pr_suppressions = false` in the base's config), the finding blocks and says
    why. Without a real diff (no base) every line looks added, so nothing is marked.
    """
    out: list[Finding] = []
    for f in findings:
        sup = f.suppressed
        if (
            sup is not None
            and sup.kind == "inline"
            and sup.line is not None
            and not diff.all_changed
            and diff.is_new_line(f.path, sup.line)
        ):
            key = "suppression_added_by_pr" if honour else "suppression_refused"
            f = f.replace(extra={**f.extra, key: str(sup.line)})
            if not honour:
                f = f.replace(suppressed=None)
        out.append(f)
    return out
