from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from gates.filters.suppressions import find_suppression
from gates.model import (
    DUPLICATES_MERGED,
    DiffInfo,
    Finding,
    GateResult,
    Report,
    Severity,
    Stage,
    Status,
    Verdict,
)
from gates.progress import Ended
from gates.reporters.markdown import render_markdown
from gates.reporters.sarif import artifact_uri, report_to_sarif
from gates.reporters.terminal import PlainProgress, render_text
from gates.text import escape_markdown, escape_workflow_property

ROOT = Path(__file__).resolve().parents[1]


def _report(message: str, path: str = "a b/ü.py", count: int = 1) -> Report:
    findings = tuple(
        Finding(
            "g",
            "t",
            "R1",
            Severity.ERROR,
            path,
            message,
            line=i + 1,
            new=True,
            fingerprint=f"{i:032x}",
        )
        for i in range(count)
    )
    gate = GateResult("g", Stage.QUALITY, Status.FAIL, findings)
    diff = DiffInfo("b" * 40, "h" * 40, "b" * 40, "diff", "note", 1, 1, 0)
    return Report(Verdict.FAIL, diff, (gate,), "now", 1.0)


def test_schema_copy_matches_package() -> None:
    shipped = (ROOT / "gates/schemas/gates-report.schema.json").read_text()
    assert (ROOT / "reports/gates-report.schema.json").read_text() == shipped


def test_markdown_neutralises_mentions_html_and_bidi() -> None:
    md = render_markdown(_report("ping @team <details> \u202e #12"))
    assert "@team" not in md and "<details> " not in md.split("<summary>")[0]
    assert "\u202e" not in md and "U\\+202E" in md
    assert "#12" not in md


def test_markdown_truncates_within_limit() -> None:
    md = render_markdown(
        _report("x" * 200, count=500), limit=10_000, more_hint="See the check run."
    )
    assert len(md) <= 10_000 and "Report cut to fit" in md and "See the check run." in md


def test_sarif_uri_percent_encoded() -> None:
    assert artifact_uri("a b/ü.py") == "a%20b/%C3%BC.py"
    run = report_to_sarif(_report("m"))["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "a%20b/%C3%BC.py"


def test_workflow_property_escaping() -> None:
    assert escape_workflow_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert "\\*" in escape_markdown("*x*")


def test_suppression_on_line_or_above() -> None:
    f = Finding("g", "t", "F401", Severity.WARNING, "a.py", "m", line=2)
    assert find_suppression(f, ("# gates: ignore[F401] intended", "import os")) is not None
    assert find_suppression(f, ("", "import os  # gates: ignore[E1] other")) is None


def test_a_finding_without_a_line_has_no_double_space() -> None:
    from gates.model import Finding, Severity
    from gates.reporters.markdown import finding_line

    line = finding_line(Finding("size", "gates", "pr-lines", Severity.WARNING, "", "too big"))
    assert line.startswith("- 🟠 [`pr-lines`](") and "size.md#pr-lines) too big" in line
    assert "  " not in line


def test_terminal_progress_shows_no_counts_and_the_end_counts_after_the_merge() -> None:
    report = _report("m", count=3)
    stream = io.StringIO()
    PlainProgress(stream).finished(Ended(report.gates[0].name, None, 0.0))
    assert stream.getvalue().strip() == "done    g (0.0s)"  # counts are judged after the merge
    merged = dataclasses.replace(report.gates[0], metrics={DUPLICATES_MERGED: 2})
    text = render_text(dataclasses.replace(report, gates=(merged,)))
    assert "2 merged into another tool's finding" in text
    assert "merged into" not in render_text(report)
