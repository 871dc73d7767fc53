"""mypy as the project runs it, parsed from its JSON output.

The project's own mypy (its version, its plugins) when its interpreter has one, else gates' own
with `--python-executable` so it sees the project's installed dependencies. What it checks is
decided in gates.tools.mypy_targets.
"""

from __future__ import annotations

import configparser
import contextlib
import itertools
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gates.gate import GateContext, GateOutcome, GateTraits, Option, Scope
from gates.model import Finding, Severity, Stage
from gates.text import one_line
from gates.tools.common import (
    batches,
    relative,
    require_module,
    require_ran,
    tool_failure,
)
from gates.tools.mypy_targets import (
    config_names_targets,
    pr_targets,
    source_dirs,
    touched_python,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

INSTALL = "pip install mypy (into gates' environment, or the project's to use its own)"
# mypy exits 1 when it found errors and 2 when it crashed, was misused, or a syntax error
# stopped it; a syntax error still prints its JSON finding, so 2 with findings is a result.
_FOUND = 1
_BLOCKED = 2
MAX_HINT_CHARS = 300
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "note": Severity.NOTE}
# Where mypy looks for its config in the directory it runs in, in its own order.
_CONFIG_FILES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")


def parse_mypy_json(text: str, root: Path, gate: str = "mypy") -> list[Finding]:
    """Parse `mypy -O json` (one object per line); other lines (summaries) are skipped."""
    findings: list[Finding] = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        item = json.loads(line)
        if not isinstance(item, dict):
            raise ValueError("mypy JSON line is not an object")
        if _is_context(item):
            continue
        findings.append(_finding(item, root, gate))
    return findings


def _is_context(item: Mapping[str, Any]) -> bool:
    """`show_error_context` notes ("In function f:") have no position; the error has it."""
    return item.get("severity") == "note" and _unplaced(item)


def _unplaced(item: Mapping[str, Any]) -> bool:
    line = item.get("line")
    return item.get("code") is None and (not isinstance(line, int) or line < 1)


def blocking_messages(text: str) -> list[str]:
    """mypy's errors that stopped the whole run (duplicate modules, unreadable files)."""
    out: list[str] = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            item = json.loads(line) if line.startswith("{") else None
            if isinstance(item, dict) and item.get("severity") == "error" and _unplaced(item):
                out.append(f"{item.get('file', '')}: {item.get('message', '')}")
    return out


def _finding(item: Mapping[str, Any], root: Path, gate: str) -> Finding:
    line = _position(item.get("line"))
    end_line = _position(item.get("end_line"))
    column = _position(item.get("column"), shift=1)  # mypy's JSON columns are 0-based
    end_column = _position(item.get("end_column"), shift=1)  # 0-based exclusive -> 1-based
    message, help_uri = _message(str(item.get("message", "")), item.get("hint"))
    return Finding(
        gate=gate,
        tool="mypy",
        rule=str(item.get("code") or "misc"),
        severity=_SEVERITIES.get(str(item.get("severity")), Severity.ERROR),
        path=relative(root, str(item.get("file", ""))),
        line=line,
        end_line=end_line if line and end_line and end_line >= line else None,
        column=column,
        end_column=end_column,
        message=message,
        help_uri=help_uri,
        # mypy's message names the types and symbols involved: the same error whatever the
        # text of its line (a PR that reformats the line) and whatever notes mypy attached
        # (an `ignore` comment whose codes do not cover it).
        extra={"identity": str(item.get("message", ""))},
    )


def _position(value: object, shift: int = 0) -> int | None:
    if not isinstance(value, int) or value < 0:
        return None
    return value + shift if value + shift >= 1 else None


def _message(message: str, hint: object) -> tuple[str, str | None]:
    """Fold the notes mypy attached to an error into one bounded line; a "See URL" is a link."""
    text = " ".join(str(hint).split()) if hint else ""
    if text.startswith("See http") and " " not in text[4:]:
        return message, text[4:]
    if not text:
        return message, None
    return f"{message} ({one_line(text, MAX_HINT_CHARS)})", None


