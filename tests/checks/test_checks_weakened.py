"""checks-weakened: base against head for config and CI files, on parsed files and real repos."""

from __future__ import annotations

import shlex
import textwrap

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.checks.changes import FileChange
from gates.checks.checks_weakened import ChecksWeakenedGate
from gates.checks.checks_weakened_rules import STRICT_FLAGS
from gates.model import Finding, GateResult, Severity, Status
from gates.runner import NoProgress

GATE = ChecksWeakenedGate()
DEFAULTS = {key: option.default for key, option in GATE.options.items()}

PYPROJECT = """\
[project]
name = "harbor"
version = "1.0"

[tool.ruff.lint]
select = ["E", "F", "B"]
ignore = ["E731"]

[tool.mypy]
strict = true

[tool.pytest.ini_options]
addopts = "-ra --strict-markers"

[tool.coverage.report]
fail_under = 90
"""

WORKFLOW = """\
name: CI
on:
  pull_request:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        env: [py311, py312, typing]
    steps:
      - uses: actions/checkout@v4
      - name: Lint
        run: ruff check src tests
      - name: Tox
        run: tox -e ${{ matrix.env }}
      - name: Tests
        run: python -m pytest --cov=harbor --cov-fail-under=85 tests
"""


def _scan(*files: tuple[str, str | None, str | None], **options: object) -> list[Finding]:
    changes = [FileChange(path, base, head) for path, base, head in files]
    return GATE.scan_changes(changes, {**DEFAULTS, **options})


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


# --- configuration ---------------------------------------------------------------------------


def test_lowered_fail_under_is_reported_at_its_line_with_both_values() -> None:
    head = _edit(PYPROJECT, "fail_under = 90", "fail_under = 80")
    (found,) = _scan(("pyproject.toml", PYPROJECT, head))
    assert found.rule == "coverage-threshold-lowered"
    assert found.severity is Severity.WARNING
    assert found.line == head.splitlines().index("fail_under = 80") + 1
    assert "90 at base, 80 at head" in found.message


def test_raised_threshold_and_tightened_rules_are_not_findings() -> None:
    head = _edit(PYPROJECT, "fail_under = 90", "fail_under = 95")
    head = _edit(head, 'select = ["E", "F", "B"]', 'select = ["E", "F", "B", "UP"]')
    head = _edit(head, 'ignore = ["E731"]', "ignore = []")
    assert _scan(("pyproject.toml", PYPROJECT, head)) == []


def test_fail_under_moved_to_coveragerc_compares_equal() -> None:
    head = _edit(PYPROJECT, "[tool.coverage.report]\nfail_under = 90\n", "")
    coveragerc = "[report]\nfail_under = 90\nshow_missing = True\n"
    assert _scan(("pyproject.toml", PYPROJECT, head), (".coveragerc", None, coveragerc)) == []


def test_an_ignore_counts_only_when_the_base_enforced_the_rule() -> None:
    enforced = _edit(PYPROJECT, 'ignore = ["E731"]', 'ignore = ["E731", "B008"]')
    unselected = _edit(PYPROJECT, 'ignore = ["E731"]', 'ignore = ["E731", "D203"]')
    (found,) = _scan(("pyproject.toml", PYPROJECT, enforced))
    assert found.rule == "lint-rules-loosened"
    assert "ignore gained B008" in found.message
    assert _scan(("pyproject.toml", PYPROJECT, unselected)) == []


def test_strict_removed_is_loosened_but_strict_written_out_is_not() -> None:
    dropped = _edit(PYPROJECT, "strict = true\n", "")
    flags = "\n".join(f"{flag} = true" for flag in STRICT_FLAGS)
    written_out = _edit(PYPROJECT, "strict = true\n", flags + "\n")
    assert _rules(_scan(("pyproject.toml", PYPROJECT, dropped))) == ["type-checking-loosened"]
    assert _scan(("pyproject.toml", PYPROJECT, written_out)) == []


