"""test-integrity: each rule on a small PR (base and head of its files), and refactors that
must stay silent. The labelled corpus (tests/corpus/integrity/test-integrity) measures the
rules at scale; these pin messages, lines and edge cases."""

from __future__ import annotations

import textwrap

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.checks.changes import FileChange
from gates.checks.test_integrity import TestIntegrityGate, is_test_file
from gates.model import Finding, Severity, Status
from gates.runner import NoProgress

GATE = TestIntegrityGate()


def change(
    path: str, base: str | None, head: str | None, base_path: str | None = None
) -> FileChange:
    def clean(text: str | None) -> str | None:
        return None if text is None else textwrap.dedent(text).lstrip("\n")

    return FileChange(path, clean(base), clean(head), base_path)


def scan(*changes: FileChange) -> list[Finding]:
    return GATE.scan_changes(changes, {})


def summary(findings: list[Finding]) -> list[tuple[str, str, int | None, str]]:
    return sorted((f.rule, f.path, f.line, f.message) for f in findings)


CALC = """
from calc import add, sub


def test_add():
    assert add(1, 2) == 3


def test_sub():
    assert sub(3, 2) == 1
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_a.py", True),
        ("tests/helpers/factories.py", True),
        ("test_a.py", True),
        ("pkg/a_test.py", True),
        ("pkg/conftest.py", True),
        ("src/app.py", False),
        ("src/testing_tools.py", False),
        ("tests/data/fixture.json", False),
    ],
)
def test_test_files_are_what_pytest_collects_or_live_under_tests(path: str, expected: bool) -> None:
    assert is_test_file(path) is expected


def test_a_removed_test_is_reported_once_for_its_file() -> None:
    head = CALC.replace("def test_sub():\n    assert sub(3, 2) == 1\n", "")

    findings = scan(change("tests/test_calc.py", CALC, head))

    assert summary(findings) == [
        (
            "test-removed",
            "tests/test_calc.py",
            None,
            "test_sub removed from tests/test_calc.py (2 tests at base, 1 at head); "
            "not found elsewhere in the PR",
        )
    ]
    assert findings[0].severity is Severity.WARNING


def test_a_test_moved_to_another_file_is_not_removed() -> None:
    head = CALC.replace("def test_sub():\n    assert sub(3, 2) == 1\n", "")
    moved = "from calc import sub\n\n\ndef test_sub():\n    assert sub(3, 2) == 1\n"

    findings = scan(
        change("tests/test_calc.py", CALC, head), change("tests/test_sub.py", None, moved)
    )

    assert findings == []


def test_a_moved_test_that_lost_its_assertion_is_still_judged() -> None:
    head = CALC.replace("def test_sub():\n    assert sub(3, 2) == 1\n", "")
    moved = "from calc import sub\n\n\ndef test_sub():\n    sub(3, 2)\n"

    findings = scan(
        change("tests/test_calc.py", CALC, head), change("tests/test_sub.py", None, moved)
    )

    assert summary(findings) == [
        (
            "assertion-removed",
            "tests/test_sub.py",
            4,
            "test_sub checks less: 1 assertions at base, no assertion left; "
            "gone: assert sub(3, 2) == 1",
        )
    ]


def test_a_renamed_test_with_the_same_body_is_not_removed() -> None:
    head = CALC.replace("def test_sub():", "def test_sub_of_smaller_number():")
    extra = "\n\ndef test_mul():\n    assert 2 * 2 == 4\n"

    assert scan(change("tests/test_calc.py", CALC + extra, head + extra)) == []


def test_renaming_a_test_out_of_pytest_s_reach_removes_it() -> None:
    head = CALC.replace("def test_sub():", "def _test_sub():")

    findings = scan(change("tests/test_calc.py", CALC, head))

    assert summary(findings) == [
        (
            "test-removed",
            "tests/test_calc.py",
            8,
            "test_sub in tests/test_calc.py renamed to _test_sub, which pytest does not "
            "collect (2 tests at base, 1 at head)",
        )
    ]


COPIES = """
from timeparse import parse


def test_seconds():
    assert parse("4s") == 4


def test_minutes():
    assert parse("2m") == 120


def test_hours():
    assert parse("1h") == 3600
