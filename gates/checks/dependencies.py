"""dependencies: the dependencies a PR adds or changes, judged before anything installs them.

AI-written code names packages that do not exist (a fifth of them in USENIX Security 2025's
576k samples, and the same invented names recur, so attackers register them), and typos of
popular names are a classic malware channel. dependency-review and pip-audit judge only known
vulnerabilities of real packages. This gate reads every manifest the PR touched (pyproject,
requirements files with their `-r` includes, setup.cfg, Pipfile; lock files only to know what
is locked), compares head with base, and judges what is new:

- by name, offline: a look-alike of a popular project (`typosquat`), or a name that is not the
  project people mean by it (`misleading-name`: `sklearn`, `attr`, `beautifulsoup`);
- on the package index's JSON API, online: missing (`not-on-index`), first released days ago
  (`new-project`), a single release (`single-release`); offline, a note that nothing was asked
  (`index-unchecked`), never a silent pass;
- by source: a direct URL, VCS or outside path (`direct-url`) and a new index (`new-index`),
  the routes of dependency confusion.

The judgement (`judge`) is a pure function of the file pairs, the options and an `Index`; `run`
only chooses the index (HTTP when online, else one that answers "not checked").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from gates.checks.changes import ChangeCheckGate, FileChange
from gates.checks.deps.declared import Dep, IndexSource, Parsed, normalise_index, outside_repo
from gates.checks.deps.declared import without_credentials as clean_url
from gates.checks.deps.index import (
    DEFAULT_INDEX,
    HttpIndex,
    Index,
    OfflineIndex,
    ProjectInfo,
    RecordedIndex,
    Status,
    parse_date,
)
from gates.checks.deps.manifests import locked_names, parse_pipfile, parse_pyproject
from gates.checks.deps.popular import misleading_names, popular_names
from gates.checks.deps.requirements import parse_requirements, parse_setup_cfg
from gates.gate import GateContext, GateOutcome, GateTraits, Option
from gates.model import Finding, Severity, Stage
from gates.text import one_line

# Options `run` and the labelled corpus hand to `judge`, never set by config: the index to ask
# (an `Index`, or recorded JSON API answers by name) and, for recorded answers, their date.
INDEX_KEY = "index_answers"
INDEX_DATE_KEY = "index_date"
DEFAULT_INDEXES = ("https://pypi.org/simple", "https://pypi.python.org/simple", DEFAULT_INDEX)
LOCK_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock")
_REQUIREMENTS = re.compile(r"(^|[-_.])requirements?([-_.][^/]*)?\.(txt|in)$|\.in$")


def _positive(value: object) -> str | None:
    return None if isinstance(value, (int, float)) and value > 0 else "must be above 0"


def _not_negative(value: object) -> str | None:
    return None if isinstance(value, int) and value >= 0 else "must be 0 or more"


def manifest_kind(path: str) -> str:
    """How a file declares dependencies: 'pyproject', 'requirements', ... or '' for none."""
    name = path.rsplit("/", 1)[-1]
    parent = path.rsplit("/", 2)[-2] if path.count("/") else ""
    if name == "pyproject.toml":
        return "pyproject"
    if name == "setup.cfg":
        return "setup.cfg"
    if name == "Pipfile":
        return "pipfile"
    if name in LOCK_FILES:
        return "lock"
    if _REQUIREMENTS.search(name) or (parent == "requirements" and name.endswith(".txt")):
        return "requirements"
    return ""


_PARSERS = {
    "pyproject": parse_pyproject,
    "setup.cfg": parse_setup_cfg,
    "pipfile": parse_pipfile,
    "requirements": parse_requirements,
}


@dataclasses.dataclass
class Side:
    """Every declaration of one side (base or head) of the PR's manifests."""

    deps: list[Dep] = dataclasses.field(default_factory=list)
    sources: list[IndexSource] = dataclasses.field(default_factory=list)
    problems: dict[str, str] = dataclasses.field(default_factory=dict)
    locked: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> lock file


def read_side(files: Mapping[str, str]) -> Side:
    """Parse one side's manifests; a `.txt` file counts once a requirements file includes it."""
    side = Side()
    pending = [p for p in files if manifest_kind(p) not in ("", "lock")]
    done: set[str] = set()
    while pending:
        path = pending.pop(0)
        if path in done:
            continue
        done.add(path)
        parsed: Parsed = _PARSERS[manifest_kind(path) or "requirements"](path, files[path])
        side.deps.extend(parsed.deps)
        side.sources.extend(parsed.sources)
        if parsed.problem:
            side.problems[path] = parsed.problem
        pending.extend(p for p in parsed.includes if p in files and p not in done)
    for path, text in files.items():
        if manifest_kind(path) == "lock":
            side.locked.update(dict.fromkeys(locked_names(path, text), path))
    return side


def index_for(options: Mapping[str, object]) -> Index:
    """The index the options name: an `Index` object, recorded answers, or none (offline)."""
    given = options.get(INDEX_KEY)
    if isinstance(given, Mapping):
        date = options.get(INDEX_DATE_KEY)
        if not isinstance(date, str):
            raise ValueError(f"recorded {INDEX_KEY} need an {INDEX_DATE_KEY} (ISO date)")
        return RecordedIndex(given, parse_date(date), "the recorded index")
    if isinstance(given, (HttpIndex, OfflineIndex, RecordedIndex)):
        return given
    return OfflineIndex("no index was asked (online lookups are off)")


