"""zizmor (JSON output, offline) on the GitHub Actions workflows and action files a PR changes.

A PR that edits its own CI can make it run attacker-controlled code with the repository's
token: a PR title expanded into a shell script, `pull_request_target` checking out the PR's
head, `write-all` permissions, an action pinned to a movable tag. zizmor finds these statically.

Severity mapping: zizmor's severity gives the level (high -> error, medium -> warning, low,
informational and unknown -> note), and a low confidence lowers it one step, as for bandit:
zizmor says "low confidence" when it guesses (artipacked without an artifact upload in sight),
and a guess should not block a PR on its own.

zizmor runs with `--offline` (no network, so no audit that asks GitHub's API) and with
`--strict-collection`: otherwise a workflow it cannot parse is skipped with a warning and the
gate would pass on the rest. Its findings are new when the base did not have them (`new =
"compare"` by default): deleting a line can be what makes a workflow unsafe.

zizmor's own ignore comments are not honoured by default: a PR could add one to silence its
own finding; `# gates: ignore[rule] reason` is the reviewed way.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gates.gate import GateContext, GateOutcome, GateTraits, Option, Scope
from gates.model import Finding, Severity, Stage
from gates.proc import ProcResult
from gates.sources import safe_path
from gates.tools.common import batches, relative, require_ran, tool_failure

INSTALL = "pip install zizmor"
# zizmor exits 0 (no findings), 10-14 (findings; the last digit is the highest severity),
# 1 (the audit failed), 2 (bad arguments), 3 (no input collected): docs.zizmor.sh/usage.
_OK_CODES = (0, 10, 11, 12, 13, 14)
PERSONAS = ("regular", "pedantic", "auditor")
# GitHub runs only the workflows directly in .github/workflows; an action is `action.y(a)ml`
# in any folder (a composite action of the repository, used as `uses: ./path`).
_WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_ACTION = re.compile(r"(?:^|/)action\.ya?ml$")
_BY_SEVERITY = {"high": Severity.ERROR, "medium": Severity.WARNING}
_LOWER = {Severity.ERROR: Severity.WARNING, Severity.WARNING: Severity.NOTE}
_MAX_FRAGMENT = 120
# Without these, zizmor (anyhow) appends a Rust stack backtrace to every error it reports.
_QUIET_ENV = {"RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0", "NO_COLOR": "1"}


def actions_files(files: Iterable[str]) -> list[str]:
    """The workflow and action definitions among the PR's files."""
    return [f for f in files if _WORKFLOW.match(f) or _ACTION.search(f)]


def severity_of(severity: str, confidence: str) -> Severity:
    """zizmor severity x confidence -> our severity (see the module docstring)."""
    level = _BY_SEVERITY.get(severity.lower(), Severity.NOTE)
    if confidence.lower() == "low":
        level = _LOWER.get(level, Severity.NOTE)
    return level


def parse_zizmor_json(text: str, root: Path, gate: str = "workflow-security") -> list[Finding]:
    """Parse `zizmor --format json` (v1): a list of findings. Raises ValueError on anything
    else, so output that is not zizmor's report is an error rather than a clean pass."""
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("zizmor JSON output is not a list of findings")
    return [_finding(item, root, gate) for item in data]


def _finding(item: Mapping[str, Any], root: Path, gate: str) -> Finding:
    determinations = item.get("determinations") or {}
    severity = str(determinations.get("severity") or "Unknown")
    confidence = str(determinations.get("confidence") or "Unknown")
    location = _primary(item.get("locations") or [])
    symbolic = location.get("symbolic") or {}
    span = (location.get("concrete") or {}).get("location") or {}
    start, end = span.get("start_point") or {}, span.get("end_point") or {}
    line, one_line = _one_based(start.get("row")), start.get("row") == end.get("row")
    extra = {"zizmor_severity": severity.lower(), "confidence": confidence.lower()}
    if determinations.get("persona"):
        extra["persona"] = str(determinations["persona"]).lower()
    if item.get("ignored") is True:
        extra["zizmor_ignored"] = "yes"
    return Finding(
        gate=gate,
        tool="zizmor",
        rule=str(item.get("ident") or "zizmor"),
        severity=severity_of(severity, confidence),
        path=relative(root, _input_path(symbolic.get("key"))),
        # Only the first line of a span: zizmor points at a whole job or step by its key, and
        # a PR that edits inside an old job has not caused that job's old problem.
        line=line,
        column=_one_based(start.get("column")),
        end_column=_one_based(end.get("column")) if one_line else None,
        message=_message(item, symbolic),
        help_uri=str(item["url"]) if item.get("url") else None,
        extra=extra,
    )


def _primary(locations: Sequence[Any]) -> Mapping[str, Any]:
    """The location zizmor points at (its other locations only give context)."""
    places = [loc for loc in locations if isinstance(loc, dict)]
    for place in places:
        if (place.get("symbolic") or {}).get("kind") == "Primary":
            return place
    return places[0] if places else {}


def _input_path(key: object) -> str:
    """The file a location is in: `{"Local": {"verbatim_path": ...}}` (1.x; older releases
    said `given_path`)."""
    local = key.get("Local") if isinstance(key, dict) else None
    if not isinstance(local, dict):
        return ""
    return str(local.get("verbatim_path") or local.get("given_path") or "")


def _one_based(value: object) -> int | None:
    """zizmor's rows and columns count from 0; ours from 1."""
    return value + 1 if isinstance(value, int) and not isinstance(value, bool) else None


