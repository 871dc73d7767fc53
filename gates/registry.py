"""Every gate, in one dict. Adding a gate means adding one line here (checked by mypy)."""

from __future__ import annotations

from collections.abc import Mapping

from gates.checks.size import SizeGate
from gates.gate import Gate
from gates.tools.mypy import MypyGate
from gates.tools.pytest_cov import CoverageGate
from gates.tools.ruff import RuffGate


def _gates() -> tuple[Gate, ...]:
    return (
        RuffGate(),
        MypyGate(),
        CoverageGate(),
        SizeGate(),
    )


REGISTRY: Mapping[str, Gate] = {gate.name: gate for gate in _gates()}