def mypy_config(root: Path, explicit: str | None = None) -> Mapping[str, Any]:
    """The [mypy] section mypy itself would use at the root (empty when there is none)."""
    for path in [root / explicit] if explicit else [root / name for name in _CONFIG_FILES]:
        if not path.is_file():
            continue
        section = _mypy_section(path)
        if section is not None:
            return section
        if path.name in ("mypy.ini", ".mypy.ini"):
            return {}  # mypy's own file counts even without a [mypy] section
    return {}


def excluded_by_config(files: list[str], config: Mapping[str, Any]) -> list[str]:
    """Drop the files the config's `exclude` regexes match.

    mypy applies `exclude` only while it discovers files itself; files named on its command
    line are always checked, so the gate applies the project's exclusions before naming them.
    """
    value = config.get("exclude") or []
    patterns = [value] if isinstance(value, str) else [str(v) for v in value]
    compiled = []
    for pattern in patterns:
        with contextlib.suppress(re.error):
            compiled.append(re.compile(pattern))
    return [f for f in files if not any(p.search(f) for p in compiled)]


def config_file_arg(args: Sequence[str]) -> str | None:
    """The `--config-file` the gate's `args` pass to mypy, if any."""
    for i, arg in enumerate(args):
        if arg == "--config-file" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--config-file="):
            return arg.split("=", 1)[1]
    return None


def _mypy_section(path: Path) -> Mapping[str, Any] | None:
    """The [mypy] section of one config file, or None when the file has none (mypy skips it)."""
    if path.suffix == ".toml":
        with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
            section = tool.get("mypy") if isinstance(tool, dict) else None
            return section if isinstance(section, dict) else None
        return None
    parser = configparser.RawConfigParser()
    with contextlib.suppress(OSError, UnicodeDecodeError, configparser.Error):
        parser.read(path, encoding="utf-8")
    if not parser.has_section("mypy"):
        return None
    return dict(parser.items("mypy"))


@dataclass(frozen=True)
class _Mypy:
    """Which mypy runs: its command (before mypy's own arguments) and how the detail says it."""

    argv: tuple[str, ...]
    note: str


