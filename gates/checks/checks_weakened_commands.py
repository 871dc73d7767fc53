"""Which check a command runs, on what, and with which weakening options.

A command is reduced to the tool it ends up running (`poetry run python -m pytest` is pytest)
and that tool to a kind: tests, lint, format, types, security or gates. Tools of one kind are
interchangeable for this gate (flake8 replaced by `ruff check` still lints), so a step is
matched across a PR by kind and by the paths it runs on, not by its spelling.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace

from gates.checks.checks_weakened_args import (
    deselections,
    option_flags,
    selections,
    targets_of,
    threshold_of,
    value_of,
    values_of,
)
from gates.checks.checks_weakened_shell import strip_assignments

TESTS, LINT, FORMAT, TYPES = "tests", "lint", "format", "types"
SECURITY, GATES = "security", "gates"
COVERAGE_REPORT = "coverage"  # `coverage report --fail-under`: a threshold, not a check

TOOL_KINDS = {
    "pytest": TESTS, "py.test": TESTS, "unittest": TESTS, "nose2": TESTS, "trial": TESTS,
    "ward": TESTS, "behave": TESTS, "tox": TESTS, "nox": TESTS,
    "flake8": LINT, "pylint": LINT, "pycodestyle": LINT, "pyflakes": LINT, "pre-commit": LINT,
    "prek": LINT, "ruff": LINT,
    "black": FORMAT, "isort": FORMAT, "yapf": FORMAT, "autopep8": FORMAT,
    "mypy": TYPES, "dmypy": TYPES, "pyright": TYPES, "basedpyright": TYPES, "pytype": TYPES,
    "pyre": TYPES, "ty": TYPES,
    "bandit": SECURITY, "pip-audit": SECURITY, "safety": SECURITY, "semgrep": SECURITY,
    "zizmor": SECURITY,
    "gates": GATES,
}  # fmt: skip
# Runners that start the real command: dropped in front of it.
_RUNNERS = {
    ("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("pdm", "run"), ("rye", "run"),
    ("hatch", "run"), ("uvx",), ("pipx", "run"), ("env",), ("time",), ("nice",), ("exec",),
    ("xvfb-run",), ("xvfb-run", "-a"), ("catchsegv",), ("xargs",), ("uv", "tool", "run"),
    ("hatch", "env", "run"), ("command",), ("nohup",), ("stdbuf",), ("sudo",),
}  # fmt: skip
# Options of one runner that take a value, besides the common ones below: `xargs -0 -n 1 -P 4
# pytest` feeds paths to pytest, which still runs the tests.
_OWN_VALUED = {
    "xargs": frozenset(
        ("-a", "--arg-file", "-d", "--delimiter", "-E", "-I", "-L", "-P", "--max-procs")
    ),
    "env": frozenset(("-u", "--unset", "-C", "--chdir")),
    "sudo": frozenset(("-u", "--user", "-g", "--group", "-C", "-D", "--chdir", "-h")),
    "hatch": frozenset(("--env",)),
}
# Names of tox envs, nox sessions and make targets that run a given kind of check.
_NAMED_KINDS = (
    (re.compile(r"lint|flake8|ruff|style|pylint|pre-?commit|check-?format"), LINT),
    (re.compile(r"typ(e|ing)|mypy|pyright"), TYPES),
    (re.compile(r"^(fmt|format|black|isort)"), FORMAT),
    (re.compile(r"^docs?|[-_]docs?|build|release|publish|clean|install|dev|fix|bump|serve"), ""),
    (re.compile(r"bench|codspeed|perf|profil|changelog|spell|report|combine|upload"), ""),
    (re.compile(r"audit|bandit|security"), SECURITY),
)
# uv / poetry / hatch / pipx options that take a value
_RUNNER_VALUED = frozenset(
    (
        "--with", "--from", "--python", "-p", "--extra", "--group", "--directory", "--project",
        "--env-file", "--index-url", "-e", "--env", "-n", "-s", "--spec", "-w", "-k",
    )
)  # fmt: skip
_COVERAGE_VALUED = frozenset(
    ("--source", "--rcfile", "--data-file", "--include", "--omit", "--concurrency", "--context")
)
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}|\$\{[^}]*\}|\$\([^)]*\)|\$\w+")
_TOX_COMMANDS = frozenset({"run", "r", "run-parallel", "p", "exec", "e"})
_MAKE_TEST = re.compile(r"^(test|tests|check|ci|coverage|cov|unit|integration)([-_].*)?$")
_PYTHON = re.compile(r"^(python[\d.]*|py|pypy[\d.]*)$")


@dataclass(frozen=True)
class Invocation:
    """One check a command runs. `targets` are the paths it runs on; () means everything."""

    kind: str
    tool: str
    args: tuple[str, ...]
    targets: tuple[str, ...] = ()
    deselects: frozenset[str] = frozenset()
    selects: frozenset[str] = frozenset()  # -k / -m that run only some tests
    threshold: float | None = None  # --cov-fail-under / coverage report --fail-under
    options: frozenset[str] = field(default_factory=frozenset)  # flags that matter, normalised
    shown: str = ""  # the command as written (after runners), for messages


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1].removesuffix(".exe")


def _is_python(word: str) -> bool:
    name = _basename(word)
    if _PYTHON.match(name):
        return True
    # $(PYTHON), ${PYTHON}, tox's {envpython}
    return word.startswith(("$(", "${", "{")) and "PY" in word.upper()


def unwrap(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The command a runner or interpreter ends up running: `poetry run python -m pytest -q`
    -> `pytest -q`; `timeout 600 pytest` -> `pytest`."""
    argv = strip_assignments(argv)
    for _ in range(6):
        before = argv
        argv = _unwrap_once(argv)
        if argv == before:
            break
    return argv