def _message(item: Mapping[str, Any], symbolic: Mapping[str, Any]) -> str:
    """`desc: annotation (fragment)`, e.g. the expression a template injection expands."""
    text = str(item.get("desc") or item.get("ident") or "zizmor finding")
    annotation = symbolic.get("annotation")
    if annotation:
        text += f": {annotation}"
    fragment = _fragment(symbolic.get("feature_kind"))
    if fragment:
        text += f" (`{fragment}`)"
    return " ".join(text.split())


def _fragment(kind: object) -> str:
    sub = kind.get("Subfeature") if isinstance(kind, dict) else None
    fragment = sub.get("fragment") if isinstance(sub, dict) else None
    raw = fragment.get("Raw") if isinstance(fragment, dict) else None
    if not isinstance(raw, str) or not raw.strip():
        return ""
    raw = " ".join(raw.split()).replace("`", "'")
    return raw if len(raw) <= _MAX_FRAGMENT else raw[: _MAX_FRAGMENT - 3] + "..."


def failure_reason(stderr: str) -> str:
    """zizmor's own words for a failed audit: its headline and the distinct causes under
    `Caused by:` (a file it cannot parse, a broken zizmor.yml), in one line."""
    lines = [line.strip() for line in stderr.splitlines()]
    headline = next(
        (line.removeprefix("error: ") for line in lines if line.startswith("error: ")), ""
    )
    if not headline and "fatal: no audit was performed" in lines:
        after = lines[lines.index("fatal: no audit was performed") + 1 :]
        headline = next((line for line in after if line), "")
    causes = [re.sub(r"^\d+: ", "", line) for line in _causes(lines)]
    kept: list[str] = [headline] if headline else []
    for cause in causes:
        if cause and not any(cause in seen for seen in kept):
            kept.append(cause)
    return ": ".join(kept) or "zizmor could not audit the files"


def _causes(lines: list[str]) -> list[str]:
    if "Caused by:" not in lines:
        return []
    tail = lines[lines.index("Caused by:") + 1 :]
    end = tail.index("") if "" in tail else len(tail)
    return tail[:end]


def zizmor_command(python: str, path: str | None) -> str:
    """The zizmor executable next to gates' own interpreter (a wheel installs a binary, not a
    module), else the one on the tools' PATH; a bare name that then fails to start is
    reported as missing."""
    script = Path(python).parent / "zizmor"  # not resolved: a venv's python is a symlink
    if script.is_file():
        return str(script)
    return shutil.which("zizmor", path=path) or "zizmor"


class WorkflowSecurityGate:
    name = "workflow-security"
    stage = Stage.INTEGRITY
    tool = "zizmor"
    scope = Scope.CHANGED
    description = "zizmor (offline) on the changed GitHub Actions workflows and action files"
    default_timeout_s = 120.0
    default_fail_on = "warning"
    # Judged against the base's findings: a PR that deletes a `permissions:` block or a
    # `persist-credentials: false` adds no line, yet the problem it leaves is its own.
    traits = GateTraits(default_new="compare")
    options: Mapping[str, Option] = {
        "persona": Option(
            str, "regular", choices=PERSONAS, help="zizmor persona: how much it reports"
        ),
        "honor_ignores": Option(
            bool, False, help="honour zizmor's own ignore comments and zizmor.yml ignore rules"
        ),
        "args": Option(list, [], item=str, help="extra arguments for zizmor"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        files = [f for f in actions_files(ctx.files) if safe_path(ctx.root, f) is not None]
        if not files:
            skipped = GateOutcome.skipped("no GitHub Actions workflow or action file changed")
            return dataclasses.replace(skipped, tool_version=_installed_version())
        command = zizmor_command(ctx.tool_python, ctx.env.get("PATH"))
        findings: list[Finding] = []
        for batch in batches(files):
            result = self._audit(ctx, command, batch)
            try:
                findings += parse_zizmor_json(result.stdout, ctx.root, self.name)
            except ValueError as exc:
                raise tool_failure(result, f"unreadable JSON output ({exc})") from None
        return GateOutcome(
            findings=findings,
            metrics={"files_scanned": len(files)},
            tool_version=_version(ctx, command),
        )

    def _audit(self, ctx: GateContext, command: str, batch: list[str]) -> ProcResult:
        argv = [
            command,
            "--offline",
            "--format",
            "json",
            "--strict-collection",
            "--no-progress",
            "--color",
            "never",
            "--quiet",
            "--persona",
            str(ctx.options.get("persona", "regular")),
            "--cache-dir",
            str(ctx.scratch / "zizmor-cache"),
            *([] if ctx.options.get("honor_ignores") else ["--no-ignores"]),
            *[str(a) for a in ctx.options.get("args", [])],  # type: ignore[attr-defined]
            "--",
            # "./" keeps a name from reading as an option or as a remote `owner/repo` input.
            *[f"./{name}" for name in batch],
        ]
        result = ctx.run(argv, extra_env=_QUIET_ENV)
        require_ran(result, INSTALL)
        if result.returncode not in _OK_CODES:
            raise tool_failure(result, failure_reason(result.stderr))
        return result


def _installed_version() -> str:
    """The version installed beside gates, without starting zizmor: for a skipped run, whose
    SARIF run still names its tool's version."""
    try:
        return f"zizmor {importlib.metadata.version('zizmor')}"
    except importlib.metadata.PackageNotFoundError:
        return ""


def _version(ctx: GateContext, command: str) -> str:
    """`zizmor 1.33.1`: not read by the environment probe, which knows Python tools only."""
    result = ctx.run([command, "--version"], timeout_s=30)
    text = result.stdout.strip()
    return text.splitlines()[0] if result.ok and text else ""