class MypyGate:
    name = "mypy"
    stage = Stage.QUALITY
    tool = "mypy"
    scope = Scope.PROJECT
    description = (
        "mypy as the project runs it: its config's files, else the packages the PR touches"
    )
    default_timeout_s = 600.0
    default_fail_on = "error"
    # It runs the mypy plugins its config names (the project's code); it starts by reading
    # typeshed. A type error is not local to the lines that cause it (a changed signature
    # breaks its callers), and touching an old line must not adopt its old error: judged
    # against the base.
    traits = GateTraits(
        cost_model=(2.2, 1.0),
        runs_project_code=True,
        default_new="compare",
        rules=frozenset({"decode-error"}),  # mypy's own codes link to its pages
    )
    options: Mapping[str, Option] = {
        "args": Option(list, [], item=str, help="extra arguments for mypy"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        extra = [str(a) for a in ctx.options.get("args", [])]  # type: ignore[attr-defined]
        config = mypy_config(ctx.root, config_file_arg(extra))
        if config_names_targets(config):
            mypy = which_mypy(ctx, extra)
            found = self._check(ctx, mypy, extra, [], ctx.timeout_s)
            return GateOutcome(findings=found, detail=mypy.note)
        touched = touched_python(ctx.root, ctx.diff, ctx.files, ctx.touched)
        targets = pr_targets(ctx.root, touched, source_dirs(ctx.root, config))
        paths = excluded_by_config(list(targets.paths), config)
        if not paths:
            why = "no changed Python file in a package or top-level module"
            return GateOutcome.skipped("; ".join(filter(None, [why, targets.note()])))
        mypy = which_mypy(ctx, extra)
        findings: list[Finding] = []
        deadline = time.monotonic() + ctx.timeout_s  # one budget for all batches
        for batch in batches(paths):
            left = max(1.0, deadline - time.monotonic())
            findings += self._check(ctx, mypy, extra, batch, left)
        detail = "\n".join(
            filter(None, [mypy.note, f"checked: {', '.join(paths)}", targets.note()])
        )
        return GateOutcome(findings=_unique(findings), detail=detail)

    def _check(
        self,
        ctx: GateContext,
        mypy: _Mypy,
        extra: Sequence[str],
        files: list[str],
        timeout_s: float,
    ) -> list[Finding]:
        targets = ["--", *files] if files else []
        argv = [*mypy.argv, "-O", "json", *extra, *targets]
        result = ctx.run(argv, extra_env=ctx.cache_env, timeout_s=timeout_s)
        require_ran(result, INSTALL)
        try:
            findings = parse_mypy_json(result.stdout, ctx.root, self.name)
        except ValueError as exc:
            raise tool_failure(result, f"unreadable JSON output ({exc})") from None
        if result.ok or (result.returncode == _FOUND and findings):
            return findings
        if result.returncode == _BLOCKED and any(f.rule == "syntax" for f in findings):
            return findings
        undecodable = _undecodable(result.stdout + "\n" + result.stderr, ctx.root)
        rest = [f for f in files if f not in undecodable]
        if result.returncode == _BLOCKED and undecodable and files and len(rest) < len(files):
            # One file mypy cannot read stops it for all: report that file, check the rest.
            found = [_decode_finding(path, why, self.name) for path, why in undecodable.items()]
            return found + (self._check(ctx, mypy, extra, rest, timeout_s) if rest else [])
        require_module(result, "mypy", INSTALL)
        stopped = "; ".join(blocking_messages(result.stdout))
        raise tool_failure(result, stopped or "mypy could not check the project")


# mypy reads JSON output (`-O json`) since 1.11; an older one in the project cannot be parsed.
_JSON_SINCE = (1, 11)
_MYPY_IN = (
    "import sys; del sys.path[0]\n"
    "import importlib.metadata as m\n"
    "try: print(m.version('mypy'))\n"
    "except m.PackageNotFoundError: pass\n"
)


def which_mypy(ctx: GateContext, extra: Sequence[str]) -> _Mypy:
    """The project's own mypy when its interpreter has one recent enough (its version, its
    plugins), else gates' own, told to look at the project's installed packages."""
    if ctx.python == ctx.tool_python:
        return _Mypy((ctx.python, "-m", "mypy"), "")
    asked = ctx.run([ctx.python, "-c", _MYPY_IN], timeout_s=60)
    version = asked.stdout.strip() if asked.ok else ""
    if version and _release(version) >= _JSON_SINCE:
        return _Mypy((ctx.python, "-m", "mypy"), f"mypy {version} from {ctx.python}")
    told = any(a == "--python-executable" or a.startswith("--python-executable=") for a in extra)
    where = () if told else ("--python-executable", ctx.python)
    why = (
        f"{ctx.python} has mypy {version}, older than 1.11"
        if version
        else (f"mypy is not installed in {ctx.python}")
    )
    note = f"gates' own mypy with --python-executable {ctx.python} ({why})"
    return _Mypy((ctx.tool_python, "-m", "mypy", *where), note)


def _release(version: str) -> tuple[int, ...]:
    numbers = []
    for part in version.split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, part))
        numbers.append(int(digits or 0))
    return tuple(numbers)


_CANNOT_DECODE = re.compile(r"^(?P<file>.+?): error: Cannot decode file: (?P<why>.*)$", re.M)


def _undecodable(output: str, root: Path) -> dict[str, str]:
    """Files mypy refused to read as text, from its text or JSON error lines."""
    found = {relative(root, m["file"]): m["why"] for m in _CANNOT_DECODE.finditer(output)}
    for message in blocking_messages(output):
        path, _, text = message.partition(": ")
        if text.startswith("Cannot decode file"):
            found[relative(root, path)] = text.partition(": ")[2]
    return found


def _decode_finding(path: str, why: str, gate: str) -> Finding:
    return Finding(
        gate=gate,
        tool="mypy",
        rule="decode-error",
        severity=Severity.ERROR,
        path=path,
        line=1,
        message=f"mypy cannot read this file as text: {why}"[:300],
    )


def _unique(findings: list[Finding]) -> list[Finding]:
    """Batches follow imports into each other's files; report each error once."""
    seen: set[tuple[object, ...]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.path, f.line, f.column, f.rule, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
