"""Headline metrics in the gate tables: percentages, the base beside them, no "None"."""

from __future__ import annotations

from gates.model import GateResult, Stage, Status
from gates.reporters.headline import headline_metrics


def test_percentages_with_base_and_without_missing_values() -> None:
    gate = GateResult(
        "coverage",
        Stage.QUALITY,
        Status.PASS,
        metrics={
            "total_coverage": 94.65,
            "total_coverage_base": 95.1,
            "diff_coverage": None,
            "tests_passed": 12,
            "cache_hit": True,
        },
    )
    assert headline_metrics(gate) == ["total 94.7% (base 95.1%)"]
