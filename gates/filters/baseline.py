"""The baseline file: findings a team has accepted for now, which do not block.

`.gates-baseline.json` lists fingerprints (no line numbers, so entries survive code moving),
sorted and one entry per line-ish JSON object, small enough to review in a PR. A baselined
finding is marked suppressed (kind "baseline") and counted apart. Entries that no longer match
are reported as fixed, and `gates baseline --prune` removes them, so the file only shrinks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gates.errors import UsageError
from gates.model import Finding, GateResult, Status, Suppression

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".gates-baseline.json"
_REASON = "accepted in the baseline file"


@dataclass(frozen=True, order=True)
class Entry:
    path: str
    gate: str
    rule: str
    fingerprint: str

    def to_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "gate": self.gate,
            "rule": self.rule,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class Baseline:
    entries: frozenset[Entry] = frozenset()

    def keys(self) -> frozenset[tuple[str, str]]:
        return frozenset((e.gate, e.fingerprint) for e in self.entries)


def load_baseline(path: Path) -> Baseline:
    """The baseline at `path`; an absent file is an empty baseline, a broken one an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Baseline()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the baseline {path}: {exc}") from None
    try:
        data = json.loads(text)
        entries = frozenset(_entry(item) for item in data["findings"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{path}: not a gates baseline ({type(exc).__name__}: {exc}); "
            "regenerate it with `gates baseline`"
        ) from None
    return Baseline(entries)


def _entry(item: Mapping[str, object]) -> Entry:
    fields = [item[k] for k in ("path", "gate", "rule", "fingerprint")]
    if not all(isinstance(v, str) for v in fields):
        raise TypeError("every entry needs string path, gate, rule and fingerprint")
    return Entry(*(str(v) for v in fields))


def mark_baselined(findings: Iterable[Finding], baseline: Baseline) -> list[Finding]:
    keys = baseline.keys()
    return [
        f.replace(suppressed=Suppression("baseline", _REASON))
        if f.suppressed is None and (f.gate, f.fingerprint) in keys
        else f
        for f in findings
    ]


def _judged_gates(results: Sequence[GateResult]) -> set[str]:
    """Gates whose findings are complete this run; an errored gate proves nothing fixed."""
    return {g.name for g in results if g.status in (Status.PASS, Status.FAIL)}


def fixed_entries(baseline: Baseline, results: Sequence[GateResult]) -> list[Entry]:
    """Entries of gates that ran completely and no longer match any of their findings."""
    judged = _judged_gates(results)
    present = {(f.gate, f.fingerprint) for g in results for f in g.findings}
    return sorted(
        e for e in baseline.entries if e.gate in judged and (e.gate, e.fingerprint) not in present
    )


def entries_for(results: Sequence[GateResult]) -> set[Entry]:
    """Today's findings worth baselining: not already suppressed inline, not gates' own."""
    return {
        Entry(f.path, f.gate, f.rule, f.fingerprint)
        for g in results
        for f in g.findings
        if f.suppressed is None or f.suppressed.kind == "baseline"
    }


def updated_baseline(old: Baseline, results: Sequence[GateResult], prune: bool) -> Baseline:
    """`prune`: drop fixed entries only. Otherwise: today's findings of the gates that ran,
    keeping the old entries of gates that did not run to a verdict."""
    judged = _judged_gates(results)
    if prune:
        fixed = set(fixed_entries(old, results))
        return Baseline(frozenset(e for e in old.entries if e not in fixed))
    kept = {e for e in old.entries if e.gate not in judged}
    current = {e for e in entries_for(results) if e.gate in judged}
    return Baseline(frozenset(kept | current))


def render_baseline(baseline: Baseline) -> str:
    """Sorted, one entry per line: a stable file whose diffs are easy to review."""
    rows = [json.dumps(e.to_dict(), ensure_ascii=False) for e in sorted(baseline.entries)]
    body = ",\n    ".join(rows)
    inner = f"\n    {body}\n  " if rows else ""
    return f'{{\n  "version": {BASELINE_VERSION},\n  "findings": [{inner}]\n}}\n'
