"""A crash in a gate that reads secrets names the exception's type, never its text."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from gates.checks.base import Source
from gates.checks.redact import SensitiveCheckGate, withholding_details
from gates.gate import GateContext, GateError, GateOutcome
from gates.model import Finding

CARD = "4111111111111111"


class _Crashes(SensitiveCheckGate):
    name = "crashes"

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        return [int(source.text + "x")]  # type: ignore[list-item]  # ValueError quoting the text


def test_a_sensitive_check_that_crashes_withholds_what_it_read(tmp_path: Path) -> None:
    (tmp_path / "card.txt").write_text(CARD)
    ctx = GateContext(
        name="crashes",
        root=tmp_path,
        diff=None,  # type: ignore[arg-type]  # a text check's run() never reads the diff
        files=("card.txt",),
        options={},
        python="python",
        scratch=tmp_path,
        timeout_s=60,
        env={},
    )

    with pytest.raises(GateError) as raised:
        _Crashes().run(ctx)

    assert (
        str(raised.value)
        == "crashes crashed (ValueError); details withheld, they may hold a secret"
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_gate_error_passes_through_unchanged() -> None:
    def fails() -> GateOutcome:
        raise GateError("tool missing")

    with pytest.raises(GateError, match=r"^tool missing$"):
        withholding_details("g", fails)