"""


def test_copies_folded_into_one_parametrized_test_in_another_file_are_not_removed() -> None:
    param = """
    import pytest

    from timeparse import parse


    @pytest.mark.parametrize(("text", "seconds"), [("4s", 4), ("2m", 120), ("1h", 3600)])
    def test_parse(text, seconds):
        assert parse(text) == seconds
    """
    findings = scan(
        change("tests/test_units.py", COPIES, None),
        change("tests/test_parse.py", None, param),
    )

    assert findings == []


def test_a_parametrized_test_in_another_file_does_not_cover_tests_of_another_shape() -> None:
    param = """
    import pytest

    from timeparse import parse


    @pytest.mark.parametrize("text", ["4s", "2m", "1h"])
    def test_parse_returns_int(text):
        assert isinstance(parse(text), int)
    """
    kept = "def test_zero():\n    assert parse('0s') == 0\n"
    findings = scan(
        change("tests/test_units.py", COPIES + "\n\n" + kept, kept),
        change("tests/test_parse.py", None, param),
    )

    assert sorted(f.message.split()[0] for f in findings) == [
        "test_hours",
        "test_minutes",
        "test_seconds",
    ]


def test_parametrized_cases_dropped_are_removed_tests() -> None:
    base = """
    import pytest


    @pytest.mark.parametrize("n", [2, 3, 5, 7])
    def test_prime(n):
        assert is_prime(n)
    """
    findings = scan(change("tests/test_p.py", base, base.replace(", 5, 7]", "]")))

    assert summary(findings) == [
        (
            "test-removed",
            "tests/test_p.py",
            5,
            "2 of 4 parametrized cases of test_prime removed in tests/test_p.py; "
            "not found elsewhere in the PR",
        )
    ]


FEATURE = """
def export_json(rows):
    return rows


def export_xml(rows):
    return rows
"""
FEATURE_TESTS = """
from reports import export_json, export_xml


def test_json():
    assert export_json([1]) == [1]


def test_xml():
    assert export_xml([1]) == [1]
