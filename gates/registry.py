"""Every gate, in one dict. Adding a gate means adding one line here (checked by mypy)."""

from __future__ import annotations

from collections.abc import Mapping

from gates.checks.dangerous import DangerousCodeGate
from gates.checks.injection import PromptInjectionGate
from gates.gate import Gate
from gates.tools.ruff import RuffGate


def _gates() -> tuple[Gate, ...]:
    return (
        RuffGate(),
        DangerousCodeGate(),
        PromptInjectionGate(),
    )


REGISTRY: Mapping[str, Gate] = {gate.name: gate for gate in _gates()}
