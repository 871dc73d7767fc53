"""The pii gate: validation of each kind, masking, and the never-leak rule end to end.

Fake values are joined from pieces at run time, so this file holds none itself.
"""

from __future__ import annotations

import pytest
from conftest import Repo
from safety_e2e import run_safety

from gates.checks.base import Source
from gates.checks.pii import DEFAULT_ALLOWED_DOMAINS, PiiGate, card_issuer, iban_valid, luhn_valid
from gates.sources import snippet_hash

SSN = "-".join(("512", "48", "7731"))
CARD = " ".join(("4526", "0181", "5908", "3012"))
IBAN = "DE29" + "797114710497465075"
EMAIL = "jane.doe" + "@" + "acme-corp.io"
PHONE = "(212) " + "736-4821"

GATE = PiiGate()
OPTIONS = {"allowed_domains": list(DEFAULT_ALLOWED_DOMAINS)}


def rules(text: str, path: str = "data.txt", options: dict[str, object] | None = None) -> list[str]:
    return [f.rule for f in GATE.scan(Source(path, text), options or OPTIONS)]


def test_each_kind_found_and_masked() -> None:
    text = f"{SSN}\n{CARD}\n{IBAN}\n{EMAIL}\n{PHONE}\n"
    findings = GATE.scan(Source("people.txt", text), OPTIONS)
    assert [(f.rule, f.line) for f in findings] == [
        ("pii-card-number", 2),
        ("pii-iban", 3),
        ("pii-ssn", 1),
        ("pii-email", 4),
        ("pii-phone", 5),
    ]
    for finding, raw in zip(findings, (CARD, IBAN, SSN, EMAIL, PHONE), strict=True):
        assert raw not in finding.message
        digits = "".join(c for c in raw if c.isalnum())
        assert digits[-6:] not in finding.message.replace(" ", "")
    assert "j***@a***.io" in findings[3].message


def test_snippet_hash_is_of_the_masked_line_not_the_raw_one() -> None:
    [finding] = GATE.scan(Source("a.txt", f"{SSN}\n"), OPTIONS)
    assert finding.snippet_hash
    assert finding.snippet_hash != snippet_hash((SSN,), 1, 1)


def test_luhn_and_issuer_both_required() -> None:
    digits = CARD.replace(" ", "")
    assert luhn_valid(digits) and card_issuer(digits) == "Visa"
    assert not luhn_valid("4526018159083013")
    assert card_issuer("1234567890123452") is None
    assert rules("4526 0181 5908 3013\n") == []
    assert rules("1234 5678 9012 3452\n") == []


def test_iban_checksum_and_length() -> None:
    assert iban_valid(IBAN)
    assert not iban_valid(IBAN[:-1] + "6")
    assert not iban_valid(IBAN[:-1])
    assert rules(IBAN[:-1] + "6\n") == []


@pytest.mark.parametrize("bad", ["000-12-3456", "666-12-3456", "912-34-5678", "512-00-7731"])
def test_invalid_ssn_ranges_stay_quiet(bad: str) -> None:
    assert rules(f"{bad}\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "version 10.15.3 released 2024-01-15",
        "host 192.168.100.200:8080",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "ts 1700000000123",
        "(415) 555-0132",
        "ISBN 978-3-16-148410-0",
    ],
)
def test_look_alikes_stay_quiet(text: str) -> None:
    assert rules(text + "\n") == []


def test_allowed_domains_option() -> None:
    assert rules("ops@example.com a@b.test x@sub.example.org\n") == []
    assert rules(f"{EMAIL}\n") == ["pii-email"]
    assert rules(f"{EMAIL}\n", options={"allowed_domains": ["acme-corp.io"]}) == []


def test_ssn_end_to_end_masked_everywhere(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.gates]\nstages = ["safety"]\n')
    repo.write("people.csv", "name,ssn\n")
    base = repo.commit("base")
    repo.write("people.csv", f"name,ssn\nJ. Roe,{SSN}\nA. Poe,{CARD}\n")
    repo.write(
        "ok.md", f"<!-- gates: ignore[pii-email] the maintainer's public address -->\n{EMAIL}\n"
    )
    repo.commit("pr")
    run = run_safety(repo.path, base)
    assert run.returncode == 1, run.stdout + run.stderr
    found = {(f["path"], f["rule"]): f for f in run.findings("pii")}
    ssn = found[("people.csv", "pii-ssn")]
    assert (ssn["line"], ssn["column"], ssn["new"]) == (2, 8, True)
    assert found[("people.csv", "pii-card-number")]["line"] == 3
    assert found[("ok.md", "pii-email")]["suppressed"]["kind"] == "inline"
    for raw in (SSN, CARD, CARD.replace(" ", ""), EMAIL):
        assert run.leaks(raw) == [], raw


@pytest.mark.parametrize(
    "text",
    [
        "+4 876 " + "5491",  # eight digits: the fewest a reported number has
        "Téléphone : +33 6 12 " + "34 56 78",  # a line that is not ASCII counts digits per char
        "tel +33 \uff16 12 34 " + "56 78",  # ... including another script's digit
    ],
)
def test_numbers_with_the_fewest_digits_are_still_read(text: str) -> None:
    # lines with fewer digits than any number rule needs skip those rules' searches
    assert rules(text + "\n") == ["pii-phone"]
