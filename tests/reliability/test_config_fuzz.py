"""Property: any config file gives a Config or a ConfigError naming the problem, never a crash."""

from __future__ import annotations

from pathlib import Path

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gates.config import COMMON_GATE_OPTIONS, GLOBAL_OPTIONS, build_config, load_config
from gates.errors import ConfigError
from gates.registry import REGISTRY

KNOWN_KEYS = sorted({*GLOBAL_OPTIONS, *COMMON_GATE_OPTIONS, "budgets", "format", "args"})
SECTIONS = sorted({*REGISTRY, "safety", "security", "quality", "size", "nope"})

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
