"""Property: any config file gives a Config or a ConfigError naming the problem, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w
from conftest import Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gates.checks.egress import host_allowed
from gates.checks.size_budgets import budget_for
from gates.checks.size_rules import SizeOptions
from gates.cli import main
from gates.config import COMMON_GATE_OPTIONS, GLOBAL_OPTIONS, build_config, load_config
from gates.errors import ConfigError
from gates.paths import matches, select
from gates.registry import REGISTRY

KNOWN_KEYS = sorted({*GLOBAL_OPTIONS, *COMMON_GATE_OPTIONS, "budgets", "format", "args"})
SECTIONS = sorted({*REGISTRY, "safety", "integrity", "security", "quality", "size", "nope"})

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["error", "warning", "note", "never", "lines", "all", "compare", "safety"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)
tables = st.dictionaries(
    st.sampled_from(KNOWN_KEYS + SECTIONS) | st.text(max_size=10), values, max_size=6
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_any_table_gives_config_or_config_error(table: dict[str, object]) -> None:
    try:
        config = build_config(table, REGISTRY, "fuzz.toml", "fuzz.toml")
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml") and "\n" not in message
    else:
        assert set(config.gates) == set(REGISTRY)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(st.text(max_size=200), tables.map(lambda t: tomli_w.dumps({"tool": {"gates": t}})))
)
def test_any_pyproject_text_gives_config_or_config_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    try:
        load_config(tmp_path, REGISTRY)
    except ConfigError as exc:
        assert "pyproject.toml" in str(exc)


# Pattern strings rich in what globs treat specially, and anything else Unicode has.
GLOB_ALPHABET = st.sampled_from(list("ab./*?[]{},!\\-^ ")) | st.characters(
    exclude_categories=["Cs"]
)
glob_patterns = st.text(GLOB_ALPHABET, max_size=30)
GLOB_KEYS: dict[str, Callable[[str], dict[str, object]]] = {
    "exclude": lambda p: {"exclude": [p]},
    "safety.exclude": lambda p: {"safety": {"exclude": [p]}},
    "ruff.paths": lambda p: {"ruff": {"paths": ["src/**", p]}},
    "size.budgets": lambda p: {"size": {"budgets": [{"glob": p, "max_bytes": 1}]}},
    "size.pr_size_exclude": lambda p: {"size": {"pr_size_exclude": [p]}},
    "size.binary_allowed": lambda p: {"size": {"binary_allowed": [p]}},
    "dangerous-code.allowed_hosts": lambda p: {"dangerous-code": {"allowed_hosts": [p]}},
}
SAMPLE_PATHS = ("a.py", "src/a b/c.md", "agents/x/y.{py,md}", "[z-a]/é.py", "!x/,/}")


@settings(max_examples=400, deadline=None)
@given(glob_patterns, st.sampled_from(sorted(GLOB_KEYS)))
def test_any_glob_gives_config_or_config_error_and_then_always_matches(
    pattern: str, key: str
) -> None:
    """A pattern is refused at load with one line naming it, or it matches without error."""
    try:
        config = build_config(GLOB_KEYS[key](pattern), REGISTRY, "fuzz.toml", "fuzz.toml")
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml") and "\n" not in message.replace(pattern, "")
        assert f"bad glob {pattern!r}" in message or "non-empty string" in message
        return
    for gate in config.gates.values():
        select(select(SAMPLE_PATHS, exclude=config.exclude), gate.paths, gate.exclude)
    size = SizeOptions.from_mapping(config.gate("size").options)
    for path in SAMPLE_PATHS:
        budget_for(path, size.budgets)
        matches(path, size.pr_size_exclude + size.binary_allowed)
    hosts = config.gate("dangerous-code").options["allowed_hosts"]
    host_allowed("api.example.com", tuple(str(h).lower() for h in hosts))  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def glob_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with one commit on top of a base, the config rewritten per example."""
    root = tmp_path_factory.mktemp("glob-fuzz") / "repo"
    repo = Repo(root)
    repo.write("a.py", "a = 1\n")
    repo.commit("base")
    repo.write("src/b.md", "b\n")
    repo.commit("pr")
    return root


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(glob_patterns, st.sampled_from(sorted(GLOB_KEYS)))
def test_no_glob_makes_the_cli_exit_3(glob_repo: Path, pattern: str, key: str) -> None:
    """The issue's symptom was exit 3 (internal error) for `src/[z-a]/*.py`."""
    config = tomli_w.dumps({"tool": {"gates": GLOB_KEYS[key](pattern)}})
    (glob_repo / "pyproject.toml").write_text(config, encoding="utf-8")
    out = glob_repo.parent / "out"
    code = main(
        [
            "run",
            str(glob_repo),
            "--base",
            "HEAD~1",
            "--stages",
            "size,secrets",
            "--output-dir",
            str(out),
        ]
    )
    assert code in (0, 1, 2)
