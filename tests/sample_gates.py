"""Text checks for tests that must be importable by name: worker processes unpickle them."""

from __future__ import annotations

import os
from collections.abc import Mapping

from gates.checks.base import Source, TextCheckGate
from gates.checks.redact import SensitiveCheckGate
from gates.model import Finding, Severity


class WhereScanned(TextCheckGate):
    """Reports, for each file, the id of the process that scanned it."""

    name = "where-scanned"

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        del options
        return [Finding(self.name, "gates", "pid", Severity.NOTE, source.path, str(os.getpid()))]


class CrashesOnNumbers(SensitiveCheckGate):
    """Fails with the file's text in the exception message, as a careless parser would."""

    name = "crashes-on-numbers"

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        del options
        return [Finding(self.name, "x", "x", Severity.NOTE, source.path, str(int(source.text)))]