def test_mypy_override_ignoring_errors_is_reported_but_missing_stubs_are_not() -> None:
    stubs = (
        PYPROJECT + '\n[[tool.mypy.overrides]]\nmodule = "boto3.*"\nignore_missing_imports = true\n'
    )
    errors = (
        PYPROJECT + '\n[[tool.mypy.overrides]]\nmodule = "harbor.api.*"\nignore_errors = true\n'
    )
    assert _scan(("pyproject.toml", PYPROJECT, stubs)) == []
    (found,) = _scan(("pyproject.toml", PYPROJECT, errors))
    assert "ignore_errors = true for harbor.api.*" in found.message


def test_addopts_deselection_is_reported() -> None:
    head = _edit(PYPROJECT, '"-ra --strict-markers"', "\"-ra --strict-markers -m 'not slow'\"")
    (found,) = _scan(("pyproject.toml", PYPROJECT, head))
    assert found.rule == "tests-deselected"
    assert "-m 'not slow'" in found.message


def test_gates_config_fail_on_raised_and_gate_disabled() -> None:
    base = '[secrets]\nfail_on = "warning"\n\n[mypy]\nenabled = true\n'
    head = '[secrets]\nfail_on = "never"\n\n[mypy]\nenabled = false\n'
    found = _scan((".gates.toml", base, head))
    messages = sorted(f.message for f in found)
    assert _rules(found) == ["gates-config-loosened", "gates-config-loosened"]
    assert "[mypy] enabled = false" in messages[0]
    assert "[secrets] fail_on raised from warning to never" in messages[1]


def test_a_config_that_stops_parsing_is_a_note_not_a_comparison() -> None:
    (found,) = _scan(("pyproject.toml", PYPROJECT, PYPROJECT + "[tool.ruff\nselect = ["))
    assert (found.rule, found.severity) == ("config-unparsed", Severity.NOTE)
    assert "parses at base but not at head" in found.message
    broken_workflow = WORKFLOW + "  bad: [\n"
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, broken_workflow))
    assert found.rule == "config-unparsed"
    # a base that did not parse either: nothing to compare, nothing to say
    assert _scan(("setup.cfg", "[flake8\n", "[flake8]\nignore = E501\n")) == []


# --- CI steps --------------------------------------------------------------------------------


def test_or_true_on_the_test_command_is_ignored_failure() -> None:
    head = _edit(WORKFLOW, "--cov-fail-under=85 tests", "--cov-fail-under=85 tests || true")
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, head))
    assert found.rule == "check-failure-ignored"
    assert "|| true" in found.message
    assert (
        found.line
        == head.splitlines().index(
            "        run: python -m pytest --cov=harbor --cov-fail-under=85 tests || true"
        )
        + 1
    )


def test_set_e_off_is_judged_by_whether_the_status_is_handed_on() -> None:
    swallowed = "run: |\n          set +e\n          pytest tests\n          echo done\n"
    reraised = (
        "run: |\n          set +e\n          pytest tests\n          rc=$?\n          exit $rc\n"
    )
    old = "run: python -m pytest --cov=harbor --cov-fail-under=85 tests\n"
    for script, expected in ((swallowed, ["check-failure-ignored"]), (reraised, [])):
        head = _edit(WORKFLOW, old, script)
        rules = _rules(_scan((".github/workflows/ci.yml", WORKFLOW, head)))
        # the threshold went with the old command line
        assert [r for r in rules if r != "coverage-threshold-lowered"] == expected


def test_removed_step_renamed_step_and_step_moved_to_another_file() -> None:
    removed = _edit(WORKFLOW, "      - name: Lint\n        run: ruff check src tests\n", "")
    renamed = _edit(WORKFLOW, "- name: Lint", "- name: Ruff")
    lint_wf = (
        "on: pull_request\njobs:\n  lint:\n    runs-on: x\n"
        "    steps:\n      - run: ruff check src tests\n"
    )
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, removed))
    assert found.rule == "check-step-removed"
    assert "ruff check src tests" in found.message
    assert found.line is None  # the step is gone: a file-level finding
    assert _scan((".github/workflows/ci.yml", WORKFLOW, renamed)) == []
    moved = _scan(
        (".github/workflows/ci.yml", WORKFLOW, removed),
        (".github/workflows/lint.yml", None, lint_wf),
    )
    assert moved == []


