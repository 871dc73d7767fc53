"""Merge findings of the same issue reported by several tools on the same lines.

gates' own checks, bandit, semgrep and ruff's bandit port overlap: `eval(x)` is gates'
`eval-nonliteral`, bandit B307, ruff S307 and semgrep's `gates.python.eval-injection`; an AWS key
is the secrets gate's `secret-aws-access-key`, bandit B105 and semgrep's `hardcoded-credential`.
Reporting it four times makes a PR look four times as bad and asks for four suppressions. Two
findings are the same issue when they come from different tools, sit in the same file on
overlapping lines, and either belong to the same class in `ISSUE_CLASSES` (an explicit table: the
tools' CWE numbers for one issue often differ, bandit files eval under CWE-78) or, when at most
one of them is in the table, share a CWE id (a table entry counts with its class's CWE, a rule
outside it with the CWE its tool gave it). Two of gates' own gates are merged by the table only
(agent-config re-reports the safety detectors' findings in agent instructions). docs/reports.md
lists the table.

The finding that stays is the one that matters most (blocking, then unsuppressed, then most
severe, then from the gate that ran first); it keeps its message, takes the highest severity of
the unsuppressed findings it absorbs, and gets `extra["also_reported_by"] =
"semgrep:gates.python.eval-injection"`. Because the kept finding always ranks at least as high as
the ones it absorbs, merging never turns a failing verdict into a pass. A pure function over the
gate results, applied once before the report is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from gates.model import DUPLICATES_MERGED, Finding, GateResult, Status, decide_status

# gates' secrets rules: every one is a credential in the source.
_SECRET_RULES = (
    "aws-access-key",
    "aws-secret-key",
    "azure-storage-key",
    "gcp-api-key",
    "gcp-service-account",
    "github-token",
    "gitlab-token",
    "slack-token",
    "stripe-key",
    "token",
    "jwt",
    "private-key",
    "url-password",
    "password-assignment",
    "high-entropy",
)


_UNICODE_RULES = (
    "bidi-control",
    "zero-width",
    "bom",
    "tag-characters",
    "mixed-script",
    "confusable",
)
_INJECTION_RULES = (
    "instruction-override",
    "agent-approval-request",
    "secret-exfiltration-request",
    "command-execution-request",
    "hidden-instruction",
)


def _bandit(*numbers: int) -> tuple[str, ...]:
    """bandit's ids and ruff's port of them (ruff `S307` is bandit `B307`)."""
    return tuple(f"{tool}:{prefix}{n}" for n in numbers for tool, prefix in _BANDIT_TOOLS)


_BANDIT_TOOLS = (("bandit", "B"), ("ruff", "S"))
_SEMGREP = "semgrep:gates.python."

# issue class -> (its CWE, the "tool:rule" ids that report it). gates' own checks report as
# tool "gates". A class is needed where the tools' CWE ids for one issue differ, or where one
# tool files several issues under one CWE (bandit: B307 eval and B602 shell are both CWE-78).
# The classes of code errors (a linter and a type checker on one undefined name) have no CWE.
ISSUE_CLASSES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "code-injection": (
        "CWE-95",
        (
            *_bandit(307, 102),
            f"{_SEMGREP}eval-injection",
            f"{_SEMGREP}exec-injection",
            "gates:eval-nonliteral",
            "gates:decoded-exec",
        ),
    ),
    "shell-injection": (
        "CWE-78",
        (
            *_bandit(602, 604, 605),
            f"{_SEMGREP}subprocess-shell-injection",
            f"{_SEMGREP}os-system-injection",
            "gates:shell-command",
        ),
    ),
    "unsafe-deserialization": (
        "CWE-502",
        (
            *_bandit(301, 302, 506, 614),
            f"{_SEMGREP}pickle-load",
            f"{_SEMGREP}marshal-load",
            f"{_SEMGREP}shelve-open",
            f"{_SEMGREP}jsonpickle-decode",
            f"{_SEMGREP}yaml-unsafe-load",
            "gates:unsafe-deserialization",
        ),
    ),
    "hardcoded-credential": (
        "CWE-798",
        (
            *_bandit(105, 106, 107),
            f"{_SEMGREP}hardcoded-credential",
            *(f"gates:secret-{rule}" for rule in _SECRET_RULES),
            "gates:agent-config-secret",
        ),
    ),
    "sql-injection": (
        "CWE-89",
        (*_bandit(608, 610, 611), f"{_SEMGREP}sql-injection", f"{_SEMGREP}django-raw-sql"),
    ),
    "flask-debug": ("CWE-94", (*_bandit(201), f"{_SEMGREP}flask-debug-enabled")),
    "jinja2-autoescape": ("CWE-79", (*_bandit(701), f"{_SEMGREP}jinja2-autoescape-disabled")),
    "mark-safe": ("CWE-79", (*_bandit(308, 703), f"{_SEMGREP}django-mark-safe")),
    "ssh-host-key": ("CWE-295", (*_bandit(507), f"{_SEMGREP}paramiko-auto-add-policy")),
    "tls-verification": (
        "CWE-295",
        (
            *_bandit(501, 323),
            f"{_SEMGREP}tls-verify-disabled",
            f"{_SEMGREP}ssl-unverified-context",
            f"{_SEMGREP}ssl-cert-none",
        ),
    ),
    "bind-all": ("CWE-605", (*_bandit(104), f"{_SEMGREP}bind-all-interfaces")),
    "insecure-random": ("CWE-330", (*_bandit(311), f"{_SEMGREP}insecure-random-secret")),
    "weak-hash": (
        "CWE-327",
        (*_bandit(303, 324), f"{_SEMGREP}weak-hash", f"{_SEMGREP}weak-password-hash"),
    ),
    "weak-cipher": ("CWE-327", (*_bandit(304, 305), f"{_SEMGREP}weak-cipher")),
    "insecure-tempfile": ("CWE-377", (*_bandit(306), f"{_SEMGREP}tempfile-mktemp")),
    "file-permissions": ("CWE-732", (*_bandit(103), f"{_SEMGREP}world-writable-permissions")),
    "xml-parser": (
        "CWE-611",
        (
            *_bandit(*range(313, 321)),
            f"{_SEMGREP}xml-stdlib-parser",
            f"{_SEMGREP}xml-sax-external-entities",
            f"{_SEMGREP}lxml-external-entities",
        ),
    ),
    "assert-check": ("CWE-703", (*_bandit(101), f"{_SEMGREP}assert-access-control")),
    "syntax-error": (
        "",
        ("ruff:invalid-syntax", "ruff:syntax-error", "mypy:syntax", "gates:syntax-error"),
    ),
    "undefined-name": ("", ("ruff:F821", "mypy:name-defined")),
    "redefinition": ("", ("ruff:F811", "mypy:no-redef")),
    "bidi-control": (
        "CWE-451",
        ("gates:unicode-bidi-control", "bandit:B613", "ruff:PLE2502"),
    ),
    # agent-config re-reports the safety detectors' findings in files that steer AI agents
    "agent-hidden-unicode": (
        "CWE-451",
        ("gates:agent-hidden-unicode", *(f"gates:unicode-{kind}" for kind in _UNICODE_RULES)),
    ),
    "agent-injection": (
        "CWE-1427",
        ("gates:agent-injection", *(f"gates:{rule}" for rule in _INJECTION_RULES)),
    ),
}
# "tool:rule" -> the classes it is in (gates' unicode-bidi-control is in two).
CLASSES_OF: Mapping[str, frozenset[str]] = {
    key: frozenset(name for name, (_, keys) in ISSUE_CLASSES.items() if key in keys)
    for _, keys in ISSUE_CLASSES.values()
    for key in keys
}
# gates' own rules outside every class, with the CWE that lets another tool's rule match them.
GATES_RULE_CWES: Mapping[str, str] = {
    "gates:dynamic-import": "CWE-470",
    "gates:unbounded-loop": "CWE-835",
    **{f"gates:pii-{kind}": "CWE-359" for kind in ("email", "phone", "ssn", "card-number", "iban")},
}
_CWE = re.compile(r"CWE-\d+", re.IGNORECASE)
_BANDIT_PORT = re.compile(r"^S(\d{3})$")


def _key(finding: Finding) -> str:
    return f"{finding.tool}:{finding.rule}"


def issue_classes(finding: Finding) -> frozenset[str]:
    """The finding's classes in the table; a bandit rule outside it is a class of its own,
    which ruff's port of that rule shares."""
    key = _key(finding)
    if key in CLASSES_OF:
        return CLASSES_OF[key]
    if finding.tool == "bandit" and re.fullmatch(r"B\d{3}", finding.rule):
        return frozenset({f"bandit:{finding.rule}"})
    port = _BANDIT_PORT.match(finding.rule) if finding.tool == "ruff" else None
    return frozenset({f"bandit:B{port.group(1)}"}) if port else frozenset()


