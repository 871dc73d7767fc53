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
    known = _planned(_Gate("known"), *files)
    unknown = _planned(_Gate("unknown"), *files)
    parts = _planned(_Gate("parts", traits=GateTraits(runs_in_parts=True)), *files)
    own = _planned(_Gate("own", tool="gates"), *files)
    got = candidates(
        [known, unknown, parts, own], {"known": 1.0, "parts": 1.0, "own": 1.0}, tmp_path
    )
    sizes = {c.name: (c.python_bytes, c.scan_bytes) for c in got}
    assert sizes == {
        "known": (None, None),  # a recorded duration: its size changes nothing
        "unknown": (1000, None),  # Python only; the link and the missing file count 0
        "parts": (1000, None),  # whether it has two parts' worth
        "own": (None, 1500),  # gates' own check: every file it reads
    }
    assert [c.in_parts for c in got] == [False, False, True, False]


def test_nothing_is_measured_without_a_checkout() -> None:
    got = candidates([_planned(_Gate("unknown"), "a.py")], {}, None)
    assert (got[0].python_bytes, got[0].scan_bytes) == (None, None)