RUFF_ALL = '[tool.ruff.lint]\nselect = ["ALL"]\nignore = [\n    "D",\n]\n'
PRE_COMMIT = (
    "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
    "    rev: 745be0411e3c150e246d527e531e5a221b8c3462  # frozen: v0.15.19\n"
    "    hooks:\n      - id: ruff-check\n"
)


def _ruff_upgrade(
    config: str,
    ignored: str,
    new_rev: str = "cb8c523fd4835aba42af70f4cad5568db4df0b6c  # frozen: v0.16.0",
) -> list[Finding]:
    head = config.replace('    "D",\n', f'    "D",\n    "{ignored}",\n')
    hook = PRE_COMMIT.replace(
        "745be0411e3c150e246d527e531e5a221b8c3462  # frozen: v0.15.19", new_rev
    )
    return _scan(("pyproject.toml", config, head), (".pre-commit-config.yaml", PRE_COMMIT, hook))


def test_ignores_added_with_a_ruff_upgrade_under_select_all_are_a_note() -> None:
    """select ALL turns on whatever the new ruff adds; ignoring it keeps the lint as it was."""
    (found,) = _ruff_upgrade(RUFF_ALL, "CPY001")
    assert (found.rule, found.severity) == ("lint-rules-loosened", Severity.NOTE)
    assert "0.15.19 to 0.16.0" in found.message
    # no upgrade (same pin), or a pin lowered: a warning as before
    (same,) = _ruff_upgrade(
        RUFF_ALL, "CPY001", "745be0411e3c150e246d527e531e5a221b8c3462  # frozen: v0.15.19"
    )
    assert same.severity is Severity.WARNING
    (lowered,) = _ruff_upgrade(RUFF_ALL, "CPY001", "v0.14.0")
    assert lowered.severity is Severity.WARNING
    # a chosen rule set (no ALL): an upgrade does not turn the ignored rule on
    chosen = RUFF_ALL.replace('["ALL"]', '["E", "F", "B"]')
    (picked,) = _ruff_upgrade(chosen, "B008")
    assert picked.severity is Severity.WARNING


def test_a_ruff_upgrade_does_not_soften_other_loosening() -> None:
    head = RUFF_ALL.replace('    "D",\n', '    "D",\n    "CPY001",\n') + 'exclude = ["src"]\n'
    hook = PRE_COMMIT.replace(
        "745be0411e3c150e246d527e531e5a221b8c3462  # frozen: v0.15.19", "v0.16.0"
    )
    (found,) = _scan(
        ("pyproject.toml", RUFF_ALL, head), (".pre-commit-config.yaml", PRE_COMMIT, hook)
    )
    assert found.severity is Severity.WARNING


def test_the_ruff_pin_is_read_from_hooks_and_requirements() -> None:
    from gates.checks.checks_weakened_ruffpin import ruff_pin

    assert ruff_pin([(".pre-commit-config.yaml", PRE_COMMIT)]) == (0, 15, 19)
    assert ruff_pin([("pyproject.toml", '[dependency-groups]\nlint = ["ruff==0.5.7"]\n')]) == (
        0,
        5,
        7,
    )
    assert ruff_pin([("requirements/dev.txt", "pytest\nruff>=0.4.1\n")]) == (0, 4, 1)
    assert ruff_pin([("pyproject.toml", 'dependencies = ["ruffus==2.8"]\n')]) is None


def test_flake8_replaced_by_ruff_is_not_a_removal() -> None:
    base = _edit(WORKFLOW, "run: ruff check src tests", "run: flake8 src tests")
    assert _scan((".github/workflows/ci.yml", base, WORKFLOW)) == []


def test_matrix_entry_removed_drops_the_env_it_ran() -> None:
    head = _edit(WORKFLOW, "env: [py311, py312, typing]", "env: [py311, py312]")
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, head))
    assert found.rule == "check-step-removed"
    assert "tox -e typing" in found.message


def test_job_disabled_is_one_finding_for_its_steps() -> None:
    head = _edit(
        WORKFLOW,
        "    runs-on: ubuntu-latest\n",
        "    if: ${{ false }}\n    runs-on: ubuntu-latest\n",
    )
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, head))
    assert found.rule == "check-step-disabled"
    assert found.message.startswith("5 check steps no longer run (job test if: ${{ false }}")