class DependenciesGate(ChangeCheckGate):
    name = "dependencies"
    stage = Stage.SECURITY
    description = (
        "dependencies the PR adds or changes: typosquats, names missing from the index, "
        "brand-new projects, direct URLs and new indexes"
    )
    default_timeout_s = 120.0
    default_fail_on = "warning"
    # The index's answers change by the day: the same files may be judged otherwise tomorrow.
    traits = GateTraits(cost_model=(1.0, 0.0), cacheable=False)
    options: Mapping[str, Option] = {
        "online": Option(
            str,
            "auto",
            choices=("auto", "always", "never"),
            help="ask the package index: auto = only under GitHub Actions",
        ),
        "index_url": Option(str, "", help="index to ask (default PIP_INDEX_URL, else PyPI)"),
        "timeout_s": Option((int, float), 5.0, check=_positive, help="per index request"),
        "min_age_days": Option(int, 30, check=_not_negative, help="younger projects are new"),
        "allow": Option(list, [], item=str, help="names never judged by name or index"),
        "allowed_indexes": Option(list, [], item=str, help="index URL prefixes known good"),
    }

    def wants(self, path: str) -> bool:
        return bool(manifest_kind(path)) or path.endswith(".txt")

    def scan_changes(
        self, changes: Sequence[FileChange], options: Mapping[str, object]
    ) -> list[Finding]:
        return judge(changes, options, index_for(options))

    def run(self, ctx: GateContext) -> GateOutcome:
        index = choose_index(ctx.options, ctx.env)
        return super().run(dataclasses.replace(ctx, options={**ctx.options, INDEX_KEY: index}))


def choose_index(options: Mapping[str, object], env: Mapping[str, str]) -> Index:
    """HTTP when `online` says so (auto: under GitHub Actions, whose runners reach PyPI;
    a developer's or pre-commit run stays offline and fast), else an offline index."""
    mode = str(options.get("online", "auto"))
    if mode == "never":
        return OfflineIndex('online = "never"')
    if mode == "auto" and env.get("GITHUB_ACTIONS") != "true":
        return OfflineIndex('online = "auto" asks the index only under GitHub Actions')
    url = str(options.get("index_url") or env.get("PIP_INDEX_URL") or DEFAULT_INDEX)
    return HttpIndex(url, float(options.get("timeout_s", 5.0)))  # type: ignore[arg-type]


def judge(
    changes: Sequence[FileChange], options: Mapping[str, object], index: Index
) -> list[Finding]:
    base = read_side({c.old_path: c.base for c in changes if c.base is not None})
    head = read_side({c.path: c.head for c in changes if c.head is not None})
    findings = [_unreadable(path, why) for path, why in head.problems.items()]
    findings += _new_indexes(base, head, options)
    findings += _direct_refs(base, head)
    fresh = _new_names(base, head, options)
    findings += [f for dep in fresh for f in _by_name(dep)]
    findings += _by_index(fresh, head, index, int(options.get("min_age_days", 30)))  # type: ignore[call-overload]
    return findings


def _finding(rule: str, severity: Severity, dep_path: str, line: int | None, msg: str) -> Finding:
    return Finding("dependencies", "gates", rule, severity, dep_path, one_line(msg, 400), line)


def _unreadable(path: str, why: str) -> Finding:
    message = (
        f"{path} cannot be read as a manifest at head: {why}; its dependencies were not judged"
    )
    return _finding("manifest-unreadable", Severity.WARNING, path, None, message)


def _allowed_index(url: str, options: Mapping[str, object]) -> bool:
    known = [*DEFAULT_INDEXES, str(options.get("index_url") or "")]
    known += [str(u) for u in options.get("allowed_indexes", []) or []]  # type: ignore[attr-defined]
    target = normalise_index(url)
    return any(k and target.startswith(normalise_index(k)) for k in known)


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
    allowed = {str(n).lower().replace("_", "-") for n in options.get("allow", []) or []}  # type: ignore[attr-defined]
    fresh: dict[str, Dep] = {}
    for dep in head.deps:
        if dep.name in known or dep.name in allowed or dep.name in fresh:
            continue
        fresh[dep.name] = dep
    return list(fresh.values())


def _by_name(dep: Dep) -> Iterable[Finding]:
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
        yield _finding("typosquat", Severity.WARNING, dep.path, dep.line, message)


def _by_index(fresh: list[Dep], head: Side, index: Index, min_age_days: int) -> list[Finding]:
    findings: list[Finding] = []
    unchecked: dict[str, list[str]] = {}
    reasons: dict[str, str] = {}
    popular = popular_names()
    for dep in fresh:
        if dep.name in popular:
            continue  # among the most downloaded: it exists and has a history
        answer = index.lookup(dep.name)
        if answer.status is Status.UNCHECKED:
            locked = f" (locked in {head.locked[dep.name]})" if dep.name in head.locked else ""
            unchecked.setdefault(dep.path, []).append(dep.name + locked)
            reasons.setdefault(dep.path, answer.reason)
        elif answer.status is Status.MISSING or answer.info is None:
            findings.append(_missing(dep, index))
        else:
            findings.extend(_history(dep, answer.info, index, min_age_days))
    for path, names in unchecked.items():
        message = (
            f"{_count(len(names), 'dependency', 'dependencies')} added to {path} not checked "
            f"against the package index ({reasons[path]}): {', '.join(names)}"
        )
        findings.append(_finding("index-unchecked", Severity.NOTE, path, None, message))
    return findings


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
            f"`{dep.name}` added to {dep.path} has a single release on {index.where} ({first}): "
            "no history to judge it by"
        )
        yield _finding("single-release", Severity.WARNING, dep.path, dep.line, message)