def _unwrap_once(argv: tuple[str, ...]) -> tuple[str, ...]:
    argv = _hatch_globals(argv)
    for runner in sorted(_RUNNERS, key=len, reverse=True):
        if tuple(_basename(w) for w in argv[: len(runner)]) == runner:
            valued = _OWN_VALUED.get(runner[0], frozenset())
            return strip_assignments(_skip_options(argv[len(runner) :], valued))
    if tuple(_basename(w) for w in argv[:2]) == ("coverage", "run"):
        return _coverage_run(argv[2:])
    if argv and _basename(argv[0]) == "timeout":
        rest = [i for i, w in enumerate(argv[1:], 1) if not w.startswith("-")]
        return argv[rest[1] :] if len(rest) > 1 else argv
    if len(argv) >= 3 and _is_python(argv[0]):
        module = _module_of(argv)
        if module is not None:
            return module
    if len(argv) >= 2 and _is_python(argv[0]) and _basename(argv[1]) == "manage.py":
        return ("django-test", *argv[3:]) if argv[2:3] == ("test",) else argv
    return argv


def _coverage_run(argv: tuple[str, ...]) -> tuple[str, ...]:
    """`coverage run --source pkg/ -m pytest -q` -> `pytest -q` (a script path stays as is)."""
    index = 0
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "-m":
        index += 2 if argv[index] in _COVERAGE_VALUED else 1
    if argv[index : index + 1] == ("-m",):
        return argv[index + 1 :]
    return argv[index:]