def test_experimental_matrix_continue_on_error_is_not_a_finding() -> None:
    head = _edit(
        WORKFLOW,
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n    continue-on-error: ${{ matrix.experimental }}\n",
    )
    assert _scan((".github/workflows/ci.yml", WORKFLOW, head)) == []


def test_deselection_added_to_the_command_unless_another_step_runs_it() -> None:
    old = "--cov-fail-under=85 tests\n"
    narrowed = _edit(WORKFLOW, old, "--cov-fail-under=85 -m 'not slow' tests\n")
    split = _edit(
        narrowed,
        "      - uses: actions/checkout@v4\n",
        "      - uses: actions/checkout@v4\n"
        "      - name: Slow\n        run: pytest -m slow tests\n",
    )
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, narrowed))
    assert found.rule == "tests-deselected"
    assert _scan((".github/workflows/ci.yml", WORKFLOW, split)) == []


def test_local_runners_tox_make_nox_and_pre_commit() -> None:
    tox = "[testenv]\ncommands =\n    pytest tests\n"
    make = "test:\n\tpytest tests\n"
    nox = textwrap.dedent(
        """\
        import nox

        @nox.session
        def tests(session):
            session.run("pytest", "tests")
        """
    )
    hooks = (
        "repos:\n  - repo: local\n    hooks:\n      - id: mypy\n        name: mypy\n"
        "        entry: mypy src\n        language: system\n"
    )
    found = _scan(
        ("tox.ini", tox, tox.replace("    pytest", "    - pytest")),
        ("Makefile", make, make.replace("\tpytest", "\t-pytest")),
        ("noxfile.py", nox, nox.replace('"tests")', '"tests", success_codes=[0, 1])')),
        (
            ".pre-commit-config.yaml",
            hooks,
            hooks.replace("language: system\n", "language: system\n        stages: [manual]\n"),
        ),
    )
    assert sorted((f.path, f.rule) for f in found) == [
        (".pre-commit-config.yaml", "check-step-disabled"),
        ("Makefile", "check-failure-ignored"),
        ("noxfile.py", "check-failure-ignored"),
        ("tox.ini", "check-failure-ignored"),
    ]


# --- suppression comments --------------------------------------------------------------------

SOURCE = (
    "def load(path):\n    data = open(path).read()\n    return data\n\n"
    'DOC = "use # noqa sparingly"\n'
)


def test_new_suppressions_are_counted_per_file_and_strings_are_not_markers() -> None:
    head = SOURCE.replace("open(path).read()", "open(path).read()  # noqa: SIM115").replace(
        "return data", "return data  # type: ignore[no-any-return]"
    )
    (found,) = _scan(("pkg/io.py", SOURCE, head))
    assert found.rule == "suppressions-added"
    assert found.severity is Severity.NOTE
    assert found.line == 2
    assert "2 suppression comments added" in found.message
    assert "# noqa: SIM115 at 2" in found.message


def test_suppressions_above_the_limit_are_warnings() -> None:
    head = "\n".join(f"x{i} = f()  # type: ignore" for i in range(3)) + "\n"
    assert {f.severity for f in _scan(("a.py", "", head), max_new_suppressions=2)} == {
        Severity.WARNING
    }
    assert {f.severity for f in _scan(("a.py", "", head), max_new_suppressions=3)} == {
        Severity.NOTE
    }
    # a new module's markers are new code: notes, however many
    new_module = _scan(("b.py", None, head), max_new_suppressions=2)
    assert {f.severity for f in new_module} == {Severity.NOTE}


def test_a_marker_moved_to_another_file_is_not_new() -> None:
    line = "value = compute()  # type: ignore[attr-defined]\n"
    assert _scan(("a.py", "import b\n" + line, "import b\n"), ("b.py", None, line)) == []