def _cwes(finding: Finding) -> frozenset[str]:
    """A table entry's CWE is its classes'; anything else's is what its tool said."""
    names = CLASSES_OF.get(_key(finding))
    if names is not None:
        return frozenset(ISSUE_CLASSES[name][0] for name in names) - {""}
    own = GATES_RULE_CWES.get(_key(finding))
    if own is not None:
        return frozenset({own})
    said = finding.extra.get("cwe") if finding.extra else None
    return frozenset(c.upper() for c in _CWE.findall(said)) if said else frozenset()


def _overlap(a: Finding, b: Finding) -> bool:
    if a.path != b.path or not a.path or a.line is None or b.line is None:
        return False
    return a.line <= (b.end_line or b.line) and b.line <= (a.end_line or a.line)


def _mergeable(finding: Finding) -> bool:
    """Only findings at a line that name an issue (table entry or CWE) can have duplicates."""
    if not finding.path or finding.line is None:
        return False
    return bool(issue_classes(finding)) or bool(_cwes(finding))


def same_issue(a: Finding, b: Finding) -> bool:
    """Different tools (or two gates of one tool), same place, same issue: table first, CWE
    otherwise. Two gates of one tool match by the table only: gates' checks sit side by side
    on one line without being one problem (a secret in a line that also evals)."""
    if _source(a) == _source(b) or not _overlap(a, b):
        return False
    classes_a, classes_b = issue_classes(a), issue_classes(b)
    if a.tool == b.tool or (classes_a and classes_b):
        return bool(classes_a & classes_b)
    return bool(_cwes(a) & _cwes(b))


