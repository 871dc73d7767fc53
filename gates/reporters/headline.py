"""The few metrics worth a place in a report's gate table, as plain text.

Percentages (`*_coverage`, `*_pct`) only, with the base's figure beside them in compare mode
(`total 94.7% (base 95.1%)`); a metric without a value (no executable lines added) is left out
rather than shown as "None". Reporters escape the text for where it goes.
"""

from __future__ import annotations

from gates.model import GateResult


def _is_headline(key: str) -> bool:
    return key.endswith(("_pct", "coverage"))


def headline_metrics(gate: GateResult) -> list[str]:
    shown = []
    for key, value in gate.metrics.items():
        if not _is_headline(key) or not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        label = key.removesuffix("_pct").replace("_coverage", "").replace("_", " ") or key
        text = f"{label} {value:.1f}%"
        base = gate.metrics.get(f"{key}_base")
        if isinstance(base, (int, float)) and not isinstance(base, bool):
            text += f" (base {base:.1f}%)"
        shown.append(text)
    return shown
