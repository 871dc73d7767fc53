"""The dependencies gate's judgement: a pure function of the PR's manifests at base and head,
the options, and an `Index` to ask (gates.checks.deps.index)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from packaging.utils import canonicalize_name

from gates.checks.changes import FileChange
from gates.checks.deps.declared import Dep, normalise_index, outside_repo
from gates.checks.deps.declared import without_credentials as clean_url
from gates.checks.deps.index import DEFAULT_INDEX, Answer, Index, ProjectInfo, Status
from gates.checks.deps.popular import misleading_names, popular_names
from gates.checks.deps.sides import Side, read_side
from gates.model import Finding, Severity
from gates.text import one_line

DEFAULT_INDEXES = ("https://pypi.org/simple", "https://pypi.python.org/simple", DEFAULT_INDEX)
# A PR that adds hundreds of unknown names (a pasted `pip freeze` of another project) must not
# cost hundreds of round trips: past this many, the rest are named in the note, not asked.
MAX_LOOKUPS = 60
LOOKUP_THREADS = 8
SETTLED_DAYS = 365
ESTABLISHED_RELEASES = 5
RULES = frozenset(
    {
        "typosquat",
        "misleading-name",
        "not-on-index",
        "new-project",
        "single-release",
        "index-unchecked",
        "direct-url",
        "new-index",
        "manifest-unreadable",
    }
)


def judge(
    changes: Sequence[FileChange], options: Mapping[str, object], index: Index
) -> list[Finding]:
    base = read_side({c.old_path: c.base for c in changes if c.base is not None})
    head = read_side({c.path: c.head for c in changes if c.head is not None})
    findings = [_unreadable(path, why) for path, why in head.problems.items()]
    findings += _new_indexes(base, head, options)
    findings += _direct_refs(base, head)
    fresh = _new_names(base, head, options)
    popular = popular_names()
    asked = [d.name for d in fresh if d.name not in popular and d.name not in head.bound]
    answers = lookup_all(index, asked[:MAX_LOOKUPS])
    findings += [f for dep in fresh for f in _by_name(dep, answers.get(dep.name), index)]
    min_age = options.get("min_age_days", 30)
    days = min_age if isinstance(min_age, int) else 30
    findings += _by_index(fresh, head, answers, index, days)
    return findings


def strings(options: Mapping[str, object], key: str) -> list[str]:
    """A list option's strings (config validated them; recorded corpus options may omit it)."""
    value = options.get(key)
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else []


def _finding(rule: str, severity: Severity, dep_path: str, line: int | None, msg: str) -> Finding:
    return Finding("dependencies", "gates", rule, severity, dep_path, one_line(msg, 400), line)


def _unreadable(path: str, why: str) -> Finding:
    message = (
        f"{path} cannot be read as a manifest at head: {why}; its dependencies were not judged"
    )
    return _finding("manifest-unreadable", Severity.WARNING, path, None, message)


def _allowed_index(url: str, options: Mapping[str, object]) -> bool:
    known = [*DEFAULT_INDEXES, str(options.get("index_url") or "")]
    known += strings(options, "allowed_indexes")
    target = normalise_index(url)
    prefixes = [normalise_index(k) for k in known if k]
    # On a path boundary: `https://pypi.org.evil.example` is not PyPI.
    return any(target == p or target.startswith(p + "/") for p in prefixes)


def _new_indexes(base: Side, head: Side, options: Mapping[str, object]) -> Iterable[Finding]:
    before = {normalise_index(s.url) for s in base.sources}
    seen: set[str] = set()
    for source in head.sources:
        key = normalise_index(source.url)
        if key in before or key in seen or _allowed_index(source.url, options):
            continue
        seen.add(key)
        message = (
            f"{source.how} {clean_url(source.url)} added in {source.path} (no such source at "
            "base): a same-named package published there can replace the one meant "
            "(dependency confusion)"
        )
        yield _finding("new-index", Severity.WARNING, source.path, source.line, message)


def _direct_refs(base: Side, head: Side) -> Iterable[Finding]:
    before = {(d.name, d.url) for d in base.deps}
    was = {d.name: d.spec for d in base.deps}
    for dep in head.deps:
        if not dep.url or (dep.name, dep.url) in before:
            continue
        outside = outside_repo(dep.url, dep.path)
        if outside is False:
            continue  # a path inside the repository: code the PR itself holds
        what = "a path outside the repository" if outside else clean_url(dep.url)
        earlier = f"was `{one_line(was[dep.name], 80)}`" if dep.name in was else "new"
        pin = (
            "pinned to fixed content"
            if dep.pinned
            else "not pinned: it installs whatever is there at build time"
        )
        message = (
            f"`{dep.name}` in {dep.path} now comes from {what} ({earlier}), not from the "
            f"index, {pin}; no index check sees it"
        )
        severity = Severity.NOTE if dep.pinned else Severity.WARNING
        yield _finding("direct-url", severity, dep.path, dep.line, message)


