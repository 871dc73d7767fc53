"""semgrep with the ruleset shipped in `gates/rules/` (plus the user's configs), JSON output.

Semgrep runs offline and privately: always `--metrics=off`, `--disable-version-check`, no
login, a scratch HOME so nothing lands in the user's home, and local rule files (a registry id
such as `p/python` in the user's `config` works only with network access). Semgrep starts
slowly, so it runs once over all files in scope (split only when the command line would
overflow). `--no-rewrite-rule-ids` keeps rule ids as written in the YAML, so a finding's rule
does not depend on where the package was installed.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from gates.gate import GateContext, GateError, GateOutcome, GateTraits, Option, Scope
from gates.model import Finding, Severity, Stage
from gates.proc import ProcResult
from gates.tools.common import (
    batches,
    python_files,
    relative,
    require_module,
    require_ran,
    tool_failure,
)

INSTALL = "pip install semgrep"
# Without --error semgrep exits 0 whether or not it found something; 1 is findings with
# --error (a user may pass it in `args`). Everything else (2 fatal, 4 bad pattern, 5 bad YAML,
# 7 missing config ...) means semgrep did not scan.
_OK_CODES = (0, 1)
_SEVERITY = {
    "ERROR": Severity.ERROR,
    "CRITICAL": Severity.ERROR,
    "HIGH": Severity.ERROR,
    "WARNING": Severity.WARNING,
    "MEDIUM": Severity.WARNING,
}
_CWE_ID = re.compile(r"CWE-\d+", re.IGNORECASE)
_REGISTRY_CONFIG = re.compile(r"^(p|r|s|c)/|^https?://|^auto$")
# No login: semgrep only uses an account through SEMGREP_APP_TOKEN, which the scrubbed
# environment never passes on (it matches *_TOKEN), or a token in HOME, which is a scratch dir.
SCRATCH_ENV = {
    "SEMGREP_SEND_METRICS": "off",
    "SEMGREP_ENABLE_VERSION_CHECK": "0",
}


def parse_semgrep_json(text: str, root: Path, gate: str = "semgrep") -> tuple[list[Finding], str]:
    """Parse `semgrep --json`: the findings and a note on the files semgrep could not handle.

    Raises ValueError on anything that is not semgrep's JSON, and GateError when semgrep
    reports a fatal error (one that is not about a single file: a broken rule, a missing config).
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ValueError("semgrep JSON output has no 'results' list")
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    fatal = [e for e in errors if not _error_path(e) and e.get("level") == "error"]
    if fatal:
        raise GateError("semgrep failed: " + "; ".join(_error_message(e) for e in fatal[:5]))
    findings = [_finding(item, root, gate) for item in data["results"] if isinstance(item, dict)]
    return findings, _errors_note(errors, root)


def _finding(item: Mapping[str, Any], root: Path, gate: str) -> Finding:
    extra_in = item.get("extra") or {}
    metadata = extra_in.get("metadata") or {}
    start = item.get("start") or {}
    end = item.get("end") or {}
    extra = _metadata_extra(metadata)
    line = start.get("line")
    end_line = end.get("line")
    return Finding(
        gate=gate,
        tool="semgrep",
        rule=str(item.get("check_id", "semgrep")),
        severity=_SEVERITY.get(str(extra_in.get("severity", "")).upper(), Severity.NOTE),
        path=relative(root, str(item.get("path", ""))),
        line=line if isinstance(line, int) else None,
        end_line=end_line if isinstance(end_line, int) and end_line != line else None,
        column=start.get("col") if isinstance(start.get("col"), int) else None,
        end_column=end.get("col") if isinstance(end.get("col"), int) else None,
        message=" ".join(str(extra_in.get("message", "")).split()),
        help_uri=_help_uri(metadata),
        extra=extra,
    )


def _as_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def _metadata_extra(metadata: Mapping[str, Any]) -> dict[str, str]:
    extra: dict[str, str] = {}
    cwes = [
        m.group(0).upper() for c in _as_list(metadata.get("cwe")) for m in [_CWE_ID.search(c)] if m
    ]
    if cwes:
        extra["cwe"] = ", ".join(dict.fromkeys(cwes))
    owasp = _as_list(metadata.get("owasp"))
    if owasp:
        extra["owasp"] = "; ".join(owasp)
    for key in ("confidence", "likelihood", "impact"):
        if metadata.get(key):
            extra[key] = str(metadata[key]).lower()
    return extra


def _help_uri(metadata: Mapping[str, Any]) -> str | None:
    for key in ("source", "source-rule-url", "shortlink"):
        if isinstance(metadata.get(key), str) and metadata[key].startswith("https://"):
            return str(metadata[key])
    references = [r for r in _as_list(metadata.get("references")) if r.startswith("https://")]
    return references[0] if references else None


def _error_path(error: Mapping[str, Any]) -> str:
    path = error.get("path")
    return path if isinstance(path, str) else ""


def _error_message(error: Mapping[str, Any]) -> str:
    message = " ".join(str(error.get("message", "")).split())
    kind = error.get("type")
    name = kind[0] if isinstance(kind, list) and kind else kind
    return f"{message} ({name})" if name and message else message or str(name or "error")


def _errors_note(errors: Sequence[Mapping[str, Any]], root: Path) -> str:
    lines = [
        f"{relative(root, _error_path(e)) or '(semgrep)'}: {_error_message(e)}" for e in errors
    ]
    if not lines:
        return ""
    shown = lines[:20] + ([f"... and {len(lines) - 20} more"] if len(lines) > 20 else [])
    return f"semgrep reported {len(lines)} problem(s):\n" + "\n".join(shown)


