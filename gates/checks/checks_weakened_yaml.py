"""YAML with the line each mapping starts on, so a finding can point at its step or hook.

PyYAML's safe loader builds plain dicts and lists; this subclass also records, for every
mapping it builds, the 1-based line of its first key. The map is keyed by the mapping's `id`,
valid while the returned document is alive (the caller holds both).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

LineMap = dict[int, int]


class _LineLoader(yaml.SafeLoader):
    """A safe loader that notes where each mapping starts."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: LineMap = {}


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
    # The same two-step build as SafeLoader's own (yield first, so aliases can refer to it).
    data: dict[Any, Any] = {}
    loader.lines[id(data)] = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def load_yaml(text: str) -> tuple[object, LineMap]:
    """The document and its mappings' lines; (None, {}) for text that is not YAML."""
    loader = _LineLoader(text)
    try:
        return loader.get_single_data(), loader.lines
    except yaml.YAMLError:
        return None, {}
    finally:
        loader.dispose()
