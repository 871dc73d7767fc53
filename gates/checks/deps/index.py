"""What the package index says about a project: whether it exists, how many releases it has
and when the first was uploaded, from the JSON API (`<index>/pypi/<name>/json`, the shape of
https://docs.pypi.org/api/json/: `info`, and `releases` mapping each version to its files with
`upload_time_iso_8601` and `yanked`).

Every answer goes through `project_info`, whether it came over HTTP (`HttpIndex`) or from
answers recorded beforehand (`RecordedIndex`: the labelled corpus, tests), so the gate's
judgement is a pure function of the answers. `OfflineIndex` answers "not checked", which the
gate reports as such: an index that was not asked is never a pass.
"""

from __future__ import annotations

import enum
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol
from urllib.parse import quote, urlsplit

from packaging.utils import canonicalize_name

from gates.checks.deps.declared import without_credentials

DEFAULT_INDEX = "https://pypi.org"
CONTROL_NAME = "pip"  # a project every Python package index serves
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # boto3's JSON is ~10 MB; more than this is no index


class Status(str, enum.Enum):
    FOUND = "found"
    MISSING = "missing"
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class ProjectInfo:
    releases: int  # versions with at least one file that is not yanked
    first_upload: datetime | None  # None: the project has no file at all


@dataclass(frozen=True)
class Answer:
    status: Status
    info: ProjectInfo | None = None
    reason: str = ""  # why it was not checked


class Index(Protocol):
    """Where the gate asks about projects. `as_of` is the moment ages are measured at."""

    where: str  # for messages: "https://pypi.org"
    as_of: datetime

    def lookup(self, name: str) -> Answer: ...


def project_info(doc: object) -> ProjectInfo:
    """Read a JSON API answer; ValueError names what is missing from it."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("releases"), Mapping):
        raise ValueError("the answer has no 'releases' object")
    releases, first = 0, None
    for files in doc["releases"].values():
        live = [f for f in files if isinstance(f, Mapping) and not f.get("yanked")]
        releases += bool(live)
        for entry in live:
            when = _uploaded(entry)
            if when is not None and (first is None or when < first):
                first = when
    return ProjectInfo(releases, first)


def _uploaded(entry: Mapping[str, object]) -> datetime | None:
    raw = entry.get("upload_time_iso_8601") or entry.get("upload_time")
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_date(text: str) -> datetime:
    """An ISO date or time as an aware datetime (UTC when it names no zone)."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class RecordedIndex:
    """Answers recorded beforehand: name -> JSON API document; a name not recorded is missing
    from the index, as a real index answers 404."""

    def __init__(self, docs: Mapping[str, object], as_of: datetime, where: str) -> None:
        self._docs = {canonicalize_name(k): v for k, v in docs.items()}
        self.as_of, self.where = as_of, where

    def lookup(self, name: str) -> Answer:
        doc = self._docs.get(canonicalize_name(name))
        if doc is None:
            return Answer(Status.MISSING)
        try:
            return Answer(Status.FOUND, project_info(doc))
        except ValueError as exc:
            return Answer(Status.UNCHECKED, reason=f"unreadable answer: {exc}")


class OfflineIndex:
    """No index is asked; every answer says why."""

    def __init__(self, reason: str, as_of: datetime | None = None) -> None:
        self.reason, self.where = reason, "no index"
        self.as_of = as_of or datetime.now(timezone.utc)

    def lookup(self, name: str) -> Answer:
        del name
        return Answer(Status.UNCHECKED, reason=self.reason)


def json_api_base(index_url: str) -> str:
    """The JSON API root of an index given as its simple-API URL (`.../simple/` -> `...`)."""
    base = index_url.strip().rstrip("/")
    for tail in ("/simple", "/+simple"):
        if base.endswith(tail):
            return base[: -len(tail)]
    return base


class HttpIndex:
    """The JSON API of a real index, asked once per name with a short timeout. After a
    connection failure the index counts as unreachable: later names are not tried (a
    dead proxy would otherwise cost the timeout once per dependency).

    A 404 is believed only once the index has shown it serves the JSON API at all, by knowing
    `CONTROL_NAME`: a private index without that API answers 404 for every name, which would
    otherwise call every new dependency missing."""

    def __init__(self, index_url: str, timeout_s: float) -> None:
        self.base = json_api_base(index_url)
        self.where = without_credentials(self.base)
        self.timeout_s = timeout_s
        self.as_of = datetime.now(timezone.utc)
        self._down = ""
        self._serves_json: bool | None = None
        self._answers: dict[str, Answer] = {}
        self._lock = threading.Lock()

    def lookup(self, name: str) -> Answer:
        name = canonicalize_name(name)
        with self._lock:
            known = self._answers.get(name)
            if known is None and self._down:
                return Answer(Status.UNCHECKED, reason=self._down)
        if known is not None:
            return known
        answer = self._ask(name)
        if answer.status is Status.MISSING and not self._json_api_works():
            answer = Answer(
                Status.UNCHECKED,
                reason=f"{self.where} has no JSON API ({CONTROL_NAME} is not found there either)",
            )
        with self._lock:
            self._answers[name] = answer
        return answer

    def _json_api_works(self) -> bool:
        """Asked once per run, and only when some name was not found."""
        with self._lock:
            known = self._serves_json
        if known is None:
            known = self._ask(CONTROL_NAME).status is Status.FOUND
            with self._lock:
                self._serves_json = known
        return known

    def _ask(self, name: str) -> Answer:
        url = f"{self.base}/pypi/{quote(name)}/json"
        if urlsplit(url).scheme not in ("http", "https"):
            return Answer(Status.UNCHECKED, reason=f"index URL {self.where} is not http(s)")
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            # gates: ignore[network-egress-dynamic] the index that config or PIP_INDEX_URL names
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:  # noqa: S310  # nosec B310
                body = reply.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return Answer(Status.MISSING)
            return Answer(Status.UNCHECKED, reason=f"{self.where} answered HTTP {exc.code}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = f"{self.where} unreachable ({_why(exc)})"
            with self._lock:
                self._down = reason
            return Answer(Status.UNCHECKED, reason=reason)
        return _read_answer(body, self.where)


def _why(exc: BaseException) -> str:
    inner = getattr(exc, "reason", exc)
    return "timed out" if isinstance(inner, TimeoutError) else type(inner).__name__


def _read_answer(body: bytes, where: str) -> Answer:
    if len(body) > MAX_ANSWER_BYTES:
        return Answer(Status.UNCHECKED, reason=f"{where} answered more than 32 MB")
    try:
        return Answer(Status.FOUND, project_info(json.loads(body)))
    except ValueError as exc:  # json's errors are ValueErrors too
        return Answer(Status.UNCHECKED, reason=f"{where} gave an unreadable answer ({exc})")
