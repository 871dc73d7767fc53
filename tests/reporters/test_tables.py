"""Gate tables: generic, escaped in Markdown, round-tripped through JSON and its schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from gates.model import DiffInfo, GateResult, Report, Stage, Status, Table, Verdict
from gates.reporters.json_report import load_report, render_json
from gates.reporters.markdown import MAX_TABLE_ROWS, render_markdown

ROOT = Path(__file__).resolve().parents[2]


def _report(rows: int = 3) -> Report:
    table = Table(
        "Files whose size changed most",
        ("path", "before", "after", "delta"),
        tuple((f"a|b_{i} @team <x>.py", "1.0 KB", "2.0 KB", "+1.0 KB") for i in range(rows)),
    )
    gate = GateResult("size", Stage.SIZE, Status.PASS, tables=(table,))
    diff = DiffInfo("b" * 40, "h" * 40, "b" * 40, "diff", "note", 1, 1, 0)
    return Report(Verdict.PASS, diff, (gate,), "now", 1.0)


def test_markdown_table_is_escaped_and_capped() -> None:
    md = render_markdown(_report(rows=MAX_TABLE_ROWS + 5))
    assert "**size: Files whose size changed most**" in md
    assert "| path | before | after | delta |" in md
    rows = [line for line in md.splitlines() if line.startswith("| a")]
    assert len(rows) == MAX_TABLE_ROWS
    assert rows[0].count(" | ") == 3  # the `|` in the file name cannot add a column
    assert "a\\|b\\_0" in rows[0] and "@team" not in md and "<x>" not in md
    assert "5 more rows" in md


def test_json_tables_validate_and_read_back() -> None:
    text = render_json(_report())
    data = json.loads(text)
    schema = json.loads((ROOT / "reports/gates-report.schema.json").read_text())
    jsonschema.validate(data, schema)
    assert data["gates"][0]["tables"][0]["columns"] == ["path", "before", "after", "delta"]
    back = load_report(text, "gates.json")
    assert back.gates[0].tables == _report().gates[0].tables