def shipped_rules(scratch: Path) -> Path:
    """The rules directory inside the installed package (copied out if it is zipped)."""
    rules = resources.files("gates").joinpath("rules")
    if isinstance(rules, Path):
        return rules
    target = scratch / "shipped-rules"
    target.mkdir(parents=True, exist_ok=True)
    for item in rules.iterdir():
        if item.name.endswith((".yml", ".yaml")):
            (target / item.name).write_bytes(item.read_bytes())
    return target


def config_args(root: Path, shipped: Path | None, user: Sequence[str]) -> list[str]:
    """`--config` for the shipped rules and each user config (local path or registry id)."""
    args = ["--config", str(shipped)] if shipped else []
    for config in user:
        path = root / config
        if path.exists():
            if not _inside(root, path):
                raise GateError(f"semgrep config {config!r} is outside the repository")
            args += ["--config", str(path)]
        elif _REGISTRY_CONFIG.search(config):
            args += ["--config", config]  # fetched from the registry: needs network
        else:
            raise GateError(
                f"semgrep config {config!r} is neither a file in the repo nor a registry id"
            )
    return args


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return False
    return True


def semgrep_command(python: str) -> list[str]:
    """The semgrep script next to gates' own interpreter; `python -m semgrep` otherwise."""
    script = Path(python).parent / "semgrep"  # not resolved: a venv's python is a symlink
    if script.is_file():
        return [str(script)]
    found = shutil.which("semgrep")
    return [found] if found else [python, "-m", "semgrep"]


class SemgrepGate:
    name = "semgrep"
    stage = Stage.SECURITY
    tool = "semgrep"
    scope = Scope.CHANGED
    description = "semgrep with the shipped Python security rules and the project's own configs"
    default_timeout_s = 900.0  # 2 minutes on sqlalchemy's 700 files with 2 busy cores
    traits = GateTraits(cost_model=(2.5, 2.0))  # with -j 1
    default_fail_on = "warning"
    options: Mapping[str, Option] = {
        "config": Option(
            list, [], item=str, help="more rule files/dirs in the repo, or registry ids (network)"
        ),
        "shipped_rules": Option(bool, True, help="use the rules shipped in gates/rules/"),
        "args": Option(list, [], item=str, help="extra arguments for semgrep scan"),
    }

    def run(self, ctx: GateContext) -> GateOutcome:
        files = python_files(ctx.files)
        if not files:
            return GateOutcome.skipped("no Python files in scope")
        user = [str(c) for c in ctx.options.get("config", [])]  # type: ignore[attr-defined]
        shipped = shipped_rules(ctx.scratch) if ctx.options.get("shipped_rules", True) else None
        configs = config_args(ctx.root, shipped, user)
        if not configs:
            return GateOutcome.skipped("no semgrep rules: shipped_rules = false and no config")
        findings: list[Finding] = []
        notes: list[str] = []
        version = ""
        for batch in batches(files):
            result = self._scan(ctx, configs, batch)
            try:
                found, note = parse_semgrep_json(result.stdout, ctx.root, self.name)
            except ValueError as exc:
                raise tool_failure(result, f"unreadable JSON output ({exc})") from None
            findings += found
            notes += [note] if note else []
            version = version or _version(result.stdout)
        return GateOutcome(
            findings=findings,
            metrics={"files_scanned": len(files)},
            detail="\n".join(notes),
            tool_version=version,
        )

    def _scan(self, ctx: GateContext, configs: list[str], batch: list[str]) -> ProcResult:
        home = ctx.scratch / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **SCRATCH_ENV,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "SEMGREP_SETTINGS_FILE": str(home / "settings.yml"),
            "SEMGREP_LOG_FILE": str(home / "semgrep.log"),
        }
        argv = [
            *semgrep_command(ctx.tool_python),
            "scan",
            "--json",
            "--quiet",
            *_jobs(ctx),
            "--metrics=off",
            "--disable-version-check",
            "--no-rewrite-rule-ids",
            *configs,
            *[str(a) for a in ctx.options.get("args", [])],  # type: ignore[attr-defined]
            "--",
            *batch,
        ]
        result = ctx.run(argv, extra_env=env)
        require_ran(result, INSTALL)
        require_module(result, "semgrep", INSTALL)
        if result.returncode not in _OK_CODES:
            raise tool_failure(result, _fatal_reason(result.stdout))
        return result


def _jobs(ctx: GateContext) -> list[str]:
    """As many semgrep workers as the cores this gate may use, unless the user's args say."""
    args = [str(a) for a in ctx.options.get("args", [])]  # type: ignore[attr-defined]
    if any(a in ("-j", "--jobs") or a.startswith("--jobs=") for a in args):
        return []
    return ["--jobs", str(ctx.shares.cpus)]


def _fatal_reason(stdout: str) -> str:
    """semgrep's own words for a failed run, from the errors of its JSON output if any."""
    try:
        errors = json.loads(stdout).get("errors") or []
    except (ValueError, AttributeError):
        return "semgrep did not scan the files"
    messages = [_error_message(e) for e in errors if isinstance(e, dict)]
    return "; ".join(messages[:3]) or "semgrep did not scan the files"


def _version(stdout: str) -> str:
    try:
        version = json.loads(stdout).get("version")
    except (ValueError, AttributeError):
        return ""
    return f"semgrep {version}" if isinstance(version, str) else ""
