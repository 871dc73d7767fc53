"""Fake secrets and personal data that tests plant in repositories.

They are format-valid (checksums included) so the detectors fire, and random, so they match
nothing real. The leak guard in conftest.py fails any test whose outputs (subprocess output,
report files, job summaries, requests to the fake GitHub API) contain one of them in full.
This file is excluded from the project's own safety gates (pyproject.toml).
"""

from __future__ import annotations

AWS_ACCESS_KEY_ID = "AKIAZQ4V7NWL2XJ5HR3M"
AWS_SECRET_ACCESS_KEY = "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"
GITHUB_TOKEN = "ghp_R8kq2LmX7vN4bT9wZ3pY6sD1fH5jC0gE2uA7"
US_SSN = "512-38-4170"
CARD_NUMBER = "4539 5780 1234 5671"  # Visa prefix, Luhn-valid
IBAN = "DE89370400440532013000"  # the checksum-valid example of the IBAN registry
EMAIL = "jane.roe@acme-payroll.io"

ALL: tuple[str, ...] = (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    GITHUB_TOKEN,
    US_SSN,
    CARD_NUMBER,
    IBAN,
    EMAIL,
)
