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
    ("xvfb-run",), ("xvfb-run", "-a"), ("catchsegv",),
}  # fmt: skip
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
    for runner in _RUNNERS:
        if tuple(_basename(w) for w in argv[: len(runner)]) == runner:
            return strip_assignments(_skip_options(argv[len(runner) :]))
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


def _skip_options(argv: tuple[str, ...]) -> tuple[str, ...]:
    """A runner's own options before the command: `uvx --with tox-uv tox` -> `tox`."""
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        index += 2 if argv[index] in _RUNNER_VALUED else 1
    return argv[index:]


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
    if args[:1] == ("report",) and _value(args, "--fail-under") is not None:
        return [_build(COVERAGE_REPORT, "coverage", args[1:])]
    return []


def _session_runner(tool: str, args: tuple[str, ...]) -> list[Invocation]:
    if tool == "tox" and args[:1] and args[0] in _TOX_COMMANDS:
        args = args[1:]
    flags = ("-e", "--env", "-f") if tool == "tox" else ("-s", "--sessions", "--session")
    names = [v for flag in flags for v in _values(args, flag)]
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
        threshold=_threshold(args),
        options=option_flags(args),
    )


def _value(args: tuple[str, ...], name: str) -> str | None:
    found = _values(args, name)
    return found[-1] if found else None


def _values(args: tuple[str, ...], name: str) -> list[str]:
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


def _threshold(args: tuple[str, ...]) -> float | None:
    raw = _value(args, "--cov-fail-under") or _value(args, "--fail-under")
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
    items = {f"ignore:{normalise_path(v)}" for v in _values(args, "--ignore")}
    items |= {f"ignore:{v}" for v in _values(args, "--ignore-glob")}
    items |= {f"deselect:{v}" for v in _values(args, "--deselect")}
    for flag in ("-k", "-m"):
        items |= {f"{flag[1]}:{' '.join(v.split())}" for v in _values(args, flag) if "not" in v}
    return frozenset(items)


def selections(args: tuple[str, ...]) -> frozenset[str]:
    """What a pytest command runs only: `k:EXPR` / `m:EXPR` without a `not` (`-m smoke`)."""
    return frozenset(
        f"{flag[1]}:{' '.join(v.split())}"
        for flag in ("-k", "-m")
        for v in _values(args, flag)
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
        for value in _values(args, name):
            out |= {f"{name}={code}" for code in re.split(r"[,\s]+", value) if _kept(code)}
    for name in ("--fail-on", "--stages"):
        found = _value(args, name)
        if found is not None:
            out.add(f"{name}={found}")
    return frozenset(out)
