"""The plan's measurements for the schedule: sizes read from the checkout, only when the order
depends on them, never through a symlink."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from gates.config import GateConfig
from gates.gate import GateContext, GateOutcome, GateTraits, Option, Scope
from gates.model import Stage
from gates.plan import Planned, candidates


class _Gate:
    stage, scope, description = Stage.QUALITY, Scope.CHANGED, ""
    default_timeout_s, default_fail_on = 60.0, "error"
    options: ClassVar[dict[str, Option]] = {}

    def __init__(self, name: str, tool: str = "tool", traits: GateTraits | None = None) -> None:
        self.name, self.tool = name, tool
        self.traits = traits or GateTraits()

    def run(self, ctx: GateContext) -> GateOutcome:
        raise NotImplementedError


def _planned(gate: _Gate, *files: str) -> Planned:
    return Planned(gate, GateConfig(True, (), (), 60.0, "error", {}), files)  # type: ignore[arg-type]


def test_sizes_are_measured_when_the_order_needs_them(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x" * 1000)
    (tmp_path / "b.md").write_text("y" * 500)
    (tmp_path / "link.py").symlink_to(tmp_path / "a.py")
    files = ("a.py", "b.md", "link.py", "gone.py")
    modelled = GateTraits(cost_model=(0.1, 1.0))
    known = _planned(_Gate("known", traits=modelled), *files)
    unknown = _planned(_Gate("unknown", traits=modelled), *files)
    unmodelled = _planned(_Gate("unmodelled"), *files)
    got = candidates([known, unknown, unmodelled], {"known": 1.0}, tmp_path)
    assert {c.name: c.python_bytes for c in got} == {
        "known": None,  # a recorded duration: its size changes nothing
        "unknown": 1000,  # Python only; the link and the missing file count 0
        "unmodelled": None,  # no cost model: no estimate to make from a size
    }


def test_nothing_is_measured_without_a_checkout() -> None:
    modelled = GateTraits(cost_model=(0.1, 1.0))
    got = candidates([_planned(_Gate("unknown", traits=modelled), "a.py")], {}, None)
    assert got[0].python_bytes is None
