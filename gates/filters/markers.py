"""Review the suppression markers a PR adds: missing reasons, bad or lapsed expiry dates,
markers that suppress nothing, and the tool-native markers (`# noqa`, `# nosec`,
`# type: ignore`) it adds, which the tools honour silently and reviewers want counted.

Only markers on lines the PR added are judged, so old code makes no noise. Unused markers are
only reported after a complete run (every configured gate ran to a verdict); after a partial
run a marker may belong to a gate that did not run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from gates.diff import Diff
from gates.filters.suppressions import Marker, markers_in
from gates.model import Finding, GateResult, Severity, with_fingerprints

TOOL_MARKERS: dict[str, re.Pattern[str]] = {
    "noqa": re.compile(r"#\s*noqa\b", re.IGNORECASE),
    "nosec": re.compile(r"#\s*nosec\b"),
    "type_ignore": re.compile(r"#\s*type:\s*ignore\b"),
    "pragma_no_cover": re.compile(r"#\s*pragma:\s*no\s*cover\b"),
}


@dataclass(frozen=True)
class MarkerReview:
    notices: tuple[Finding, ...]
    counts: dict[str, int]


def _notice(path: str, marker: Marker, rule: str, severity: Severity, message: str) -> Finding:
    return Finding(
        gate="gates",
        tool="gates",
        rule=rule,
        severity=severity,
        path=path,
        line=marker.line,
        message=message,
        new=True,
    )


def _used_markers(results: Iterable[GateResult]) -> set[tuple[str, int]]:
    return {
        (f.path, f.suppressed.line)
        for g in results
        for f in g.findings
        if f.suppressed is not None and f.suppressed.line is not None
    }


def _pr_markers(results: Iterable[GateResult], key: str) -> set[tuple[str, int]]:
    return {(f.path, int(f.extra[key])) for g in results for f in g.findings if key in f.extra}


def _safety_notice(path: str, marker: Marker, rules: str, refused: bool) -> Finding:
    if refused:
        return _notice(
            path,
            marker,
            "suppression-refused",
            Severity.WARNING,
            f"a suppression this PR adds cannot silence a safety finding ({rules}); a "
            "maintainer can baseline it or exclude the path in the base's config",
        )
    return _notice(
        path,
        marker,
        "suppression-added-to-safety",
        Severity.WARNING,
        f"this PR suppresses its own safety finding ({rules}): review why before merging",
    )


Places = AbstractSet[tuple[str, int]]
# The rule ids of this module's notices (documented in gates/docs/notices.md).
NOTICE_RULES = frozenset(
    {
        "suppression-refused",
        "suppression-added-to-safety",
        "suppression-without-reason",
        "suppression-bad-expiry",
        "suppression-expired",
        "suppression-unused",
    }
)


def _judge(
    path: str,
    marker: Marker,
    used: Places,
    complete: bool,
    today: dt.date,
    safety: tuple[Places, Places] = (frozenset(), frozenset()),
) -> list[Finding]:
    """Notices for one marker the PR adds. `safety`: the places of markers that suppress a
    safety finding, honoured and refused."""
    rules = ", ".join(sorted(marker.rules)) or "(none)"
    honoured, refused = safety
    place = (path, marker.line)
    out = []
    if place in refused:
        return [_safety_notice(path, marker, rules, refused=True)]
    if place in honoured:
        out.append(_safety_notice(path, marker, rules, refused=False))
    if not marker.reason:
        out.append(
            _notice(
                path,
                marker,
                "suppression-without-reason",
                Severity.WARNING,
                f"suppression of {rules} gives no reason; say why after the bracket",
            )
        )
    if marker.bad_until:
        out.append(
            _notice(
                path,
                marker,
                "suppression-bad-expiry",
                Severity.WARNING,
                f"until={marker.bad_until} is not a date (YYYY-MM-DD); it never lapses",
            )
        )
    elif marker.expired(today):
        out.append(
            _notice(
                path,
                marker,
                "suppression-expired",
                Severity.WARNING,
                f"suppression of {rules} lapsed on {marker.until}; its findings block again",
            )
        )
    if complete and (path, marker.line) not in used and not marker.expired(today):
        out.append(
            _notice(
                path,
                marker,
                "suppression-unused",
                Severity.NOTE,
                f"suppression of {rules} matches no finding; remove it",
            )
        )
    return out


def review_markers(
    results: Sequence[GateResult],
    diff: Diff,
    read_lines: Callable[[str], tuple[str, ...]],
    complete: bool,
    today: dt.date,
) -> MarkerReview:
    used = _used_markers(results)
    safety = (
        _pr_markers(results, "suppression_added_by_pr"),
        _pr_markers(results, "suppression_refused"),
    )
    notices: list[Finding] = []
    counts = dict.fromkeys(TOOL_MARKERS, 0)
    for path in diff.changed_paths():
        lines = read_lines(path)
        for marker in markers_in(lines):
            if diff.is_new_line(path, marker.line):
                notices += _judge(path, marker, used, complete, today, safety)
        for number, text in enumerate(lines, start=1):
            if "#" in text and diff.is_new_line(path, number):
                for name, pattern in TOOL_MARKERS.items():
                    counts[name] += bool(pattern.search(text))
    return MarkerReview(tuple(with_fingerprints(notices)), counts)


def suppression_counts(results: Iterable[GateResult]) -> dict[str, int]:
    """Suppressed findings by kind (inline, baseline ...), plus lapsed inline suppressions."""
    counts: dict[str, int] = {}
    for g in results:
        for f in g.findings:
            if f.suppressed is not None:
                counts[f.suppressed.kind] = counts.get(f.suppressed.kind, 0) + 1
            elif "suppression_expired" in f.extra:
                counts["expired"] = counts.get("expired", 0) + 1
    return counts
