"""The order to start gates in, and the cores each tool may use: pure functions of what the
plan measured (gates.plan.candidates) and of how long each gate took last time.

Nothing here reads a file or the clock, so the schedule is tested on tables of inputs and
expected orders (tests/test_schedule.py). The rules, in the order they apply:

1. Longest first (the critical path), so the short gates pack around the long ones. A gate's
   last duration on this repository is the best estimate; before it has one, a gate with a
   `cost_model` trait is estimated from the Python it will read; a gate that cannot be
   estimated (a test suite's time is its tests', not its files') goes before every estimated
   one, by its default budget: an unknown gate may be the longest, and a short one started
   last costs little.
2. A gate that runs in parts goes last whatever its length, when it has at least two parts'
   worth to read: its parts fill the cores the others leave at the end. With less it is one
   part, a tool like any other, and keeps its place by rule 1.
3. gates' own in-process checks go before every tool when they have so much to read that they
   spread over worker processes on every core: alone, the tools then have the machine to
   themselves afterwards. Otherwise they keep their place by rules 1 and 2: beside the tools,
   an in-process thread is one more busy process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gates.cores import MIN_PART_BYTES, POOL_MIN_BYTES
from gates.gate import CostModel

# A gate whose tool is gates itself computes in this process, on one core at most (the GIL).
IN_PROCESS_TOOL = "gates"


@dataclass(frozen=True)
class Candidate:
    """What the schedule knows of one planned gate. Sizes are measured only when an answer
    needs them (see `needs_python_bytes`); None means not measured."""

    name: str
    tool: str
    budget_s: float  # the gate's default timeout: the worst case when nothing else is known
    cost_model: CostModel | None = None
    in_parts: bool = False
    python_bytes: int | None = None  # bytes of Python among its files
    scan_bytes: int | None = None  # bytes of all its files, for gates' own checks only

    @property
    def in_process(self) -> bool:
        return self.tool == IN_PROCESS_TOOL


def needs_python_bytes(candidate: Candidate, durations: Mapping[str, float]) -> bool:
    """Whether the order depends on the Python this gate reads: it runs in parts (rule 2), or
    it has no recorded duration and its estimate would be made from its size (rule 1)."""
    return candidate.in_parts or candidate.name not in durations


def estimated_seconds(cost_model: CostModel | None, python_bytes: int) -> float | None:
    """A first run's guess: seconds to start plus seconds per MB of Python in scope."""
    if cost_model is None:
        return None
    start, per_mb = cost_model
    return float(start) + float(per_mb) * python_bytes / 1e6


def _sort_key(candidate: Candidate, durations: Mapping[str, float]) -> tuple[bool, int, float]:
    size = candidate.python_bytes
    last = candidate.in_parts and (size is None or size >= 2 * MIN_PART_BYTES)
    known = durations.get(candidate.name)
    if known is None and size is not None:
        known = estimated_seconds(candidate.cost_model, size)
    if known is None:
        return (last, 0, -candidate.budget_s)
    return (last, 1, -known)


def longest_first(
    candidates: Sequence[Candidate], durations: Mapping[str, float]
) -> list[Candidate]:
    """Rules 1 and 2; a stable sort, so gates that tie keep the plan's (stage) order."""
    return sorted(candidates, key=lambda c: _sort_key(c, durations))


def own_work_is_big(candidates: Sequence[Candidate]) -> bool:
    """Whether one of gates' own checks will spread its files over worker processes."""
    return any(
        c.in_process and c.scan_bytes is not None and c.scan_bytes >= POOL_MIN_BYTES
        for c in candidates
    )


def own_work_first(order: Sequence[Candidate]) -> list[Candidate]:
    """Rule 3's order: gates' own checks, then the tools, each group in its given order."""
    return [*(c for c in order if c.in_process), *(c for c in order if not c.in_process)]


def start_order(candidates: Sequence[Candidate], durations: Mapping[str, float]) -> list[Candidate]:
    """The order to start gates in: rules 1 to 3."""
    order = longest_first(candidates, durations)
    return own_work_first(order) if own_work_is_big(order) else order


def cores_each(tools: int, jobs: int, cpus: int) -> int:
    """The cores a tool gets when the tool slots share the machine evenly: a tool that runs
    its own parallel workers (semgrep -j) beside other tools wastes CPU when they wait on each
    other for cores the others hold. Alone, or with few tools, it gets more."""
    return max(1, cpus // max(1, min(jobs, tools)))
