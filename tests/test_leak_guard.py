"""The suite-wide leak guard finds a planted value in a report (so it can fail a test)."""

from __future__ import annotations

from pathlib import Path

import planted
from conftest import _report_texts


def test_guard_sees_reports_summaries_and_logs(tmp_path: Path) -> None:
    (tmp_path / "repo" / "reports").mkdir(parents=True)
    (tmp_path / "repo" / "reports" / "gates.md").write_text(f"key {planted.AWS_ACCESS_KEY_ID}")
    (tmp_path / "step_summary.md").write_text(f"ssn {planted.US_SSN}")
    (tmp_path / "repo" / "source.py").write_text(planted.GITHUB_TOKEN)  # planted input: fine
    texts = dict(_report_texts(tmp_path))
    leaked = {v for text in texts.values() for v in planted.ALL if v in text}
    assert leaked == {planted.AWS_ACCESS_KEY_ID, planted.US_SSN}
    # Clean up, or the guard around this very test would (rightly) fail it.
    for path in texts:
        Path(path).unlink()
