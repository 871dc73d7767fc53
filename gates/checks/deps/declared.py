"""What a manifest declares: dependencies (with a direct URL when they have one) and package
indexes, each with the file and line it came from, so findings point at the declaration."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

_COMMIT = re.compile(r"@[0-9a-f]{40}(?:#|$)")
_HASH_FRAGMENT = re.compile(r"#(?:.*&)?(?:sha256|sha384|sha512|md5)=", re.IGNORECASE)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")


@dataclass(frozen=True)
class Dep:
    """One declared dependency. `url` is its direct reference (URL, VCS or local path), empty
    when it comes from an index; `pinned` says the reference names immutable content."""

    name: str  # canonical (PEP 503)
    spec: str  # as written, on one line
    path: str
    line: int | None
    url: str = ""
    pinned: bool = False


@dataclass(frozen=True)
class IndexSource:
    """A package index or find-links location a manifest adds to where packages come from."""

    url: str
    path: str
    line: int | None
    how: str  # how it was declared: "--extra-index-url", "[[tool.uv.index]]", ...


@dataclass
class Parsed:
    """Everything read from one manifest."""

    deps: list[Dep] = field(default_factory=list)
    sources: list[IndexSource] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)  # repo paths of `-r` files
    constraints: list[str] = field(default_factory=list)  # repo paths of `-c` files
    own_names: list[str] = field(default_factory=list)  # the project's own name(s)
    # Name -> the named index the manifest takes it from (Poetry `source =`, uv `index =`,
    # Pipfile `index =`): not the configured index's to judge.
    bound: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why the file could not be read, when it could not


def requirement(spec: str, path: str, line: int | None) -> Dep | None:
    """A PEP 508 requirement or a bare URL / path, as pip reads a requirements line."""
    text = " ".join(spec.split())
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return bare_reference(text, path, line)
    url = req.url or ""
    return Dep(canonicalize_name(req.name), text, path, line, url, url != "" and is_pinned(url))


def bare_reference(text: str, path: str, line: int | None) -> Dep | None:
    """`git+https://...#egg=name`, `https://.../name-1.0.whl`, `./libs/name`: a direct
    reference without a name in front. None for text that is neither."""
    target = text.split(";", 1)[0].strip()
    if not (_SCHEME.match(target) or target.startswith(VCS_PREFIXES) or _looks_like_path(target)):
        return None
    egg = _EGG.search(target)
    name = egg.group(1) if egg else reference_name(target)
    canonical = canonicalize_name(name) if re.search(r"[A-Za-z0-9]", name) else name
    return Dep(canonical, text, path, line, target, is_pinned(target))


def reference_name(target: str) -> str:
    """The project a nameless reference most likely installs, for messages: the repository of
    a VCS URL or of a forge's archive (`.../werkzeug/archive/refs/heads/main.tar.gz`), else the
    distribution file's or folder's name without its version."""
    segments = [s for s in urlsplit(target).path.split("/") if s]
    if "archive" in segments and segments.index("archive") > 0:
        return segments[segments.index("archive") - 1]
    last = segments[-1] if segments else target
    if target.startswith(VCS_PREFIXES):
        return re.sub(r"\.git$", "", last.split("@", 1)[0]) or last
    return re.split(r"[-.]\d|\.(?:whl|zip|tar)", last, maxsplit=1)[0] or last


def _looks_like_path(text: str) -> bool:
    return text in (".", "..") or text.startswith(("./", "../", "/", "~", "file:"))


def is_pinned(url: str) -> bool:
    """A VCS reference to a full commit id, or an archive URL with a hash: immutable content."""
    return bool(_COMMIT.search(url) or _HASH_FRAGMENT.search(url))


def vcs_url(kind: str, repo: str, ref: str) -> str:
    """`git` + repository + optional ref as a pip-style VCS URL, for messages and pinning."""
    base = repo if repo.startswith(VCS_PREFIXES) else f"{kind}+{repo}"
    return f"{base}@{ref}" if ref else base


def outside_repo(url: str, manifest: str) -> bool | None:
    """For a local path reference: whether it leads outside the repository (None: not a path).

    A path inside the repository installs code that is part of the PR itself, so it is no
    supply-chain risk; one outside installs whatever the building machine has there."""
    if _SCHEME.match(url) and not url.lower().startswith("file:"):
        return None
    if url.startswith(VCS_PREFIXES):
        return None
    target = url
    if url.lower().startswith("file:"):
        target = urlsplit(url).path or url[5:]
        if url.lower().startswith("file://"):
            return True  # an absolute URL: a place on the building machine
    if target.startswith(("/", "~")):
        return True
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(manifest), target))
    return joined == ".." or joined.startswith("../")


def without_credentials(url: str) -> str:
    """The URL with any user or token replaced by `***`: index URLs often carry them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def normalise_index(url: str) -> str:
    """An index URL compared by what it points at: no credentials, no trailing slash, host in
    lower case (`https://PyPI.org/simple/` is `https://pypi.org/simple`)."""
    clean = without_credentials(url.strip()).rstrip("/")
    try:
        parts = urlsplit(clean)
    except ValueError:
        return clean
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


def line_of(lines: Sequence[str], needle: str, start: int = 0) -> int | None:
    """1-based number of the first line at or after index `start` containing `needle`."""
    if not needle:
        return None
    for number in range(start, len(lines)):
        if needle in lines[number]:
            return number + 1
    return None