def test_a_new_marker_is_reported_in_its_own_file_not_where_an_old_one_sits() -> None:
    """The old pooled count blamed b.py's unchanged marker (the later file in sorted order)
    for the one a.py gained; the finding must point at a.py and its line."""
    old = "value = compute()  # type: ignore[attr-defined]\n"
    a_base = "import os\n\nname = os.name\n"
    a_head = "import os\n\nname = os.name  # type: ignore[attr-defined]\n"
    b_base = "import a\n" + old + "other = 1  # type: ignore[attr-defined]\n"
    b_head = b_base.replace("import a", "import a as _a")
    (found,) = _scan(("a.py", a_base, a_head), ("b.py", b_base, b_head))
    assert (found.path, found.line) == ("a.py", 3)
    # of two markers of one kind in a file, the one on the changed line is the new one
    c_base = "x = f()  # noqa: E501\ny = 2\n"
    c_head = "x = f()  # noqa: E501\ny = g()  # noqa: E501\n"
    (found,) = _scan(("c.py", c_base, c_head))
    assert (found.path, found.line) == ("c.py", 2)


def test_a_moved_marker_is_matched_by_its_line_before_any_other_removal() -> None:
    """a.py's marker moved to b.py; c.py's is new: the move is matched by its line text, so
    the finding is c.py's even though b.py sorts first."""
    moved = "value = compute()  # type: ignore[attr-defined]\n"
    fresh = "name = os.name  # type: ignore[attr-defined]\n"
    findings = _scan(
        ("a.py", "import b\n" + moved, "import b\n"),
        ("b.py", "import c\n", "import c\n" + moved),
        ("c.py", "import os\n", "import os\n" + fresh),
    )
    assert [(f.path, f.line) for f in findings] == [("c.py", 2)]


# --- end to end ------------------------------------------------------------------------------


def _run(repo: Repo, base: str) -> GateResult:
    outcome = run(RunRequest(path=repo.path, base=base), {GATE.name: GATE}, NoProgress())
    (result,) = outcome.report.gates
    return result


def test_end_to_end_on_a_real_repository(repo: Repo) -> None:
    repo.write("pyproject.toml", PYPROJECT)
    repo.write(".github/workflows/ci.yml", WORKFLOW)
    repo.write("src/harbor/__init__.py", "VERSION = 1\n")
    base = repo.commit("base")
    repo.write("pyproject.toml", _edit(PYPROJECT, "fail_under = 90", "fail_under = 70"))
    repo.write(
        ".github/workflows/ci.yml",
        _edit(WORKFLOW, "run: ruff check src tests", "run: ruff check src tests || true"),
    )
    repo.write("src/harbor/__init__.py", "VERSION = 2  # type: ignore\n")
    repo.commit("head")

    result = _run(repo, base)

    assert result.status is Status.FAIL
    assert sorted((f.path, f.rule, f.new) for f in result.findings) == [
        (".github/workflows/ci.yml", "check-failure-ignored", True),
        ("pyproject.toml", "coverage-threshold-lowered", True),
        ("src/harbor/__init__.py", "suppressions-added", True),
    ]


def test_end_to_end_inline_suppression_and_a_legitimate_change(repo: Repo) -> None:
    repo.write("pyproject.toml", PYPROJECT)
    base = repo.commit("base")
    lowered = _edit(
        PYPROJECT,
        "fail_under = 90",
        "# gates: ignore[coverage-threshold-lowered] vendored parser counted since #123\n"
        "fail_under = 85",
    )
    repo.write("pyproject.toml", lowered)
    repo.commit("head")

    result = _run(repo, base)

    lowered_found, marker_added = sorted(result.findings, key=lambda f: f.rule)
    assert lowered_found.rule == "coverage-threshold-lowered"
    assert lowered_found.suppressed is not None
    # the marker the PR added to silence it is itself reported, as a note that does not block
    assert (marker_added.rule, marker_added.severity) == ("suppressions-added", Severity.NOTE)
    assert "# gates: ignore[coverage-threshold-lowered]" in marker_added.message
    assert result.status is Status.PASS


# --- pieces learnt from real projects' config history ---------------------------------------


def test_rule_selectors_match_by_linter_letters() -> None:
    from gates.checks.checks_weakened_rules import covers

    assert covers("F", "F401")
    assert not covers("F", "FBT001")  # flake8-boolean-trap is not pyflakes
    assert covers("PL", "PLR0913")
    assert covers("E5", "E501")
    assert not covers("E501", "E5")
    assert covers("ALL", "D203")


