"""The docs of gates' own semgrep rules, written from the rules' YAML into gates/docs/security.md.

A shipped rule (`gates/rules/*.yml`) already says what it finds and how to fix it in its
`message`, and which weakness in its `metadata`: that stays the one source. This renders one
``### `<id>` `` heading per rule from it, between two marker comments in the `## semgrep`
section, so each rule still has a real heading (an anchor GitHub renders) for reports to link,
and `gates explain` reads it like any other rule. tests/test_rule_docs.py fails while the file
and the YAML differ; `python -m gates.semgrep_docs` rewrites the block.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

BEGIN = "<!-- BEGIN rules written from gates/rules/*.yml by `python -m gates.semgrep_docs` -->"
END = "<!-- END rules written from gates/rules/*.yml -->"
_WIDTH = 100
# semgrep's severities as the semgrep gate reports them (gates.tools.semgrep).
_SEVERITY_WORDS = {"ERROR": "Error", "WARNING": "Warning", "INFO": "Note"}


@dataclass(frozen=True)
class ShippedRule:
    id: str
    severity: str  # "Error", "Warning" or "Note"
    message: str
    weaknesses: tuple[str, ...]  # "CWE-78", "A03:2021"
    file: str  # the YAML file's name under gates/rules/


def _rule_files() -> list[tuple[str, str]]:
    rules = resources.files("gates").joinpath("rules")
    return sorted(
        (item.name, item.read_text("utf-8"))
        for item in rules.iterdir()
        if item.name.endswith((".yml", ".yaml"))
    )


def shipped_rules() -> list[ShippedRule]:
    """Every rule of the shipped YAML files, in the files' order."""
    return [rule for name, text in _rule_files() for rule in _parse(name, text)]


def _parse(name: str, text: str) -> Iterator[ShippedRule]:
    data = yaml.safe_load(text) or {}
    for item in data.get("rules") or []:
        metadata = item.get("metadata") or {}
        yield ShippedRule(
            id=str(item["id"]),
            severity=_SEVERITY_WORDS.get(str(item.get("severity", "")).upper(), "Note"),
            message=" ".join(str(item.get("message", "")).split()),
            weaknesses=_weaknesses(metadata),
            file=name,
        )


def _weaknesses(metadata: Mapping[str, object]) -> tuple[str, ...]:
    """`CWE-78: Improper ...` and `A03:2021 - Injection` as their short ids."""
    out: list[str] = []
    for key in ("cwe", "owasp"):
        value = metadata.get(key) or []
        for entry in value if isinstance(value, list) else [value]:
            out.append(str(entry).split(" - ")[0].split(": ")[0].strip())
    return tuple(dict.fromkeys(e for e in out if e))


def render(rules: list[ShippedRule]) -> str:
    """The block between the markers, markers included."""
    parts = [BEGIN]
    for rule in rules:
        where = f"[{rule.file}](../rules/{rule.file})"
        tail = f"{', '.join(rule.weaknesses)} ({where})" if rule.weaknesses else f"({where})"
        body = f"{rule.severity}. {rule.message} {tail}."
        parts += ["", f"### `{rule.id}`", textwrap.fill(body, _WIDTH, break_on_hyphens=False)]
    return "\n".join([*parts, "", END])


def with_block(text: str, block: str) -> str:
    """`text` with the block between the markers replaced; a clear error when they are missing."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"security.md has no block between {BEGIN!r} and {END!r}")
    return text[:start] + block + text[end + len(END) :]


def main() -> int:
    target = Path(__file__).resolve().parent / "docs" / "security.md"
    text = target.read_text("utf-8")
    updated = with_block(text, render(shipped_rules()))
    if updated != text:
        target.write_text(updated, "utf-8")
    print(f"{target}: {'rewritten' if updated != text else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
