"""Every gate, in one dict. Adding a gate means adding one line here (checked by mypy)."""

from __future__ import annotations

from collections.abc import Mapping

from gates.checks.agent_config import AgentConfigGate
from gates.checks.checks_weakened import ChecksWeakenedGate
from gates.checks.dangerous import DangerousCodeGate
from gates.checks.dependencies import DependenciesGate
from gates.checks.injection import PromptInjectionGate
from gates.checks.pii import PiiGate
from gates.checks.secrets import SecretsGate
from gates.checks.size import SizeGate
from gates.checks.test_integrity import TestIntegrityGate
from gates.checks.unicode import HiddenUnicodeGate
from gates.gate import Gate
from gates.tools.bandit import BanditGate
from gates.tools.benchmark import BenchmarkGate
from gates.tools.mypy import MypyGate
from gates.tools.pip_audit import AuditGate
from gates.tools.pytest_cov import CoverageGate
from gates.tools.ruff import RuffGate
from gates.tools.semgrep import SemgrepGate
from gates.tools.zizmor import WorkflowSecurityGate


def _gates() -> tuple[Gate, ...]:
    return (
        DangerousCodeGate(),
        PromptInjectionGate(),
        HiddenUnicodeGate(),
        SecretsGate(),
        PiiGate(),
        ChecksWeakenedGate(),
        TestIntegrityGate(),
        WorkflowSecurityGate(),
        AgentConfigGate(),
        BanditGate(),
        SemgrepGate(),
        AuditGate(),
        DependenciesGate(),
        RuffGate(),
        MypyGate(),
        CoverageGate(),
        BenchmarkGate(),
        SizeGate(),
    )


REGISTRY: Mapping[str, Gate] = {gate.name: gate for gate in _gates()}
