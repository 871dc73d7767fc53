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

A finding's identity (what "the base had it too" compares) is zizmor's symbolic location, not
the text of its line: the audit, the file, the route of keys to it (`jobs/test/steps/...`), its
annotation and fragment, with what a harmless edit changes taken out. An action's ref goes
(a Dependabot bump of `actions/checkout@<sha> # v4.1.1` leaves its unpinned or artipacked
finding old), and a step is named by its action (without the ref), its `id` or its `name`,
counted among the job's steps of that label, not by its index (a step added above it moves
the index). The job id stays: a new job that copies an old job's checkout is a new problem.
A cache-poisoning finding is the job's (a publishing job restores a cache), so its identity
stops at the job: swapping `setup-python`'s pip cache for `setup-uv`'s leaves it old, while a
second caching step in that job, or a new caching job, is still new (findings with the same
identity are counted).
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

import yaml

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
    else, so output that is not zizmor's report is an error rather than a clean pass.
    The audited files are read again under root, only to name steps (see the docstring)."""
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("zizmor JSON output is not a list of findings")
    documents = _Documents(root)
    return [_finding(item, root, gate, documents) for item in data]


def _finding(item: Mapping[str, Any], root: Path, gate: str, documents: _Documents) -> Finding:
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
    path = relative(root, _input_path(symbolic.get("key")))
    rule = str(item.get("ident") or "zizmor")
    extra["identity"] = identity(symbolic, documents.load(path), rule)
    return Finding(
        gate=gate,
        tool="zizmor",
        rule=rule,
        severity=severity_of(severity, confidence),
        path=path,
        # Only the first line of a span: zizmor points at a whole job or step by its key, and
        # a PR that edits inside an old job has not caused that job's old problem.
        line=line,
        column=_one_based(start.get("column")),
        end_column=_one_based(end.get("column")) if one_line else None,
        message=_message(item, symbolic),
        help_uri=str(item["url"]) if item.get("url") else None,
        extra=extra,
    )


# `owner/repo[/path]@ref`: the ref is what a version bump changes.
_ACTION_REF = re.compile(r"(?<![\w.-])([\w.-]+/[\w./-]+)@[\w./-]+")


# Audits whose problem is the job's, not the step's it points at (see the module docstring).
_JOB_LEVEL = frozenset({"cache-poisoning"})


def without_ref(text: str) -> str:
    """`actions/checkout@v4` -> `actions/checkout`, anywhere in a text; a `docker://` image's
    tag and a local `./action` have no `owner/repo@` and are kept."""
    return _ACTION_REF.sub(r"\1", text)


def identity(symbolic: Mapping[str, Any], document: object, audit: str = "") -> str:
    """A finding's identity from its symbolic location (see the module docstring)."""
    parts = _route(symbolic)
    if audit in _JOB_LEVEL and "steps" in parts:
        parts = parts[: parts.index("steps")]
    route = _route_labels(parts, document)
    annotation = " ".join(str(symbolic.get("annotation") or "").split())
    fragment = _fragment(symbolic.get("feature_kind"))
    return "\x1f".join((route, without_ref(annotation), without_ref(fragment)))


def _route(symbolic: Mapping[str, Any]) -> list[object]:
    """`{"route": {"route": [{"Key": "jobs"}, {"Index": 0}]}}` -> ["jobs", 0]."""
    route = symbolic.get("route")
    steps = route.get("route") if isinstance(route, dict) else None
    parts: list[object] = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and len(step) == 1:
            parts.append(next(iter(step.values())))
        else:
            parts.append(str(step))
    return parts


def _route_labels(parts: list[object], document: object) -> str:
    """The route as text, a step's index replaced by its label (its index when the file cannot
    be read, e.g. a parser test without the workflow)."""
    labels: list[str] = []
    node = document
    for position, part in enumerate(parts):
        is_step = isinstance(part, int) and position > 0 and parts[position - 1] == "steps"
        if is_step and isinstance(node, list) and 0 <= int(str(part)) < len(node):
            labels.append(step_label(node, int(str(part))))
        else:
            labels.append(str(part))
        node = _child(node, part)
    return "/".join(labels)


def _child(node: object, part: object) -> object:
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    if isinstance(node, dict):
        return node.get(part)
    return None


def step_label(steps: Sequence[object], index: int) -> str:
    """`uses:actions/checkout`, `id:build`, `name:Test` or `run`, then `#n` when an earlier
    step of the same list has the same label: an index that does not move when another kind
    of step is added or removed above it. The action comes first: a bump leaves it, while a
    PR may give an old step an `id` or rename it."""
    label = _label(steps[index])
    earlier = sum(1 for step in steps[:index] if _label(step) == label)
    return f"{label}#{earlier}" if earlier else label


def _label(step: object) -> str:
    if not isinstance(step, dict):
        return "step"
    for key in ("uses", "id", "name"):
        value = step.get(key)
        if isinstance(value, str | int | float) and str(value).strip():
            text = " ".join(str(value).split())
            return f"{key}:{without_ref(text) if key == 'uses' else text}"
    return "run" if "run" in step else "step"


class _Documents:
    """The audited files' YAML, read once each; None for one that cannot be read."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._cache: dict[str, object] = {}

    def load(self, path: str) -> object:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> object:
        target = safe_path(self._root, path) if path else None
        if target is None or not target.is_file():
            return None
        try:
            return yaml.safe_load(target.read_text(encoding="utf-8", errors="replace"))
        except (yaml.YAMLError, OSError, RecursionError, ValueError):
            return None


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