def test_commands_are_unwrapped_from_runners_and_interpreters() -> None:
    from gates.checks.checks_weakened_commands import invocations

    def seen(command: str) -> list[tuple[str, str, tuple[str, ...]]]:
        return [(i.kind, i.tool, i.targets) for i in invocations(tuple(command.split()))]

    assert seen("uvx --with tox-uv tox run -e py312,typing") == [
        ("tests", "tox:py312", ()),
        ("types", "tox:typing", ()),
    ]
    assert seen("python -Im coverage report --fail-under=100") == [("coverage", "coverage", ())]
    assert seen("poetry run python -m pytest --cov --cov-report=xml tests") == [
        ("tests", "pytest", ("tests",))
    ]
    assert seen("tox -e docs") == []
    assert seen("tox -e ${{env.PY}}-mypy") == [("types", "tox:${{env.PY}}-mypy", ())]


@pytest.mark.parametrize(
    "command",
    [
        "xargs -0 uv run --no-sync pytest --",
        "xargs -n 1 -P 4 -a files.txt python -m pytest -q",
        "env -u CI -C sub pytest",
        "hatch -e test run +py=3.12 pytest",
        "hatch env run -e test -- python -m pytest",
        "sudo -E uv tool run pytest",
        "stdbuf -oL nohup command pytest",
    ],
)
def test_a_wrapped_pytest_is_still_pytest(command: str) -> None:
    """xargs, env, sudo and hatch's own options (some take a value) stand before the tool."""
    from gates.checks.checks_weakened_commands import invocations

    assert [(i.kind, i.tool) for i in invocations(tuple(shlex.split(command)))] == [
        ("tests", "pytest")
    ]


def test_xargs_running_another_tool_runs_no_check() -> None:
    from gates.checks.checks_weakened_commands import invocations

    assert invocations(("xargs", "-0", "-n", "1", "echo", "pytest")) == []
    assert invocations(("xargs", "-I", "{}", "rm", "{}")) == []


def test_tox_factor_conditions_and_env_defaults_are_read_as_commands() -> None:
    base = "[testenv]\ncommands = pytest {posargs:tests}\n"
    head = (
        "[testenv]\ncommands =\n    {env:_CMD:pytest} {posargs:tests}\n"
        "    coverage: coverage report --fail-under=90\n"
    )
    assert _scan(("tox.ini", base, head)) == []


def test_an_action_is_known_by_the_tool_it_is_named_after() -> None:
    base = "on: pull_request\njobs:\n  z:\n    runs-on: x\n    steps:\n      - run: uvx zizmor .\n"
    head = base.replace("run: uvx zizmor .", "uses: zizmorcore/zizmor-action@v1")
    assert _scan((".github/workflows/z.yml", base, head)) == []
    removed = base.replace("      - run: uvx zizmor .\n", "      - run: echo skipped\n")
    assert _rules(_scan((".github/workflows/z.yml", base, removed))) == ["check-step-removed"]


def test_a_marker_the_pr_registers_may_be_deselected() -> None:
    base = '[tool.pytest.ini_options]\naddopts = ["-ra"]\nmarkers = ["slow: slow"]\n'
    opt_in = base.replace('["-ra"]', '["-ra", "-m", "not property"]').replace(
        '["slow: slow"]', '["slow: slow", "property: opt-in"]'
    )
    old_marker = base.replace('["-ra"]', '["-ra", "-m", "not slow"]')
    assert _scan(("pyproject.toml", base, opt_in)) == []
    assert _rules(_scan(("pyproject.toml", base, old_marker))) == ["tests-deselected"]


def test_paths_follow_the_prs_renames_and_a_deleted_task_file_is_not_a_removal() -> None:
    tox = "[testenv:typing]\ncommands = mypy {name}\n"
    renamed = [
        FileChange("tox.ini", tox.format(name="ex/old.py"), tox.format(name="ex/new.py")),
        FileChange("ex/new.py", "x = 1\n", "x = 1\n", base_path="ex/old.py"),
    ]
    assert GATE.scan_changes(renamed, DEFAULTS) == []
    make = "test:\n\tpytest tests\n"
    assert _scan(("Makefile", make, None)) == []
    workflow = "on: pull_request\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest\n"
    assert _rules(_scan((".github/workflows/t.yml", workflow, None))) == ["check-step-removed"]


