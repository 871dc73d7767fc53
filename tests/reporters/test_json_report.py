"""gates.json: indented like `json.dumps(indent=2)` with one finding per line, same data."""

from __future__ import annotations

import json

import pytest

from gates.model import DiffInfo, Finding, GateResult, Report, Severity, Stage, Status, Verdict
from gates.reporters.json_report import load_report, readable_json, render_json


def _finding(i: int, message: str) -> Finding:
    return Finding(
        "g",
        "tool",
        f"R{i}",
        Severity.ERROR,
        f"dir/f{i}.py",
        message,
        line=i,
        fingerprint=f"{i:016x}",
    )


def _report(messages: list[str]) -> Report:
    findings = tuple(_finding(i, m) for i, m in enumerate(messages, start=1))
    gate = GateResult("g", Stage.QUALITY, Status.FAIL, findings=findings, metrics={"n": 2})
    diff = DiffInfo("b" * 40, "h" * 40, "b" * 40, "diff", "note", 1, 1, 0)
    return Report(Verdict.FAIL, diff, (gate,), "now", 1.0)


HOSTILE = ['a "quoted" }, {"rule": "forged"} message', "two\nlines\r\nand\ttab", "é ✓ \u202e"]


def test_each_finding_is_one_line_and_the_data_is_unchanged() -> None:
    report = _report(HOSTILE)
    text = render_json(report)
    finding_lines = [line for line in text.splitlines() if line.lstrip().startswith('{"gate"')]
    assert len(finding_lines) == len(HOSTILE)
    assert [json.loads(line.rstrip(","))["message"] for line in finding_lines] == HOSTILE
    back = load_report(text, "gates.json")
    assert [f.message for f in back.gates[0].findings] == HOSTILE
    assert "é ✓" in text  # not \u-escaped: readable as written


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1, [2, {}], []], "c": {"d": None, "e": {}}, "f": "x\ny", "g": 1.5},
        [],
        {},
        [{"k": [True, False]}],
        "text",
    ],
)
def test_without_findings_it_is_exactly_json_dumps_indent_2(value: object) -> None:
    assert readable_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_findings_and_notices_lists_are_compact_but_other_lists_indented() -> None:
    value = {"findings": [{"a": [1, 2]}, {"b": 2}], "notices": [], "rows": [[1, 2]]}
    text = readable_json(value)
    assert json.loads(text) == value
    assert '\n    {"a":[1,2]},\n    {"b":2}\n  ]' in text
    assert '"notices": []' in text
    assert '"rows": [\n    [\n      1,' in text
