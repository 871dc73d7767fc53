"""Print per-detector precision and recall of the safety checks on the labelled corpus.

.venv/bin/python bench/safety_corpus.py [--verbose] [--files]

--files adds one line per corpus file under each detector, so a class of cases (a file such as
`classes-2026.toml`, or its held-out twin written after the fix) can be read on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

from corpus_harness import Score, load_cases, measure, score_case, text_checks

from gates.registry import REGISTRY

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "safety"
_ROW = "{:<26} {:>5} {:>4} {:>4} {:>4} {:>9} {:>7}"


def _row(label: str, s: Score) -> str:
    return _ROW.format(
        label,
        s.cases,
        s.true_pos,
        s.false_pos,
        s.false_neg,
        f"{s.precision:.3f}",
        f"{s.recall:.3f}",
    )


def _per_file(gate: str) -> list[tuple[str, Score]]:
    """The gate's score on each of its corpus files alone."""
    check = text_checks(REGISTRY)[gate]
    defaults = {key: option.default for key, option in check.options.items()}
    by_file: dict[str, Score] = {}
    for case in load_cases(CORPUS / gate, gate):
        score_case(case, check, defaults, by_file.setdefault(case.origin, Score(gate)))
    return sorted(by_file.items())


def main(argv: list[str]) -> int:
    scores = measure(CORPUS, text_checks(REGISTRY))
    print(_ROW.format("detector", "cases", "TP", "FP", "FN", "precision", "recall"))
    for s in scores:
        print(_row(s.gate, s))
        if "--files" in argv:
            for origin, part in _per_file(s.gate):
                print(_row(f"  {origin.removesuffix('.toml')[:24]}", part))
        if "--verbose" in argv:
            for miss in s.misses:
                print(f"    {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
