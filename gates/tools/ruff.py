"""ruff check (JSON output) and, optionally, ruff format --check."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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

INSTALL = "pip install ruff"
# ruff exits 0 (clean) or 1 (violations); 2 means it failed (bad config, internal error).
_OK_CODES = (0, 1)
# How ruff names a file it cannot parse: older releases, then ruff 0.17.
_SYNTAX_CODES = ("syntax-error", "invalid-syntax")


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
        severity=Severity.ERROR if code in _SYNTAX_CODES else Severity.WARNING,
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
    """One finding per file `ruff format --check` would change.

    Reads `--output-format=json` (ruff >= 0.16) and the older `Would reformat: FILE` lines.
    Syntax errors are left to `ruff check`, which reports them at their line.
    """
    if text.lstrip().startswith("["):
        data = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("ruff format JSON output is not a list")
        names = [str(i.get("filename", "")) for i in data if i.get("code") == "unformatted"]
    else:
        names = [name.strip() for name in _WOULD_REFORMAT.findall(text)]
    return [
        Finding(
            gate=gate,
            tool="ruff-format",
            rule="format",
            severity=Severity.WARNING,
            path=path,
            message="file is not formatted with `ruff format`",
        )
        for path in sorted({relative(root, name) for name in names})
    ]


def _only_syntax_errors(text: str) -> bool:
    """`ruff format --check` exits 2 on unparsable files; `ruff check` reports those."""
    try:
        data = json.loads(text or "[]")
    except ValueError:
        return False
    codes = {i.get("code") for i in data} if isinstance(data, list) else {None}
    return bool(codes) and codes <= {"unformatted", *_SYNTAX_CODES}


class RuffGate:
    name = "ruff"
    stage = Stage.QUALITY
    tool = "ruff"
    scope = Scope.CHANGED
    description = "ruff check with the project's own ruff config"
    default_timeout_s = 120.0
    # `ruff format --check`'s finding, and a parse error old ruff releases give no code for.
    traits = GateTraits(cost_model=(0.05, 0.05), rules=frozenset({"format", "syntax-error"}))
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
            unnamed = _not_utf8(batch)
            # ruff cannot write a file name that is not UTF-8 into its cache: it fails the whole
            # run ("Failed to serialize cache data"). Such a batch is checked without the cache.
            cache = ["--no-cache"] if unnamed else []
            # --no-fix: a project may set `fix = true`; a gate never changes what it judges.
            argv = ["check", "--output-format=json", "--force-exclude", *extra, "--no-fix", *cache]
            result = ctx.tool_module("ruff", *argv, "--", *batch)
            require_ran(result, INSTALL)
            require_module(result, "ruff", INSTALL)  # else its exit 1 and no JSON read as clean
            if result.returncode not in _OK_CODES:
                raise tool_failure(result, "ruff could not check the files")
            try:
                found = parse_ruff_json(result.stdout, ctx.root, self.name)
            except ValueError as exc:
                raise tool_failure(result, f"unreadable JSON output ({exc})") from None
            if ctx.options.get("format"):
                found += self._format_check(ctx, batch, cache)
            findings += _named_as_given(found, unnamed)
        return GateOutcome(findings=findings)

    def _format_check(self, ctx: GateContext, batch: list[str], cache: list[str]) -> list[Finding]:
        argv = ("format", "--check", "--output-format=json", "--force-exclude", *cache)
        result = ctx.tool_module("ruff", *argv, "--", *batch)
        require_ran(result, INSTALL)
        if result.returncode not in _OK_CODES and not _only_syntax_errors(result.stdout):
            raise tool_failure(result, "ruff format --check failed")
        try:
            return parse_format_check(result.stdout, ctx.root, self.name)
        except ValueError as exc:
            raise tool_failure(result, f"unreadable JSON output ({exc})") from None


def _not_utf8(names: Sequence[str]) -> list[str]:
    """File names that are not UTF-8 on disk (Python holds their bytes as surrogates)."""
    unnamed = []
    for name in names:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            unnamed.append(name)
    return unnamed


def _lossy(name: str) -> str:
    """The name as ruff prints it: each byte that is not UTF-8 becomes U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _named_as_given(findings: list[Finding], unnamed: Sequence[str]) -> list[Finding]:
    """Findings on a file whose name ruff printed with U+FFFD, put back on that file (when the
    lossy name stands for one file of the batch only)."""
    lossy: dict[str, list[str]] = {}
    for name in unnamed:
        lossy.setdefault(_lossy(name), []).append(name)
    if not lossy:
        return findings
    return [
        f.replace(path=lossy[f.path][0]) if len(lossy.get(f.path, ())) == 1 else f for f in findings
    ]
