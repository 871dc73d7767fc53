"""Credentials a checkout keeps for git, which the PR's own code could read.

actions/checkout persists the job's token unless told `persist-credentials: false`: v4 writes
it into `.git/config` as `http.https://github.com/.extraheader`, v6 into a separate file that
`.git/config` includes. gates scrubs the token from the environment of every tool, but a test
that reads `.git/config` (or the file it includes) needs no environment to steal it. So before
a gate runs the PR's code, the checkout's git config is read the way git reads it (includes
and conditional includes followed) for anything that holds a credential.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from gates.gate import Gate, GateContext, GateError, GateOutcome, traits_of
from gates.git import Git

FIX = (
    "set `persist-credentials: false` on actions/checkout (the gates action fetches what it "
    "needs itself), or accept the risk with `allow_persisted_credentials = true`"
)
# Keys whose mere presence means git will hand a credential to whatever asks.
_CREDENTIAL_KEYS = re.compile(
    r"^(http\..*\.extraheader|http\.extraheader|credential\..*helper|credential\.helper)$",
    re.IGNORECASE,
)
_URL_KEYS = re.compile(r"^(remote\..*\.(url|pushurl)|url\..*\.insteadof)$", re.IGNORECASE)


@dataclass(frozen=True)
class PersistedCredential:
    key: str  # the git config key, e.g. http.https://github.com/.extraheader
    origin: str  # where git read it, e.g. file:.git/config

    def describe(self) -> str:
        return f"{self.key} ({self.origin})"


def _pairs(raw: bytes) -> list[tuple[str, str, str]]:
    """(origin, key, value) triples from `git config --show-origin --null --list`."""
    records = raw.split(b"\0")
    triples = []
    for origin, item in zip(records[0::2], records[1::2], strict=False):  # last is empty
        key, _, value = item.decode("utf-8", errors="replace").partition("\n")
        triples.append((origin.decode("utf-8", errors="replace"), key, value))
    return triples


def holds_credential(key: str, value: str) -> bool:
    if _CREDENTIAL_KEYS.match(key):
        return bool(value.strip())
    if _URL_KEYS.match(key):
        url = key.split(".", 1)[1].rsplit(".", 1)[0] if key.lower().startswith("url.") else value
        return _has_password(url)
    return False


def _has_password(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.password) or (bool(parts.username) and parts.scheme in ("http", "https"))


def find_persisted(git: Git) -> list[PersistedCredential]:
    """Credential-bearing entries of the repository's own config, includes followed.

    Only the repository's scope: the runner's global config is the runner's business, and a
    developer's own helper on their machine is theirs. Values are never returned, only where
    they are, so no report can repeat a token.
    """
    result = git.run("config", "--local", "--includes", "--show-origin", "--null", "--list")
    if not result.ok:
        return []
    return [
        PersistedCredential(key, origin)
        for origin, key, value in _pairs(result.out)
        if holds_credential(key, value)
    ]


@dataclass(frozen=True)
class _Refused:
    """A gate that would run the PR's code where a credential lies: it reports `error`."""

    gate: Gate
    reason: str

    def __getattr__(self, name: str) -> object:
        return getattr(self.gate, name)

    def run(self, ctx: GateContext) -> GateOutcome:
        raise GateError(self.reason)


def refusal(found: Sequence[PersistedCredential]) -> str:
    where = "; ".join(c.describe() for c in found[:3])
    return (
        f"not run: the checkout keeps a git credential ({where}) that the PR's code, which "
        f"this gate runs, could read; {FIX}"
    )


def guard_project_code(
    gates: Mapping[str, Gate], found: Sequence[PersistedCredential]
) -> dict[str, Gate]:
    """The gates with each one that runs the project's code replaced by a refusal."""
    if not found:
        return dict(gates)
    reason = refusal(found)
    return {
        name: _Refused(gate, reason) if runs_project_code(gate) else gate  # type: ignore[misc]
        for name, gate in gates.items()
    }


def runs_project_code(gate: Gate) -> bool:
    return traits_of(gate).runs_project_code
