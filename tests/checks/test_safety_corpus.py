"""Precision and recall floors per safety detector on the labelled corpus (tests/corpus/safety).

The figures are printed by `bench/safety_corpus.py`; here they may only go up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_harness import measure, text_checks

from gates.checks.base import TextCheckGate
from gates.model import Stage
from gates.registry import REGISTRY

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "safety"
MIN_PRECISION = 0.9
MIN_RECALL = 0.95
MIN_CASES = 20  # a detector measured on a handful of cases proves nothing

SCORES = {s.gate: s for s in measure(CORPUS, text_checks(REGISTRY))} if CORPUS.is_dir() else {}


@pytest.mark.parametrize("gate", sorted(SCORES))
def test_detector_meets_its_floor(gate: str) -> None:
    score = SCORES[gate]
    detail = "\n".join(score.misses)
    assert score.cases >= MIN_CASES, f"{gate}: only {score.cases} corpus cases"
    assert score.recall >= MIN_RECALL, f"{gate}: recall {score.recall:.3f}\n{detail}"
    assert score.precision >= MIN_PRECISION, f"{gate}: precision {score.precision:.3f}\n{detail}"


def test_every_text_check_has_a_corpus() -> None:
    assert set(text_checks(REGISTRY)) <= set(SCORES)


def test_only_safety_detectors_need_a_corpus() -> None:
    """A text check of another stage (say, a TODO counter in quality) is tested like any gate."""

    class TodoGate(TextCheckGate):
        name = "todo"
        stage = Stage.QUALITY

    class Leak(TextCheckGate):
        name = "leak"

    found = text_checks({"todo": TodoGate(), "leak": Leak()})
    assert list(found) == ["leak"]
