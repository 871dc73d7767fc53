"""The values that flow through gates: findings, gate results and the report.

Everything here is immutable. Gates produce findings; filters return marked copies; the
verdict is decided once from the marked findings, and reporters only ever read a `Report`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

SCHEMA_VERSION = "1.0"


class Severity(str, enum.Enum):
    """How bad a finding is; a gate's `fail_on` names the lowest one that blocks."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        """Higher is worse; lets `fail_on` compare severities."""
        return _RANKS[self.value]


_RANKS = {"note": 1, "warning": 2, "error": 3}


class Status(str, enum.Enum):
    """One gate's outcome: `error` when it could not judge (crash, timeout, missing tool),
    `skipped` when it had nothing to judge or never started (the reason is in `detail`)."""

    PASS = "pass"  # noqa: S105
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class Verdict(str, enum.Enum):
    """The whole run's outcome: `error` when any gate errored (fail closed), else `fail` when
    any gate failed, else `pass`."""

    PASS = "pass"  # noqa: S105
    FAIL = "fail"
    ERROR = "error"


class Stage(str, enum.Enum):
    """The group a gate belongs to; stages run in STAGE_ORDER."""

    SAFETY = "safety"
    INTEGRITY = "integrity"
    SECURITY = "security"
    QUALITY = "quality"
    SIZE = "size"


STAGE_ORDER: tuple[Stage, ...] = (
    Stage.SAFETY,
    Stage.INTEGRITY,
    Stage.SECURITY,
    Stage.QUALITY,
    Stage.SIZE,
)


@dataclass(frozen=True)
class Suppression:
    """Why a finding does not block although it is present."""

    kind: str  # "inline" | "baseline" | "path" | "tool"
    reason: str = ""
    line: int | None = None  # where the inline marker is, so unused markers can be found


@dataclass(frozen=True)
class Finding:
    """One problem at one place, normalised from whichever tool found it.

    `new` is None until a filter (or the gate itself, when it knows better) decides it.
    `fingerprint` never contains the line number, so it survives code moving up or down.
    A secret or personal value is masked in `message` and `extra` when the finding is made.
    """

    gate: str  # the gate that reported it, e.g. "secrets"
    tool: str  # what produced it: "gates" for the built-in checks, else the tool ("ruff")
    rule: str  # the rule id, documented in docs/rules.md (e.g. "eval-nonliteral", "F401")
    severity: Severity
    path: str  # repo-relative POSIX path; "" for a project-level finding
    message: str  # one line for a person: what is wrong and what to do
    line: int | None = None  # 1-based; None when the tool gives no position
    end_line: int | None = None
    column: int | None = None
    end_column: int | None = None
    help_uri: str | None = None  # the rule's documentation
    new: bool | None = None  # introduced by the PR (only new findings block)
    suppressed: Suppression | None = None  # why it does not block although present
    fingerprint: str = ""  # stable identity across runs (baselines, PR comments)
    snippet_hash: str = ""  # hash of the source text it points at, part of the fingerprint
    # Tool-specific details as strings (bandit's confidence, a package's fix versions, ...).
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def replace(self, **changes: object) -> Finding:
        """`dataclasses.replace` without re-running `__init__` field by field: every finding is
        copied by each filter, and a linter on a large project reports tens of thousands. No
        field has a check of its own, so a copy of the fields is the same value."""
        unknown = changes.keys() - _FIELD_NAMES
        if unknown:
            raise TypeError(f"Finding has no field {', '.join(sorted(unknown))}")
        copy = object.__new__(Finding)
        copy.__dict__.update(self.__dict__, **changes)
        return copy

    @property
    def location(self) -> str:
        if not self.path:
            return "(project)"
        return f"{self.path}:{self.line}" if self.line else self.path

    def blocks(self, fail_on: str) -> bool:
        """True when this finding alone fails its gate under the given threshold."""
        if fail_on == "never" or self.suppressed is not None or not self.new:
            return False
        # Asked of every finding by every reporter: plain lookups (the enum's were a third of
        # writing the reports). An unknown threshold still fails as `Severity(fail_on)` does.
        threshold = _RANKS.get(fail_on) or Severity(fail_on).rank
        return _RANKS[self.severity.value] >= threshold

    def fingerprint_key(self) -> str:
        """The identity of a finding without its position: tool, rule, file and content."""
        content = self.extra.get("identity") or self.snippet_hash or self.message
        return "\x1f".join((self.tool, self.rule, self.path, content))


FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_FIELD_NAMES = frozenset(FINDING_FIELDS)


