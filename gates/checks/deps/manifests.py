"""TOML and JSON manifests: pyproject.toml (PEP 621 `[project]`, PEP 735 `[dependency-groups]`,
`[build-system]`, Poetry, uv and PDM tables), Pipfile, and the lock files that are read only to
know which names are locked (uv.lock, poetry.lock, Pipfile.lock).

TOML parsers give no line numbers, so each declaration is found again in the text: the first
line after its table's header that holds it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from packaging.utils import canonicalize_name

from gates.checks.deps.declared import Dep, IndexSource, Parsed, line_of, requirement, vcs_url
from gates.checks.deps.declared import is_pinned as url_pinned
from gates.sources import split_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_POETRY_GROUPS = ("dependencies", "dev-dependencies")


class _Toml:
    """One TOML file's data and lines, with the table it was found under for line lookups."""

    def __init__(self, path: str, data: Mapping[str, Any], text: str) -> None:
        self.path, self.data, self.lines = path, data, split_lines(text)

    def table(self, *keys: str) -> Mapping[str, Any]:
        node: Any = self.data
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node if isinstance(node, Mapping) else {}

    def header_index(self, header: str) -> int:
        """0-based index of the line after `[header]` (or `[[header]]`), else 0."""
        wanted = header.replace(" ", "")
        for number, line in enumerate(self.lines):
            if line.strip().strip("[]").replace(" ", "").replace('"', "") == wanted:
                return number + 1
        return 0

    def line(self, needle: str, header: str) -> int | None:
        start = self.header_index(header)
        return line_of(self.lines, needle, start) or line_of(self.lines, needle)

    def key_line(self, key: str, header: str) -> int | None:
        """The line declaring `key = ...` under `[header]`, quoted or bare."""
        start = self.header_index(header)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, len(self.lines)):
            if pattern.match(self.lines[number]):
                return number + 1
        return line_of(self.lines, key, start)


def load_toml(path: str, text: str) -> _Toml | str:
    try:
        return _Toml(path, tomllib.loads(text), text)
    except tomllib.TOMLDecodeError as exc:
        return f"not valid TOML ({exc})"


def parse_pyproject(path: str, text: str) -> Parsed:
    doc = load_toml(path, text)
    if isinstance(doc, str):
        return Parsed(problem=doc)
    names = (doc.table("project").get("name"), doc.table("tool", "poetry").get("name"))
    parsed = Parsed(own_names=[canonicalize_name(n) for n in names if isinstance(n, str)])
    parsed.deps.extend(_pep508_lists(doc))
    parsed.deps.extend(_poetry_deps(doc))
    parsed.deps.extend(_uv_sources(doc))
    parsed.sources.extend(_pyproject_indexes(doc))
    for _header, table in _poetry_tables(doc):
        parsed.bound.update(bindings(table, "source"))
    parsed.bound.update(bindings(doc.table("tool", "uv", "sources"), "index"))
    return parsed


def bindings(table: object, key: str) -> dict[str, str]:
    """Names whose entry takes them from a named index (`{ version = "1", source = "corp" }`)."""
    found: dict[str, str] = {}
    for name, value in table.items() if isinstance(table, Mapping) else ():
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get(key), str):
                found[canonicalize_name(name)] = entry[key]
    return found


def _pep508_lists(doc: _Toml) -> Iterator[Dep]:
    project = doc.table("project")
    lists: list[tuple[str, object]] = [("project", project.get("dependencies"))]
    optional = doc.table("project", "optional-dependencies").values()
    lists += [("project.optional-dependencies", specs) for specs in optional]
    lists += [("dependency-groups", specs) for specs in doc.table("dependency-groups").values()]
    lists.append(("build-system", doc.table("build-system").get("requires")))
    for header, specs in lists:
        for spec in specs if isinstance(specs, list) else []:
            if isinstance(spec, str):  # tables are `{include-group = ...}`
                dep = requirement(spec, doc.path, doc.line(spec, header))
                if dep is not None:
                    yield dep


def _poetry_tables(doc: _Toml) -> list[tuple[str, Mapping[str, Any]]]:
    """(header, table) of Poetry's main, dev and group dependency tables."""
    poetry = doc.table("tool", "poetry")
    tables = [(f"tool.poetry.{key}", poetry.get(key)) for key in _POETRY_GROUPS]
    for group, body in doc.table("tool", "poetry", "group").items():
        if isinstance(body, Mapping):
            tables.append((f"tool.poetry.group.{group}.dependencies", body.get("dependencies")))
    return [(header, table) for header, table in tables if isinstance(table, Mapping)]


def _poetry_deps(doc: _Toml) -> Iterator[Dep]:
    for header, table in _poetry_tables(doc):
        for key, value in table.items():
            if key.lower() != "python":
                yield _table_dep(doc, header, key, value)


