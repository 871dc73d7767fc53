"""The mypy gate: its JSON parser on captured real output, and real mypy on real repos."""

from __future__ import annotations

import sys
import threading
import venv
from pathlib import Path

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.errors import UsageError
from gates.model import Finding, GateResult, Severity, Status
from gates.registry import REGISTRY
from gates.runner import NoProgress
from gates.tools.mypy import (
    blocking_messages,
    config_file_arg,
    excluded_by_config,
    mypy_config,
    parse_mypy_json,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "mypy"
ROOT = Path("/work/proj")


def _golden(name: str) -> list[Finding]:
    return parse_mypy_json((GOLDEN / name).read_text(encoding="utf-8"), ROOT)


def test_parse_errors_keeps_codes_columns_and_severities() -> None:
    findings = _golden("errors.jsonl")
    first = next(f for f in findings if f.rule == "return-value")
    assert (first.path, first.line, first.rule, first.severity) == (
        "pkg/a.py",
        5,
        "return-value",
        Severity.ERROR,
    )
    # `    return x`: mypy's 0-based column 11 is the 12th character; end is exclusive.
    assert (first.column, first.end_line, first.end_column) == (12, 5, 13)
    assert first.message == 'Incompatible return value type (got "int", expected "str")'
    reveal = next(f for f in findings if f.message.startswith("Revealed type"))
    assert reveal.severity is Severity.NOTE and reveal.rule == "misc"
    assert {f.rule for f in findings} >= {"attr-defined", "arg-type", "import-not-found"}


def test_parse_folds_attached_notes_and_links() -> None:
    findings = _golden("errors.jsonl")
    missing = next(f for f in findings if f.rule == "import-not-found")
    assert missing.help_uri == (
        "https://mypy.readthedocs.io/en/stable/running_mypy.html#missing-imports"
    )
    assert "See" not in missing.message
    overload = next(f for f in findings if f.rule == "call-overload")
    assert "Possible overload variants: def get" in overload.message
    assert "\n" not in overload.message


def test_parse_syntax_error_is_a_finding_at_its_line() -> None:
    findings = _golden("syntax.jsonl")
    assert [(f.path, f.line, f.rule) for f in findings] == [("pkg/b.py", 1, "syntax")] * 2


def test_parse_drops_error_context_notes_without_position() -> None:
    findings = _golden("error_context.jsonl")
    assert all(f.line for f in findings)
    assert not any(f.message.startswith("In function") for f in findings)


def test_parse_ignores_plain_text_and_rejects_garbage() -> None:
    assert parse_mypy_json((GOLDEN / "usage.out").read_text(encoding="utf-8"), ROOT) == []
    with pytest.raises(ValueError):
        parse_mypy_json("{not json", ROOT)


def test_config_is_found_where_mypy_looks(tmp_path: Path) -> None:
    assert mypy_config(tmp_path) == {}
    (tmp_path / "setup.cfg").write_text("[mypy]\nfiles = src\n")
    assert mypy_config(tmp_path)["files"] == "src"
    (tmp_path / "mypy.ini").write_text("")  # found first, counts even empty: no files
    assert mypy_config(tmp_path) == {}
    assert mypy_config(tmp_path, "setup.cfg")["files"] == "src"
    (tmp_path / "mypy.ini").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.mypy]\nfiles = ["src"]\n')
    assert mypy_config(tmp_path)["files"] == ["src"]


def test_config_exclude_applies_to_the_files_the_gate_names() -> None:
    files = ["pkg/a.py", "build/lib/pkg/a.py", "migrations/0001.py", "setup.py"]
    assert excluded_by_config(files, {}) == files
    assert excluded_by_config(files, {"exclude": "^build/"}) == [
        "pkg/a.py",
        "migrations/0001.py",
        "setup.py",
    ]
    assert excluded_by_config(files, {"exclude": ["^build/", "migrations/", "("]}) == [
        "pkg/a.py",
        "setup.py",
    ]


