"""The order to start gates in, and the cores each tool may use: pure functions of what the
plan measured (gates.plan.candidates) and of how long each gate took last time.

Nothing here reads a file or the clock, so the schedule is tested on tables of inputs and
expected orders (tests/test_schedule.py). Longest first (the critical path), so the short
gates pack around the long ones. A gate's last duration on this repository is the best
estimate; before it has one, a gate with a `cost_model` trait is estimated from the Python it
will read; a gate that cannot be estimated (a test suite's time is its tests', not its files')
goes before every estimated one, by its default budget: an unknown gate may be the longest,
and a short one started last costs little.

Each rule here pays for itself on a bench project: switched off, a cold run takes at least 3 %
longer (bench/heuristics.py; the figures are in docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gates.gate import CostModel

# A gate whose tool is gates itself computes in this process, on one core at most (the GIL).
IN_PROCESS_TOOL = "gates"


@dataclass(frozen=True)
class Candidate:
    """What the schedule knows of one planned gate. Its size is measured only when the order
    needs it (see `needs_python_bytes`); None means not measured."""

    name: str
    tool: str
    budget_s: float  # the gate's default timeout: the worst case when nothing else is known
    cost_model: CostModel | None = None
    python_bytes: int | None = None  # bytes of Python among its files

    @property
    def in_process(self) -> bool:
        return self.tool == IN_PROCESS_TOOL


def needs_python_bytes(candidate: Candidate, durations: Mapping[str, float]) -> bool:
    """Whether the order depends on the Python this gate reads: it has a cost model and no
    recorded duration, so its estimate is made from its size."""
    return candidate.cost_model is not None and candidate.name not in durations


def estimated_seconds(cost_model: CostModel | None, python_bytes: int) -> float | None:
    """A first run's guess: seconds to start plus seconds per MB of Python in scope."""
    if cost_model is None:
        return None
    start, per_mb = cost_model
    return float(start) + float(per_mb) * python_bytes / 1e6


def _sort_key(candidate: Candidate, durations: Mapping[str, float]) -> tuple[int, float]:
    known = durations.get(candidate.name)
    if known is None and candidate.python_bytes is not None:
        known = estimated_seconds(candidate.cost_model, candidate.python_bytes)
    if known is None:
        return (0, -candidate.budget_s)
    return (1, -known)


def longest_first(
    candidates: Sequence[Candidate], durations: Mapping[str, float]
) -> list[Candidate]:
    """A stable sort, so gates that tie keep the plan's (stage) order."""
    return sorted(candidates, key=lambda c: _sort_key(c, durations))


def cores_each(tools: int, jobs: int, cpus: int) -> int:
    """The cores a tool gets when the tool slots share the machine evenly: a tool that runs
    its own parallel workers (semgrep -j) beside other tools wastes CPU when they wait on each
    other for cores the others hold. Alone, or with few tools, it gets more."""
    return max(1, cpus // max(1, min(jobs, tools)))
