"""Inline suppressions: reasons, expiry, unused markers, tool-native markers, end to end."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from conftest import Repo

from gates.filters.suppressions import find_suppression, mark_suppressed, parse_marker
from gates.model import Finding, Severity

F = Finding("ruff", "ruff", "F401", Severity.WARNING, "a.py", "unused", line=2)
TODAY = dt.date(2026, 6, 1)


def test_marker_grammar() -> None:
    marker = parse_marker("x = 1  # gates: ignore[F401, E501] until=2026-12-31 kept for API -->")
    assert marker is not None
    assert marker.rules == {"F401", "E501"}
    assert marker.until == dt.date(2026, 12, 31) and marker.reason == "kept for API"
    assert parse_marker("# gates: ignore[x] until=someday why").bad_until == "someday"  # type: ignore[union-attr]
    assert parse_marker("# nothing here") is None


def test_marker_on_line_or_line_above_by_rule_or_gate() -> None:
    assert find_suppression(F, ("# gates: ignore[F401] api", "import os"), TODAY)
    assert find_suppression(F, ("", "import os  # gates: ignore[ruff] api"), TODAY)
    assert find_suppression(F, ("", "import os  # gates: ignore[*] api"), TODAY)
    assert find_suppression(F, ("", "import os  # gates: ignore[E501] api"), TODAY) is None
    two_below = F.replace(line=3)
    assert (
        find_suppression(two_below, ("# gates: ignore[F401] api", "", "import os"), TODAY) is None
    )


def test_expired_suppression_blocks_again() -> None:
    lines = ("", "import os  # gates: ignore[F401] until=2026-05-31 migrating")
    [live] = mark_suppressed([F], lambda _: lines, dt.date(2026, 5, 31))
    assert live.suppressed is not None and live.suppressed.line == 2
    [lapsed] = mark_suppressed([F], lambda _: lines, TODAY)
    assert lapsed.suppressed is None and lapsed.new is True
    assert lapsed.extra["suppression_expired"] == "2026-05-31"
    assert lapsed.blocks("warning")


def _gates(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_review_of_markers_end_to_end(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    repo.write("old.py", "import json  # gates: ignore[F401] old marker, not judged\n")
    base = repo.commit("base")
    repo.write(
        "new.py",
        "import os  # gates: ignore[F401]\n"
        "import re  # gates: ignore[F401] until=2020-01-01 lapsed long ago\n"
        "X = 1  # gates: ignore[F841] nothing to suppress here\n"
        "import sys  # noqa: F401\n"
        "Y: int = 'a'  # type: ignore[assignment]\n",
    )
    repo.commit("pr")
    result = _gates(repo.path, "--base", base)
    report = json.loads((repo.path / "reports/gates.json").read_text())
    findings = {
        f["line"]: f for g in report["gates"] for f in g["findings"] if f["path"] == "new.py"
    }
    assert findings[1]["suppressed"] == {"kind": "inline", "reason": "", "line": 1}
    assert findings[2]["suppressed"] is None and findings[2]["new"]  # lapsed: blocks
    assert result.returncode == 1
    notices = {(n["rule"], n["line"]) for n in report["notices"]}
    assert ("suppression-without-reason", 1) in notices
    assert ("suppression-expired", 2) in notices
    assert ("suppression-unused", 3) in notices
    assert all(n["path"] == "new.py" for n in report["notices"])  # old code makes no noise
    counts = report["suppressions"]
    assert counts["inline"] == 1 and counts["expired"] == 1  # old.py is not scanned: unchanged
    assert counts["noqa"] == 1 and counts["type_ignore"] == 1
    md = (repo.path / "reports/gates.md").read_text()
    assert "Suppressed findings: 1 inline, 1 expired" in md and "# noqa" in md
    assert "suppression-unused" in md


def test_partial_run_does_not_call_markers_unused(repo: Repo) -> None:
    repo.write("a.py", "X = 1\n")
    base = repo.commit("base")
    repo.write("a.py", "X = 1  # gates: ignore[B101] belongs to a gate not run\n")
    repo.commit("pr")
    _gates(repo.path, "--base", base, "--stages", "ruff")
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert not [n for n in report["notices"] if n["rule"] == "suppression-unused"]
