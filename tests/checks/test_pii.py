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


def _luhn_complete(body: str) -> str:
    """`body` with the check digit that makes it pass Luhn (computed, so no card sits here)."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def _registry_iban(country: str, bban_format: str) -> str:
    """An IBAN of `country` with an account part of the registry's format and valid check digits."""
    import re

    fill = {"n": "7", "a": "K", "c": "7"}
    bban = "".join(fill[kind] * int(n) for n, kind in re.findall(r"(\d+)!?([nac])", bban_format))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + country + "00")) % 97
    return f"{country}{check:02d}{bban}"


def _registry() -> list[tuple[str, str]]:
    import re
    from importlib.resources import files

    text = files("stdnum").joinpath("iban.dat").read_text(encoding="utf-8")
    return re.findall(r'^([A-Z]{2}) .*?bban="([^"]+)"', text, re.M)


def test_every_country_of_the_iban_registry_is_known() -> None:
    countries = _registry()
    assert len(countries) > 80  # the registry, not the 80 of the old hand-kept table
    missed = [c for c, fmt in countries if not iban_valid(_registry_iban(c, fmt))]
    assert missed == []
    for country in ("RU", "LY", "OM", "SO"):
        iban = _registry_iban(country, dict(countries)[country])
        assert rules(f"pay to {iban}\n") == ["pii-iban"]
        wrong = iban[:2] + f"{(int(iban[2:4]) + 1) % 100:02d}" + iban[4:]
        assert not iban_valid(wrong)


def test_iban_of_a_country_outside_the_registry_is_not_one() -> None:
    fake = _registry_iban("ZZ", "4!n14!n")
    assert not iban_valid(fake)


@pytest.mark.parametrize(
    "line",
    [
        "INFO charge ok card={card} amount=12.50",
        "GET /pay?pan={card}&exp=0927 HTTP/1.1",
        "ERROR declined cc_number:{card} reason=do_not_honor",
        "TEST_USER_CARD={card}",
        "card_no={card} order_id=17",
    ],
)
def test_card_after_equals_or_colon_is_found(line: str) -> None:
    card = _luhn_complete("451817560480635")
    assert rules(line.format(card=card) + "\n", "app.log") == ["pii-card-number"]


@pytest.mark.parametrize(
    "line",
    [
        "created order_id={n} items=3",
        '{{"invoice_number": "{n}"}}',
        "INFO txn_id={n} status=200",
        "Your order #{n} has shipped.",
        "Order number: {n}",
        "max_bytes: {n}",  # a quantity
    ],
)
def test_luhn_valid_number_named_as_another_kind_is_not_a_card(line: str) -> None:
    number = _luhn_complete("451817560480635")
    assert rules(line.format(n=number) + "\n", "app.log") == []


@pytest.mark.parametrize(
    ("body", "groups"),
    [
        ("37799193319084", (4, 6, 5)),
        ("3802978753477", (4, 6, 4)),
        ("601181967273177848", (4, 4, 4, 4, 3)),
    ],
)
def test_every_issuer_grouping(body: str, groups: tuple[int, ...]) -> None:
    digits = _luhn_complete(body)
    parts, at = [], 0
    for size in groups:
        parts.append(digits[at : at + size])
        at += size
    for sep in (" ", "-"):
        assert rules(f"card on file: {sep.join(parts)}\n", "notes.md") == ["pii-card-number"]


def test_ssn_after_equals_in_a_log_line() -> None:
    assert rules(f"WARN kyc failed user=77 ssn={SSN} reason=mismatch\n", "kyc.log") == ["pii-ssn"]


def test_a_column_header_naming_another_number_says_it_is_no_card() -> None:
    number = _luhn_complete("451817560480635")
    assert rules(f"invoice_number,tracking\n{number},{number}\n", "ship.csv") == []
    assert rules(f"name,card\nAna,{number}\n", "pay.csv") == ["pii-card-number"]
    table = f"| device | Serial number |\n| --- | --- |\n| Router | {number} |\n"
    assert rules(table, "devices.md") == []
    assert rules(table.replace("Serial number", "Card"), "devices.md") == ["pii-card-number"]


def test_nine_digits_after_a_key_naming_an_ssn_are_one() -> None:
    digits = SSN.replace("-", "")
    assert rules(f"applicant=7 ssn={digits} ok\n", "kyc.log") == ["pii-ssn"]
    assert rules(f"SSN:{digits}\n", "ticket.txt") == ["pii-ssn"]
    assert rules(f"ssn_check=skipped batch={digits}\n", "app.log") == []


def test_a_csv_header_is_read_with_its_own_delimiter_and_quotes() -> None:
    number = _luhn_complete("451817560480635")
    assert rules(f"invoice_number;amount\n{number};12,00\n", "inv.csv") == []
    assert rules(f"customer;payment\nAna;{number}\n", "pay.csv") == ["pii-card-number"]
    assert rules(f'name,address,tracking\nAna,"Main St 5, Oslo",{number}\n', "s.csv") == []
    assert rules(f'name,address,card\nAna,"Main St 5, Oslo",{number}\n', "s.csv") == [
        "pii-card-number"
    ]


def test_a_markdown_table_without_outer_pipes_has_columns_too() -> None:
    number = _luhn_complete("451817560480635")
    table = f"Serial number | Site\n--- | ---\n{number} | FRA-2\n"
    assert rules(table, "inventory.md") == []
    assert rules(table.replace("Serial number", "Card"), "inventory.md") == ["pii-card-number"]
