"""pip requirements files (`requirements*.txt`, `*.in`, files named by `-r`) and setup.cfg.

pip's own format: one requirement per logical line (a trailing backslash continues it), `#`
comments, and options: `-r`/`-c` include files, `-i`/`--index-url`, `--extra-index-url`,
`-f`/`--find-links` add places packages come from, `-e` installs a path or VCS URL editable.
"""

from __future__ import annotations

import configparser
import posixpath
import re
from collections.abc import Iterator

from gates.checks.deps.declared import Dep, IndexSource, Parsed, line_of, requirement
from gates.sources import split_lines

_COMMENT = re.compile(r"(^|\s)#.*$")
# Options pip allows after a requirement on its line (hashes, per-requirement settings).
_TRAILING_OPTIONS = re.compile(r"\s--?(?:hash|config-settings|global-option|install-option)\b.*$")
_SOURCE_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
}
_INCLUDE_OPTIONS = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}
_EDITABLE = ("-e", "--editable")


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line: comments dropped, continuations joined."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(split_lines(text), start=1):
        line = _COMMENT.sub("", raw).rstrip()
        if not parts:
            start = number
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        joined = " ".join(p.strip() for p in parts).strip()
        parts = []
        if joined:
            yield start, joined


def parse_requirements(path: str, text: str) -> Parsed:
    """Dependencies, index options and included files of one requirements file."""
    parsed = Parsed()
    for number, line in logical_lines(text):
        option, value = _split_option(line)
        if option in _SOURCE_OPTIONS:
            parsed.sources.append(IndexSource(value, path, number, _SOURCE_OPTIONS[option]))
        elif option in _INCLUDE_OPTIONS:
            if value:
                kind = parsed.includes if _INCLUDE_OPTIONS[option] == "-r" else parsed.constraints
                kind.append(_resolve(path, value))
        elif option in _EDITABLE:
            dep = requirement(value, path, number)
            if dep is not None:
                parsed.deps.append(dep if dep.url else _as_reference(dep, value))
        elif option is None:
            dep = requirement(_TRAILING_OPTIONS.sub("", line), path, number)
            if dep is not None:
                pinned = dep.pinned or "--hash" in line
                parsed.deps.append(Dep(dep.name, dep.spec, path, number, dep.url, pinned))
    return parsed


def _as_reference(dep: Dep, value: str) -> Dep:
    """`-e name @ url` has its URL already; `-e something` without one is a path."""
    return Dep(dep.name, dep.spec, dep.path, dep.line, value, dep.pinned)


def _split_option(line: str) -> tuple[str | None, str]:
    """(`--extra-index-url`, `https://...`) for an option line; (None, line) for a requirement."""
    if not line.startswith("-"):
        return None, line
    head, sep, rest = line.partition("=") if line.startswith("--") else ("", "", "")
    if sep and " " not in head:
        return head, rest.strip()
    first, _, rest = line.partition(" ")
    if first.startswith("-") and not first.startswith("--") and len(first) > 2:
        return first[:2], first[2:].strip()  # `-rbase.txt`, `-ihttps://...`
    return first, rest.strip()


def _resolve(manifest: str, include: str) -> str:
    """An included file's repository path: relative to the including file, as pip reads it."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(manifest), include))


def _read_ini(text: str, what: str) -> configparser.ConfigParser | Parsed:
    """The file parsed as pip and setuptools read it, or a Parsed naming why it is not."""
    config = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        config.read_string(text)
    except configparser.Error as exc:
        return Parsed(problem=f"not valid {what} syntax ({type(exc).__name__})")
    return config


def parse_setup_cfg(path: str, text: str) -> Parsed:
    """`[options] install_requires` / `setup_requires` and `[options.extras_require]`."""
    config = _read_ini(text, "setup.cfg")
    if isinstance(config, Parsed):
        return config
    lines = split_lines(text)
    parsed = Parsed()
    for section, key in _setup_cfg_keys(config):
        start = (line_of(lines, f"[{section}]") or 1) - 1
        for value in config.get(section, key, fallback="").splitlines():
            spec = _COMMENT.sub("", value).strip()
            if not spec or spec.startswith("file:"):
                continue
            dep = requirement(spec, path, line_of(lines, spec, start))
            if dep is not None:
                parsed.deps.append(dep)
    return parsed


def parse_pip_config(path: str, text: str) -> Parsed:
    """pip.conf / pip.ini: `index-url`, `extra-index-url` and `find-links` of any section."""
    config = _read_ini(text, "pip configuration")
    if isinstance(config, Parsed):
        return config
    lines = split_lines(text)
    parsed = Parsed()
    for section in config.sections():
        for key in ("index-url", "extra-index-url", "find-links"):
            for url in config.get(section, key, fallback="").split():
                line = line_of(lines, url, (line_of(lines, f"[{section}]") or 1) - 1)
                parsed.sources.append(IndexSource(url, path, line, f"[{section}] {key}"))
    return parsed


def _setup_cfg_keys(config: configparser.ConfigParser) -> Iterator[tuple[str, str]]:
    for key in ("install_requires", "setup_requires", "tests_require"):
        if config.has_option("options", key):
            yield "options", key
    if config.has_section("options.extras_require"):
        for key in config.options("options.extras_require"):
            yield "options.extras_require", key