"""


def test_tests_of_code_the_pr_deletes_go_with_it() -> None:
    head_code = FEATURE.split("\n\n\ndef export_xml")[0] + "\n"
    head_tests = FEATURE_TESTS.split("\n\n\ndef test_xml")[0] + "\n"

    findings = scan(
        change("reports.py", FEATURE, head_code),
        change("tests/test_reports.py", FEATURE_TESTS, head_tests),
    )

    assert findings == []


def test_a_test_of_code_that_stays_is_removed() -> None:
    head_tests = FEATURE_TESTS.split("\n\n\ndef test_xml")[0] + "\n"

    findings = scan(
        change("reports.py", FEATURE, FEATURE + "\n# touched\n"),
        change("tests/test_reports.py", FEATURE_TESTS, head_tests),
    )

    assert [f.rule for f in findings] == ["test-removed"]


def test_functions_named_test_in_application_code_are_not_tests() -> None:
    code = "def test_connection(db):\n    return db.ping()\n"

    assert scan(change("src/health.py", code, "")) == []


def test_a_skip_on_a_class_is_one_finding_for_all_its_tests() -> None:
    base = """
    import pytest


    class TestCart:
        def test_a(self):
            assert 1 + 1 == 2

        def test_b(self):
            assert 2 + 2 == 4
    """
    head = base.replace(
        "    class TestCart:", '    @pytest.mark.skip(reason="later")\n    class TestCart:'
    )

    findings = scan(change("tests/test_cart.py", base, head))

    assert summary(findings) == [
        (
            "test-skipped",
            "tests/test_cart.py",
            4,
            "@pytest.mark.skip(reason='later') added: 2 tests that ran at base are skipped at head",
        )
    ]


def test_skip_calls_and_markers_are_reported_at_their_lines() -> None:
    head = (
        CALC.replace("def test_add():", "@pytest.mark.xfail\ndef test_add():")
        .replace("    assert sub(3, 2) == 1", '    pytest.skip("flaky")\n    assert sub(3, 2) == 1')
        .replace("from calc", "import pytest\nfrom calc")
    )

    findings = scan(change("tests/test_calc.py", CALC, head))

    assert summary(findings) == [
        (
            "test-skipped",
            "tests/test_calc.py",
            5,
            "@pytest.mark.xfail added: test_add ran at base and is skipped at head",
        ),
        (
            "test-skipped",
            "tests/test_calc.py",
            11,
            "pytest.skip('flaky') added in test_sub (not at base)",
        ),
    ]


def test_rewording_a_skip_reason_is_no_change() -> None:
    base = CALC.replace("def test_add():", '@pytest.mark.skipif(WIN, reason="a")\ndef test_add():')
    head = base.replace('reason="a"', 'reason="no fork() on Windows"')

    assert scan(change("tests/test_calc.py", base, head)) == []


@pytest.mark.parametrize(
    ("head_condition", "changed"),
    [
        ("WIN", False),
        ("sys.platform == 'win32'", False),
        ("sys.platform.startswith('win')", False),
        ("os.name == 'nt'", False),
        ("compat.IS_WINDOWS", False),
        ("not WIN", True),
        ("platform.system() != 'Windows'", True),
        ("sys.platform == 'darwin'", True),
        ("WIN and sys.version_info < (3, 9)", True),
        ("CI", True),
    ],
)
def test_a_platform_skip_rewritten_for_the_same_platform_is_no_change(
    head_condition: str, changed: bool
) -> None:
    base = CALC.replace(
        "def test_add():", "@pytest.mark.skipif(platform.system() == 'Windows')\ndef test_add():"
    )
    head = base.replace("platform.system() == 'Windows'", head_condition)

    findings = scan(change("tests/test_calc.py", base, head))

    assert [f.rule for f in findings] == (["test-skipped"] if changed else [])


def test_an_assertion_moved_into_a_helper_still_counts() -> None:
    base = """
    def test_page(render):
        html = render("home")
        assert html.startswith("<!doctype html>")
        assert "</html>" in html
    """
    head = """
    def check_document(html):
        assert html.startswith("<!doctype html>")
        assert "</html>" in html


    def test_page(render):
        check_document(render("home"))
    """
    assert scan(change("tests/test_page.py", base, head)) == []


def test_asserts_on_a_value_s_parts_replaced_by_one_equality_on_the_whole_are_not_a_loss() -> None:
    base = """
    def test_capabilities(client):
        caps = client.server_capabilities
        assert caps is not None
        assert caps.tools is not None
        assert len(caps.prompts) > 0
    """
    whole = """
    def test_capabilities(client):
        assert client.server_capabilities == snapshot(Caps(tools=Tools(), prompts=[1]))
    """
    other = whole.replace("client.server_capabilities ==", "client.version ==")
    partial = (
        base.replace("        assert len(caps.prompts) > 0\n", "")
        .replace(
            "        assert caps.tools is not None\n", "        assert caps.tools == Tools()\n"
        )
        .replace("        assert caps is not None\n", "        assert client.status == 200\n")
    )
    raises_gone = """
    def test_capabilities(client):
        with pytest.raises(Closed):
            client.ping()
        caps = client.server_capabilities
        assert caps.tools is not None
    """
    raises_head = """
    def test_capabilities(client):
        client.ping()
        assert client.server_capabilities == Caps(tools=Tools())
    """

    def rules(b: str, h: str) -> list[str]:
        return [f.rule for f in scan(change("tests/test_client.py", b, h))]

    assert rules(base, whole) == []
    assert rules(base, other) == ["assertion-removed"]
    assert rules(base, partial) == ["assertion-removed"]
    assert rules(raises_gone, raises_head) == ["assertion-removed"]


def test_asserts_after_an_early_return_do_not_count() -> None:
    head = CALC.replace("    assert add(1, 2) == 3", "    return\n    assert add(1, 2) == 3")

    findings = scan(change("tests/test_calc.py", CALC, head))

    assert [(f.rule, f.line) for f in findings] == [("assertion-removed", 4)]


def test_a_comparison_weakened_to_is_not_none_is_vacuous() -> None:
    head = CALC.replace("assert add(1, 2) == 3", "assert add(1, 2) is not None")

    findings = scan(change("tests/test_calc.py", CALC, head))

    assert summary(findings) == [
        (
            "assertion-vacuous",
            "tests/test_calc.py",
            5,
            "test_add: `assert add(1, 2) == 3` at base became `assert add(1, 2) is not None` "
            "at head",
        )
    ]


@pytest.mark.parametrize(
    "vacuous",
    [
        "assert True",
        "assert add(1, 2) == 3 or True",
        "try:\n        assert add(1, 2) == 3\n    except Exception:\n        pass",
        "with contextlib.suppress(Exception):\n        assert add(1, 2) == 3",
    ],
)
def test_assertions_that_cannot_fail_are_vacuous(vacuous: str) -> None:
    head = CALC.replace("assert add(1, 2) == 3", vacuous)

    findings = scan(change("tests/test_calc.py", CALC, head))

    assert [(f.rule, f.line) for f in findings] == [("assertion-vacuous", 5)]


def test_a_specific_exception_swallowed_is_not_vacuous() -> None:
    head = CALC.replace(
        "assert add(1, 2) == 3",
        "try:\n        assert add(1, 2) == 3\n    except OverflowError:\n        pass",
    )
    assert scan(change("tests/test_calc.py", CALC, head)) == []


APPROX = """
import math