def test_flake8_default_ignores_coming_back_are_not_a_loosening() -> None:
    base = "[flake8]\nignore = E203\n"
    head = "[flake8]\nextend-ignore = E203\n"
    assert _scan(("setup.cfg", base, head)) == []
    widened = "[flake8]\nextend-ignore = E203, E722\n"
    assert _rules(_scan(("setup.cfg", base, widened))) == ["lint-rules-loosened"]


# --- evasions: a check kept in name but not on pull requests ---------------------------------


def test_a_test_step_that_runs_only_on_push_is_disabled_for_pull_requests() -> None:
    step = "      - name: Tests\n"
    for condition in (
        "github.event_name == 'push'",
        "github.ref == 'refs/heads/main'",
        "${{ startsWith(github.ref, 'refs/tags/') && success() }}",
    ):
        head = _edit(WORKFLOW, step, f'{step}        if: "{condition}"\n')
        (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, head))
        assert found.rule == "check-step-disabled", condition
    either = _edit(WORKFLOW, step, f"{step}        if: github.event_name == 'push' || true\n")
    assert _scan((".github/workflows/ci.yml", WORKFLOW, either)) == []


def test_continue_on_error_expression_that_is_not_a_matrix_flag_ignores_failures() -> None:
    step = "      - name: Tests\n"
    event = _edit(
        WORKFLOW, step, f"{step}        continue-on-error: ${{{{ github.actor != 'x' }}}}\n"
    )
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, event))
    assert found.rule == "check-failure-ignored"


def test_collect_only_runs_no_test() -> None:
    head = _edit(WORKFLOW, "--cov-fail-under=85 tests", "--cov-fail-under=85 --collect-only tests")
    rules = _rules(_scan((".github/workflows/ci.yml", WORKFLOW, head)))
    assert rules == ["check-step-disabled"]


def test_excluded_paths_and_coverage_omit_count_unless_only_the_prs_new_files() -> None:
    base = PYPROJECT + '\n[tool.coverage.run]\nomit = ["*/harbor/_version.py"]\n'
    base = _edit(
        base, "[tool.ruff.lint]", '[tool.ruff]\nextend-exclude = ["docs"]\n\n[tool.ruff.lint]'
    )
    head = _edit(
        base, 'extend-exclude = ["docs"]', 'extend-exclude = ["docs", "src/harbor/billing"]'
    )
    head = _edit(
        head,
        'omit = ["*/harbor/_version.py"]',
        'omit = ["*/harbor/_version.py", "src/harbor/billing/*"]',
    )
    old_code = ("src/harbor/billing/core.py", "x = 1\n", "x = 2\n")
    new_code = ("src/harbor/billing/core.py", None, "x = 2\n")
    assert _rules(_scan(("pyproject.toml", base, head), old_code)) == [
        "coverage-threshold-lowered",
        "lint-rules-loosened",
    ]
    assert _scan(("pyproject.toml", base, head), new_code) == []


def test_trigger_filters_that_skip_python_changes_stop_the_workflow_gating() -> None:
    from gates.checks.checks_weakened_triggers import glob, not_on_pull_requests

    assert glob("**/*.py").fullmatch("module.py")
    assert glob("**/*.py").fullmatch("src/pkg/module.py")
    assert not glob("src/*").fullmatch("src/pkg/module.py")
    assert not_on_pull_requests({"pull_request": {"paths-ignore": ["docs/**", "*.md"]}}) == ""
    assert not_on_pull_requests({"pull_request": {"paths": ["src/**", "!src/**/*.py"]}}) != ""
    assert "only when closed" in not_on_pull_requests({"pull_request": {"types": ["closed"]}})
    assert "only to main" in not_on_pull_requests({"push": {"branches": ["main"]}})
    assert not_on_pull_requests({"push": {"branches": ["**"]}}) == ""
    head = _edit(WORKFLOW, "  pull_request:\n", "  pull_request:\n    paths-ignore: ['**/*.py']\n")
    (found,) = _scan((".github/workflows/ci.yml", WORKFLOW, head))
    assert found.rule == "check-step-disabled"
    assert "paths-ignore: **/*.py" in found.message


