"""bandit (JSON output) on the Python files in scope, with the project's own bandit config.

Severity mapping: bandit's issue severity gives the level (HIGH -> error, MEDIUM -> warning,
LOW -> note), and a LOW confidence lowers it one step: bandit marks a guess as low confidence
(B113 "no timeout", B608 "possible SQL"), and a guess should not block a PR on its own.
`min_severity` / `min_confidence` are handed to bandit, which then leaves the rest out.
"""

from __future__ import annotations

import configparser
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gates.checks.redact import mask
from gates.gate import GateContext, GateOutcome, GateTraits, Option, Scope
from gates.model import Finding, Severity, Stage
from gates.tools.common import (
    batches,
    python_files,
    relative,
    require_module,
    require_ran,
    tool_failure,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

INSTALL = "pip install bandit"
# bandit exits 0 (no issues) or 1 (issues); anything else is a failure of bandit itself.
_OK_CODES = (0, 1)
LEVELS = ("low", "medium", "high")
_BY_SEVERITY = {"HIGH": Severity.ERROR, "MEDIUM": Severity.WARNING, "LOW": Severity.NOTE}
_LOWER = {Severity.ERROR: Severity.WARNING, Severity.WARNING: Severity.NOTE}


def severity_of(issue_severity: str, confidence: str) -> Severity:
    """bandit severity x confidence -> our severity (see the module docstring)."""
    level = _BY_SEVERITY.get(issue_severity.upper(), Severity.NOTE)
    if confidence.upper() == "LOW":
        level = _LOWER.get(level, Severity.NOTE)
    return level


def parse_bandit_json(text: str, root: Path, gate: str = "bandit") -> tuple[list[Finding], str]:
    """Parse `bandit -f json`: the findings and a note on the files bandit could not read.

    Raises ValueError when the text is not bandit's JSON report.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError("bandit JSON output has no 'results' list")
    findings = [_finding(item, root, gate) for item in data["results"]]
    return findings, _errors_note(data.get("errors") or [], root)


def _finding(item: Mapping[str, Any], root: Path, gate: str) -> Finding:
    severity = str(item.get("issue_severity", "LOW"))
    confidence = str(item.get("issue_confidence", "LOW"))
    lines = [n for n in item.get("line_range") or [] if isinstance(n, int)]
    line = item.get("line_number")
    extra = {"bandit_severity": severity.lower(), "confidence": confidence.lower()}
    cwe = item.get("issue_cwe") or {}
    if isinstance(cwe, dict) and cwe.get("id"):
        extra["cwe"] = f"CWE-{cwe['id']}"
    if item.get("test_name"):
        extra["test_name"] = str(item["test_name"])
    column = item.get("col_offset")
    end_column = item.get("end_col_offset")
    return Finding(
        gate=gate,
        tool="bandit",
        rule=str(item.get("test_id") or "bandit"),
        severity=severity_of(severity, confidence),
        path=relative(root, str(item.get("filename", ""))),
        line=line if isinstance(line, int) else None,
        end_line=max(lines) if lines and max(lines) != line else None,
        # bandit's columns are 0-based AST offsets; ours are 1-based like the other tools.
        column=column + 1 if isinstance(column, int) else None,
        end_column=end_column + 1 if isinstance(end_column, int) else None,
        message=_message(str(item.get("issue_text", ""))),
        help_uri=str(item["more_info"]) if item.get("more_info") else None,
        extra=extra,
    )


# B105-B107 quote the password they found. Like every secret in gates' output it shows only
# its masked head (the secrets gate reports the same value masked the same way).
_QUOTED_PASSWORD = re.compile(r"(Possible hardcoded password: )'(.*)'\Z", re.DOTALL)


def _message(text: str) -> str:
    quoted = _QUOTED_PASSWORD.match(text)
    return f"{quoted.group(1)}'{mask(quoted.group(2))}'" if quoted else text


def _errors_note(errors: list[Any], root: Path) -> str:
    lines = []
    for error in errors:
        if isinstance(error, dict):
            name = relative(root, str(error.get("filename", "?")))
            lines.append(f"{name}: {error.get('reason', 'error')}")
    if not lines:
        return ""
    shown = lines[:20] + ([f"... and {len(lines) - 20} more"] if len(lines) > 20 else [])
    return f"bandit could not scan {len(lines)} file(s):\n" + "\n".join(shown)


def config_args(root: Path) -> list[str]:
    """The project's bandit config: `[tool.bandit]` in pyproject.toml, else a `.bandit` file."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
            data = {}
        tool = data.get("tool")
        if isinstance(tool, dict) and isinstance(tool.get("bandit"), dict):
            return ["-c", str(pyproject)]
    ini = root / ".bandit"
    if ini.is_file() and not ini.is_symlink() and _has_bandit_section(ini):
        return ["--ini", str(ini)]
    return []


def _has_bandit_section(path: Path) -> bool:
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False
    return parser.has_section("bandit")


class BanditGate:
    name = "bandit"
    stage = Stage.SECURITY
    tool = "bandit"
    scope = Scope.CHANGED
    description = "bandit security linter on the changed Python files"
    default_timeout_s = 600.0  # a large project takes about a minute beside semgrep
    traits = GateTraits(cost_model=(0.3, 2.3))
    default_fail_on = "warning"
    options: Mapping[str, Option] = {
        "min_severity": Option(str, "low", choices=LEVELS, help="lowest bandit severity kept"),
        "min_confidence": Option(str, "low", choices=LEVELS, help="lowest bandit confidence kept"),
        "args": Option(list, [], item=str, help="extra arguments for bandit"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        files = python_files(ctx.files)
        if not files:
            return GateOutcome.skipped("no Python files in scope")
        argv = [
            "-f",
            "json",
            "-q",
            "--severity-level",
            str(ctx.options.get("min_severity", "low")),
            "--confidence-level",
            str(ctx.options.get("min_confidence", "low")),
            *config_args(ctx.root),
            *[str(a) for a in ctx.options.get("args", [])],  # type: ignore[attr-defined]
        ]
        findings, notes = self._scan(ctx, argv, files)
        return GateOutcome(findings=findings, metrics={"files_scanned": len(files)}, detail=notes)

    def _scan(
        self, ctx: GateContext, argv: list[str], files: list[str]
    ) -> tuple[list[Finding], str]:
        findings: list[Finding] = []
        notes: list[str] = []
        for batch in batches(files):
            result = ctx.tool_module("bandit", *argv, "--", *batch)
            require_ran(result, INSTALL)
            require_module(result, "bandit", INSTALL)
            if result.returncode not in _OK_CODES:
                raise tool_failure(result, "bandit could not scan the files")
            try:
                found, note = parse_bandit_json(result.stdout, ctx.root, self.name)
            except ValueError as exc:
                raise tool_failure(result, f"unreadable JSON output ({exc})") from None
            findings += found
            notes += [note] if note else []
        return findings, "\n".join(notes)