def test_config_file_argument_is_found() -> None:
    assert config_file_arg(["--strict", "--config-file", "ci/mypy.ini"]) == "ci/mypy.ini"
    assert config_file_arg(["--config-file=ci/mypy.ini"]) == "ci/mypy.ini"
    assert config_file_arg(["--strict"]) is None


def _run(repo: Repo, base: str | None, *stages: str) -> dict[str, GateResult]:
    request = RunRequest(path=repo.path, base=base, stages=list(stages), env={})
    outcome = run(request, REGISTRY, NoProgress(), threading.Event())
    return {g.name: g for g in outcome.report.gates}


OLD = 'def old() -> int:\n    return "x"\n'


def test_new_error_on_changed_line_blocks_old_one_does_not(repo: Repo) -> None:
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/old.py", OLD)
    repo.write("pkg/new.py", "def ok() -> int:\n    return 1\n")
    base = repo.commit("base")
    repo.write("pkg/new.py", "def ok() -> int:\n    return 1\n\n\ny: str = ok()\n")
    repo.commit("pr")
    result = _run(repo, base, "mypy")["mypy"]
    assert result.status is Status.FAIL, result.detail
    by_path = {f.path: f for f in result.findings}
    assert by_path["pkg/new.py"].line == 5 and by_path["pkg/new.py"].new
    assert by_path["pkg/new.py"].rule == "assignment"
    assert by_path["pkg/old.py"].rule == "return-value" and not by_path["pkg/old.py"].new


def test_only_old_errors_pass_and_config_files_are_respected(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.mypy]\nfiles = ["src"]\n')
    repo.write("src/old.py", OLD)
    repo.write("scripts/bad.py", "x: int = 'not checked: outside files'\n")
    base = repo.commit("base")
    repo.write("src/more.py", "def fine() -> int:\n    return 1\n")
    repo.commit("pr")
    result = _run(repo, base, "mypy")["mypy"]
    assert result.status is Status.PASS, result.detail
    assert [(f.path, f.new) for f in result.findings] == [("src/old.py", False)]


def test_syntax_error_is_a_new_finding_and_the_run_completes(repo: Repo) -> None:
    repo.write("a.py", "x = 1\n")
    base = repo.commit("base")
    repo.write("b.py", "def broken(:\n    pass\n")
    repo.commit("pr")
    result = _run(repo, base, "mypy")["mypy"]
    assert result.status is Status.FAIL, result.detail
    assert {(f.path, f.line, f.rule, f.new) for f in result.findings} == {
        ("b.py", 1, "syntax", True)
    }


def test_mypy_usage_error_is_a_gate_error(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.mypy]\nfiles = ["does_not_exist.py"]\n')
    repo.commit()
    result = _run(repo, None, "mypy")["mypy"]
    assert result.status is Status.ERROR
    assert "exited with code 2" in result.detail and "does_not_exist" in result.detail


def _venv(path: Path, packages: dict[str, str] | None = None, gates_site: bool = False) -> str:
    """A project environment: a bare venv, with modules written into its site-packages and,
    with `gates_site`, gates' own site-packages on its path (so it has mypy)."""
    venv.create(path, with_pip=False, symlinks=True)
    (site,) = path.glob("lib/python*/site-packages")
    for rel, text in (packages or {}).items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    if gates_site:
        own = next(p for p in sys.path if p.endswith("site-packages"))
        (site / "gates-site.pth").write_text(own + "\n")
    return str(path / "bin" / "python")


ONLY_HERE = {"onlyhere/__init__.py": "def f() -> int:\n    return 1\n", "onlyhere/py.typed": ""}


def test_without_mypy_in_the_project_gates_mypy_sees_its_packages(
    repo: Repo, tmp_path: Path
) -> None:
    python = _venv(tmp_path / "project-env", ONLY_HERE)
    repo.write(".gates.toml", f'python = "{python}"\n')
    repo.write("a.py", "from onlyhere import f\n\nx: str = f()\n")
    repo.commit()
    result = _run(repo, None, "mypy")["mypy"]
    # Found in the project's site-packages: a type error, not a missing import.
    assert [f.rule for f in result.findings] == ["assignment"], result.detail
    assert f"gates' own mypy with --python-executable {python}" in result.detail
    assert "mypy is not installed in" in result.detail


