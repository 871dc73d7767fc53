"""Precision and recall floors for every corpus outside the safety stage (integrity,
supply chain, agent instructions), and the corpus format for change checks.

The safety detectors have their own floors in test_safety_corpus.py; the figures of all are
printed by `bench/scorecard.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from corpus_harness import corpus_checks, corpus_folders, measure

from gates.checks.changes import ChangeCheckGate, FileChange
from gates.model import Finding, Severity
from gates.registry import REGISTRY

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MIN_PRECISION = 0.9
MIN_RECALL = 0.95
MIN_CASES = 60  # at least 30 positives and 30 look-alikes (checked below)
MIN_EACH = 30

FOLDERS = [f for f in corpus_folders(CORPUS) if "safety" not in f.relative_to(CORPUS).parts]
SCORES = {s.gate: s for s in measure(CORPUS, corpus_checks(REGISTRY))}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_corpus_meets_its_floor(folder: Path) -> None:
    score = SCORES[folder.name]
    detail = "\n".join(score.misses)
    assert score.cases >= MIN_CASES, f"{folder.name}: only {score.cases} cases"
    assert score.recall >= MIN_RECALL, f"{folder.name}: recall {score.recall:.3f}\n{detail}"
    assert score.precision >= MIN_PRECISION, (
        f"{folder.name}: precision {score.precision:.3f}\n{detail}"
    )


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_corpus_has_positives_and_look_alikes(folder: Path) -> None:
    from corpus_harness import load_cases

    cases = list(load_cases(folder, folder.name))
    positives = sum(1 for c in cases if c.expect)
    assert positives >= MIN_EACH, f"{folder.name}: {positives} positives"
    assert len(cases) - positives >= MIN_EACH, f"{folder.name}: {len(cases) - positives} negatives"


class _RemovedFiles(ChangeCheckGate):
    """A toy change check: one finding per file the PR deleted."""

    name = "removed-files"

    def scan_changes(
        self, changes: Sequence[FileChange], options: Mapping[str, object]
    ) -> list[Finding]:
        return [
            Finding(self.name, "gates", "file-removed", Severity.WARNING, c.path, "removed")
            for c in changes
            if c.deleted
        ]


def test_change_cases_are_scored_on_both_sides(tmp_path: Path) -> None:
    folder = tmp_path / "removed-files"
    folder.mkdir()
    (folder / "cases.toml").write_text(
        """
[[case]]
name = "deleted"
expect = ["file-removed"]
[[case.file]]
path = "a.py"
base = "x = 1"

[[case]]
name = "edited, not deleted"
expect = ["file-removed"]
[[case.file]]
path = "b.py"
base = "x = 1"
head = "x = 2"

[[case]]
name = "added"
expect = []
[[case.file]]
path = "c.py"
head = "x = 1"
""",
        encoding="utf-8",
    )
    (score,) = measure(tmp_path, {"removed-files": _RemovedFiles()})
    assert (score.cases, score.true_pos, score.false_neg, score.false_pos) == (3, 1, 1, 0)
