"""Findings and results: copies, thresholds and counts every reporter relies on."""

from __future__ import annotations

import copy as copy_module
import dataclasses

import pytest

from gates.model import Finding, GateResult, Severity, Stage, Status, Suppression


def _finding(severity: Severity = Severity.WARNING, **changes: object) -> Finding:
    base = Finding("g", "tool", "R1", severity, "a.py", "msg", line=3, extra={"k": "v"})
    return base.replace(**changes)


def test_replace_is_dataclasses_replace() -> None:
    original = _finding()
    copy = original.replace(new=True, line=9, fingerprint="f" * 16)
    assert copy == dataclasses.replace(original, new=True, line=9, fingerprint="f" * 16)
    assert hash(copy) == hash(dataclasses.replace(original, new=True, line=9, fingerprint="f" * 16))
    assert (original.new, original.line, original.fingerprint) == (None, 3, "")
    assert copy_module.deepcopy(copy) == copy  # the reduce protocol workers' results go through
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.line = 1  # type: ignore[misc]


def test_replace_refuses_a_field_that_does_not_exist() -> None:
    with pytest.raises(TypeError, match="no field lnie"):
        _finding().replace(lnie=1)


@pytest.mark.parametrize(
    ("severity", "fail_on", "blocks"),
    [
        (Severity.NOTE, "note", True),
        (Severity.NOTE, "warning", False),
        (Severity.WARNING, "warning", True),
        (Severity.WARNING, "error", False),
        (Severity.ERROR, "error", True),
        (Severity.ERROR, "never", False),
    ],
)
def test_a_new_finding_blocks_at_or_above_the_threshold(
    severity: Severity, fail_on: str, blocks: bool
) -> None:
    assert _finding(severity, new=True).blocks(fail_on) is blocks


def test_old_or_suppressed_findings_never_block_and_bad_thresholds_are_refused() -> None:
    assert not _finding(Severity.ERROR, new=False).blocks("note")
    assert not _finding(Severity.ERROR, new=True, suppressed=Suppression("inline")).blocks("note")
    with pytest.raises(ValueError, match="'fatal'"):
        _finding(Severity.ERROR, new=True).blocks("fatal")


def test_counts_of_a_result() -> None:
    findings = (
        _finding(Severity.ERROR, new=True),
        _finding(Severity.NOTE, new=True),
        _finding(Severity.ERROR, new=False),
        _finding(Severity.ERROR, new=True, suppressed=Suppression("baseline")),
    )
    result = GateResult("g", Stage.QUALITY, Status.FAIL, findings=findings, fail_on="warning")
    assert (result.new_count, result.blocking_count) == (2, 1)
    assert dataclasses.replace(result, fail_on="note").blocking_count == 2