def test_the_projects_own_mypy_runs_with_its_plugins(repo: Repo, tmp_path: Path) -> None:
    plugin = "from mypy.plugin import Plugin\n\ndef plugin(version):\n    return Plugin\n"
    python = _venv(tmp_path / "project-env", {"projplugin.py": plugin}, gates_site=True)
    repo.write(".gates.toml", f'python = "{python}"\n')
    repo.write("mypy.ini", "[mypy]\nplugins = projplugin\n")
    repo.write("a.py", "x: str = 1\n")
    repo.commit()
    result = _run(repo, None, "mypy")["mypy"]
    # gates' own mypy could not import the plugin, which only the project's environment has.
    assert [f.rule for f in result.findings] == ["assignment"], result.detail
    assert f"from {python}" in result.detail


def test_a_project_python_that_does_not_exist_is_a_usage_error(repo: Repo, tmp_path: Path) -> None:
    repo.write(".gates.toml", f'python = "{tmp_path / "nope" / "python"}"\n')
    repo.write("a.py", "x = 1\n")
    repo.commit()
    with pytest.raises(UsageError, match=r"nope/python .from config key `python`. does not exist"):
        _run(repo, None, "mypy")


def test_blocking_error_is_named_not_reported_as_a_finding() -> None:
    text = (GOLDEN / "duplicate-module.jsonl").read_text(encoding="utf-8")
    assert parse_mypy_json(text, ROOT)[0].line is None
    assert blocking_messages(text) == [
        'tests/b/conftest.py: Duplicate module named "conftest" (also at "tests/a/conftest.py")'
    ]


def test_duplicate_modules_in_configured_files_make_a_gate_error(repo: Repo) -> None:
    repo.write("mypy.ini", "[mypy]\nfiles = tests\n")
    repo.write("tests/a/conftest.py", "")
    repo.write("tests/b/conftest.py", "")
    repo.commit()
    result = _run(repo, None, "mypy")["mypy"]
    assert result.status is Status.ERROR
    assert 'Duplicate module named "conftest"' in result.detail


def test_stubs_win_and_files_outside_packages_are_named_not_checked(repo: Repo) -> None:
    repo.write("m.py", "def f(x):\n    return x\n")
    repo.write("m.pyi", "def f(x: int) -> int: ...\n")  # passed alone: no duplicate
    repo.write("tests/a/conftest.py", "x: int = 'not checked'\n")
    repo.write("tests/b/conftest.py", "")
    repo.commit()
    result = _run(repo, None, "mypy")["mypy"]
    assert result.status is Status.PASS, result.detail
    assert "checked: m.pyi\n" in result.detail
    assert "not checked (outside any package" in result.detail
    assert "tests/a/conftest.py, tests/b/conftest.py" in result.detail


_FASTAPI_LIKE = {
    "pyproject.toml": '[project]\nname = "app"\n',
    "app/__init__.py": "",
    "app/main.py": "def main() -> int:\n    return 1\n",
    "app/routing/__init__.py": "",
    "app/routing/api.py": "from app.main import main\n\nVALUE: int = main()\n",
    # Two more modules named `main`, and two named `translate`: every *.py at once is
    # "Duplicate module named" for mypy.
    "scripts/main.py": "print('script')\n",
    "docs_src/app_a/main.py": "x = 1\n",
    "docs_src/app_b/main.py": "x = 2\n",
    "scripts/translate.py": "y = 1\n",
    "docs/translate.py": "y = 2\n",
}