def _skip_options(argv: tuple[str, ...], valued: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """A runner's own options before the command: `uvx --with tox-uv tox` -> `tox`; hatch's
    matrix selectors (`+py=3.12`) too."""
    index = 0
    while index < len(argv) and (
        argv[index].startswith("-") or re.match(r"^\+\w[\w-]*=", argv[index])
    ):
        index += 2 if argv[index] in _RUNNER_VALUED or argv[index] in valued else 1
    return argv[index:]


def _hatch_globals(argv: tuple[str, ...]) -> tuple[str, ...]:
    """`hatch -e test run pytest` -> `hatch run pytest`: hatch's own options come before its
    subcommand, where the runner table does not look."""
    if not argv or _basename(argv[0]) != "hatch":
        return argv
    rest = _skip_options(argv[1:], _OWN_VALUED["hatch"])
    return (argv[0], *rest)


def _module_of(argv: tuple[str, ...]) -> tuple[str, ...] | None:
    """`python -I -u -m pytest -q` / `python -Im pytest -q` -> `pytest -q`; None without -m."""
    index = 1
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "--":
        flag = argv[index]
        if flag == "-m" or (
            not flag.startswith("--") and flag.endswith("m") and flag[1:-1].isalpha()
        ):
            return argv[index + 1 :] if index + 1 < len(argv) else None
        index += 2 if flag in ("-W", "-X") else 1
    return None


def invocations(argv: tuple[str, ...]) -> list[Invocation]:
    """The checks one command runs (a `tox -e lint,typing` runs two); [] for anything else."""
    argv = unwrap(argv)
    if not argv:
        return []
    shown = shlex.join(argv)
    return [replace(inv, shown=shown) for inv in _invocations(argv)]


def _invocations(argv: tuple[str, ...]) -> list[Invocation]:
    tool = _basename(argv[0])
    args = argv[1:]
    if tool in ("tox", "nox"):
        return _session_runner(tool, args)
    if tool == "make":
        return _make(args)
    if tool == "ruff":
        return _ruff(args)
    if tool == "ty" and args[:1] == ("check",):
        return [_build(TYPES, "ty", args[1:])]
    if tool == "coverage":
        return _coverage(args)
    if tool == "hatch" and args[:1] == ("test",):
        return [_build(TESTS, "hatch-test", args[1:])]
    if tool == "django-test":
        return [_build(TESTS, "django-test", args)]
    kind = TOOL_KINDS.get(tool)
    if kind is None or (tool in ("pre-commit", "prek") and "run" not in args):
        return []
    if tool in ("pre-commit", "prek"):
        args = tuple(a for a in args if a != "run")
    if tool == "black" and "--check" not in args and "--diff" not in args:
        return []
    return [_build(kind, tool, args)]


def _ruff(args: tuple[str, ...]) -> list[Invocation]:
    if args[:1] == ("format",):
        return [_build(FORMAT, "ruff-format", args[1:])]
    if args[:1] == ("check",):
        return [_build(LINT, "ruff", args[1:])]
    if not args or args[0].startswith("-") or "/" in args[0] or args[0] == ".":
        return [_build(LINT, "ruff", args)]
    return []


def _coverage(args: tuple[str, ...]) -> list[Invocation]:
    if args[:1] == ("report",) and value_of(args, "--fail-under") is not None:
        return [_build(COVERAGE_REPORT, "coverage", args[1:])]
    return []


def _session_runner(tool: str, args: tuple[str, ...]) -> list[Invocation]:
    if tool == "tox" and args[:1] and args[0] in _TOX_COMMANDS:
        args = args[1:]
    flags = ("-e", "--env", "-f") if tool == "tox" else ("-s", "--sessions", "--session")
    names = [v for flag in flags for v in values_of(args, flag)]
    if not names:
        return [_build(TESTS, tool, ())]
    found = []
    for name in (n for value in names for n in re.split(r"[,\s]+", value) if n):
        kind = named_kind(name)
        if kind:
            found.append(Invocation(kind, f"{tool}:{name}", args))
    return found


def named_kind(name: str) -> str:
    """The kind of check a tox env, nox session or make target of this name runs ("": none,
    or a name only known when the job runs, such as `${{ matrix.env }}`)."""
    # Only the literal part of `${{ env.PY }}-mypy` is known before the job runs.
    lowered = _EXPRESSION.sub("", name.lower())
    if not re.search(r"[a-z]", lowered):
        return ""
    for pattern, kind in _NAMED_KINDS:
        if pattern.search(lowered):
            return kind
    return TESTS


def _make(args: tuple[str, ...]) -> list[Invocation]:
    found = []
    for target in (a for a in args if not a.startswith("-") and "=" not in a):
        kind = TESTS if _MAKE_TEST.match(target) else named_kind(target)
        if kind == TESTS and not _MAKE_TEST.match(target):
            continue  # an unknown target name is not taken for a test run
        if kind:
            found.append(Invocation(kind, f"make:{target}", args))
    return found


def _build(kind: str, tool: str, args: tuple[str, ...]) -> Invocation:
    return Invocation(
        kind=kind,
        tool=tool,
        args=args,
        targets=targets_of(args),
        deselects=deselections(args) if kind == TESTS else frozenset(),
        selects=selections(args) if kind == TESTS else frozenset(),
        threshold=threshold_of(args),
        options=option_flags(args),
    )
