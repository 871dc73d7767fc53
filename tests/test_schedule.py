"""The schedule: tables of planned gates (as the plan measured them) and past durations ->
the order to start them in, and the cores each tool gets. Pure functions: no files, no clock."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from gates.schedule import (
    Candidate,
    cores_each,
    estimated_seconds,
    longest_first,
    needs_python_bytes,
)

MB = 1_000_000


def tool(name: str, budget: float = 60.0, **kw: object) -> Candidate:
    return Candidate(name, "tool", budget, **kw)  # type: ignore[arg-type]


def own(name: str, budget: float = 120.0, **kw: object) -> Candidate:
    return Candidate(name, "gates", budget, **kw)  # type: ignore[arg-type]


ORDERS: list[tuple[str, list[Candidate], Mapping[str, float], list[str]]] = [
    (
        "unknown gates by budget, biggest first; ties keep the plan's order",
        [tool("lint", 120), tool("types", 600), tool("tests", 1800), tool("b", 600)],
        {},
        ["tests", "types", "b", "lint"],
    ),
    (
        "known ones by their last duration, after every unknown one",
        [tool("lint", 120), tool("types", 600), tool("tests", 1800), tool("new", 60)],
        {"tests": 4.0, "lint": 9.0, "types": 2.0},
        ["new", "lint", "tests", "types"],
    ),
    (
        "a cost model estimates a first run from the Python it reads",
        [
            tool("heavy", cost_model=(0.5, 3.0), python_bytes=0),
            tool("light", cost_model=(0.1, 1.0), python_bytes=int(1.2 * MB)),
            tool("tests", 1800),
        ],
        {},
        ["tests", "light", "heavy"],
    ),
    (
        "a recorded duration beats the estimate",
        [
            tool("heavy", cost_model=(0.5, 3.0), python_bytes=0),
            tool("light", cost_model=(0.1, 1.0), python_bytes=int(1.2 * MB)),
        ],
        {"heavy": 9.0},
        ["heavy", "light"],
    ),
    (
        "a cost model without a size (not measured) is no estimate: by budget",
        [tool("modelled", 60, cost_model=(100.0, 0.0)), tool("big-budget", 600)],
        {},
        ["big-budget", "modelled"],
    ),
    (
        "gates' own checks are ordered like any tool",
        [tool("semgrep", 600), own("secrets")],
        {"secrets": 3.0, "semgrep": 1.0},
        ["secrets", "semgrep"],
    ),
    ("nothing planned", [], {}, []),
]


@pytest.mark.parametrize(
    ("candidates", "durations", "want"), [r[1:] for r in ORDERS], ids=[r[0] for r in ORDERS]
)
def test_longest_first(
    candidates: list[Candidate], durations: Mapping[str, float], want: list[str]
) -> None:
    assert [c.name for c in longest_first(candidates, durations)] == want


SIZES_NEEDED = [
    # (candidate, durations) -> whether the order depends on its Python's size
    (tool("known", cost_model=(0.1, 1.0)), {"known": 1.0}, False),
    (tool("unknown", cost_model=(0.1, 1.0)), {}, True),
    (tool("no-model"), {}, False),  # no estimate to make: it goes by its budget
]


@pytest.mark.parametrize(("candidate", "durations", "want"), SIZES_NEEDED)
def test_sizes_are_measured_only_when_the_order_needs_them(
    candidate: Candidate, durations: Mapping[str, float], want: bool
) -> None:
    assert needs_python_bytes(candidate, durations) is want


ESTIMATES = [
    ((0.1, 1.0), int(1.2 * MB), 1.3),
    ((10.0, 0.0), 50 * MB, 10.0),
    ((0.0, 2.0), 0, 0.0),
    (None, MB, None),
]


@pytest.mark.parametrize(("model", "size", "want"), ESTIMATES)
def test_estimated_seconds(
    model: tuple[float, float] | None, size: int, want: float | None
) -> None:
    got = estimated_seconds(model, size)
    assert got == (pytest.approx(want) if want is not None else None)


CORES = [
    # (tools, jobs, cpus) -> cores each tool gets
    (1, 8, 8, 8),  # alone, a tool may use the machine
    (4, 8, 8, 2),
    (4, 2, 8, 4),  # two slots share the machine
    (0, 2, 8, 8),  # only own checks: no tool to share with
    (8, 8, 2, 1),  # never less than one
]


@pytest.mark.parametrize(("tools", "jobs", "cpus", "want"), CORES)
def test_cores_each(tools: int, jobs: int, cpus: int, want: int) -> None:
    assert cores_each(tools, jobs, cpus) == want


def test_the_runner_knows_gates_only_by_their_contract() -> None:
    """Planning, ordering, executing and judging import no gate: a new gate is its module
    and a registry line, and nothing in the runner to change."""
    import subprocess
    import sys

    code = (
        "import sys, gates.plan, gates.schedule, gates.runner, gates.judge, gates.compare\n"
        "print(sorted(m for m in sys.modules if m.startswith(('gates.checks', 'gates.tools'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
