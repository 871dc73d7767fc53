"""ruff check (JSON output) and, optionally, ruff format --check."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gates.gate import GateContext, GateOutcome, Option, Scope
from gates.model import Finding, Severity, Stage
from gates.tools.common import batches, python_files, relative, require_ran, tool_failure

INSTALL = "pip install ruff"
# ruff exits 0 (clean) or 1 (violations); 2 means it failed (bad config, internal error).
_OK_CODES = (0, 1)


def parse_ruff_json(text: str, root: Path, gate: str = "ruff") -> list[Finding]:
    """Parse `ruff check --output-format=json`; raises ValueError on anything else."""
    data = json.loads(text or "[]")
    if not isinstance(data, list):
        raise ValueError("ruff JSON output is not a list")
    return [_finding(item, root, gate) for item in data]


def _finding(item: Mapping[str, Any], root: Path, gate: str) -> Finding:
    start = item.get("location") or {}
    end = item.get("end_location") or {}
    code = item.get("code") or "syntax-error"
    return Finding(
        gate=gate,
        tool="ruff",
        rule=str(code),
        severity=Severity.ERROR if code == "syntax-error" else Severity.WARNING,
        path=relative(root, str(item.get("filename", ""))),
        line=start.get("row"),
        end_line=end.get("row"),
        column=start.get("column"),
        end_column=end.get("column"),
        message=str(item.get("message", "")),
        help_uri=item.get("url") or None,
        extra={"fixable": "yes"} if item.get("fix") else {},
    )


_WOULD_REFORMAT = re.compile(r"^Would reformat: (.+)$", re.MULTILINE)


def parse_format_check(text: str, root: Path, gate: str = "ruff") -> list[Finding]:
    return [
        Finding(
            gate=gate,
            tool="ruff-format",
            rule="format",
            severity=Severity.WARNING,
            path=relative(root, name.strip()),
            message="file is not formatted with `ruff format`",
        )
        for name in _WOULD_REFORMAT.findall(text)
    ]


class RuffGate:
    name = "ruff"
    stage = Stage.QUALITY
    tool = "ruff"
    scope = Scope.CHANGED
    description = "ruff check with the project's own ruff config"
    default_timeout_s = 120.0
    default_fail_on = "warning"
    options: Mapping[str, Option] = {
        "format": Option(bool, False, help="also run `ruff format --check`"),
        "args": Option(list, [], item=str, help="extra arguments for `ruff check`"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        files = python_files(ctx.files)
        if not files:
            return GateOutcome.skipped("no Python files in scope")
        findings: list[Finding] = []
        extra = [str(a) for a in ctx.options.get("args", [])]  # type: ignore[attr-defined]
        for batch in batches(files):
            argv = ["check", "--output-format=json", "--force-exclude", "--no-cache", *extra]
            result = ctx.python_module("ruff", *argv, "--", *batch)
            require_ran(result, INSTALL)
            if result.returncode not in _OK_CODES:
                raise tool_failure(result, "ruff could not check the files")
            try:
                findings += parse_ruff_json(result.stdout, ctx.root, self.name)
            except ValueError as exc:
                raise tool_failure(result, f"unreadable JSON output ({exc})") from None
            if ctx.options.get("format"):
                findings += self._format_check(ctx, batch)
        return GateOutcome(findings=findings)

    def _format_check(self, ctx: GateContext, batch: list[str]) -> list[Finding]:
        result = ctx.python_module("ruff", "format", "--check", "--force-exclude", "--", *batch)
        require_ran(result, INSTALL)
        if result.returncode not in _OK_CODES:
            raise tool_failure(result, "ruff format --check failed")
        return parse_format_check(result.stdout + result.stderr, ctx.root, self.name)
