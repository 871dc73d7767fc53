"""JSON out: the same values as the standard library writes, whatever orjson refuses."""

from __future__ import annotations

import json

import pytest

from gates import jsontext

VALUES = [
    {"a": 1, "b": [1.5, None, True, "é ✓ \u202e"], "c": {"d": 'quote " and \\\\ and \n'}},
    [],
    {},
    "text",
    2**63 - 1,
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("indent", [False, True])
def test_dumps_reads_back_as_the_same_value(value: object, indent: bool) -> None:
    text = jsontext.dumps(value, indent=indent)
    assert json.loads(text) == value
    if indent and isinstance(value, dict) and value:
        assert text.startswith('{\n  "a": 1,')


def test_non_ascii_text_is_written_as_it_is() -> None:
    assert jsontext.dumps({"k": "é"}) == '{"k":"é"}'


@pytest.mark.parametrize("value", [{"big": 2**70}, {"name": "caf\udce9.py"}])
def test_what_orjson_refuses_falls_back_to_json(value: dict[str, object]) -> None:
    text = jsontext.dumps(value)
    assert json.loads(text) == value
    text.encode("utf-8")  # a lone surrogate is \u-escaped, so the text can be written
