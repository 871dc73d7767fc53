"""Print every measured detector's precision and recall on its labelled corpus (tests/corpus).

.venv/bin/python bench/scorecard.py [--verbose] [--markdown] [--corpus PATH]

The safety detectors, the integrity checks and the supply-chain checks each have a folder of
labelled cases named after the gate; this scores them all with the same counting
(bench/corpus_harness.py). `--markdown` prints the table for docs/scorecard.md. `--corpus PATH`
scores another corpus root laid out the same way (bench/heldout: cases the detectors never saw).
"""

from __future__ import annotations

import sys
from pathlib import Path

from corpus_harness import Score, corpus_checks, measure

from gates.registry import REGISTRY

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"


def _stage(gate: str) -> str:
    found = REGISTRY.get(gate)
    return found.stage.value if found is not None else "?"


def _markdown(scores: list[Score]) -> None:
    print("| stage | detector | cases | precision | recall |")
    print("| --- | --- | ---: | ---: | ---: |")
    for s in scores:
        print(f"| {_stage(s.gate)} | `{s.gate}` | {s.cases} | {s.precision:.3f} | {s.recall:.3f} |")


def _plain(scores: list[Score], verbose: bool) -> None:
    header = ("stage", "detector", "cases", "TP", "FP", "FN", "precision", "recall")
    print("{:<10} {:<20} {:>5} {:>4} {:>4} {:>4} {:>9} {:>7}".format(*header))
    for s in scores:
        print(
            f"{_stage(s.gate):<10} {s.gate:<20} {s.cases:>5} {s.true_pos:>4} {s.false_pos:>4} "
            f"{s.false_neg:>4} {s.precision:>9.3f} {s.recall:>7.3f}"
        )
        if verbose:
            for miss in s.misses:
                print(f"    {miss}")


def _corpus(argv: list[str]) -> Path:
    """The corpus root: tests/corpus unless `--corpus PATH` names another."""
    if "--corpus" not in argv:
        return CORPUS
    at = argv.index("--corpus")
    if at + 1 >= len(argv):
        raise SystemExit("scorecard: --corpus needs a path")
    return Path(argv[at + 1])


def main(argv: list[str]) -> int:
    scores = measure(_corpus(argv), corpus_checks(REGISTRY))
    if "--markdown" in argv:
        _markdown(scores)
    else:
        _plain(scores, "--verbose" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