def test_a_fastapi_shaped_repo_checks_its_package_not_its_scripts(repo: Repo) -> None:
    for rel, text in _FASTAPI_LIKE.items():
        repo.write(rel, text)
    base = repo.commit("base")
    repo.write("app/routing/api.py", "from app.main import main\n\nVALUE: str = main()\n")
    repo.write("scripts/main.py", "print('changed script')\n")
    repo.commit("pr")
    result = _run(repo, base, "mypy")["mypy"]
    assert result.status is Status.FAIL, result.detail
    assert [(f.path, f.rule, f.new) for f in result.findings] == [
        ("app/routing/api.py", "assignment", True)
    ]
    assert "checked: app\n" in result.detail and "scripts/main.py" in result.detail
    # With no base every file counts as changed: still only the package, no duplicate error.
    everything = _run(repo, None, "mypy")["mypy"]
    assert everything.status is Status.FAIL, everything.detail
    assert "Duplicate module" not in everything.detail
    assert "docs_src/app_a/main.py" in everything.detail  # named as not checked


def test_a_pr_that_touches_only_scripts_skips_and_says_why(repo: Repo) -> None:
    for rel, text in _FASTAPI_LIKE.items():
        repo.write(rel, text)
    base = repo.commit("base")
    repo.write("scripts/main.py", "x: int = 'a script is not checked'\n")
    repo.commit("pr")
    result = _run(repo, base, "mypy")["mypy"]
    assert result.status is Status.SKIPPED
    assert "no changed Python file in a package" in result.detail
    assert "scripts/main.py" in result.detail


def test_src_layout_packages_and_config_packages_key(repo: Repo) -> None:
    repo.write("src/lib/__init__.py", "")
    repo.write("src/lib/core.py", "def f() -> int:\n    return 1\n")
    repo.write("src/lib/use.py", "from lib.core import f\n\nz: str = f()\n")
    repo.write("src/single.py", "w: int = 'top-level module in src'\n")
    repo.write("mypy.ini", "[mypy]\nmypy_path = src\n")
    base = repo.commit("base")
    repo.write("src/lib/core.py", "def f() -> int:\n    return 2\n")
    repo.commit("pr")
    result = _run(repo, base, "mypy")["mypy"]
    assert {f.path for f in result.findings} == {"src/lib/use.py"}, result.detail
    assert "checked: src/lib\n" in result.detail or result.detail.endswith("checked: src/lib")
    repo.write("mypy.ini", "[mypy]\nmypy_path = src\npackages = lib\n")
    repo.commit("config names the package")
    named = _run(repo, None, "mypy")["mypy"]
    assert {f.path for f in named.findings} == {"src/lib/use.py"}, named.detail


def test_project_exclude_is_honoured_without_files(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.mypy]\nexclude = ["^tests/", "^build/"]\n')
    repo.write("tests/a/conftest.py", "x: int = 'excluded, and a duplicate module'\n")
    repo.write("tests/b/conftest.py", "")
    repo.write("build/lib/m.py", "y: int = 'excluded'\n")
    repo.write("m.py", "z: int = 'checked'\n")
    repo.commit()
    result = _run(repo, None, "mypy")["mypy"]
    assert [(f.path, f.rule) for f in result.findings] == [("m.py", "assignment")], result.detail


CALLEE = "def size(name: str) -> int:\n    return len(name)\n"
CALLER = "from pkg.lib import size\n\n\ndef total() -> int:\n    return size('abc') + 1\n"


def test_an_old_error_on_a_touched_line_is_not_the_prs(repo: Repo) -> None:
    """mypy is judged against the base by default: reformatting a line that already had an
    error does not make the PR's; `new = "lines"` brings back marking by lines."""
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/old.py", OLD)
    base = repo.commit("base")
    repo.write("pkg/old.py", OLD.replace('return "x"', "return 'x'  # reformatted"))
    repo.commit("pr touches the old error's line")
    result = _run(repo, base, "mypy")["mypy"]
    assert [(f.rule, f.new) for f in result.findings] == [("return-value", False)]
    assert result.status is Status.PASS, result.detail
    repo.write(".gates.toml", '[mypy]\nnew = "lines"\n')
    by_lines = _run(repo, base, "mypy")["mypy"]
    assert [(f.rule, f.new) for f in by_lines.findings] == [("return-value", True)]