def _source(finding: Finding) -> tuple[str, str]:
    """What reported it: the tool, and for gates' own checks the gate."""
    return (finding.tool, finding.gate)


def merge_duplicates(results: Sequence[GateResult]) -> tuple[GateResult, ...]:
    """The gate results with cross-tool duplicates merged into one finding each."""
    entries = [
        (gate_index, index, finding, result.fail_on)
        for gate_index, result in enumerate(results)
        for index, finding in enumerate(result.findings)
        if _mergeable(finding)
    ]
    by_path: dict[str, list[tuple[int, int, Finding, str]]] = {}
    for entry in sorted(entries, key=lambda e: _rank(e[2], e[3], e[0])):
        by_path.setdefault(entry[2].path, []).append(entry)
    absorbed: set[tuple[int, int]] = set()
    also: dict[tuple[int, int], list[Finding]] = {}
    for ranked in by_path.values():
        _merge_file(ranked, absorbed, also)
    if not absorbed:
        return tuple(results)
    return tuple(
        _rebuild(gate_index, result, absorbed, also) for gate_index, result in enumerate(results)
    )


def _merge_file(
    ranked: Sequence[tuple[int, int, Finding, str]],
    absorbed: set[tuple[int, int]],
    also: dict[tuple[int, int], list[Finding]],
) -> None:
    """Within one file, let each finding (best first) absorb one same-issue finding per tool."""
    by_line = _by_line(ranked)
    for at, (gate_index, index, kept, _) in enumerate(ranked):
        if (gate_index, index) in absorbed:
            continue
        sources = {_source(kept)}
        for later in _lower_ranked_on_its_lines(by_line, kept, at):
            other_gate, other_index, other, _ = ranked[later]
            position = (other_gate, other_index)
            if position in absorbed or _source(other) in sources:
                continue
            if same_issue(kept, other):
                absorbed.add(position)
                sources.add(_source(other))
                also.setdefault((gate_index, index), []).append(other)


def _lines(finding: Finding) -> range:
    first = finding.line or 0
    return range(first, max(first, finding.end_line or first) + 1)


def _by_line(ranked: Sequence[tuple[int, int, Finding, str]]) -> dict[int, list[int]]:
    """Line -> the ranks of the findings covering it: a finding is compared with the findings
    it overlaps, not with every finding of its file (thousands in a big generated file)."""
    by_line: dict[int, list[int]] = {}
    for at, entry in enumerate(ranked):
        for line in _lines(entry[2]):
            by_line.setdefault(line, []).append(at)
    return by_line


def _lower_ranked_on_its_lines(
    by_line: Mapping[int, list[int]], kept: Finding, at: int
) -> list[int]:
    """The ranks after `at` of the findings that share a line with `kept`, best first."""
    return sorted({other for line in _lines(kept) for other in by_line.get(line, ()) if other > at})


def _rank(finding: Finding, fail_on: str, gate_index: int) -> tuple[int, int, int, int]:
    return (
        0 if finding.blocks(fail_on) else 1,
        0 if finding.suppressed is None else 1,
        -finding.severity.rank,
        gate_index,
    )


def _rebuild(
    gate_index: int,
    result: GateResult,
    absorbed: set[tuple[int, int]],
    also: Mapping[tuple[int, int], list[Finding]],
) -> GateResult:
    findings: list[Finding] = []
    lost = 0
    for index, finding in enumerate(result.findings):
        if (gate_index, index) in absorbed:
            lost += 1
            continue
        others = also.get((gate_index, index))
        if others:
            finding = _absorbing(finding, others)
        findings.append(finding)
    if not lost and not any(g == gate_index for g, _ in also):
        return result
    status = result.status
    if status in (Status.PASS, Status.FAIL):
        status = decide_status(tuple(findings), result.fail_on)
    metrics = dict(result.metrics)
    if lost:
        metrics[DUPLICATES_MERGED] = lost
    return replace(result, findings=tuple(findings), status=status, metrics=metrics)


def _absorbing(kept: Finding, others: Sequence[Finding]) -> Finding:
    """The kept finding naming the others' tools and rules, at the worst severity any tool
    gives it (the problem is as bad as the worst claim). A suppressed claim does not count:
    someone reviewed it, and merging must not make a finding block that blocked nowhere."""
    names = [kept.extra.get("also_reported_by", ""), *(_key(o) for o in others)]
    joined = ", ".join(filter(None, names))
    standing = [kept, *(o for o in others if o.suppressed is None)]
    worst = max(standing, key=lambda f: f.severity.rank).severity
    return kept.replace(severity=worst, extra={**kept.extra, "also_reported_by": joined})
