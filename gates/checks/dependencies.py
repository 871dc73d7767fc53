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

The judgement (gates.checks.deps.judge) is a pure function of the file pairs, the options and
an `Index`; `run` only chooses the index (HTTP when online, else one that answers "not
checked").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from gates.checks.changes import ChangeCheckGate, FileChange
from gates.checks.deps.index import (
    DEFAULT_INDEX,
    HttpIndex,
    Index,
    OfflineIndex,
    RecordedIndex,
    parse_date,
)
from gates.checks.deps.judge import RULES, judge
from gates.checks.deps.sides import manifest_kind
from gates.gate import GateContext, GateOutcome, GateTraits, Option
from gates.model import Finding, Stage

# Options `run` and the labelled corpus hand to `judge`, never set by config: the index to ask
# (an `Index`, or recorded JSON API answers by name) and, for recorded answers, their date.
INDEX_KEY = "index_answers"
INDEX_DATE_KEY = "index_date"


def _positive(value: object) -> str | None:
    return None if isinstance(value, (int, float)) and value > 0 else "must be above 0"


def _not_negative(value: object) -> str | None:
    return None if isinstance(value, int) and value >= 0 else "must be 0 or more"


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
    traits = GateTraits(cost_model=(1.0, 0.0), cacheable=False, rules=RULES)
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
    timeout = options.get("timeout_s", 5.0)
    return HttpIndex(url, float(timeout) if isinstance(timeout, (int, float)) else 5.0)
