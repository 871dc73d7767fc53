"""Run `python -m gates run --stages safety` on a real repo and read every byte it produced.

Shared by the hidden-unicode, secrets and pii tests: the never-leak rule is checked against all
report files and the terminal output together.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SafetyRun:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]
    report_bytes: dict[str, bytes]  # every file under reports/, by name

    def findings(self, gate: str) -> list[dict[str, Any]]:
        return [f for g in self.report["gates"] if g["name"] == gate for f in g["findings"]]

    def gate(self, name: str) -> dict[str, Any]:
        return next(g for g in self.report["gates"] if g["name"] == name)

    def leaks(self, raw: str) -> list[str]:
        """Where `raw` appears: terminal streams or report files (as UTF-8 or JSON-escaped)."""
        needles = {raw.encode(), json.dumps(raw)[1:-1].encode()}
        where = [n for n, s in (("stdout", self.stdout), ("stderr", self.stderr)) if raw in s]
        where += [
            name for name, data in self.report_bytes.items() if any(n in data for n in needles)
        ]
        return where


def run_safety(root: Path, base: str, stages: str = "safety") -> SafetyRun:
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(root), "--base", base, "--stages", stages],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = root / "reports"
    files = {p.name: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert "gates.json" in files, result.stdout + result.stderr
    return SafetyRun(
        result.returncode, result.stdout, result.stderr, json.loads(files["gates.json"]), files
    )