def with_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Give each finding a stable fingerprint; identical ones are told apart by occurrence."""
    seen: dict[str, int] = {}
    out: list[Finding] = []
    for finding in sorted(findings, key=sort_key):
        key = finding.fingerprint_key()
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        # A file name that is not UTF-8 holds surrogate escapes: hashed as they are, not refused.
        raw = f"{key}\x1f{occurrence}".encode("utf-8", errors="surrogatepass")
        digest = hashlib.sha256(raw).hexdigest()[:32]
        out.append(finding.replace(fingerprint=digest))
    return out


def sort_key(finding: Finding) -> tuple[str, int, int, str, str, str]:
    return (
        finding.path,
        finding.line or 0,
        finding.column or 0,
        finding.tool,
        finding.rule,
        finding.message,
    )


MetricValue = int | float | str | bool | None
# The metric of a gate whose findings were merged into another tool's (gates.filters.dedupe).
DUPLICATES_MERGED = "duplicates_merged"


@dataclass(frozen=True)
class Table:
    """A small table of plain strings a gate wants shown (e.g. the files whose size changed
    most). Reporters render it without knowing which gate made it; cells are untrusted text."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class GateResult:
    """What one gate found and how it was judged: every finding, new or old, suppressed or
    not (filters mark, never drop); `status` is decided from those that block under `fail_on`."""

    name: str
    stage: Stage
    status: Status
    findings: tuple[Finding, ...] = ()
    duration_s: float = 0.0
    # Seconds from the run's start to this gate's start: the schedule, for the benchmark and
    # for anyone asking why a run took as long as it did. None: the gate never started.
    started_s: float | None = None
    detail: str = ""  # why it errored or was skipped, or a note on what it could not read
    metrics: Mapping[str, MetricValue] = field(default_factory=dict)  # e.g. files_scanned
    fail_on: str = "error"  # lowest severity of a new finding that fails it, or "never"
    tool_version: str = ""
    tables: tuple[Table, ...] = ()

    # Counted once: every reporter asks, and a result never changes (replace() makes another).
    @functools.cached_property
    def new_count(self) -> int:
        return sum(1 for f in self.findings if f.new and f.suppressed is None)

    @functools.cached_property
    def blocking_count(self) -> int:
        return sum(1 for f in self.findings if f.blocks(self.fail_on))


@dataclass(frozen=True)
class DiffInfo:
    """How the set of changed lines was obtained, so the report can be honest about it."""

    base: str | None
    head: str
    merge_base: str | None
    mode: str  # "diff" | "all-files"
    note: str
    changed_files: int
    added_lines: int
    deleted_lines: int


@dataclass(frozen=True)
class RunEnvironment:
    """The project's interpreter and the version of each tool, from the interpreter it ran in
    (gates.environment), so a report says what judged the PR."""

    python: str
    python_version: str
    tools: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """One run, complete and immutable: what every reporter renders (gates.json holds the
    same fields, reports/gates-report.schema.json)."""

    verdict: Verdict
    diff: DiffInfo  # the revisions compared and how the changed lines were found
    gates: tuple[GateResult, ...]  # in stage order
    started_at: str  # ISO 8601, UTC
    duration_s: float
    root: str = "."
    incomplete: bool = False  # interrupted: some gates never ran (the verdict is then not pass)
    new_mode: str = "lines"  # what counted as new: "lines", "compare" or "all"
    # Findings about gates' own markers (unused or expired suppressions, missing reasons,
    # fixed baseline entries): shown to the author, never blocking.
    notices: tuple[Finding, ...] = ()
    # How many findings were suppressed and by what, plus the tool-native markers (noqa,
    # nosec, type: ignore) the PR adds; metrics of the whole run.
    suppressions: Mapping[str, int] = field(default_factory=dict)
    tool: str = "gates"
    version: str = ""
    environment: RunEnvironment | None = None
    schema_version: str = SCHEMA_VERSION

    def all_findings(self) -> list[Finding]:
        """Every gate's findings, in the gates' order (the notices are not among them)."""
        return [f for g in self.gates for f in g.findings]


def decide_status(findings: tuple[Finding, ...], fail_on: str) -> Status:
    """A gate that ran fails when one of its findings blocks; otherwise it passes."""
    return Status.FAIL if any(f.blocks(fail_on) for f in findings) else Status.PASS


def decide_verdict(results: tuple[GateResult, ...], blocking_errors: bool = True) -> Verdict:
    """Fail closed: a gate that errored makes the whole run an error."""
    if blocking_errors and any(r.status is Status.ERROR for r in results):
        return Verdict.ERROR
    if any(r.status is Status.FAIL for r in results):
        return Verdict.FAIL
    return Verdict.PASS
