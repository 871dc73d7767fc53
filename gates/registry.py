"""Every gate, in one dict. Adding a gate means adding one line here (checked by mypy)."""

from __future__ import annotations

from collections.abc import Mapping

from gates.gate import Gate
from gates.tools.bandit import BanditGate
from gates.tools.pip_audit import AuditGate
from gates.tools.ruff import RuffGate
from gates.tools.semgrep import SemgrepGate


def _gates() -> tuple[Gate, ...]:
    return (RuffGate(), BanditGate(), SemgrepGate(), AuditGate())


REGISTRY: Mapping[str, Gate] = {gate.name: gate for gate in _gates()}