def test_a_reusable_test_workflow_call_is_a_check_step() -> None:
    base = (
        "on: pull_request\njobs:\n  tests:\n    uses: ./.github/workflows/_tests.yml\n"
        "  build:\n    uses: org/shared/.github/workflows/build-dist.yml@v2\n"
    )
    renamed = base.replace("  tests:\n", "  test-suite:\n")
    dropped = base.replace("  tests:\n    uses: ./.github/workflows/_tests.yml\n", "")
    no_build = base.replace(
        "  build:\n    uses: org/shared/.github/workflows/build-dist.yml@v2\n", ""
    )
    assert _scan((".github/workflows/ci.yml", base, renamed)) == []
    assert _scan((".github/workflows/ci.yml", base, no_build)) == []
    assert _rules(_scan((".github/workflows/ci.yml", base, dropped))) == ["check-step-removed"]


def test_a_positive_selector_narrows_unless_another_step_runs_the_rest() -> None:
    # without the tox step, which runs the whole suite too
    base = _edit(WORKFLOW, "      - name: Tox\n        run: tox -e ${{ matrix.env }}\n", "")
    smoke = _edit(base, "--cov-fail-under=85 tests\n", "--cov-fail-under=85 -m smoke tests\n")
    (found,) = _scan((".github/workflows/ci.yml", base, smoke))
    assert found.rule == "tests-deselected"
    assert "runs only -m 'smoke'" in found.message
    rest = _edit(
        smoke,
        "      - name: Tests\n",
        "      - name: Rest\n        run: pytest -m 'not smoke' tests\n      - name: Tests\n",
    )
    assert _scan((".github/workflows/ci.yml", base, rest)) == []


def test_a_findings_identity_does_not_hold_line_numbers() -> None:
    from gates.checks.checks_weakened_report import identity

    moved = identity("2 suppression comment(s) added to a.py: # noqa at 14, 15; base line 40")
    assert moved == identity("2 suppression comment(s) added to a.py: # noqa at 3, 4; base line 9")
    assert "line N" in moved


def test_values_of_the_wrong_type_are_not_a_crash() -> None:
    base = '[secrets]\nfail_on = "warning"\n\n[coverage]\nmin_total = 80\n'
    head = '[secrets]\nfail_on = ["never"]\n\n[coverage]\nmin_total = true\n'
    found = _scan((".gates.toml", base, head))
    # min_total = true is no number: the floor is gone; the list is no fail_on at all
    assert _rules(found) == ["coverage-threshold-lowered"]


def test_strict_moved_into_the_config_and_overrides_for_new_modules() -> None:
    make = "typecheck:\n\tmypy -p harbor --strict\n"
    moved = [
        ("Makefile", make, make.replace(" --strict", "")),
        ("pyproject.toml", PYPROJECT.replace("strict = true\n", ""), PYPROJECT),
    ]
    assert _scan(*moved) == []
    assert _rules(_scan(moved[0])) == ["type-checking-loosened"]
    override = (
        '\n[[tool.mypy.overrides]]\nmodule = "tests.test_bench"\ndisable_error_code = ["misc"]\n'
    )
    head = PYPROJECT + override
    new_module = ("tests/test_bench.py", None, "def test_x():\n    pass\n")
    old_module = ("tests/test_bench.py", "def test_x():\n    pass\n", "def test_x():\n    pass\n")
    assert _scan(("pyproject.toml", PYPROJECT, head), new_module) == []
    assert _rules(_scan(("pyproject.toml", PYPROJECT, head), old_module)) == [
        "type-checking-loosened"
    ]


def test_pyright_config_with_comments_compared_by_mode_and_rule_levels() -> None:
    base = '{\n  // strict for the core\n  "typeCheckingMode": "strict",\n  "strict": ["src"],\n}\n'
    basic = base.replace('"strict",\n  "strict"', '"basic",\n  "strict"')
    rule_off = base.replace(
        '"strict": ["src"],', '"strict": ["src"],\n  "reportUnknownMemberType": false,'
    )
    (found,) = _scan(("pyrightconfig.json", base, basic))
    assert "typeCheckingMode strict -> basic" in found.message
    (found,) = _scan(("pyrightconfig.json", base, rule_off))
    assert "reportUnknownMemberType lowered" in found.message
    assert _scan(("pyrightconfig.json", base, base.replace("core", "package core"))) == []
