"""`pass_env`: variables the scrub would drop that the user names for the tools.

Tests against a service container need `POSTGRES_PASSWORD`, which the scrub drops with every
`*_PASSWORD`. The user names such variables (config `pass_env`, `--pass-env`, `GATES_PASS_ENV`;
a trailing `*` globs) and only those reach the tools. The GitHub credentials never do: naming
one is a usage error.

The hard part is the re-exec (gates.cli.entry): `run` replaces itself with a copy started
without any credential, because the PR's tests can read /proc/<ancestor>/environ. The config
that says which variables to pass is only read after that, so the values must survive the
re-exec without sitting in the new process's environ. On Linux `entry` writes the withheld
variables (never a never-pass one) to an anonymous memory file (memfd) the new process inherits;
its number is in `GATES_PASS_FD`. The new process reads and closes it first thing and keeps the
values in memory only; once the config is loaded, the selected names join the tools'
environment. Elsewhere (no memfd), `entry` keeps the variables `GATES_PASS_ENV` and
`--pass-env` name in the new environment itself; the config's `pass_env` cannot reach them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path

from gates.errors import UsageError
from gates.proc import FILE_COMMANDS, is_secret_name

PASS_ENV = "GATES_PASS_ENV"  # noqa: S105 - a variable name, not a password
FD_ENV = "GATES_PASS_FD"
# Credentials to GitHub and the runner: never passed, whatever the config says.
NEVER = ("GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_PAT", *sorted(FILE_COMMANDS))
NEVER_PREFIXES = ("ACTIONS_", "INPUT_")  # ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_*
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\*?$")
_MEMFD_NAME = "gates-pass-env"


def never_passes(name: str) -> bool:
    upper = name.upper()
    return upper in NEVER or upper.startswith(NEVER_PREFIXES)


def pattern_problem(pattern: str) -> str | None:
    """Why a `pass_env` entry cannot be used, or None. A glob that could match a never-pass
    name is refused as the name itself would be (`GITHUB_*` covers GITHUB_TOKEN)."""
    if not _NAME.match(pattern):
        return f"{pattern!r} is not a variable name (letters, digits, _; a trailing * globs)"
    upper = pattern.upper()
    prefix = upper[:-1] if upper.endswith("*") else None
    if prefix is None:
        covered = never_passes(upper)
    else:
        covered = any(n.startswith(prefix) for n in NEVER) or any(
            p.startswith(prefix) or prefix.startswith(p) for p in NEVER_PREFIXES
        )
    if covered:
        never = ", ".join([*NEVER[:4], *(p + "*" for p in NEVER_PREFIXES)])
        return f"{pattern} is never passed to the tools (never: {never}, the runner's files)"
    return None


def check_option(value: object) -> str | None:
    """The config key's check (gates.config.Option)."""
    items = value if isinstance(value, list) else []
    problems = [pattern_problem(str(item)) for item in items]
    return next((f"is wrong: {p}" for p in problems if p), None)


def split_list(text: str) -> list[str]:
    """`GATES_PASS_ENV`: names separated by commas or whitespace."""
    return [part for part in re.split(r"[,\s]+", text) if part]


def patterns_from(
    configured: Iterable[str], cli: Iterable[str], env: Mapping[str, str]
) -> tuple[str, ...]:
    """Every pattern the run honours; a bad one from the command line or GATES_PASS_ENV is a
    UsageError naming where it came from (the config's were checked when it loaded)."""
    found = list(configured)
    for where, items in (("--pass-env", list(cli)), (PASS_ENV, split_list(env.get(PASS_ENV, "")))):
        for item in items:
            problem = pattern_problem(item)
            if problem:
                raise UsageError(f"{where}: {problem}")
            found.append(item)
    return tuple(dict.fromkeys(found))


def matches(pattern: str, name: str) -> bool:
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return name == pattern


def selected(patterns: Sequence[str], source: Mapping[str, str]) -> dict[str, str]:
    """The variables of `source` a pattern names (never a never-pass one)."""
    return {
        name: value
        for name, value in source.items()
        if not never_passes(name) and any(matches(p, name) for p in patterns)
    }


def withheld(env: Mapping[str, str]) -> dict[str, str]:
    """What the scrub drops that `pass_env` may still name."""
    return {k: v for k, v in env.items() if is_secret_name(k) and not never_passes(k)}


def hand_over(env: Mapping[str, str], argv: Sequence[str]) -> dict[str, str]:
    """What `entry` adds to the re-exec'd process's environment so the withheld variables
    survive: the number of an inheritable memfd holding them (Linux), else the variables that
    GATES_PASS_ENV and --pass-env name, themselves."""
    values = withheld(env)
    if not values:
        return {}
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is None:  # pragma: no cover - not Linux
        names = patterns_from((), cli_patterns(argv), env) if _valid(argv, env) else ()
        return selected(names, values)
    fd = memfd_create(_MEMFD_NAME, 0)
    os.write(fd, json.dumps(values).encode())
    os.lseek(fd, 0, os.SEEK_SET)
    os.set_inheritable(fd, True)
    return {FD_ENV: str(fd)}


def _valid(argv: Sequence[str], env: Mapping[str, str]) -> bool:  # pragma: no cover
    try:
        patterns_from((), cli_patterns(argv), env)
    except UsageError:
        return False  # the run reports it after the re-exec
    return True


def cli_patterns(argv: Sequence[str]) -> list[str]:
    """The `--pass-env` values on a command line, before argparse has seen it."""
    found: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--pass-env" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--pass-env="):
            found.append(arg.split("=", 1)[1])
    return found


def take_over(environ: MutableMapping[str, str]) -> dict[str, str]:
    """In the re-exec'd process: read the memfd `entry` left, close it, forget its number.
    Nothing usable (no fd, not ours) is an empty result, never an error."""
    number = environ.pop(FD_ENV, "")
    if not number.isdigit():
        return {}
    fd = int(number)
    try:
        ours = str(Path(f"/proc/self/fd/{fd}").readlink()).startswith(f"/memfd:{_MEMFD_NAME}")
    except OSError:
        return {}
    if not ours:
        return {}
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        data = json.loads(b"".join(chunks))
    except (OSError, ValueError):
        return {}
    finally:
        os.close(fd)
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if not never_passes(str(k))}