def _new_names(base: Side, head: Side, options: Mapping[str, object]) -> list[Dep]:
    """Head dependencies from an index whose name no base manifest declared, first place each."""
    # A name some head declaration takes from a URL or path is not installed from the index.
    known = {d.name for d in base.deps} | {d.name for d in head.deps if d.url}
    known |= head.own_names  # `all = ["mypkg[cli,ml]"]`: the project names its own extras
    allowed = {canonicalize_name(name) for name in strings(options, "allow")}
    fresh: dict[str, Dep] = {}
    for dep in head.deps:
        if dep.name in known or dep.name in allowed or dep.name in fresh:
            continue
        fresh[dep.name] = dep
    return list(fresh.values())


def _established(answer: Answer | None, index: Index) -> str:
    """How long the index has known a project, when that is long enough to call it a project
    of its own ("" when not, or not known)."""
    info = answer.info if answer is not None else None
    if info is None or info.first_upload is None or info.releases < ESTABLISHED_RELEASES:
        return ""
    if (index.as_of - info.first_upload).days < SETTLED_DAYS:
        return ""
    return f"{info.releases} releases since {info.first_upload.year}"


def _by_name(dep: Dep, answer: Answer | None, index: Index) -> Iterable[Finding]:
    added = f"`{dep.name}` added to {dep.path} (not declared at base)"
    meant = misleading_names().get(dep.name)
    if meant is not None:
        message = f"{added} is not `{meant[0]}`: the PyPI project `{dep.name}` is {meant[1]}"
        yield _finding("misleading-name", Severity.WARNING, dep.path, dep.line, message)
        return
    names = popular_names()
    similar = names.resembles(dep.name)
    if similar is not None:
        message = (
            f"{added} looks like `{similar.popular}`, #{similar.rank} of PyPI's most downloaded "
            f"({similar.how}); `{dep.name}` is not among the {len(names)} most downloaded"
        )
        history = _established(answer, index)
        if history:
            # Squats are taken down within days or weeks; one with years of releases is most
            # likely a project of its own (django-q beside django-rq): shown, not blocking.
            message += f", but {index.where} has {history}: make sure it is the one meant"
        severity = Severity.NOTE if history else Severity.WARNING
        yield _finding("typosquat", severity, dep.path, dep.line, message)


def _by_index(
    fresh: list[Dep], head: Side, answers: Mapping[str, Answer], index: Index, min_age_days: int
) -> list[Finding]:
    findings: list[Finding] = []
    unchecked: dict[tuple[str, str], list[str]] = {}
    popular = popular_names()
    for dep in fresh:
        if dep.name in popular:
            continue  # among the most downloaded: it exists and has a history
        answer = answers.get(dep.name) or _not_asked(dep, head)
        if answer.status is Status.UNCHECKED:
            locked = f" (locked in {head.locked[dep.name]})" if dep.name in head.locked else ""
            unchecked.setdefault((dep.path, answer.reason), []).append(dep.name + locked)
        elif answer.status is Status.MISSING or answer.info is None:
            findings.append(_missing(dep, index))
        else:
            findings.extend(_history(dep, answer.info, index, min_age_days))
    for (path, reason), names in unchecked.items():
        message = (
            f"{_count(len(names), 'dependency', 'dependencies')} added to {path} not checked "
            f"against the package index ({reason}): {', '.join(names)}"
        )
        findings.append(_finding("index-unchecked", Severity.NOTE, path, None, message))
    return findings


def lookup_all(index: Index, names: list[str]) -> dict[str, Answer]:
    """Every name's answer, asked side by side: an index is a round trip per name."""
    if len(names) < 2:
        return {name: index.lookup(name) for name in names}
    with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(names))) as pool:
        return dict(zip(names, pool.map(index.lookup, names), strict=True))


def _not_asked(dep: Dep, head: Side) -> Answer:
    if dep.name in head.bound:
        why = f"taken from the index '{head.bound[dep.name]}' its manifest names"
    else:
        why = f"more than {MAX_LOOKUPS} new dependencies: the rest were not looked up"
    return Answer(Status.UNCHECKED, reason=why)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _missing(dep: Dep, index: Index) -> Finding:
    message = (
        f"`{dep.name}` added to {dep.path} does not exist on {index.where}: an invented name "
        "that anyone can register (slopsquatting), or one only a private index has"
    )
    return _finding("not-on-index", Severity.ERROR, dep.path, dep.line, message)


def _history(dep: Dep, info: ProjectInfo, index: Index, min_age_days: int) -> Iterable[Finding]:
    if info.first_upload is None or info.releases == 0:
        message = f"`{dep.name}` added to {dep.path} has no installable release on {index.where}"
        yield _finding("not-on-index", Severity.ERROR, dep.path, dep.line, message)
        return
    age = (index.as_of - info.first_upload).days
    first = info.first_upload.date().isoformat()
    if age < min_age_days:
        message = (
            f"`{dep.name}` added to {dep.path} was first released on {index.where} {age} days "
            f"ago ({first}, {info.releases} release(s)); projects younger than {min_age_days} "
            "days have had no time to be vetted"
        )
        yield _finding("new-project", Severity.WARNING, dep.path, dep.line, message)
    elif info.releases == 1:
        message = (
            f"`{dep.name}` added to {dep.path} has a single release on {index.where} ({first}, "
            f"{age} days ago): no history to judge it by"
        )
        # A lone release that has stood for a year is a finished small tool more often than a
        # trap: shown, not blocking.
        severity = Severity.WARNING if age < SETTLED_DAYS else Severity.NOTE
        yield _finding("single-release", severity, dep.path, dep.line, message)
