"""Which source coverage measures: the layout inference and pytest-cov's `--cov` options."""

from __future__ import annotations

from pathlib import Path

from gates.tools.coverage_source import (
    Probe,
    Source,
    choose_source,
    infer_source,
    name_pytest_cov_source,
    pytest_cov_sources,
)


def _tree(root: Path, *files: str) -> Path:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    return root


def test_packages_at_the_root_and_under_src_not_tests_docs_or_examples(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        "alpha/__init__.py",
        "src/beta/__init__.py",
        "tests/__init__.py",
        "docs/__init__.py",
        "examples/__init__.py",
        "benchmarks/__init__.py",
        "notapkg/mod.py",  # no __init__.py
        "setup.py",
        "conftest.py",
        "noxfile.py",
    )
    assert infer_source(root) == ("alpha", "src/beta")


def test_modules_under_src_make_all_of_src_the_source(tmp_path: Path) -> None:
    assert infer_source(_tree(tmp_path, "src/beta/__init__.py", "src/single.py")) == ("src",)


def test_root_modules_count_only_when_there_is_no_package(tmp_path: Path) -> None:
    root = _tree(tmp_path, "six.py", "setup.py", "conftest.py", "test_six.py", "noxfile.py")
    assert infer_source(root) == ("six",)
    assert infer_source(_tree(tmp_path / "empty", "tests/test_x.py")) == ()


def test_cov_values_bare_with_value_and_separate_value(tmp_path: Path) -> None:
    assert pytest_cov_sources(tmp_path, {}) == []
    env = {"PYTEST_ADDOPTS": "--cov --cov=a --cov b -q --cov"}
    assert pytest_cov_sources(tmp_path, env) == [True, "a", "b", True]


def test_the_source_is_chosen_pytest_cov_then_coverage_config_then_layout(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path, "pkg/__init__.py")
    assert choose_source(root, {}, Probe()) == Source(("pkg",), "inferred")
    configured = Probe(source=("mine",), omit=("*/x.py",))
    assert choose_source(root, {}, configured) == Source(("mine",), "coverage config", ("*/x.py",))
    named = {"PYTEST_ADDOPTS": "--cov=other"}
    assert choose_source(root, named, configured).origin == "pytest-cov options"
    bare = {"PYTEST_ADDOPTS": "--cov"}  # leaves the source to coverage's config
    assert choose_source(root, bare, configured).origin == "coverage config"
    broken = Probe(error="ConfigError: bad")  # the run reports it; no guess on top
    assert choose_source(root, {}, broken) == Source((), "")


def test_a_bare_cov_is_rewritten_where_it_was_written(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -q --cov --cov-report=term\n")
    source = Source(("src/a", "b"), "inferred")
    args, env = name_pytest_cov_source(tmp_path, {"PYTEST_ADDOPTS": "--cov -x"}, source)
    assert args == ["-o", "addopts=-q --cov=src/a --cov=b --cov-report=term"]
    assert env == {"PYTEST_ADDOPTS": "--cov=src/a --cov=b -x"}
    assert name_pytest_cov_source(tmp_path, {}, Source(("x",), "coverage config")) == ([], {})


def test_source_covers_files_in_its_folders_and_its_modules() -> None:
    source = Source(("src/a", "six"), "inferred")
    assert source.covers("src/a/b/c.py") and source.covers("six.py")
    assert not source.covers("src/ab.py") and not source.covers("tests/six.py")
    assert source.describe() == "source: src/a, six (inferred)"
