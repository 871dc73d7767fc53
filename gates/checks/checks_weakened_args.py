"""A check command's arguments: the paths it runs on, the tests it leaves out or selects,
its coverage threshold and the flags that loosen or tighten it.

Only what this gate compares is read; every option that takes a value is listed so that its
value is not taken for a path.
"""

from __future__ import annotations

import re

# Options whose value is the next word (so it is not taken for a path to check).
_VALUED = frozenset(
    (
        "-k", "-m", "-n", "-p", "-c", "-o", "-W", "-r", "--maxfail", "--junitxml", "--junit-xml",
        "--cov", "--cov-report", "--cov-config", "--cov-fail-under", "--deselect", "--ignore",
        "--ignore-glob", "--rootdir", "--basetemp", "--durations", "--timeout", "--dist", "--tx",
        "--confcutdir", "--log-level", "--tb", "--reruns", "--import-mode", "--override-ini",
        "--ds",
        "--config-file", "--python-version", "--cache-dir", "--exclude", "--platform", "--select",
        "--extend-select", "--ignore", "--extend-ignore", "--config", "--output-format",
        "--target-version", "--line-length", "--extend-exclude", "--per-file-ignores",
        "--max-line-length", "--format", "--fail-on", "--stages", "--output-dir", "--base",
        "--head",
        "-e", "-s", "--disable-error-code", "--enable-error-code", "--follow-imports",
        "--python-executable", "--fail-under",
    )
)  # fmt: skip
_LOOSE_FLAGS = frozenset(
    ("--strict", "--exit-zero", "--ignore-missing-imports", "--no-check-untyped-defs")
)
_COLLECT_ONLY = frozenset({"--collect-only", "--co", "--setup-plan", "--fixtures", "--markers"})
_TOOLING = re.compile(r"(^|/)(\.[^/]*|__pycache__|build|dist|venv|env|node_modules)$|\.egg")


def value_of(args: tuple[str, ...], name: str) -> str | None:
    found = values_of(args, name)
    return found[-1] if found else None


def values_of(args: tuple[str, ...], name: str) -> list[str]:
    """Every value of an option, spelt `--name value`, `--name=value` or `-kvalue`."""
    out = []
    for index, word in enumerate(args):
        if word == name and index + 1 < len(args):
            out.append(args[index + 1])
        elif word.startswith(name + "="):
            out.append(word[len(name) + 1 :])
        elif len(name) == 2 and word.startswith(name) and len(word) > 2 and name[1] in "kme":
            out.append(word[2:])
    return out


def threshold_of(args: tuple[str, ...]) -> float | None:
    raw = value_of(args, "--cov-fail-under") or value_of(args, "--fail-under")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def targets_of(args: tuple[str, ...]) -> tuple[str, ...]:
    """The positional arguments, normalised as paths; `.` alone means everything."""
    out: list[str] = []
    skip = False
    for word in args:
        if word.startswith("-"):
            skip = word in _VALUED  # `--cov --cov-report=xml`: a flag is never the value
            continue
        if skip:
            skip = False
            continue
        posargs = re.fullmatch(r"\{posargs:?([^}]*)\}", word)
        word = posargs.group(1) if posargs else word
        path = normalise_path(word)
        if path:
            out.append(path)
    return () if "" in out or not out else tuple(sorted(set(out)))


def normalise_path(word: str) -> str:
    word = word.strip()
    while word.startswith("./"):
        word = word[2:]
    word = word.rstrip("/")
    return "" if word in (".", "") else word


def deselections(args: tuple[str, ...]) -> frozenset[str]:
    """What a pytest command leaves out: `ignore:PATH`, `deselect:ID`, `k:EXPR`, `m:EXPR`."""
    items = {f"ignore:{normalise_path(v)}" for v in values_of(args, "--ignore")}
    items |= {f"ignore:{v}" for v in values_of(args, "--ignore-glob")}
    items |= {f"deselect:{v}" for v in values_of(args, "--deselect")}
    for flag in ("-k", "-m"):
        items |= {f"{flag[1]}:{' '.join(v.split())}" for v in values_of(args, flag) if "not" in v}
    return frozenset(items)


def selections(args: tuple[str, ...]) -> frozenset[str]:
    """What a pytest command runs only: `k:EXPR` / `m:EXPR` without a `not` (`-m smoke`)."""
    return frozenset(
        f"{flag[1]}:{' '.join(v.split())}"
        for flag in ("-k", "-m")
        for v in values_of(args, flag)
        if "not" not in v.split()
    )


def _kept(entry: str) -> bool:
    """An option value worth comparing: not empty, not a tooling folder (`.tox`, `*.egg`)."""
    return bool(entry) and not _TOOLING.search(entry.rstrip("/"))


def option_flags(args: tuple[str, ...]) -> frozenset[str]:
    """The flags the gate compares: strictness, ignores, exit-zero, gates' fail-on/stages."""
    out = set()
    for word in args:
        name, _, value = word.partition("=")
        if name in _LOOSE_FLAGS or name.startswith(("--allow-", "--no-strict")):
            out.add(name)
        elif name == "--follow-imports" and value in ("skip", "silent"):
            out.add(word)
    if _COLLECT_ONLY & set(args):
        out.add("--collect-only")
    for name in (
        "--ignore",
        "--extend-ignore",
        "--disable-error-code",
        "--exclude",
        "--extend-exclude",
    ):
        for value in values_of(args, name):
            out |= {f"{name}={code}" for code in re.split(r"[,\s]+", value) if _kept(code)}
    for name in ("--fail-on", "--stages"):
        found = value_of(args, name)
        if found is not None:
            out.add(f"{name}={found}")
    return frozenset(out)
