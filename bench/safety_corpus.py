"""Print per-detector precision and recall of the safety checks on the labelled corpus.

.venv/bin/python bench/safety_corpus.py [--verbose]
"""

from __future__ import annotations

import sys
from pathlib import Path

from gates.checks.corpus import measure, text_checks
from gates.registry import REGISTRY

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "safety"


def main(argv: list[str]) -> int:
    scores = measure(CORPUS, text_checks(REGISTRY))
    header = ("detector", "cases", "TP", "FP", "FN", "precision", "recall")
    print("{:<18} {:>5} {:>4} {:>4} {:>4} {:>9} {:>7}".format(*header))
    for s in scores:
        print(
            f"{s.gate:<18} {s.cases:>5} {s.true_pos:>4} {s.false_pos:>4} {s.false_neg:>4} "
            f"{s.precision:>9.3f} {s.recall:>7.3f}"
        )
        if "--verbose" in argv:
            for miss in s.misses:
                print(f"    {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