def test_an_error_the_pr_causes_on_a_line_it_did_not_touch_is_new(repo: Repo) -> None:
    """A changed signature breaks its caller in another file: the PR's error, though no line
    of the caller changed."""
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/lib.py", CALLEE)
    repo.write("pkg/use.py", CALLER)
    base = repo.commit("base")
    repo.write("pkg/lib.py", CALLEE.replace("-> int", "-> str").replace("len(name)", "name"))
    repo.commit("pr changes a return type")
    result = _run(repo, base, "mypy")["mypy"]
    caller = [f for f in result.findings if f.path == "pkg/use.py"]
    assert caller and all(f.new for f in caller), result.findings
    assert result.status is Status.FAIL


def test_an_old_error_keeps_its_identity_when_the_pr_drops_a_foreign_ignore(repo: Repo) -> None:
    """requests #7497 removed pyright's `# type: ignore[reportX]` comments: mypy's error on such
    a line was there before (with a note that the comment does not cover it) and is still
    there; the note changes the message, not the error."""
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/m.py", 'x: int = "s"  # type: ignore[reportSomething]\n')
    base = repo.commit("base")
    repo.write("pkg/m.py", 'x: int = "s"\n')
    repo.commit("pr drops the foreign ignore")
    result = _run(repo, base, "mypy")["mypy"]
    assert [(f.rule, f.new) for f in result.findings] == [("assignment", False)], result.findings


LIB_LAYOUTS = {
    # sqlalchemy keeps its package in lib/ and says so in setup.cfg and in mypy's config
    "setup.cfg": "[options]\npackage_dir =\n    =lib\n[options.packages.find]\nwhere = lib\n",
    "mypy.ini": "[mypy]\nmypy_path = ./lib/\n",
    "pyproject.toml": '[tool.setuptools.packages.find]\nwhere = ["lib"]\n',
}


@pytest.mark.parametrize("config_file", sorted(LIB_LAYOUTS))
def test_a_package_in_a_source_folder_the_project_names_is_checked(
    repo: Repo, config_file: str
) -> None:
    """Before: `lib/pkg` was "outside any package" and the gate skipped sqlalchemy's PRs."""
    repo.write(config_file, LIB_LAYOUTS[config_file])
    repo.write("lib/pkg/__init__.py", "")
    repo.write("lib/pkg/core.py", "def f() -> int:\n    return 1\n")
    repo.write("lib/pkg/use.py", "from pkg.core import f\n\nz: str = f()\n")
    repo.write("tools/script.py", "w: int = 'a script: not checked'\n")
    base = repo.commit("base")
    repo.write("lib/pkg/core.py", "def f() -> int:\n    return 2\n")
    repo.write("tools/script.py", "w: int = 'still a script'\n")
    repo.commit("pr")
    result = _run(repo, base, "mypy")["mypy"]
    assert result.status is not Status.SKIPPED, result.detail
    assert {f.path for f in result.findings} == {"lib/pkg/use.py"}, result.detail
    assert "checked: lib/pkg" in result.detail and "tools/script.py" in result.detail


SOURCE_DIRS = [
    ({}, {}, [(), ("src",)]),
    ({"mypy_path": "./lib/, $MYPY_CONFIG_FILE_DIR/stubs"}, {}, [(), ("src",), ("lib",)]),
    ({"mypy_path": ["lib", "../outside", "/abs"]}, {}, [(), ("src",), ("lib",)]),
    ({}, {"setup.cfg": "[options]\npackage_dir = =python\n"}, [(), ("src",), ("python",)]),
    (
        {},
        {"pyproject.toml": '[tool.setuptools]\npackage-dir = {"" = "py"}\n'},
        [(), ("src",), ("py",)],
    ),
    ({}, {"setup.cfg": "[options]\npackage_dir =\n    foo = bar\n"}, [(), ("src",)]),
    ({}, {"pyproject.toml": "not toml ["}, [(), ("src",)]),
]


@pytest.mark.parametrize(("mypy_config", "files", "want"), SOURCE_DIRS)
def test_source_dirs(
    tmp_path: Path,
    mypy_config: dict[str, object],
    files: dict[str, str],
    want: list[tuple[str, ...]],
) -> None:
    from gates.tools.mypy_targets import source_dirs

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert list(source_dirs(tmp_path, mypy_config)) == want