import pytest

REL = 1e-6


def test_area():
    assert area(1) == pytest.approx(3.14159, rel=REL)
    assert math.isclose(area(2), 12.566, rel_tol=1e-4)
"""


@pytest.mark.parametrize(
    ("edit", "loosened"),
    [
        (("REL = 1e-6", "REL = 1e-2"), [9]),
        (("rel_tol=1e-4", "rel_tol=0.1"), [10]),
        (("rel_tol=1e-4", "abs_tol=0.5, rel_tol=1e-4"), [10]),
        (("rel_tol=1e-4", "rel_tol=1e-6"), []),
        (("rel=REL)", "rel=REL, abs=1e-13)"), []),
        (("3.14159, rel=REL", "3.1416, rel=REL"), []),
    ],
)
def test_tolerances_loosened(edit: tuple[str, str], loosened: list[int]) -> None:
    findings = scan(change("tests/test_area.py", APPROX, APPROX.replace(*edit)))

    assert [f.line for f in findings if f.rule == "tolerance-loosened"] == loosened
    assert all(f.rule == "tolerance-loosened" for f in findings)


def test_places_reduced_is_loosened_and_the_default_written_out_is_not() -> None:
    base = """
    import unittest


    class T(unittest.TestCase):
        def test_sin(self):
            self.assertAlmostEqual(sin(0.5), 0.4794)
    """
    same = base.replace("0.4794)", "0.4794, places=7)")
    fewer = base.replace("0.4794)", "0.4794, places=2)")

    assert scan(change("tests/test_t.py", base, same)) == []
    findings = scan(change("tests/test_t.py", base, fewer))
    assert summary(findings) == [
        (
            "tolerance-loosened",
            "tests/test_t.py",
            6,
            "T.test_sin: tolerance loosened from `self.assertAlmostEqual(sin(0.5), 0.4794)` to "
            "`self.assertAlmostEqual(sin(0.5), 0.4794, places=2)`",
        )
    ]


def test_raises_widened_to_exception_names_both_sides() -> None:
    base = """
    import pytest


    def test_port():
        with pytest.raises(ValueError):
            parse_port("70000")
    """
    findings = scan(change("tests/test_port.py", base, base.replace("ValueError", "Exception")))

    assert summary(findings) == [
        (
            "raises-widened",
            "tests/test_port.py",
            5,
            "test_port: `pytest.raises(ValueError)` at base widened to `pytest.raises(Exception)`",
        )
    ]
    narrowed = scan(change("tests/test_port.py", base.replace("ValueError", "Exception"), base))
    assert narrowed == []


def test_no_cover_pragmas_added_in_any_python_file() -> None:
    base = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    head = base.replace("if x:", "if x:  # pragma: no cover")

    findings = scan(change("src/f.py", base, head))

    assert summary(findings) == [
        (
            "no-cover-added",
            "src/f.py",
            2,
            "`# pragma: no cover` added in src/f.py (0 at base, 1 at head): this code is no "
            "longer measured",
        )
    ]


def test_a_pragma_named_in_a_string_or_docstring_excludes_nothing() -> None:
    base = 'def f():\n    """Returns 1."""\n    return 1\n'
    head = (
        'def f():\n    """Never add `# pragma: no cover` here."""\n'
        '    return "x  # pragma: no cover"\n'
    )

    assert scan(change("src/f.py", base, head)) == []


def test_a_pragma_on_a_usual_idiom_is_a_note_elsewhere_a_warning() -> None:
    base = "import sys\n\nif sys.version_info >= (3, 11):\n    A = 1\nelse:\n    A = 2\n"
    idioms = base.replace("else:", "else:  # pragma: no cover")
    typing = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:  # pragma: no cover\n    pass\n"
    handler = "try:\n    run()\nexcept OSError:  # pragma: no cover\n    log()\n"

    severities = [
        [f.severity for f in scan(change("src/m.py", b, h))]
        for b, h in (
            (base, idioms),
            ("", typing),
            ("try:\n    run()\nexcept OSError:\n    log()\n", handler),
        )
    ]

    assert severities == [[Severity.NOTE], [Severity.NOTE], [Severity.WARNING]]


def test_a_pragma_that_moved_with_its_code_is_not_added() -> None:
    main = 'if __name__ == "__main__":  # pragma: no cover\n    main()\n'
    base = "def main():\n    pass\n\n\n" + main
    head = main + "\n\ndef main():\n    pass\n"

    assert scan(change("cli.py", base, head)) == []


def test_a_pragma_in_a_test_file_is_not_reported_and_one_in_product_code_is() -> None:
    base = "def test_hook():\n    assert call() == 1\n"
    stub = "def impl():  # pragma: no cover\n    pass\n\n\n"
    route = "def handler():\n    raise AssertionError  # pragma: no cover\n"

    findings = scan(
        change("tests/test_hooks.py", base, stub + base),
        change("tests/conftest.py", "", route),
        change("src/hooks.py", "", route),
    )

    assert [(f.rule, f.path, f.line) for f in findings] == [("no-cover-added", "src/hooks.py", 2)]


def test_a_pragma_on_an_import_under_type_checking_is_a_note() -> None:
    block = "import typing\n\nif typing.TYPE_CHECKING:\n    import ssl  # pragma: no cover\n"
    nested = block + "    if x:\n        import os  # pragma: no cover\n"
    after = block + "\nimport json  # pragma: no cover\n"

    severities = [
        [(f.line, f.severity) for f in scan(change("src/m.py", "", h))]
        for h in (block, nested, after)
    ]

    assert severities == [
        [(4, Severity.NOTE)],
        [(4, Severity.NOTE), (6, Severity.NOTE)],
        [(4, Severity.NOTE), (6, Severity.WARNING)],
    ]


def test_a_pragma_moved_from_another_file_of_the_pr_is_not_added() -> None:
    code = "def load():\n    if lib is None:  # pragma: no cover\n        return None\n"
    reworded = code.replace("no cover", "no cover - callers guard it")
    extra = "def other():  # pragma: no cover\n    return 1\n"

    moved = scan(change("src/_compat.py", code, None), change("src/util.py", "", reworded))
    one_more = scan(change("src/_compat.py", code, None), change("src/util.py", "", code + extra))

    assert moved == []
    assert [(f.path, f.line) for f in one_more] == [("src/util.py", 4)]


def test_a_file_that_does_not_parse_gets_a_note_and_its_tests_are_not_called_removed() -> None:
    findings = scan(change("tests/test_calc.py", CALC, "def test_add(:\n"))

    assert summary(findings) == [
        (
            "syntax-error",
            "tests/test_calc.py",
            None,
            "tests/test_calc.py does not parse at head (line 1: invalid syntax); its tests "
            "were not compared",
        )
    ]
    assert findings[0].severity is Severity.NOTE


def test_text_that_is_not_python_at_all_is_a_note_not_a_crash() -> None:
    findings = scan(change("tests/test_x.py", "\x00\x01 binary-ish", CALC))

    assert [(f.rule, f.severity) for f in findings] == [("syntax-error", Severity.NOTE)]


def test_end_to_end_on_a_real_repository(repo: Repo) -> None:
    """Through `gates.app.run`: base read from git, head from the checkout, findings new and
    blocking; the moved test and the untouched file are silent."""
    repo.write(
        "calc.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    )
    repo.write("tests/test_calc.py", textwrap.dedent(CALC).lstrip())
    repo.write("tests/test_other.py", "def test_other():\n    assert True\n")
    base = repo.commit("base")
    head_text = textwrap.dedent(CALC).lstrip().replace("assert add(1, 2) == 3", "assert True")
    repo.write("tests/test_calc.py", head_text.split("\n\n\ndef test_sub")[0] + "\n")
    repo.write(
        "tests/test_sub.py",
        "from calc import sub\n\n\ndef test_sub():\n    assert sub(3, 2) == 1\n",
    )
    code = (repo.path / "calc.py").read_text()
    repo.write("calc.py", code.replace("def add(a, b):", "def add(a, b):  # pragma: no cover"))
    repo.commit("head")

    outcome = run(RunRequest(path=repo.path, base=base), {GATE.name: GATE}, NoProgress())

    (result,) = outcome.report.gates
    assert result.status is Status.FAIL
    assert sorted((f.rule, f.path, f.line, f.new) for f in result.findings) == [
        ("assertion-vacuous", "tests/test_calc.py", 5, True),
        ("no-cover-added", "calc.py", 1, True),
    ]


def test_end_to_end_without_a_base_is_skipped(repo: Repo) -> None:
    repo.write("tests/test_calc.py", textwrap.dedent(CALC).lstrip())
    repo.commit("only")

    outcome = run(RunRequest(path=repo.path, base=None), {GATE.name: GATE}, NoProgress())

    assert outcome.report.gates[0].status is Status.SKIPPED


def test_a_test_split_in_two_keeps_its_assertions() -> None:
    base = """
    def test_signup(client, mailbox):
        r = client.post("/signup")
        assert r.status_code == 302
        assert len(mailbox) == 1
        assert mailbox[0].subject == "Confirm"
    """
    head = """
    def test_signup(client, mailbox):
        r = client.post("/signup")
        assert r.status_code == 302


    def test_signup_mail(client, mailbox):
        client.post("/signup")
        assert len(mailbox) == 1
        assert mailbox[0].subject == "Confirm"
    """
    assert scan(change("tests/test_signup.py", base, head)) == []
    dropped = head.replace('        assert mailbox[0].subject == "Confirm"\n', "")
    findings = scan(change("tests/test_signup.py", base, dropped))
    assert [(f.rule, f.line) for f in findings] == [("assertion-removed", 1)]


def test_asserts_folded_into_parameters_count_once_per_case() -> None:
    base = """
    def test_invalid(get):
        with pytest.raises(InvalidHeader):
            get({"foo": "a\\nb"})
        with pytest.raises(InvalidHeader):
            get({"foo": "a\\rb"})
    """
    head = """
    @pytest.mark.parametrize("header", [{"foo": "a\\nb"}, {"foo": "a\\rb"}])
    def test_invalid(get, header):
        with pytest.raises(InvalidHeader):
            get(header)
    """
    assert scan(change("tests/test_h.py", base, head)) == []


def test_is_none_turned_into_is_not_none_is_a_new_expectation_not_a_vacuous_one() -> None:
    base = "def test_cache(spec):\n    assert spec._cache is None\n"
    head = "def test_cache(spec):\n    assert spec._cache is not None\n"

    assert scan(change("tests/test_spec.py", base, head)) == []


def test_tests_of_a_module_constant_the_pr_deletes_go_with_it() -> None:
    code = "class InfinityType:\n    pass\n\n\nInfinity = InfinityType()\n"
    tests = "from structures import Infinity\n\n\ndef test_repr():\n    assert repr(Infinity)\n"

    assert scan(change("structures.py", code, None), change("tests/test_s.py", tests, None)) == []


def test_a_test_file_replaced_by_new_files_with_as_many_tests_is_a_reorganisation() -> None:
    signer = "def test_signature():\n    assert sign(b'x') != b'x'\n"
    timed = "def test_max_age():\n    assert loads(dumps(1), max_age=5) == 1\n"
    two_new = [
        change("tests/test_signer.py", None, signer),
        change("tests/test_timed.py", None, timed),
    ]

    assert scan(change("tests/test_all.py", CALC, None), *two_new) == []
    findings = scan(change("tests/test_all.py", CALC, None), two_new[0])
    assert [f.rule for f in findings] == ["test-removed"]


def test_a_whole_comparison_narrowed_to_one_piece_checks_less() -> None:
    base = 'def test_profile(api):\n    assert api.get() == {"id": 1, "name": "ann"}\n'
    head = 'def test_profile(api):\n    assert api.get()["id"] == 1\n'

    findings = scan(change("tests/test_profile.py", base, head))

    assert summary(findings) == [
        (
            "assertion-removed",
            "tests/test_profile.py",
            2,
            "test_profile checks less: `assert api.get() == {'id': 1, 'name': 'ann'}` at base "
            "narrowed to `assert api.get()['id'] == 1` at head",
        )
    ]


def test_an_expected_literal_replaced_by_a_parameter_is_the_same_check() -> None:
    base = "def test_fallback(s):\n    assert s.loads(s.dumps([1, 2, 3])) == [1, 2, 3]\n"
    head = "def test_fallback(s, value):\n    assert s.loads(s.dumps(value)) == value\n"

    assert scan(change("tests/test_s.py", base, head)) == []


def test_a_test_file_deleted_with_the_module_its_classes_use_goes_with_it() -> None:
    code = "class JWSSerializer:\n    algorithm = 'HS512'\n"
    tests = (
        "from pkg.jws import JWSSerializer\n\n\n"
        "class TestJWS:\n    serializer_class = JWSSerializer\n\n"
        "    def test_algorithm(self):\n        assert self.serializer_class.algorithm\n"
    )

    assert scan(change("pkg/jws.py", code, None), change("tests/test_jws.py", tests, None)) == []
    findings = scan(
        change("pkg/jws.py", code, code + "\n"), change("tests/test_jws.py", tests, None)
    )
    assert [f.rule for f in findings] == ["test-removed"]


def test_a_helper_emptied_weakens_the_unchanged_tests_that_call_it() -> None:
    base = """
    def check_page(html):
        assert html.startswith("<!doctype html>")
        assert "</html>" in html


    def test_home(render):
        check_page(render("home"))
    """
    head = base.replace('        assert "</html>" in html\n', "")
    two = (
        textwrap.dedent(base).lstrip("\n")
        + 'def test_about(render):\n    check_page(render("about"))\n'
    )
    lost = two.replace('    assert "</html>" in html\n', "")
    own_loss = lost.replace('    check_page(render("about"))', '    render("about")')

    findings = scan(change("tests/test_page.py", base, head))
    once = scan(change("tests/test_page.py", two, lost))
    both = scan(change("tests/test_page.py", two, own_loss))

    assert summary(findings) == [
        (
            "assertion-removed",
            "tests/test_page.py",
            1,
            "helper check_page in tests/test_page.py checks less: 2 assertions at base, 1 at "
            "head; gone: assert '</html>' in html (every test that calls it checks less)",
        )
    ]
    assert [(f.line, f.message[:24]) for f in once] == [(1, "helper check_page in tes")]
    assert sorted((f.line, f.message[:24]) for f in both) == [
        (1, "helper check_page in tes"),
        (7, "test_about checks less: "),
    ]


def test_an_override_removed_lets_the_parent_test_class_s_test_run() -> None:
    parent = (
        "class TestSerializer:\n"
        "    def test_fallback(self, s):\n        assert s.loads(s.dumps(1)) == 1\n"
    )
    child = (
        "from tests.test_serializer import TestSerializer\n\n\n"
        "class TestTimed(TestSerializer):\n"
        "    def test_max_age(self, s):\n        assert s.max_age\n\n"
        "    def test_fallback(self, s):\n        assert s.loads(s.dumps(2)) == 2\n"
    )
    head = child.split("\n\n    def test_fallback")[0] + "\n"

    parent_changed = change("tests/test_serializer.py", parent, parent + "\n")
    assert scan(change("tests/test_timed.py", child, head), parent_changed) == []
    findings = scan(change("tests/test_timed.py", child, head))
    assert [f.rule for f in findings] == ["test-removed"]


def test_a_token_in_a_weakened_assertion_is_masked_in_the_message() -> None:
    token = "ghp_" + "a1B2c3D4e5F6" * 3
    base = f'def test_login(client):\n    assert client.token == "{token}"\n'
    head = "def test_login(client):\n    assert client.token\n"

    (finding,) = scan(change("tests/test_login.py", base, head))

    assert finding.rule == "assertion-vacuous"
    assert token[:8] not in finding.message
    assert "`assert client.token == 'ghp_****************'` at base" in finding.message


def test_a_case_marked_skip_in_the_parameters_is_skipped() -> None:
    base = """
    import pytest


    @pytest.mark.parametrize("n", [2, pytest.param(3, id="three")])
    def test_prime(n):
        assert is_prime(n)
    """
    head = base.replace('id="three")', 'id="three", marks=pytest.mark.xfail)')

    findings = scan(change("tests/test_p.py", base, head))

    assert [(f.rule, f.line) for f in findings] == [("test-skipped", 4)]
    assert scan(change("tests/test_p.py", head, head.replace('id="three"', 'id="3"'))) == []


def test_files_ignored_by_conftest_are_skipped_tests() -> None:
    base = 'collect_ignore = ["setup.py"]\n'
    head = 'collect_ignore = ["setup.py", "tests/test_payments.py"]\n'

    findings = scan(change("conftest.py", base, head))

    assert summary(findings) == [
        (
            "test-skipped",
            "conftest.py",
            1,
            "collect_ignore entry 'tests/test_payments.py' added in conftest.py: pytest no "
            "longer collects what it names",
        )
    ]


def test_a_length_compared_to_zero_is_vacuous() -> None:
    base = "def test_items(cart):\n    assert len(cart.items) == 3\n"
    head = "def test_items(cart):\n    assert len(cart.items) >= 0\n"

    findings = scan(change("tests/test_cart.py", base, head))

    assert [(f.rule, f.line) for f in findings] == [("assertion-vacuous", 2)]


def test_a_renamed_and_weakened_test_is_judged_as_the_same_test() -> None:
    base = """
    def test_login_rejects_a_wrong_password(client, user):
        response = client.post("/login", data={"user": user.name, "password": "nope"})
        assert response.status_code == 401
        assert "Invalid credentials" in response.text
    """
    head = """
    def test_login_wrong_password(client, user):
        response = client.post("/login", data={"user": user.name, "password": "nope"})
        assert "Invalid credentials" in response.text
    """
    findings = scan(change("tests/test_login.py", base, head))

    assert [(f.rule, f.line) for f in findings] == [("assertion-removed", 1)]
    assert findings[0].message.startswith("test_login_wrong_password checks less: 2 assertions")


def test_assertions_under_if_false_do_not_count() -> None:
    head = CALC.replace("    assert add(1, 2) == 3", "    if False:\n        assert add(1, 2) == 3")

    findings = scan(change("tests/test_calc.py", CALC, head))

    assert [(f.rule, f.line) for f in findings] == [("assertion-removed", 4)]


def test_an_expression_too_deep_to_analyse_is_a_note_and_other_files_are_judged() -> None:
    deep = "def test_sum():\n    assert total() == " + " + ".join(["1"] * 400) + "\n"
    base = "def test_sum():\n    assert total() == 3\n"
    weakened = change(
        "tests/test_x.py",
        "def test_a():\n    assert f() == 1\n",
        "def test_a():\n    assert True\n",
    )

    findings = scan(change("tests/test_deep.py", base, deep), weakened)

    assert sorted((f.rule, f.path, f.severity) for f in findings) == [
        ("assertion-vacuous", "tests/test_x.py", Severity.WARNING),
        ("syntax-error", "tests/test_deep.py", Severity.NOTE),
    ]


def test_a_changed_skip_condition_names_the_old_one() -> None:
    base = "@pytest.mark.skipif(not V2, reason='x')\ndef test_len(r):\n    assert r.len == 3\n"
    head = base.replace("not V2", "V1")

    findings = scan(change("tests/test_len.py", base, head))

    assert summary(findings) == [
        (
            "test-skipped",
            "tests/test_len.py",
            1,
            "@pytest.mark.skipif(V1, reason='x') added: test_len was skipped under "
            "`@pytest.mark.skipif(not V2, reason='x')` at base",
        )
    ]
