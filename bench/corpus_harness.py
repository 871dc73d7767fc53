"""Measure a check's precision and recall on a labelled corpus.

Corpus files are TOML, one folder per gate: `tests/corpus/safety/<gate>/*.toml`, each holding

    [[case]]
    name = "AWS key in an assignment"      # what the case is about
    path = "settings.py"                   # the file name the text is scanned as
    text = '''AWS_KEY = "AKIA..."'''       # the file's content
    expect = ["secret-aws-access-key"]     # rule ids that must be reported; [] for a look-alike
                                           # negative. "rule-id:LINE" also pins the line.

A check that judges a change (`gates.checks.changes.ChangeCheckGate`) is measured on PR diffs
instead: a case lists the touched files with their text on both sides,

    [[case]]
    name = "a failing test deleted"
    expect = ["test-removed"]
    [[case.file]]
    path = "tests/test_api.py"
    base = '''def test_a(): ...'''               # omitted when the PR adds the file
    head = ''''''                                # omitted when the PR deletes it
    base_path = "tests/old_name.py"          # only for a rename

Folders may sit at any depth under a corpus root (`tests/corpus/integrity/test-integrity/`);
the folder's name is the gate's.

A reported rule id that is not expected is a false positive; an expected one that is not
reported is a false negative. Counting is per (case, expectation), so one case may expect
several findings.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gates.checks.base import Source, TextCheckGate
from gates.checks.changes import ChangeCheckGate, FileChange
from gates.model import Finding, Stage

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Case:
    gate: str
    name: str
    path: str
    text: str
    expect: tuple[str, ...]
    origin: str  # corpus file, for messages
    options: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[FileChange, ...] = ()  # a change check's case: the PR's touched files


Check = TextCheckGate | ChangeCheckGate


@dataclass
class Score:
    gate: str
    cases: int = 0
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    misses: list[str] = field(default_factory=list)  # one line per wrong case, for reports

    @property
    def precision(self) -> float:
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pos + self.false_neg
        return self.true_pos / wanted if wanted else 1.0


def load_cases(folder: Path, gate: str) -> Iterator[Case]:
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("case", []):
            yield Case(
                gate=gate,
                name=str(raw["name"]),
                path=str(raw.get("path", "file.txt")),
                text=str(raw.get("text", "")),
                expect=tuple(str(e) for e in raw.get("expect", [])),
                origin=path.name,
                options=dict(raw.get("options", {})),
                files=tuple(_file_change(f) for f in raw.get("file", [])),
            )


def _file_change(raw: Mapping[str, Any]) -> FileChange:
    base, head = raw.get("base"), raw.get("head")
    return FileChange(
        path=str(raw["path"]),
        base=None if base is None else str(base),
        head=None if head is None else str(head),
        base_path=raw.get("base_path"),
    )


def _labels(findings: list[Finding], pinned: bool) -> list[str]:
    return [f"{f.rule}:{f.line}" if pinned else f.rule for f in findings]


def _findings(case: Case, check: Check, options: Mapping[str, Any]) -> list[Finding]:
    if isinstance(check, ChangeCheckGate):
        return check.scan_changes(case.files, options)
    return check.scan(Source(case.path, case.text), options)


def score_case(case: Case, check: Check, defaults: Mapping[str, Any], score: Score) -> None:
    options = {**defaults, **case.options}
    findings = _findings(case, check, options)
    pinned = any(":" in e for e in case.expect)
    got = _labels(findings, pinned)
    remaining = list(got)
    for want in case.expect:
        if want in remaining:
            remaining.remove(want)
            score.true_pos += 1
        else:
            score.false_neg += 1
            score.misses.append(f"{case.origin}: {case.name!r}: missed {want}")
    # Extra findings of an expected rule (two hits on one planted line) are not noise.
    extra = [label for label in remaining if label not in case.expect]
    score.false_pos += len(extra)
    score.misses.extend(f"{case.origin}: {case.name!r}: unexpected {label}" for label in extra)
    score.cases += 1


def measure(corpus_root: Path, checks: Mapping[str, Check]) -> list[Score]:
    """One score per gate folder under `corpus_root` that names a known check."""
    scores = []
    for folder in corpus_folders(corpus_root):
        check = checks.get(folder.name)
        if check is None:
            raise ValueError(f"corpus folder {folder.name!r} names no check")
        defaults = {key: option.default for key, option in check.options.items()}
        score = Score(folder.name)
        for case in load_cases(folder, folder.name):
            score_case(case, check, defaults, score)
        scores.append(score)
    return scores


def corpus_folders(corpus_root: Path) -> list[Path]:
    """Every folder that holds cases (`*.toml`), at any depth, in a stable order."""
    return sorted({path.parent for path in corpus_root.rglob("*.toml")})


def corpus_checks(registry: Mapping[str, object]) -> dict[str, Check]:
    """Every gate a labelled corpus can measure: text checks and change checks of any stage."""
    return {
        name: gate
        for name, gate in registry.items()
        if isinstance(gate, (TextCheckGate, ChangeCheckGate))
    }


def text_checks(registry: Mapping[str, object]) -> dict[str, TextCheckGate]:
    """The detectors held to a labelled corpus: the safety stage's text checks. A text check
    of another stage (a TODO counter, a licence header) is tested like any gate."""
    return {
        name: gate
        for name, gate in registry.items()
        if isinstance(gate, TextCheckGate) and gate.stage is Stage.SAFETY
    }