def _table_dep(doc: _Toml, header: str, key: str, value: object) -> Dep:
    """A `name = "^1.2"` / `name = { git = ..., rev = ... }` entry (Poetry, Pipfile, uv)."""
    line = doc.key_line(key, header)
    entry = value[0] if isinstance(value, list) and value else value
    url = _table_url(entry) if isinstance(entry, Mapping) else ""
    spec = f"{key} = {json.dumps(value, sort_keys=True, default=str)}"
    return Dep(canonicalize_name(key), spec, doc.path, line, url, bool(url) and _pinned(entry))


def _table_url(entry: Mapping[str, Any]) -> str:
    for kind in ("git", "hg", "svn"):
        if isinstance(entry.get(kind), str):
            ref = next((str(entry[k]) for k in ("rev", "ref", "tag", "branch") if k in entry), "")
            return vcs_url(kind, entry[kind], ref)
    for key in ("url", "file", "path"):
        if isinstance(entry.get(key), str):
            return str(entry[key])
    # A uv workspace member: a package of the same repository.
    return "." if entry.get("workspace") is True else ""


def _pinned(entry: object) -> bool:
    if not isinstance(entry, Mapping):
        return False
    ref = str(entry.get("rev") or entry.get("ref") or "")
    return bool(re.fullmatch(r"[0-9a-f]{40}", ref)) or url_pinned(_table_url(entry))


def _uv_sources(doc: _Toml) -> Iterator[Dep]:
    """`[tool.uv.sources]` entries that take a package from git, a URL or a path."""
    for key, value in doc.table("tool", "uv", "sources").items():
        dep = _table_dep(doc, "tool.uv.sources", key, value)
        if dep.url:
            yield dep


def _pyproject_indexes(doc: _Toml) -> Iterator[IndexSource]:
    for header, entries in (
        ("tool.uv.index", doc.table("tool", "uv").get("index")),
        ("tool.poetry.source", doc.table("tool", "poetry").get("source")),
        ("tool.pdm.source", doc.table("tool", "pdm").get("source")),
    ):
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and isinstance(entry.get("url"), str):
                url = entry["url"]
                yield IndexSource(url, doc.path, doc.line(url, header), f"[[{header}]]")
    yield from _uv_settings(doc, doc.table("tool", "uv"), "tool.uv")


def _uv_settings(doc: _Toml, uv: Mapping[str, Any], header: str) -> Iterator[IndexSource]:
    """uv's index settings, in `[tool.uv]` of pyproject.toml or at the top of uv.toml."""
    for key in ("index-url", "extra-index-url", "find-links"):
        values = uv.get(key)
        for url in [values] if isinstance(values, str) else values or []:
            if isinstance(url, str):
                where = f"[{header}] {key}" if header else key
                yield IndexSource(url, doc.path, doc.line(url, header), where)


def parse_uv_toml(path: str, text: str) -> Parsed:
    """uv.toml: `[[index]]` tables and the `index-url` / `extra-index-url` / `find-links` keys."""
    doc = load_toml(path, text)
    if isinstance(doc, str):
        return Parsed(problem=doc)
    parsed = Parsed(sources=list(_uv_settings(doc, doc.data, "")))
    entries = doc.data.get("index")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("url"), str):
            url = entry["url"]
            parsed.sources.append(IndexSource(url, path, doc.line(url, "index"), "[[index]]"))
    return parsed


def parse_pipfile(path: str, text: str) -> Parsed:
    """`[packages]`, `[dev-packages]` and any other package category; `[[source]]` indexes."""
    doc = load_toml(path, text)
    if isinstance(doc, str):
        return Parsed(problem=doc)
    parsed = Parsed()
    for category, table in doc.data.items():
        if category in ("source", "requires", "scripts", "pipenv") or not isinstance(
            table, Mapping
        ):
            continue
        parsed.deps.extend(_table_dep(doc, category, k, v) for k, v in table.items())
        named = bindings(table, "index")
        parsed.bound.update({name: index for name, index in named.items() if index != "pypi"})
    for entry in doc.data.get("source", []) if isinstance(doc.data.get("source"), list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("url"), str):
            url = entry["url"]
            parsed.sources.append(IndexSource(url, path, doc.line(url, "source"), "[[source]]"))
    return parsed


def locked_names(path: str, text: str) -> Sequence[str]:
    """The canonical names a lock file pins (never judged: the PR's choices are its manifests)."""
    name = path.rsplit("/", 1)[-1]
    try:
        if name == "Pipfile.lock":
            data = json.loads(text)
            groups = [v for k, v in data.items() if k != "_meta" and isinstance(v, dict)]
            return [canonicalize_name(n) for g in groups for n in g]
        packages = tomllib.loads(text).get("package", [])
    except (ValueError, tomllib.TOMLDecodeError, AttributeError):
        return []
    return [
        canonicalize_name(p["name"])
        for p in packages
        if isinstance(p, Mapping) and isinstance(p.get("name"), str)
    ]
